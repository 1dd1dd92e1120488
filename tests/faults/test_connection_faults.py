"""The compute API is unreachable, silent, or breaks its answer: pci-cli (a real process)
says so in one line and exits 1, in bounded time, and prints nothing on stdout."""
from __future__ import annotations

import json

import pytest

from tests.faults import documents as docs
from tests.faults.cli import noauth, pci_cli
from tests.faults.servers import CLOSE, RESET, SILENCE, FaultServer, Reply, free_port, json_reply

DEVICES = docs.page('pci_devices', [docs.device(i) for i in range(1, 40)])
HYPERVISORS = docs.page('hypervisors', [docs.hypervisor(1)])
WHOLE = json.dumps(DEVICES).encode()

#: (what the command runs, the path whose answer breaks)
COMMANDS = [
    (['pci-list'], '/v2.1/os-pci'),
    (['hypervisor-show', 'compute1'], '/v2.1/os-hypervisors/compute1/search'),
    (['server-show', 'vm1', '--long'], '/v2.1/servers/detail'),
]


def cloud(broken_path: str, broken: Reply):
    """A compute API whose ``broken_path`` answers ``broken`` and the rest answers well."""
    def behaviour(request):
        if request.path == broken_path:
            return broken
        if request.path in ('/v2.1/os-pci', '/v2.1/os-pci/detail'):
            return json_reply(DEVICES)
        if request.path in ('/v2.1/os-hypervisors', '/v2.1/os-hypervisors/compute1/search'):
            return json_reply(HYPERVISORS)
        if request.path == '/v2.1/os-hypervisors/1':
            return json_reply({'hypervisor': docs.hypervisor(1)})
        if request.path == '/v2.1/servers/detail':
            return json_reply(docs.page('servers', [docs.server()]))
        return json_reply(docs.nova_404(), status=404)
    return FaultServer(behaviour)


def test_nothing_listens():
    port = free_port()
    result = pci_cli(*noauth(f'http://127.0.0.1:{port}/v2.1'), 'pci-list', '-f', 'json')
    line = result.one_line_error()
    assert f'http://127.0.0.1:{port}/v2.1' in line and 'Connection refused' in line, line


@pytest.mark.parametrize('argv, path', COMMANDS)
def test_accepts_and_never_answers(argv, path):
    with cloud(path, SILENCE) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '1', *argv)
    line = result.one_line_error()
    assert 'Timed out' in line and '--timeout' in line, line
    assert result.elapsed < 15, result.elapsed
    assert [r.path for r in server.requests].count(path) == 1   # no retry unless asked


def test_stalls_in_the_middle_of_the_body():
    """Headers and half the body, then nothing: --timeout bounds reading the body too."""
    with cloud('/v2.1/os-pci', Reply(200, WHOLE, {'Content-Type': 'application/json'},
                                     cut=len(WHOLE) // 2, then='hang')) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '1', 'pci-list')
    line = result.one_line_error()
    assert result.elapsed < 15, result.elapsed
    assert 'no answer in time' in line or 'Timed out' in line, line


@pytest.mark.parametrize('argv, path', COMMANDS)
def test_connection_reset_in_the_middle_of_the_body(argv, path):
    body = WHOLE if path == '/v2.1/os-pci' else json.dumps(
        docs.page('servers' if 'servers' in path else 'hypervisors',
                  [docs.server()] if 'servers' in path else [docs.hypervisor(1)] * 30)).encode()
    with cloud(path, Reply(200, body, {'Content-Type': 'application/json'},
                           cut=len(body) // 2, then='reset')) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), *argv, '-f', 'json')
    line = result.one_line_error()
    assert server.url in line, line


@pytest.mark.parametrize('fault', [RESET, CLOSE], ids=['reset', 'close'])
def test_connection_dropped_before_any_answer(fault):
    with cloud('/v2.1/os-pci', fault) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    line = result.one_line_error()
    assert server.url in line, line


def test_truncated_json_with_its_true_length():
    """A body cut short but labelled with its true length: not JSON, InvalidResponse."""
    cut = WHOLE[:len(WHOLE) // 2]
    with cloud('/v2.1/os-pci', Reply(200, cut, {'Content-Type': 'application/json'})) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    line = result.one_line_error()
    assert 'not JSON' in line and '/v2.1/os-pci' in line, line


def test_truncated_json_shorter_than_its_content_length():
    """Content-Length promises the whole body, half comes, then the connection closes."""
    with cloud('/v2.1/os-pci', Reply(200, WHOLE, {'Content-Type': 'application/json'},
                                     cut=len(WHOLE) // 2, then='close')) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    line = result.one_line_error()
    assert server.url in line, line


@pytest.mark.parametrize('body, content_type', [
    (b'SSH-2.0-OpenSSH_9.6\r\n', 'text/plain'),
    (b'<html><body><h1>It works!</h1></body></html>', 'text/html'),
    (b'\x89PNG\r\n\x1a\n\x00\x00', 'image/png'),
    (b'', 'application/json'),
])
def test_an_answer_that_is_not_json(body, content_type):
    with cloud('/v2.1/os-pci', Reply(200, body, {'Content-Type': content_type})) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    line = result.one_line_error()
    assert 'not JSON' in line, line


def test_not_http_at_all():
    """Something that is not HTTP answers (another protocol's banner), then closes."""
    with FaultServer(lambda request: Reply(body=b'SSH-2.0-OpenSSH_9.6\r\n', then='raw')) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list')
    line = result.one_line_error()
    assert server.url in line, line


@pytest.mark.parametrize('fault', ['reset', 'close', 'hang'])
def test_a_broken_answer_is_worded_plainly(fault):
    with cloud('/v2.1/os-pci', Reply(200, WHOLE, {'Content-Type': 'application/json'},
                                     cut=len(WHOLE) // 2, then=fault)) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '1', 'pci-list')
    line = result.one_line_error()
    assert not line.startswith('Could not connect'), line
    assert 'Error(' not in line and 'IncompleteRead(' not in line, line
    if fault == 'hang':
        assert '--timeout' in line, line


def test_keystone_not_listening_is_worded_plainly():
    port = free_port()
    result = pci_cli('--os-auth-url', f'http://127.0.0.1:{port}/identity/v3',
                     '--os-username', 'admin', '--os-password', 'x', '--os-project-name', 'a',
                     'pci-list')
    line = result.one_line_error()
    assert 'HTTPConnectionPool' not in line and 'Error(' not in line, line
