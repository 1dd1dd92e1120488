"""The compute WSGI app's servers routes, called in-process: index, detail, show, the
devices servers hold and the name filter.
"""
from __future__ import annotations

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import HOST, OTHER_SERVER_UUID, SERVER_UUID, call_app, listed_ids


def test_server_index(app: FakeComputeApp) -> None:
    servers = call_app(app, '/v2.1/servers').json['servers']
    assert [(s['id'], s['name']) for s in servers] == [
        (SERVER_UUID, 'vm-with-vf'), (OTHER_SERVER_UUID, 'idle-vm')]
    assert all(set(s) == {'id', 'name', 'links'} for s in servers)
    assert servers[0]['links'] == [
        {'rel': 'self', 'href': f'http://fake.example:8774/v2.1/servers/{SERVER_UUID}'},
        {'rel': 'bookmark', 'href': f'http://fake.example:8774/servers/{SERVER_UUID}'}]


def test_server_links_keep_the_project(app: FakeComputeApp) -> None:
    server = call_app(app, f'/v2/t1/servers/{SERVER_UUID}').json['server']
    assert [link['href'] for link in server['links']] == [
        f'http://fake.example:8774/v2/t1/servers/{SERVER_UUID}',
        f'http://fake.example:8774/t1/servers/{SERVER_UUID}']


def test_server_detail_and_show(app: FakeComputeApp, merged_app: FakeComputeApp) -> None:
    detail = call_app(app, '/v2.1/servers/detail').json['servers']
    show = call_app(app, f'/v2.1/servers/{SERVER_UUID}').json['server']
    assert detail[0] == show
    assert show['os-pci:pci_devices'] == [{'id': 3}]
    assert detail[1]['os-pci:pci_devices'] == []
    for key in ('id', 'name', 'status', 'tenant_id', 'user_id', 'created', 'updated', 'hostId',
                'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'metadata',
                'addresses', 'links'):
        assert key in show, key
    assert show['OS-EXT-SRV-ATTR:hypervisor_hostname'] == HOST
    assert call_app(merged_app, f'/v2.1/servers/{SERVER_UUID}').json['server'] == show


def test_server_device_ids_resolve_to_devices(app: FakeComputeApp) -> None:
    server = call_app(app, f'/v2.1/servers/{SERVER_UUID}').json['server']
    for ref in server['os-pci:pci_devices']:
        device = call_app(app, f"/v2.1/os-pci/{ref['id']}").json['pci_device']
        assert device['instance_uuid'] == server['id'] and device['status'] == 'allocated'


@pytest.mark.parametrize('query, expected', [
    ('name=vm', [SERVER_UUID, OTHER_SERVER_UUID]),
    ('name=^idle', [OTHER_SERVER_UUID]),
    ('name=with-v.$', [SERVER_UUID]),
    ('name=nothing', []),
])
def test_server_name_regex(app: FakeComputeApp, query: str, expected: list[str]) -> None:
    for path in ('/v2.1/servers', '/v2.1/servers/detail'):
        assert listed_ids(call_app(app, path, query=query).json, 'servers') == expected


def test_server_name_bad_regex_is_400(app: FakeComputeApp) -> None:
    response = call_app(app, '/v2.1/servers/detail', query='name=(unclosed')
    assert response.status == 400
    assert 'regular expression' in response.json['badRequest']['message']


def test_server_show_unknown(app: FakeComputeApp) -> None:
    response = call_app(app, '/v2.1/servers/00000000-0000-0000-0000-000000000000')
    assert response.status == 404
    assert response.json == {'itemNotFound': {
        'code': 404,
        'message': 'Instance 00000000-0000-0000-0000-000000000000 could not be found.'}}


def test_no_servers_means_empty_lists(inventory: Inventory) -> None:
    app = FakeComputeApp(inventory)
    assert call_app(app, '/v2.1/servers/detail').json == {'servers': []}
    assert call_app(app, '/v2.1/servers').json == {'servers': []}
