"""The real Placement holds what populate.py meant to create, read back with plain HTTP."""
from __future__ import annotations

import pytest
import requests

from tests.realplacement.populate import HOSTS, PROJECT_ID, ROOT_INVENTORY, USER_ID


def get(session: requests.Session, url: str, version: str, **params) -> dict:
    answer = session.get(url, params=params or None, timeout=30,
                         headers={'OpenStack-API-Version': f'placement {version}'})
    assert answer.status_code == 200, f'{url} {params}: {answer.status_code} {answer.text}'
    assert answer.headers['OpenStack-API-Version'] == f'placement {version}'
    return answer.json()


def test_version_document_needs_no_token(real_placement):
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(real_placement.url + '/', timeout=10)
    assert answer.status_code == 200
    (version,) = answer.json()['versions']
    assert version['id'] == 'v1.0'
    assert version['min_version'] == '1.0'
    assert tuple(int(p) for p in version['max_version'].split('.')) >= (1, 36)


@pytest.mark.parametrize('path', ['/resource_providers', '/resource_classes', '/traits',
                                  '/usages?project_id=x'])
def test_no_token_is_401(real_placement, path):
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(real_placement.url + path, timeout=10)
    assert answer.status_code == 401


def test_non_admin_token_is_403(real_placement):
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(real_placement.url + '/resource_providers', timeout=10,
                             headers={'X-Auth-Token': 'alice:demo'})
    assert answer.status_code == 403
    assert answer.json()['errors'][0]['title'] == 'Forbidden'


def test_pci_providers_by_trait(real_placement, placement_http):
    population = real_placement.population
    listing = get(placement_http, real_placement.url + '/resource_providers', '1.18',
                  required='COMPUTE_MANAGED_PCI_DEVICE')['resource_providers']
    found = {rp['uuid']: rp for rp in listing}
    assert set(found) == population.pci_provider_uuids
    for device in population.devices:
        rp = found[device.provider_uuid]
        assert rp['name'] == device.provider_name
        assert rp['parent_provider_uuid'] == device.root_uuid
        assert rp['root_provider_uuid'] == device.root_uuid
    gold = get(placement_http, real_placement.url + '/resource_providers', '1.18',
               required='COMPUTE_MANAGED_PCI_DEVICE,CUSTOM_GOLD')['resource_providers']
    assert {rp['uuid'] for rp in gold} == {d.provider_uuid for d in population.devices
                                            if 'CUSTOM_GOLD' in d.traits}


def test_provider_names_upper_case_the_address(real_placement, placement_http):
    names = {d.provider_name for d in real_placement.population.devices}
    assert 'compute1_0000:3B:00.0' in names and 'compute2_0000:AF:00.0' in names
    found = get(placement_http, real_placement.url + '/resource_providers', '1.14',
                name='compute1_0000:3B:00.0')['resource_providers']
    assert [rp['uuid'] for rp in found] == [
        real_placement.population.device('compute1', 'gpu').provider_uuid]


@pytest.mark.parametrize('host', HOSTS)
def test_tree_of_each_compute_node(real_placement, placement_http, host):
    population = real_placement.population
    root = population.roots[host]
    tree = get(placement_http, real_placement.url + '/resource_providers', '1.14',
               in_tree=root)['resource_providers']
    by_uuid = {rp['uuid']: rp for rp in tree}
    children = {d.provider_uuid for d in population.devices if d.host == host}
    assert set(by_uuid) == children | {root}
    assert by_uuid[root]['name'] == host
    assert by_uuid[root]['parent_provider_uuid'] is None
    inventories = get(placement_http,
                      f'{real_placement.url}/resource_providers/{root}/inventories',
                      '1.26')['inventories']
    assert inventories == ROOT_INVENTORY
    traits = get(placement_http, f'{real_placement.url}/resource_providers/{root}/traits',
                 '1.6')['traits']
    assert {'COMPUTE_NODE', 'OWNER_NOVA'} <= set(traits)
    assert 'COMPUTE_MANAGED_PCI_DEVICE' not in traits


def test_inventories_usages_and_traits_of_each_device(real_placement, placement_http):
    base = real_placement.url + '/resource_providers/'
    for device in real_placement.population.devices:
        where = f'{device.host} {device.address}'
        inventories = get(placement_http, base + device.provider_uuid + '/inventories',
                          '1.26')['inventories']
        # Nova sends total and max_unit only; Placement fills in its defaults.
        assert inventories == {device.resource_class: {
            'total': device.total, 'reserved': device.reserved, 'min_unit': 1,
            'max_unit': device.total, 'step_size': 1, 'allocation_ratio': 1.0}}, where
        usages = get(placement_http, base + device.provider_uuid + '/usages',
                     '1.9')['usages']
        assert usages == {device.resource_class: device.used}, where
        traits = get(placement_http, base + device.provider_uuid + '/traits',
                     '1.6')['traits']
        assert sorted(traits) == device.traits, where
        allocations = get(placement_http, base + device.provider_uuid + '/allocations',
                          '1.0')['allocations']
        assert sorted(allocations) == device.servers, where


def test_free_capacity_filters(real_placement, placement_http):
    population = real_placement.population
    url = real_placement.url + '/resource_providers'

    def with_room(resources: str) -> set[str]:
        return {rp['uuid'] for rp in get(placement_http, url, '1.14',
                                         resources=resources)['resource_providers']}

    assert with_room('CUSTOM_PCI_8086_1515:3') == {
        population.device('compute1', 'sriov').provider_uuid}
    assert with_room('CUSTOM_PCI_8086_1515:2') == {
        population.device(host, 'sriov').provider_uuid for host in HOSTS}
    # compute2's PF is reserved, compute1's GPU is held.
    assert with_room('CUSTOM_PCI_8086_1528:1') == {
        population.device('compute1', 'pf').provider_uuid}
    assert with_room('CUSTOM_PCI_10DE_1EB8:1') == {
        population.device('compute2', 'gpu').provider_uuid}
    assert population.reserved_device.host == 'compute2'
    assert population.reserved_device.free == 0


def test_allocations_of_each_consumer(real_placement, placement_http):
    population = real_placement.population
    assert sorted(c.name for c in population.consumers.values()) == ['vm-gpu', 'vm-vfs']
    for consumer in population.consumers.values():
        body = get(placement_http, f'{real_placement.url}/allocations/{consumer.uuid}',
                   '1.28')
        assert body['project_id'] == PROJECT_ID
        assert body['user_id'] == USER_ID
        assert body['consumer_generation'] == 1
        held = {rp: a['resources'] for rp, a in body['allocations'].items()}
        assert held == consumer.allocations
        root = population.roots[consumer.host]
        assert held[root] == {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}
        (pci,) = consumer.pci
        assert held[pci['provider_uuid']] == {pci['resource_class']: pci['amount']}
    gpu = population.consumer('vm-gpu').pci[0]
    assert (gpu['host'], gpu['address'], gpu['amount']) == ('compute1', '0000:3b:00.0', 1)
    vfs = population.consumer('vm-vfs').pci[0]
    assert (vfs['host'], vfs['resource_class'], vfs['amount']) == (
        'compute2', 'CUSTOM_PCI_8086_1515', 2)


def test_project_usages(real_placement, placement_http):
    usages = get(placement_http, real_placement.url + '/usages', '1.9',
                 project_id=PROJECT_ID)['usages']
    assert usages == {'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2,
                      'CUSTOM_PCI_10DE_1EB8': 1, 'CUSTOM_PCI_8086_1515': 2}


def test_custom_resource_classes_and_traits_exist(real_placement, placement_http):
    classes = {rc['name'] for rc in get(placement_http,
                                        real_placement.url + '/resource_classes',
                                        '1.7')['resource_classes']}
    assert {'CUSTOM_PCI_10DE_1EB8', 'CUSTOM_PCI_8086_1515', 'CUSTOM_PCI_8086_1528',
            'CUSTOM_GPU_GOLD'} <= classes
    custom = get(placement_http, real_placement.url + '/traits', '1.6',
                 name='startswith:CUSTOM_')['traits']
    assert custom == ['CUSTOM_GOLD']


def test_expected_rows(real_placement):
    """The description the CLI tests compare against is itself what was intended."""
    rows = {(d.host, d.key): (d.resource_class, d.total, d.reserved, d.used, d.free)
            for d in real_placement.population.devices}
    assert rows == {
        ('compute1', 'gpu'): ('CUSTOM_PCI_10DE_1EB8', 1, 0, 1, 0),
        ('compute1', 'sriov'): ('CUSTOM_PCI_8086_1515', 4, 0, 0, 4),
        ('compute1', 'pf'): ('CUSTOM_PCI_8086_1528', 1, 0, 0, 1),
        ('compute1', 'gold'): ('CUSTOM_GPU_GOLD', 1, 0, 0, 1),
        ('compute2', 'gpu'): ('CUSTOM_PCI_10DE_1EB8', 1, 0, 0, 1),
        ('compute2', 'sriov'): ('CUSTOM_PCI_8086_1515', 4, 0, 2, 2),
        ('compute2', 'pf'): ('CUSTOM_PCI_8086_1528', 1, 1, 0, 0),
        ('compute2', 'gold'): ('CUSTOM_GPU_GOLD', 1, 0, 0, 1),
    }


def test_allocation_shapes_across_microversions(real_placement, placement_http):
    """As in the Nova 34 reference: no consumer generation before 1.28, and a consumer
    type of ``unknown`` from 1.38 (Nova sets none)."""
    consumer = real_placement.population.consumer('vm-gpu')
    url = f'{real_placement.url}/allocations/{consumer.uuid}'
    old = get(placement_http, url, '1.14')
    assert set(old) == {'allocations', 'project_id', 'user_id'}
    new = get(placement_http, url, '1.38')
    assert new['consumer_type'] == 'unknown'
    assert new['consumer_generation'] == 1
    for provider, allocation in new['allocations'].items():
        assert allocation['resources'] == consumer.allocations[provider]
        assert isinstance(allocation['generation'], int)
