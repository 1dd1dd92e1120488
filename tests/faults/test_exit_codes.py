"""The README's exit codes, as a script sees them (a real process, stdin not a terminal):
0 ok, 1 an API or connection error, 2 a usage error; ``-f json`` prints the document alone."""
from __future__ import annotations

import json

import pytest

from tests.faults import documents as docs
from tests.faults.cli import noauth, pci_cli
from tests.faults.servers import FaultServer, json_reply


def compute(request):
    if request.path == '/v2.1/os-hypervisors':
        return json_reply(docs.page('hypervisors', [docs.hypervisor(1)]))
    if request.path == '/v2.1/os-hypervisors/compute1/search':
        return json_reply({'computeFault': {'code': 503, 'message': 'Try again.'}}, status=503)
    return json_reply(docs.nova_404(), status=404)


@pytest.fixture(scope='module')
def server():
    with FaultServer(compute) as running:
        yield running


def test_0_ok_and_json_alone(server):
    result = pci_cli(*noauth(server.url + '/v2.1'), 'hypervisor-list', '-f', 'json')
    assert result.code == 0 and result.err == '', result
    assert json.loads(result.out) == [{'ID': 1, 'Hostname': 'compute1', 'State': 'up',
                                       'Status': 'enabled'}]


def test_1_api_error(server):
    result = pci_cli(*noauth(server.url + '/v2.1'), 'hypervisor-show', 'compute1', '-f', 'json')
    assert result.one_line_error() == 'Try again. (HTTP 503)'


def test_2_usage_error(server):
    before = len(server.requests)
    result = pci_cli(*noauth(server.url + '/v2.1'), 'hypervisor-list', '--limit', '1')
    assert result.code == 2 and result.out == '', result
    assert result.err.count('\n') == 1 and 'unrecognized arguments: --limit 1' in result.err
    assert len(server.requests) == before   # a usage error asks no cloud


def test_no_command_is_a_usage_error(server):
    result = pci_cli(*noauth(server.url + '/v2.1'))
    assert result.code == 2, result
    assert result.out == '' and result.err.count('\n') == 1, result
    assert result.err.startswith('pci-cli: error: no command given; the commands are: ')
