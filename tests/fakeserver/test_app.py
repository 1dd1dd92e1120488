"""The WSGI app called in-process: routes, prefixes, shapes, filters, paging and errors."""
from __future__ import annotations

import builtins
import io
import json
import logging
import os
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.views import Views
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import HOST, OTHER_SERVER_UUID, SERVER_UUID, call_app

PREFIXES = ['/v2.1', '/v2.1/my-project', '/v2/tenant-1']
ROUTER_404 = {'message': 'The resource could not be found.<br /><br />\n\n\n',
              'code': '404 Not Found', 'title': 'Not Found'}
BRIEF_KEYS = {'address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id'}
REQ_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')


def _ids(body: dict, key: str = 'pci_devices') -> list:
    return [item['id'] for item in body[key]]


# --- common HTTP contract ---------------------------------------------------------------------

@pytest.mark.parametrize('path', ['/', '/v2.1/os-pci', '/v2.1/os-pci/999', '/nowhere'])
def test_every_answer_is_json_with_request_ids(app: FakeComputeApp, path: str) -> None:
    response = call_app(app, path)
    assert response.headers['content-type'] == 'application/json'
    request_id = response.headers['x-openstack-request-id']
    assert REQ_ID.match(request_id)
    assert response.headers['x-compute-request-id'] == request_id
    assert int(response.headers['content-length']) == len(response.raw)
    json.loads(response.raw)


def test_request_ids_differ_per_request(app: FakeComputeApp) -> None:
    ids = {call_app(app, '/v2.1/os-pci').headers['x-openstack-request-id'] for _ in range(5)}
    assert len(ids) == 5


def test_versioned_answers_state_microversion(app: FakeComputeApp) -> None:
    response = call_app(app, '/v2.1/os-pci')
    assert response.headers['openstack-api-version'] == 'compute 2.1'
    assert response.headers['x-openstack-nova-api-version'] == '2.1'


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'BREW'])
def test_write_methods_are_405(app: FakeComputeApp, method: str) -> None:
    response = call_app(app, '/v2.1/os-pci/1', method=method)
    assert response.status == 405
    assert response.headers['allow'] == 'GET, HEAD'
    assert response.json['code'] == '405 Method Not Allowed'
    assert response.headers['content-type'] == 'application/json'


def test_head_has_headers_but_no_body(app: FakeComputeApp) -> None:
    get = call_app(app, '/v2.1/os-pci/1')
    head = call_app(app, '/v2.1/os-pci/1', method='HEAD')
    assert head.status == 200 and head.raw == b''
    assert head.headers['content-length'] == get.headers['content-length']
    assert call_app(app, '/v2.1/os-pci/77', method='HEAD').status == 404


def test_unexpected_exception_is_500_compute_fault(app: FakeComputeApp,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: Views, route: object, request: object) -> dict:
        raise RuntimeError('boom from a test')
    monkeypatch.setattr(Views, 'render', broken)
    with caplog.at_level(logging.ERROR, logger='pciclient.fakeserver'):
        response = call_app(app, '/v2.1/os-pci')
    assert response.status == 500
    assert response.json['computeFault']['code'] == 500
    assert 'boom' not in response.raw.decode()
    assert any(r.exc_info and 'boom from a test' in str(r.exc_info[1]) for r in caplog.records)
    monkeypatch.undo()
    assert call_app(app, '/v2.1/os-pci').status == 200


def test_unknown_shapes_rejected(busy_inventory: Inventory) -> None:
    with pytest.raises(ValueError, match='unknown shapes'):
        FakeComputeApp(busy_inventory, shapes='icehouse')


# --- routing ---------------------------------------------------------------------------------

@pytest.mark.parametrize('path', [
    '/v2.1/os-pci/../../etc/passwd',
    '/v2.1/../../../etc/passwd',
    '/etc/passwd',
    '/v2.1/os-pci/1/extra',
    '/v2.1/os-pcis',
    '/v2.1//os-pci',
    '/v2.1/os-pci//',
    '/v3/os-pci',
    '/v2/os-pci',
    '/v2/servers/detail',
    '/v2.1/project',
    '/v2.1/a/b/os-pci',
    '/v2.1/../os-pci',
    '/v2.1/os-hypervisors/node1/servers',
    '/v2.1/os-hypervisors/statistics/extra/more',
    'v2.1/os-pci',
])
def test_unknown_paths_are_router_404(app: FakeComputeApp, path: str) -> None:
    response = call_app(app, path)
    assert response.status == 404
    assert response.reason == 'Not Found'
    assert response.json == ROUTER_404


def test_traversal_segment_is_just_an_unknown_id(app: FakeComputeApp,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Serving a request must never touch the filesystem: the inventory is in memory.
    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError(f'file access while serving: {args!r}')
    for target, name in ((builtins, 'open'), (os, 'open'), (io, 'open'), (os, 'stat')):
        monkeypatch.setattr(target, name, no_files)
    # wsgiref decodes %2F before routing; left encoded, the id is simply not a device.
    response = call_app(app, '/v2.1/os-pci/..%2F..%2Fetc%2Fpasswd')
    assert response.status == 404
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': 'PCI device ..%2F..%2Fetc%2Fpasswd not found'}}
    decoded = call_app(app, '/v2.1/os-pci/../../etc/passwd')
    assert decoded.status == 404 and decoded.json == ROUTER_404
    assert call_app(app, '/v2.1/os-pci/1').status == 200


@pytest.mark.parametrize('prefix', PREFIXES)
def test_every_prefix_serves_every_route(app: FakeComputeApp, prefix: str) -> None:
    for path, key in [('/os-pci', 'pci_devices'), ('/os-pci/detail', 'pci_devices'),
                      ('/os-pci/1', 'pci_device'), ('/os-hypervisors', 'hypervisors'),
                      ('/os-hypervisors/detail', 'hypervisors'),
                      ('/os-hypervisors/1', 'hypervisor'),
                      (f'/os-hypervisors/{HOST}', 'hypervisor'),
                      ('/os-hypervisors/node/search', 'hypervisors'),
                      ('/servers', 'servers'), ('/servers/detail', 'servers'),
                      (f'/servers/{SERVER_UUID}', 'server')]:
        response = call_app(app, prefix + path)
        assert response.status == 200, (prefix + path, response.json)
        assert key in response.json


def test_trailing_slash_tolerated(app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-pci/').json == call_app(app, '/v2.1/os-pci').json


def test_project_named_like_a_resource_is_not_a_project(app: FakeComputeApp) -> None:
    # /v2.1/servers/os-pci is "show server os-pci", not "os-pci of project servers".
    response = call_app(app, '/v2.1/servers/os-pci')
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': 'Instance os-pci could not be found.'}}


# --- version documents -----------------------------------------------------------------------

def test_versions_root(app: FakeComputeApp) -> None:
    body = call_app(app, '/', host='127.0.0.1:9999').json
    by_id = {v['id']: v for v in body['versions']}
    current = by_id['v2.1']
    assert (current['status'], current['version'], current['min_version']) == (
        'CURRENT', '2.1', '2.1')
    assert current['links'] == [{'rel': 'self', 'href': 'http://127.0.0.1:9999/v2.1/'}]
    assert by_id['v2.0']['links'][0]['href'] == 'http://127.0.0.1:9999/v2/'


@pytest.mark.parametrize('path', ['/v2.1', '/v2.1/'])
def test_version_document(app: FakeComputeApp, path: str) -> None:
    version = call_app(app, path, host='127.0.0.1:9999').json['version']
    assert version['id'] == 'v2.1' and version['status'] == 'CURRENT'
    assert version['version'] == '2.1' and version['min_version'] == '2.1'
    assert version['links'][0] == {'rel': 'self', 'href': 'http://127.0.0.1:9999/v2.1/'}
    assert version['media-types'][0]['base'] == 'application/json'


def test_host_header_missing_falls_back_to_server_name(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1', host='').json
    assert body['version']['links'][0]['href'] == 'http://fake.example:8774/v2.1/'


# --- os-pci ----------------------------------------------------------------------------------

def test_pci_index_is_brief(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1/os-pci').json
    assert list(body) == ['pci_devices']
    assert _ids(body) == [1, 2, 3, 4, 5]
    assert all(set(d) == BRIEF_KEYS for d in body['pci_devices'])
    assert body['pci_devices'][2] == {'address': '0000:04:10.0', 'compute_node_id': 1, 'id': 3,
                                      'product_id': '10ed', 'status': 'allocated',
                                      'vendor_id': '8086'}


def test_pci_index_same_in_both_shapes(app: FakeComputeApp, merged_app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-pci').json == call_app(merged_app, '/v2.1/os-pci').json


def test_pci_detail_blueprint_shape(app: FakeComputeApp, busy_inventory: Inventory) -> None:
    body = call_app(app, '/v2.1/os-pci/detail').json
    assert body['pci_devices'] == [d.detail() for d in busy_inventory.devices]
    vf = body['pci_devices'][2]
    assert vf['instance_uuid'] == SERVER_UUID and 'server_uuid' not in vf
    assert vf['extra_info']['phys_function'] == '0000:04:00.0'
    assert (vf['deleted'], vf['deleted_at'], vf['updated_at']) == (False, None, None)


def test_pci_detail_merged_shape(merged_app: FakeComputeApp) -> None:
    vf = call_app(merged_app, '/v2.1/os-pci/detail').json['pci_devices'][2]
    assert vf == {
        'address': '0000:04:10.0',
        'compute_node_id': 1,
        'dev_id': 'pci_0000_04_10_0',
        'dev_type': 'type-VF',
        'extra_info': {'phys_function': '0000:04:00.0', 'driver': 'ixgbevf',
                       'class_code': '020000'},
        'id': 3,
        'server_uuid': SERVER_UUID,
        'label': 'label_8086_10ed',
        'numa_node': 0,
        'product_id': '10ed',
        'status': 'allocated',
        'vendor_id': '8086',
    }


def test_pci_show_both_shapes(app: FakeComputeApp, merged_app: FakeComputeApp) -> None:
    blueprint = call_app(app, '/v2.1/os-pci/2').json['pci_device']
    merged = call_app(merged_app, '/v2.1/os-pci/2').json['pci_device']
    assert blueprint['dev_type'] == merged['dev_type'] == 'type-PF'
    assert blueprint['instance_uuid'] is None and merged['server_uuid'] is None
    assert 'created_at' in blueprint and 'created_at' not in merged
    assert blueprint['extra_info'] == merged['extra_info'] == {
        'sriov_totalvfs': '4', 'sriov_numvfs': '2', 'driver': 'ixgbe', 'class_code': '020000'}


@pytest.mark.parametrize('device_id', ['42', '0', '-1', '01', 'abc', '1.0', '9' * 5000])
def test_pci_show_unknown_is_item_not_found(app: FakeComputeApp, device_id: str) -> None:
    response = call_app(app, f'/v2.1/os-pci/{device_id}')
    assert response.status == 404
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': f'PCI device {device_id} not found'}}


@pytest.mark.parametrize('query, expected', [
    ('status=allocated', [3]),
    ('status=available', [1, 4, 5]),  # 2 is the PF of the held VF: unclaimable
    ('status=unclaimable', [2]),
    ('status=available&status=allocated', [1, 3, 4, 5]),
    ('vendor_id=10de', [5]),
    ('vendor_id=10DE', [5]),
    ('vendor_id=8086&product_id=10ed', [3, 4]),
    ('product_id=10ed&product_id=1eb8', [3, 4, 5]),
    ('dev_type=type-VF', [3, 4]),
    ('dev_type=type-PF', [2]),
    ('dev_type=type-PCI', [1, 5]),
    (f'host={HOST}', [1, 2, 3, 4, 5]),
    ('host=other', []),
    (f'instance_uuid={SERVER_UUID}', [3]),
    (f'server_uuid={SERVER_UUID}', [3]),
    (f'server_uuid={OTHER_SERVER_UUID}', []),
    ('status=', []),
    ('address=0000:04:10.2', [4]),
    ('address=0000:04:10.2&address=0000:3B:00.0', [4, 5]),
    ('address=0000:04:10', []),
    ('unrelated=1', [1, 2, 3, 4, 5]),
])
def test_pci_filters(app: FakeComputeApp, merged_app: FakeComputeApp, query: str,
                     expected: list[int]) -> None:
    for application in (app, merged_app):
        for path in ('/v2.1/os-pci', '/v2.1/os-pci/detail'):
            assert _ids(call_app(application, path, query=query).json) == expected, (path, query)


def test_pci_filters_across_hosts(standard_scan: object) -> None:
    functions = standard_scan.functions  # type: ignore[attr-defined]
    inventory = Inventory.from_hosts([('compute-a', functions), ('compute-b', functions[:2])])
    app = FakeComputeApp(inventory)
    assert _ids(call_app(app, '/v2.1/os-pci', query='host=compute-b').json) == [6, 7]
    body = call_app(app, '/v2.1/os-pci', query='host=compute-b&host=compute-a&dev_type=type-PF')
    assert [(d['id'], d['compute_node_id']) for d in body.json['pci_devices']] == [(2, 1), (7, 2)]


# --- paging ----------------------------------------------------------------------------------

def test_paging_walks_all_devices_with_next_links(app: FakeComputeApp) -> None:
    seen: list[int] = []
    path, query = '/v2.1/os-pci/detail', 'limit=2'
    for _ in range(5):
        body = call_app(app, path, query=query).json
        seen += _ids(body)
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
    assert _ids(body) == [3]
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
    assert _ids(call_app(app, '/v2.1/os-pci', query='marker=3').json) == [4, 5]


def test_marker_applies_after_filters(app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-pci', query='dev_type=type-VF&marker=1').status == 400
    assert _ids(call_app(app, '/v2.1/os-pci', query='dev_type=type-VF&marker=3').json) == [4]


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
    assert _ids(body, 'hypervisors') == [1, 2]
    href = body['hypervisors_links'][0]['href']
    assert href == 'http://fake.example:8774/v2.1/os-hypervisors/detail?limit=2&marker=2'
    rest = call_app(many, '/v2.1/os-hypervisors/detail', query=urlsplit(href).query).json
    assert _ids(rest, 'hypervisors') == [3] and 'hypervisors_links' not in rest

    first = call_app(app, '/v2.1/servers', query='limit=1').json
    assert _ids(first, 'servers') == [SERVER_UUID]
    assert first['servers_links'][0]['href'].endswith(f'limit=1&marker={SERVER_UUID}')
    second = call_app(app, '/v2.1/servers/detail', query=f'limit=1&marker={SERVER_UUID}').json
    assert _ids(second, 'servers') == [OTHER_SERVER_UUID] and 'servers_links' not in second


# --- os-hypervisors --------------------------------------------------------------------------

def test_hypervisor_index(app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-hypervisors').json == {'hypervisors': [
        {'id': 1, 'hypervisor_hostname': HOST, 'state': 'up', 'status': 'enabled'}]}


def test_hypervisor_detail_blueprint(app: FakeComputeApp) -> None:
    (hypervisor,) = call_app(app, '/v2.1/os-hypervisors/detail').json['hypervisors']
    assert 'os-pci:pci_stats' not in hypervisor
    assert hypervisor['pci_stats'] == [
        {'count': 1, 'vendor_id': '10de', 'product_id': '1eb8', 'numa_node': 1,
         'dev_type': 'type-PCI', 'extra_info': {'address': '0000:3b:00.0'}},
        {'count': 1, 'vendor_id': '8086', 'product_id': '10ed', 'numa_node': 0,
         'dev_type': 'type-VF',
         'extra_info': {'address': '0000:04:00.0', 'remote_managed': 'false'}},
        {'count': 0, 'vendor_id': '8086', 'product_id': '10fb', 'numa_node': 0,
         'dev_type': 'type-PF',
         'extra_info': {'address': '0000:04:00.0', 'remote_managed': 'false'}},
        {'count': 1, 'vendor_id': '8086', 'product_id': 'a352', 'numa_node': None,
         'dev_type': 'type-PCI', 'extra_info': {'address': '0000:00:1f.2'}},
    ]
    expected_keys = {
        'id', 'hypervisor_hostname', 'state', 'status', 'hypervisor_type', 'hypervisor_version',
        'host_ip', 'service', 'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used',
        'local_gb_used', 'free_ram_mb', 'free_disk_gb', 'current_workload', 'running_vms',
        'disk_available_least', 'cpu_info', 'pci_stats'}
    assert set(hypervisor) == expected_keys
    assert hypervisor['service'] == {'id': 1, 'host': HOST, 'disabled_reason': None}
    assert json.loads(hypervisor['cpu_info'])['arch'] == 'x86_64'
    assert (hypervisor['hypervisor_type'], hypervisor['hypervisor_version']) == ('fake', 1000)


def test_hypervisor_merged_shape_flattens_tags(merged_app: FakeComputeApp) -> None:
    hypervisor = call_app(merged_app, f'/v2.1/os-hypervisors/{HOST}').json['hypervisor']
    assert 'pci_stats' not in hypervisor
    pools = hypervisor['os-pci:pci_stats']
    assert all('extra_info' not in pool for pool in pools)
    assert pools[1] == {'count': 1, 'vendor_id': '8086', 'product_id': '10ed', 'numa_node': 0,
                        'dev_type': 'type-VF', 'address': '0000:04:00.0',
                        'remote_managed': 'false'}


def test_hypervisor_show_by_id_and_hostname(app: FakeComputeApp) -> None:
    by_id = call_app(app, '/v2.1/os-hypervisors/1').json
    by_name = call_app(app, f'/v2.1/os-hypervisors/{HOST}').json
    assert by_id == by_name
    assert by_id['hypervisor']['hypervisor_hostname'] == HOST


@pytest.mark.parametrize('ident', ['2', '01', 'node', 'NODE1',
                                   '00000000-0000-0000-0000-000000000000'])
def test_hypervisor_show_unknown(app: FakeComputeApp, ident: str) -> None:
    response = call_app(app, f'/v2.1/os-hypervisors/{ident}')
    assert response.status == 404
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': f"Hypervisor with ID '{ident}' could not be found."}}


def test_hypervisor_search(standard_scan: object) -> None:
    functions = standard_scan.functions  # type: ignore[attr-defined]
    app = FakeComputeApp(Inventory.from_hosts(
        [('compute1', functions), ('compute2', []), ('storage1', [])]))
    body = call_app(app, '/v2.1/os-hypervisors/compute/search').json
    assert body == {'hypervisors': [
        {'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up', 'status': 'enabled'},
        {'id': 2, 'hypervisor_hostname': 'compute2', 'state': 'up', 'status': 'enabled'}]}
    assert _ids(call_app(app, '/v2.1/os-hypervisors/e1/search').json, 'hypervisors') == [1, 3]
    missing = call_app(app, '/v2.1/os-hypervisors/gpu/search')
    assert missing.status == 404
    assert missing.json == {'itemNotFound': {
        'code': 404, 'message': "No hypervisor matching 'gpu' could be found."}}


# --- servers ---------------------------------------------------------------------------------

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
        assert _ids(call_app(app, path, query=query).json, 'servers') == expected


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
