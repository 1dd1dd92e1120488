"""Filters and paging over a large generated cloud: every page, every filter, against brute
force."""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.paging import MAX_LIMIT
from pciclient.fakeserver.model.inventory import Inventory, PciDevice
from pciclient.fakeserver.scenario.loader import Scenario, load_scenario
from pciclient.fakeserver.wsgi.server import start_in_thread
from tests.fakeserver.helpers import call_app

HOSTS = 120
PER_HOST = 2 * (1 + 120) + 2  # 244
TOTAL = HOSTS * PER_HOST      # 29,280
VM = '4f0c9a2e-8b1d-4c3e-a5f6-0e9d8c7b6a51'
GPU_VM = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'


@pytest.fixture(scope='module')
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = Path(tmp_path_factory.mktemp('paging')) / 'cloud.yaml'
    path.write_text(f"""\
hosts:
  - hostname: "cmp-{{index:03d}}"
    count: {HOSTS}
    generate: {{pfs: 2, vfs_per_pf: 120, gpus: 2, numa_nodes: 2}}
servers:
  - {{name: vm, project: demo, host: cmp-007, devices: ["0000:01:01.0", "0000:01:01.1"],
     id: {VM}}}
  - {{name: gpu-vm, project: demo, host: cmp-119, devices: ["0000:03:00.0"], id: {GPU_VM}}}
""")
    return load_scenario(str(path))


@pytest.fixture(scope='module')
def inventory(scenario: Scenario) -> Inventory:
    return scenario.store.current


@pytest.fixture(scope='module')
def app(scenario: Scenario) -> FakeComputeApp:
    return FakeComputeApp(scenario.store)


def _walk(app: FakeComputeApp, path: str, query: str, key: str = 'pci_devices',
          ) -> Iterator[list[dict]]:
    """Follow next links from the first page; yield each page's items."""
    for _ in range(10_000):
        response = call_app(app, path, query=query)
        assert response.status == 200, response.json
        body = response.json
        yield body[key]
        links = body.get(f'{key}_links')
        if not links:
            return
        (link,) = links
        assert link['rel'] == 'next'
        url = urlsplit(link['href'])
        assert url.path == path
        query = url.query
    raise AssertionError('paging did not end')


def test_the_cloud_is_as_big_as_asked(inventory: Inventory) -> None:
    assert len(inventory.devices) == TOTAL
    assert len(inventory.hypervisors) == HOSTS


def test_walk_every_page(app: FakeComputeApp) -> None:
    pages = list(_walk(app, '/v2.1/os-pci', 'limit=997'))
    assert len(pages) == math.ceil(TOTAL / 997)
    assert all(len(page) == 997 for page in pages[:-1])
    assert [d['id'] for page in pages for d in page] == list(range(1, TOTAL + 1))


def test_pages_are_capped_at_max_limit(app: FakeComputeApp) -> None:
    for query in ('', 'limit=5000'):
        body = call_app(app, '/v2.1/os-pci/detail', query=query).json
        assert len(body['pci_devices']) == MAX_LIMIT
        href = body['pci_devices_links'][0]['href']
        assert dict(parse_qsl(urlsplit(href).query))['marker'] == str(MAX_LIMIT)
    unlimited = list(_walk(app, '/v2.1/os-pci', ''))
    assert len(unlimited) == math.ceil(TOTAL / MAX_LIMIT)


def test_deep_marker(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1/os-pci/detail', query='limit=3&marker=29000').json
    assert [d['id'] for d in body['pci_devices']] == [29001, 29002, 29003]
    assert body['pci_devices'][0]['compute_node_id'] == math.ceil(29001 / PER_HOST)
    last = call_app(app, '/v2.1/os-pci', query=f'limit=3&marker={TOTAL - 3}').json
    assert [d['id'] for d in last['pci_devices']] == [TOTAL - 2, TOTAL - 1, TOTAL]
    assert 'pci_devices_links' not in last
    for marker in (str(TOTAL + 1), '0', '007', '-1', '1e3'):
        response = call_app(app, '/v2.1/os-pci', query=f'limit=3&marker={marker}')
        assert response.status == 400
        assert response.json['badRequest']['message'] == f'marker [{marker}] not found'


def _brute(inventory: Inventory, query: list[tuple[str, str]]) -> list[PciDevice]:
    keys = {'host': 'hostname', 'server_uuid': 'instance_uuid'}
    wanted: dict[str, set[str]] = {}
    for name, value in query:
        attribute = keys.get(name, name)
        fold = attribute in ('vendor_id', 'product_id', 'address')
        wanted.setdefault(attribute, set()).add(value.lower() if fold else value)
    return [d for d in inventory.devices
            if all(getattr(d, attribute) in values for attribute, values in wanted.items())]


QUERIES = [
    [('host', 'cmp-007')],
    [('host', 'cmp-007'), ('status', 'available')],
    [('host', 'cmp-007'), ('host', 'cmp-100'), ('dev_type', 'type-PF')],
    [('status', 'unclaimable')],
    [('status', 'allocated'), ('status', 'unavailable')],
    [('vendor_id', '15B3'), ('dev_type', 'type-VF'), ('host', 'cmp-119')],
    [('vendor_id', '10de')],
    [('product_id', '1889'), ('status', 'available')],
    [('address', '0000:01:01.0')],
    [('address', '0000:01:01.0'), ('address', '0000:04:00.0'), ('status', 'available')],
    [('instance_uuid', VM)],
    [('server_uuid', GPU_VM)],
    [('address', '0000:99:00.0')],
    [('status', 'available'), ('dev_type', 'type-PCI'), ('vendor_id', '8086')],
]


@pytest.mark.parametrize('query', QUERIES, ids=lambda q: '&'.join(f'{k}={v}' for k, v in q))
def test_filters_match_brute_force_on_every_page(app: FakeComputeApp, inventory: Inventory,
                                                 query: list[tuple[str, str]]) -> None:
    expected = [d.id for d in _brute(inventory, query)]
    text = '&'.join(f'{k}={v}' for k, v in query)
    for path in ('/v2.1/os-pci', '/v2.1/os-pci/detail'):
        pages = list(_walk(app, path, text + '&limit=37'))
        assert [d['id'] for page in pages for d in page] == expected
        assert all(len(page) == 37 for page in pages[:-1])


def test_allocation_states_at_scale(inventory: Inventory) -> None:
    counts = {status: len(inventory.positions('status', status))
              for status in ('available', 'allocated', 'unclaimable', 'unavailable')}
    # vm: 2 VFs of cmp-007's first PF; gpu-vm: the second PF of cmp-119 (its 120 VFs).
    assert counts == {'allocated': 3, 'unclaimable': 1, 'unavailable': 120,
                      'available': TOTAL - 124}
    cmp119 = inventory.hypervisor('cmp-119')
    assert cmp119 is not None
    pools = {(p.dev_type, dict(p.tags)['address']): p.count for p in cmp119.pools}
    assert pools[('type-PF', '0000:03:00.0')] == 0
    assert pools[('type-VF', '0000:03:00.0')] == 0  # all unavailable: the pool stays at 0
    assert pools[('type-VF', '0000:01:00.0')] == 120


def test_marker_must_be_in_the_filtered_list(app: FakeComputeApp) -> None:
    response = call_app(app, '/v2.1/os-pci', query='vendor_id=10de&marker=1')
    assert response.status == 400
    gpus = call_app(app, '/v2.1/os-pci', query='vendor_id=10de&limit=2').json
    first, second = (d['id'] for d in gpus['pci_devices'])
    after = call_app(app, '/v2.1/os-pci', query=f'vendor_id=10de&limit=1&marker={first}').json
    assert [d['id'] for d in after['pci_devices']] == [second]


def test_hypervisor_pages(app: FakeComputeApp) -> None:
    for path in ('/v2.1/os-hypervisors', '/v2.1/os-hypervisors/detail'):
        pages = list(_walk(app, path, 'limit=7', key='hypervisors'))
        assert len(pages) == math.ceil(HOSTS / 7)
        assert [h['id'] for page in pages for h in page] == list(range(1, HOSTS + 1))
    response = call_app(app, '/v2.1/os-hypervisors', query='marker=999')
    assert response.status == 400


def test_the_client_library_pages_through_real_http(scenario: Scenario) -> None:
    with start_in_thread(FakeComputeApp(scenario.store)) as running:
        sess = session.Session(auth=noauth.NoAuth())
        client = pci_client.Client('2', session=sess, endpoint_override=running.compute_url)
        devices = client.pci_devices.list(resolve_hosts=False)
        assert [d.id for d in devices] == list(range(1, TOTAL + 1))
        held = client.pci_devices.list(detailed=True, instance_uuid=VM, resolve_hosts=False)
        assert [d.address for d in held] == ['0000:01:01.0', '0000:01:01.1']
        hosts = client.hypervisors.list()
        assert len(hosts) == HOSTS


def test_all_filter_combinations_agree_on_one_host(app: FakeComputeApp,
                                                   inventory: Inventory) -> None:
    """Every combination of a few values of each filter, on the host with servers."""
    values = {
        'status': ['available', 'allocated', 'unclaimable'],
        'dev_type': ['type-PF', 'type-VF'],
        'vendor_id': ['8086', '15b3'],
        'address': ['0000:01:00.0', '0000:01:01.1'],
    }
    for size in (1, 2, 3):
        for keys in itertools.combinations(values, size):
            for picked in itertools.product(*(values[k] for k in keys)):
                query = [('host', 'cmp-007'), *zip(keys, picked, strict=True)]
                text = '&'.join(f'{k}={v}' for k, v in query)
                got = [d['id'] for d in call_app(app, '/v2.1/os-pci', query=text).json[
                    'pci_devices']]
                assert got == [d.id for d in _brute(inventory, query)], text
