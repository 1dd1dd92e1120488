"""The compute WSGI app's os-pci routes, called in-process: both shapes, show and filters.
"""
from __future__ import annotations

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import HOST, OTHER_SERVER_UUID, SERVER_UUID, call_app, listed_ids

BRIEF_KEYS = {'address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id'}


def test_pci_index_is_brief(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1/os-pci').json
    assert list(body) == ['pci_devices']
    assert listed_ids(body) == [1, 2, 3, 4, 5]
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
            response = call_app(application, path, query=query)
            assert listed_ids(response.json) == expected, (path, query)


def test_pci_filters_across_hosts(standard_scan: object) -> None:
    functions = standard_scan.functions  # type: ignore[attr-defined]
    inventory = Inventory.from_hosts([('compute-a', functions), ('compute-b', functions[:2])])
    app = FakeComputeApp(inventory)
    assert listed_ids(call_app(app, '/v2.1/os-pci', query='host=compute-b').json) == [6, 7]
    body = call_app(app, '/v2.1/os-pci', query='host=compute-b&host=compute-a&dev_type=type-PF')
    assert [(d['id'], d['compute_node_id']) for d in body.json['pci_devices']] == [(2, 1), (7, 2)]
