"""Response bodies in the blueprint's shapes and in merged Nova's, for the unit tests."""
from __future__ import annotations

SERVER_UUID = '69ba1044-0766-4ec0-b60d-09595de034a1'

BLUEPRINT_DEVICE = {
    'address': '0000:04:10.0', 'compute_node_id': 1, 'created_at': None, 'deleted': False,
    'deleted_at': None, 'dev_id': 'pci_0000_04_10_0', 'dev_type': 'type-VF',
    'extra_info': {'phys_function': '0000:04:00.0', 'key1': 'value1'}, 'id': 1,
    'instance_uuid': SERVER_UUID, 'label': 'label_8086_1520', 'product_id': '1520',
    'status': 'allocated', 'updated_at': None, 'vendor_id': '8086',
}

MERGED_DEVICE = {
    'address': '0000:04:10.1', 'compute_node_id': 2, 'dev_id': 'pci_0000_04_10_1',
    'dev_type': 'type-VF', 'extra_info': {'key3': 'value3'}, 'id': 2,
    'server_uuid': SERVER_UUID, 'label': 'label_8086_1520', 'product_id': '1520',
    'status': 'allocated', 'vendor_id': '8086',
}

FREE_GPU = {
    'address': '0000:3b:00.0', 'compute_node_id': 2, 'dev_id': 'pci_0000_3b_00_0',
    'dev_type': 'type-PCI', 'extra_info': {}, 'id': 3, 'instance_uuid': None,
    'label': 'label_10de_1eb8', 'product_id': '1eb8', 'status': 'available',
    'vendor_id': '10de', 'numa_node': 1,
}

BRIEF_KEYS = ('address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id')


def brief(device: dict) -> dict:
    return {key: device[key] for key in BRIEF_KEYS}


HYPERVISORS = [
    {'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up', 'status': 'enabled'},
    {'id': 2, 'hypervisor_hostname': 'compute2', 'state': 'up', 'status': 'enabled'},
]

BLUEPRINT_HYPERVISOR = {
    'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up', 'status': 'enabled',
    'vcpus': 4, 'service': {'host': 'compute1', 'id': 3, 'disabled_reason': None},
    'pci_stats': [{'count': 5, 'vendor_id': '8086', 'product_id': '1520', 'numa_node': 0,
                   'dev_type': 'type-VF',
                   'extra_info': {'phys_function': '0000:04:00.0', 'key1': 'value1'}}],
}

MERGED_HYPERVISOR = {
    'id': 2, 'hypervisor_hostname': 'compute2', 'state': 'up', 'status': 'enabled',
    'os-pci:pci_stats': [{'count': 1, 'key1': 'value1', 'keya': 'valuea',
                          'product_id': '1eb8', 'vendor_id': '10de', 'numa_node': 1}],
}

NOVA_HYPERVISOR = {  # today's Nova: no PCI key at all
    'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up', 'status': 'enabled',
}

SERVER = {
    'id': SERVER_UUID, 'name': 'vm-sriov', 'status': 'ACTIVE', 'tenant_id': 'demo',
    'os-pci:pci_devices': [{'id': 1}, {'id': 2}],
}

NOVA_SERVER = {'id': 'd5b446a6-a1b4-4d01-b4f0-eac37b3a62fc', 'name': 'plain',
               'status': 'ACTIVE'}


def not_found(message: str) -> dict:
    return {'itemNotFound': {'code': 404, 'message': message}}


ROUTER_404 = {'message': 'The resource could not be found.<br /><br />\n\n\n',
              'code': '404 Not Found', 'title': 'Not Found'}
