"""The compute WSGI app's os-hypervisors routes, called in-process: index, detail in both
shapes, show by id or hostname, and search.
"""
from __future__ import annotations

import json

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import HOST, call_app, listed_ids


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
    assert listed_ids(call_app(app, '/v2.1/os-hypervisors/e1/search').json, 'hypervisors') == [1, 3]
    missing = call_app(app, '/v2.1/os-hypervisors/gpu/search')
    assert missing.status == 404
    assert missing.json == {'itemNotFound': {
        'code': 404, 'message': "No hypervisor matching 'gpu' could be found."}}
