"""A Placement with Nova's PCI providers, mocked for the unit tests (``requests_mock``)."""
from __future__ import annotations

import re

import pytest

from tests.unit import samples

NOVA = 'http://nova.test:8774/v2.1'
PLACEMENT = 'http://placement.test/placement'
ROOT1, ROOT2 = '36e81c1a-6cb9-465f-919f-f2fd6abc0c58', '4b1c7a8e-0f7e-4f0e-9a5e-2d1c3b4a5f60'
GPU = '7dd44121-dd67-459f-993f-ab2d7d0c6db5'
PF_VFS = 'e36fcc72-78ef-4e78-920c-eb27b4e6b169'
ODD = '529dddd3-cb82-4ab9-8a16-79ed4e2ecba1'
SERVER = '0ff843f8-04ef-4729-bac5-edbd520ba004'


def provider(uuid, name, root):
    return {'uuid': uuid, 'name': name, 'generation': 2, 'parent_provider_uuid': root,
            'root_provider_uuid': root, 'links': []}


def inventory(rc, total, reserved=0):
    return {'inventories': {rc: {'total': total, 'reserved': reserved, 'min_unit': 1,
                                 'max_unit': total, 'step_size': 1, 'allocation_ratio': 1.0}},
            'resource_provider_generation': 2}


#: The mocked cloud's providers: compute nodes first, then their PCI children.
PROVIDERS = [
    provider(ROOT1, 'compute1', None),
    provider(ROOT2, 'compute2', None),
    provider(GPU, 'compute1_0000:04:00.0', ROOT1),
    provider(PF_VFS, 'compute2_0000:81:00.0', ROOT2),
    provider(ODD, 'custom-gpu-board', ROOT2),
]
TRAITS = {
    ROOT1: ['COMPUTE_NODE'], ROOT2: ['COMPUTE_NODE'],
    GPU: ['COMPUTE_MANAGED_PCI_DEVICE', 'CUSTOM_GOLD', 'OWNER_NOVA'],
    PF_VFS: ['COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA'],
    ODD: ['COMPUTE_MANAGED_PCI_DEVICE'],
}


def _listing(request, context):
    """``GET /resource_providers`` with the filters pci-cli sends: name, in_tree, required."""
    query = request.qs  # requests_mock lower-cases the values
    rows = PROVIDERS
    if 'name' in query:
        rows = [p for p in rows if p['name'].lower() == query['name'][0]]
    if 'in_tree' in query:
        rows = [p for p in rows if (p['root_provider_uuid'] or p['uuid']) == query['in_tree'][0]]
    if 'required' in query:
        rows = [p for p in rows if query['required'][0].upper() in TRAITS[p['uuid']]]
    return {'resource_providers': rows}


@pytest.fixture
def placement(requests_mock):
    """compute1: a GPU held by SERVER; compute2: a PF provider with 4 VFs (1 reserved,
    2 used) and a provider whose name does not follow Nova's pattern."""
    requests_mock.get(f'{PLACEMENT}/resource_providers', json=_listing)
    for item in PROVIDERS:
        requests_mock.get(f'{PLACEMENT}/resource_providers/{item["uuid"]}', json=item)
    details = {
        ROOT1: (inventory('VCPU', 8), {'VCPU': 1}, {SERVER: {'resources': {'VCPU': 1}}}),
        ROOT2: (inventory('VCPU', 8), {'VCPU': 0}, {}),
        GPU: (inventory('CUSTOM_PCI_10DE_1EB8', 1), {'CUSTOM_PCI_10DE_1EB8': 1},
              {SERVER: {'resources': {'CUSTOM_PCI_10DE_1EB8': 1}}}),
        PF_VFS: (inventory('CUSTOM_PCI_8086_1515', 4, reserved=1), {'CUSTOM_PCI_8086_1515': 2},
                 {'c1': {'resources': {'CUSTOM_PCI_8086_1515': 1}},
                  'c2': {'resources': {'CUSTOM_PCI_8086_1515': 1}}}),
        ODD: (inventory('CUSTOM_GPU_GOLD', 1), {'CUSTOM_GPU_GOLD': 0}, {}),
    }
    for uuid, (inv, usages, allocations) in details.items():
        base = f'{PLACEMENT}/resource_providers/{uuid}'
        requests_mock.get(f'{base}/inventories', json=inv)
        requests_mock.get(f'{base}/usages', json={'usages': usages,
                                                  'resource_provider_generation': 2})
        requests_mock.get(f'{base}/traits', json={'traits': TRAITS[uuid],
                                                  'resource_provider_generation': 2})
        requests_mock.get(f'{base}/allocations', json={'allocations': allocations,
                                                       'resource_provider_generation': 2})
    requests_mock.get(f'{PLACEMENT}/allocations/{SERVER}', json={'allocations': {
        ROOT1: {'resources': {'VCPU': 1}, 'generation': 4},
        GPU: {'resources': {'CUSTOM_PCI_10DE_1EB8': 1}, 'generation': 3}}})
    requests_mock.get(re.compile(f'{NOVA}/servers/[^/]+$'), status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'Instance not found'}})
    requests_mock.get(f'{NOVA}/servers/{SERVER}', json={'server': {'id': SERVER, 'name': 'vm'}})
    requests_mock.get(f'{NOVA}/os-pci', status_code=404, json=samples.ROUTER_404)
    requests_mock.get(f'{NOVA}/os-pci/detail', status_code=404, json=samples.ROUTER_404)
    requests_mock.get(re.compile(f'{NOVA}/os-pci/.*'), status_code=404, json=samples.ROUTER_404)
    return requests_mock
