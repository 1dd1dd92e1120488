"""Paging in the compute WSGI app, called in-process: ``limit``/``marker``, next links and
their errors, for devices, hypervisors and servers.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import OTHER_SERVER_UUID, SERVER_UUID, call_app, listed_ids


def test_paging_walks_all_devices_with_next_links(app: FakeComputeApp) -> None:
    seen: list[int] = []
    path, query = '/v2.1/os-pci/detail', 'limit=2'
    for _ in range(5):
        body = call_app(app, path, query=query).json
        seen += listed_ids(body)
        links = body.get('pci_devices_links')
        if not links:
            break
        assert links[0]['rel'] == 'next'
        url = urlsplit(links[0]['href'])
        assert (url.scheme, url.netloc, url.path) == ('http', 'fake.example:8774', path)
        path, query = url.path, url.query
    assert seen == [1, 2, 3, 4, 5]


def test_next_link_keeps_filters_and_replaces_marker(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1/tenant/os-pci',
                    query='status=available&limit=1&marker=1&status=allocated').json
    assert listed_ids(body) == [3]
    href = body['pci_devices_links'][0]['href']
    assert href.startswith('http://fake.example:8774/v2.1/tenant/os-pci?')
    assert parse_qsl(urlsplit(href).query) == [
        ('status', 'available'), ('limit', '1'), ('status', 'allocated'), ('marker', '3')]


def test_no_next_link_on_last_page(app: FakeComputeApp) -> None:
    assert 'pci_devices_links' not in call_app(app, '/v2.1/os-pci', query='limit=5').json
    assert 'pci_devices_links' not in call_app(app, '/v2.1/os-pci', query='limit=50').json
    last = call_app(app, '/v2.1/os-pci', query='marker=5').json
    assert last == {'pci_devices': []}


def test_marker_without_limit(app: FakeComputeApp) -> None:
    assert listed_ids(call_app(app, '/v2.1/os-pci', query='marker=3').json) == [4, 5]


def test_marker_applies_after_filters(app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-pci', query='dev_type=type-VF&marker=1').status == 400
    assert listed_ids(call_app(app, '/v2.1/os-pci', query='dev_type=type-VF&marker=3').json) == [4]


@pytest.mark.parametrize('query, fragment', [
    ('limit=0', 'must be positive'),
    ('limit=-3', 'must be positive'),
    ('limit=abc', 'must be an integer'),
    ('limit=', 'must be an integer'),
    ('limit=1.5', 'must be an integer'),
    ('marker=99', 'marker [99] not found'),
    ('marker=abc', 'marker [abc] not found'),
])
def test_bad_paging_is_400(app: FakeComputeApp, query: str, fragment: str) -> None:
    for path in ('/v2.1/os-pci', '/v2.1/os-pci/detail', '/v2.1/os-hypervisors',
                 '/v2.1/os-hypervisors/detail', '/v2.1/servers', '/v2.1/servers/detail'):
        response = call_app(app, path, query=query)
        assert response.status == 400, path
        assert response.json['badRequest']['code'] == 400
        assert fragment in response.json['badRequest']['message']


def test_hypervisor_and_server_paging(app: FakeComputeApp, standard_scan: object) -> None:
    functions = standard_scan.functions  # type: ignore[attr-defined]
    many = FakeComputeApp(Inventory.from_hosts([(f'c{n}', functions) for n in range(3)]))
    body = call_app(many, '/v2.1/os-hypervisors/detail', query='limit=2').json
    assert listed_ids(body, 'hypervisors') == [1, 2]
    href = body['hypervisors_links'][0]['href']
    assert href == 'http://fake.example:8774/v2.1/os-hypervisors/detail?limit=2&marker=2'
    rest = call_app(many, '/v2.1/os-hypervisors/detail', query=urlsplit(href).query).json
    assert listed_ids(rest, 'hypervisors') == [3] and 'hypervisors_links' not in rest

    first = call_app(app, '/v2.1/servers', query='limit=1').json
    assert listed_ids(first, 'servers') == [SERVER_UUID]
    assert first['servers_links'][0]['href'].endswith(f'limit=1&marker={SERVER_UUID}')
    second = call_app(app, '/v2.1/servers/detail', query=f'limit=1&marker={SERVER_UUID}').json
    assert listed_ids(second, 'servers') == [OTHER_SERVER_UUID] and 'servers_links' not in second
