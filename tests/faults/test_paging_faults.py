"""A listing whose later page fails: the command fails, and never prints the first pages
as if they were the whole listing (in any output format)."""
from __future__ import annotations

import json
import threading

import pytest

from tests.faults import documents as docs
from tests.faults.cli import noauth, pci_cli, pci_cli_here
from tests.faults.servers import RESET, SILENCE, FaultServer, Reply, json_reply

#: (command, listing path, key, items): each listing has three pages of two.
LISTINGS = {
    'pci-list': ('/v2.1/os-pci', 'pci_devices', [docs.device(i) for i in range(1, 7)]),
    'pci-list --long': ('/v2.1/os-pci/detail', 'pci_devices',
                        [docs.device(i) for i in range(1, 7)]),
    'hypervisor-list': ('/v2.1/os-hypervisors', 'hypervisors',
                        [docs.hypervisor(i) for i in range(1, 7)]),
    'server-list': ('/v2.1/servers/detail', 'servers',
                    [docs.server(f'00000000-0000-0000-0000-00000000000{i}', f'vm{i}')
                     for i in range(1, 7)]),
}


def _truncated() -> Reply:
    text = json.dumps(docs.page('pci_devices', [docs.device(9)]))
    return Reply(200, text[:len(text) // 2], {'Content-Type': 'application/json'})


FAULTS = {
    '500': lambda: json_reply({'computeFault': {'code': 500, 'message': 'boom'}}, status=500),
    '404': lambda: json_reply(docs.nova_404('marker not found'), status=404),
    'reset': lambda: RESET,
    'truncated': _truncated,
    'not-json': lambda: Reply(200, '<html>maintenance</html>', {'Content-Type': 'text/html'}),
    'wrong-shape': lambda: json_reply({'unexpected': []}),
}


def paged_cloud(path: str, key: str, items: list, fail_page: int | None, fault: Reply | None):
    """``path`` answers pages of two items linked by ``<key>_links``; page ``fail_page``
    (0-based) answers ``fault``. Other hypervisor listings answer one hypervisor."""
    served: list[int] = []
    lock = threading.Lock()

    def behaviour(request):
        if request.path == path:
            marker = request.query.get('marker')
            ids = [str(item['id']) for item in items]
            start = ids.index(marker) + 1 if marker in ids else 0
            number = start // 2
            with lock:
                served.append(number)
            if number == fail_page:
                return fault
            chunk = items[start:start + 2]
            href = None
            if start + 2 < len(items):
                href = f'{server.url}{path}?limit=2&marker={chunk[-1]["id"]}'
            return json_reply(docs.page(key, chunk, href))
        if request.path == '/v2.1/os-hypervisors':
            return json_reply(docs.page('hypervisors', [docs.hypervisor(1)]))
        return json_reply(docs.nova_404(), status=404)
    server = FaultServer(behaviour)
    server.served = served
    return server


#: Every fault in the two formats scripts and people read; every format for one fault.
CASES = sorted({(fault, fmt) for fault in FAULTS for fmt in ('json', 'table')}
               | {('500', fmt) for fmt in ('csv', 'value', 'yaml')})


@pytest.mark.parametrize('fault, fmt', CASES)
@pytest.mark.parametrize('listing', list(LISTINGS))
def test_a_failing_later_page_fails_the_command(listing, fault, fmt):
    path, key, items = LISTINGS[listing]
    with paged_cloud(path, key, items, fail_page=2, fault=FAULTS[fault]()) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), *listing.split(), '-f', fmt)
    result.one_line_error()
    assert server.served == [0, 1, 2], server.served


@pytest.mark.parametrize('listing', list(LISTINGS))
def test_every_page_is_read(listing):
    path, key, items = LISTINGS[listing]
    with paged_cloud(path, key, items, fail_page=None, fault=None) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), *listing.split(), '-f', 'json')
    assert result.code == 0, result
    assert [row['ID'] for row in json.loads(result.out)] == [item['id'] for item in items]


def test_a_silent_later_page_fails_within_the_timeout():
    path, key, items = LISTINGS['pci-list']
    with paged_cloud(path, key, items, fail_page=1, fault=SILENCE) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '1', 'pci-list',
                         '-f', 'json')
    assert 'Timed out' in result.one_line_error()
    assert result.elapsed < 15


def test_a_limit_reached_before_the_failing_page_never_asks_for_it():
    path, key, items = LISTINGS['pci-list']
    with paged_cloud(path, key, items, fail_page=1, fault=FAULTS['500']()) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list', '--limit', '2',
                         '-f', 'json')
    assert result.code == 0, result
    assert [row['ID'] for row in json.loads(result.out)] == [1, 2]
    assert server.served == [0]


def test_a_failing_later_page_as_a_real_process():
    path, key, items = LISTINGS['pci-list']
    with paged_cloud(path, key, items, fail_page=1, fault=RESET) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list')
    result.one_line_error()
