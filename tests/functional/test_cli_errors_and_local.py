"""pci-cli against servers that are down, broken or absent, and with --local."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.model.sysfs import read_functions
from pciclient.fakeserver.wsgi.server import start_in_thread
from tests.functional.helpers import run_cli
from tests.support.cli_process import clean_env

SERVER_UUID = '8c3e1f0a-5b2d-4c6e-9f10-7a8b9c0d1e2f'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class _Canned(BaseHTTPRequestHandler):
    status = 200
    content_type = 'text/html'
    body = b'<html><head><title>Welcome</title></head><body>It works!</body></html>'

    def do_GET(self):  # noqa: N802 - stdlib name
        self.send_response(self.status)
        self.send_header('Content-Type', self.content_type)
        self.send_header('Content-Length', str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_server():
    servers = []

    def start(status=200, content_type='text/html', body=None):
        handler = type('Handler', (_Canned,), {
            'status': status, 'content_type': content_type,
            'body': body if body is not None else _Canned.body})
        httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return f'http://127.0.0.1:{httpd.server_address[1]}/v2.1'

    yield start
    for httpd, thread in servers:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def cloud_with_a_server(sysfs_root):
    """compute1 from the standard tree, with a server holding both VFs (ids 3 and 4)."""
    scan = read_functions(sysfs_root)
    server = Server(id=SERVER_UUID, name='vm-sriov', host='compute1', device_ids=(3, 4))
    inventory = Inventory.from_hosts([('compute1', scan.functions)], servers=[server])
    with start_in_thread(FakeComputeApp(inventory, 'blueprint')) as running:
        yield running.compute_url


def test_server_down():
    result = run_cli('pci-list', endpoint=f'http://127.0.0.1:{free_port()}/v2.1')
    assert result.code == 1
    assert result.out == ''
    assert 'Could not connect' in result.err
    assert 'Traceback' not in result.err


def test_html_answer(canned_server):
    result = run_cli('pci-list', endpoint=canned_server())
    assert result.code == 1
    assert 'not JSON' in result.err and '<' not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_error_status_with_html(canned_server):
    url = canned_server(status=502, body=b'<html><body><h1>Bad Gateway</h1></body></html>')
    result = run_cli('hypervisor-list', endpoint=url)
    assert result.code == 1
    assert result.err.strip() == 'Bad Gateway (HTTP 502)'


def test_wrong_json_shape(canned_server):
    url = canned_server(content_type='application/json',
                        body=b'{"pci_devices": {"id": 1}, "hypervisors": []}')
    result = run_cli('pci-list', endpoint=url)
    assert result.code == 1
    assert 'has no "pci_devices" list' in result.err


def test_no_auth_configured():
    result = run_cli('pci-list')
    assert result.code == 1
    assert result.out == ''
    assert 'Nothing tells pci-cli where your cloud is' in result.err


def test_debug_shows_traceback():
    result = run_cli('--debug', 'pci-list', endpoint=f'http://127.0.0.1:{free_port()}/v2.1')
    assert result.code == 1
    assert 'Traceback' in result.err


def test_usage_error_exit_2(sysfs_root):
    result = run_cli('pci-list', '--status', 'free')
    assert result.code == 2
    assert 'invalid choice' in result.err


def test_servers_holding_devices(cloud_with_a_server):
    url = cloud_with_a_server
    servers = run_cli('server-list', '-f', 'json', endpoint=url).json()
    assert servers == [{'ID': SERVER_UUID, 'Name': 'vm-sriov', 'Status': 'ACTIVE',
                        'PCI Devices': [3, 4], 'Host': 'compute1'}]
    shown = run_cli('server-show', 'vm-sriov', '--long', '-f', 'json', endpoint=url).json()
    assert [d['address'] for d in shown['pci_devices']] == ['0000:04:10.0', '0000:04:10.2']
    assert {d['host'] for d in shown['pci_devices']} == {'compute1'}
    held = run_cli('pci-list', '--server', 'vm-sriov', '-f', 'json', endpoint=url).json()
    assert [row['ID'] for row in held] == [3, 4]
    allocated = run_cli('pci-list', '--status', 'allocated', '--long', '-f', 'json',
                        endpoint=url).json()
    assert {row['Instance UUID'] for row in allocated} == {SERVER_UUID}
    pools = run_cli('hypervisor-show', 'compute1', '-f', 'json', endpoint=url).json()['pci_stats']
    # Both VFs are taken: their pool stays, empty, as in Nova; the PF is unclaimable.
    assert [p['count'] for p in pools if p['dev_type'] == 'type-VF'] == [0]
    assert [p['count'] for p in pools if p['dev_type'] == 'type-PF'] == [0]


def test_local_uses_the_given_sysfs_tree(sysfs_root):
    result = run_cli('--local', 'pci-list', '-f', 'json',
                     env=clean_env(PCI_CLI_SYSFS_ROOT=str(sysfs_root)))
    rows = result.json()
    assert len(rows) == 5
    assert result.err == ''
    assert {row['Host'] for row in rows} == {socket.gethostname()}


def test_local_reads_the_embedded_clouds_neutron(sysfs_root):
    # The embedded cloud serves Neutron as it serves Placement: no SR-IOV port on a machine,
    # an empty answer, not "the catalog has no network service".
    result = run_cli('--local', 'sriov-port-list', '-f', 'json',
                     env=clean_env(PCI_CLI_SYSFS_ROOT=str(sysfs_root)))
    assert (result.code, result.json(), result.err) == (0, [], '')


def test_local_sysfs_root_option_and_table(sysfs_root):
    result = run_cli('--local', '--local-sysfs-root', str(sysfs_root), 'hypervisor-list')
    assert result.code == 0, result
    assert socket.gethostname() in result.out
    assert result.err == ''


def test_local_serves_placement_too(sysfs_root):
    by_os_pci = run_cli('--local', '--local-sysfs-root', str(sysfs_root), 'pci-list',
                        '-f', 'json').json()
    result = run_cli('--local', '--local-sysfs-root', str(sysfs_root), '--pci-source',
                     'placement', 'pci-list', '-f', 'json')
    assert result.code == 0 and result.err == '', result
    rows = result.json()
    assert rows and {row['Source'] for row in rows} == {'placement'}
    # each provider is a PCI device or a PF of the tree (VFs are its inventory)
    assert {row['Address'] for row in rows} <= {row['Address'] for row in by_os_pci}


def test_local_on_an_empty_tree(tmp_path):
    """A sysfs tree without devices is an empty cloud (a root that is no sysfs tree at all
    is an error: tests/functional/test_local_sysfs_root.py)."""
    (tmp_path / 'bus' / 'pci' / 'devices').mkdir(parents=True)
    result = run_cli('--local', '--local-sysfs-root', str(tmp_path), 'pci-list', '-f', 'json')
    assert result.json() == []


def test_server_that_never_answers_is_bounded_by_timeout():
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        result = run_cli('--timeout', '1', 'pci-list', endpoint=f'http://127.0.0.1:{port}/v2.1',
                         timeout=30)
    assert result.code == 1
    assert result.err.startswith(f'Timed out talking to http://127.0.0.1:{port}/v2.1/os-')
    assert result.err.rstrip().endswith('no answer in time (see --timeout).')


def test_password_auth_without_password():
    result = run_cli('--os-auth-url', 'http://127.0.0.1:9/v3', '--os-username', 'admin',
                     'pci-list')
    assert result.code == 1
    assert result.err.strip() == ('Password authentication needs --os-username (OS_USERNAME) '
                                  'and --os-password (OS_PASSWORD), or choose another '
                                  '--os-auth-type.')


def test_keystone_down_is_one_line():
    port = free_port()
    result = run_cli('--os-auth-url', f'http://127.0.0.1:{port}/v3', '--os-username', 'admin',
                     '--os-password', 'secret', '--os-project-name', 'admin', 'pci-list')
    assert result.code == 1
    assert result.err.strip() == f'Could not connect to http://127.0.0.1:{port}/v3/auth/tokens: ' \
                                 'Connection refused'
