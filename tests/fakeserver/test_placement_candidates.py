"""``GET /allocation_candidates`` of the fake Placement: nested trees, numbered groups,
``group_policy``, ``root_required``, ``in_tree``, ``member_of``, ``same_subtree``,
``limit``, capacity arithmetic, shapes per microversion and errors."""
from __future__ import annotations

from types import MappingProxyType

import pytest

from pciclient.fakeserver.placement.candidate_query import parse_candidate_query
from pciclient.fakeserver.placement.candidates import find_candidates
from pciclient.fakeserver.placement.microversion import Microversion
from pciclient.fakeserver.placement.provider_tree import (
    InventoryRecord,
    ProviderTree,
    ResourceProvider,
)
from tests.fakeserver.capacity_helpers import MEMBER, apis, placement, scenario

GPU = 'CUSTOM_PCI_10DE_1EB8'
VF = 'CUSTOM_PCI_8086_1889'
# Three hosts with 2 GPUs and a PF with 4 VFs each: host1 in aggregate agg1 and zone az1,
# host2 disabled, host3 with one GPU held by a server.
CLOUD = '''\
rescan_interval: 0
projects:
  - {name: demo}
hosts:
  - {hostname: host1, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}}
  - {hostname: host2, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}, disabled: true}
  - {hostname: host3, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}}
flavors:
  - {name: small, vcpus: 1, ram: 512, disk: 1}
aggregates:
  - {name: agg1, uuid: 11111111-1111-4111-8111-111111111111, hosts: [host1],
     availability_zone: az1}
servers:
  - {name: vm, project: demo, host: host3, flavor: small, devices: ["0000:02:00.0"]}
'''
AGG1 = '11111111-1111-4111-8111-111111111111'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory):
    return apis(scenario(tmp_path_factory.mktemp('candidates'), CLOUD))


@pytest.fixture(scope='module')
def names(cloud) -> dict[str, str]:
    listing = placement(cloud, '/resource_providers', '1.14').json['resource_providers']
    return {rp['uuid']: rp['name'] for rp in listing}


def ask(cloud, query: str, version: str = '1.36'):
    return placement(cloud, '/allocation_candidates', version, query)


def picked(cloud, names, query: str, version: str = '1.36') -> list[dict[str, dict]]:
    """Each candidate as {provider name: resources}, in the answer's order."""
    answer = ask(cloud, query, version)
    assert answer.status == 200, answer.raw
    return [{names[uuid]: a['resources'] for uuid, a in request['allocations'].items()}
            for request in answer.json['allocation_requests']]


def hosts_of(candidates: list[dict[str, dict]]) -> list[str]:
    return sorted({name.split('_')[0] for candidate in candidates for name in candidate})


def test_the_cloud_has_the_expected_gpus(cloud, names) -> None:
    gpus = [n for n in names.values() if n.startswith('host1_')]
    assert len(gpus) == 3  # two GPUs and the PF holding the VFs


def test_root_and_one_gpu_on_every_host_with_one_free(cloud, names) -> None:
    found = picked(cloud, names, f'resources=VCPU:1,MEMORY_MB:512&resources1={GPU}:1')
    assert hosts_of(found) == ['host1', 'host2', 'host3']
    host3 = [c for c in found if 'host3' in c]
    assert len(host3) == 1  # its other GPU is held
    for candidate in found:
        [root] = [name for name in candidate if '_' not in name]
        assert candidate[root] == {'VCPU': 1, 'MEMORY_MB': 512}
        assert [r for name, r in candidate.items() if name != root] == [{GPU: 1}]


def test_root_required_leaves_disabled_hosts_out(cloud, names) -> None:
    found = picked(cloud, names, f'resources=VCPU:1&resources1={GPU}:1'
                                 '&root_required=!COMPUTE_STATUS_DISABLED')
    assert hosts_of(found) == ['host1', 'host3']
    assert ask(cloud, 'resources=VCPU:1&root_required=COMPUTE_STATUS_DISABLED').status == 200
    assert hosts_of(picked(cloud, names, 'resources=VCPU:1'
                                         '&root_required=COMPUTE_STATUS_DISABLED')) == ['host2']


def test_two_numbered_groups_compete_for_the_gpus(cloud, names) -> None:
    both = f'resources=VCPU:1&resources1={GPU}:1&resources2={GPU}:1'
    isolate = picked(cloud, names, both + '&group_policy=isolate')
    assert hosts_of(isolate) == ['host1', 'host2']  # host3 has a single free GPU
    assert all(len(c) == 3 for c in isolate)
    none = picked(cloud, names, both + '&group_policy=none')
    # Without isolation both groups may name the same GPU, which then has too little room.
    assert hosts_of(none) == ['host1', 'host2']
    assert len(none) == len(isolate)


def test_group_policy_is_required_with_two_numbered_groups(cloud) -> None:
    answer = ask(cloud, f'resources1={GPU}:1&resources2={GPU}:1')
    assert answer.status == 400
    assert 'The "group_policy" parameter is required' in answer.json['errors'][0]['detail']
    assert answer.json['errors'][0]['code'] == 'placement.undefined_code'


def test_two_vfs_of_one_pf(cloud, names) -> None:
    none = picked(cloud, names, f'resources=VCPU:1&resources_a={VF}:1&resources_b={VF}:1'
                                '&group_policy=none')
    assert hosts_of(none) == ['host1', 'host2', 'host3']
    assert all(list(c.values())[-1] == {VF: 2} for c in none)  # one provider gives both
    isolated = picked(cloud, names, f'resources=VCPU:1&resources_a={VF}:1'
                                    f'&resources_b={VF}:1&group_policy=isolate')
    assert isolated == []


def test_in_tree_per_group_and_for_the_whole_request(cloud, names) -> None:
    host3 = next(uuid for uuid, name in names.items() if name == 'host3')
    found = picked(cloud, names, f'resources=VCPU:1&resources1={GPU}:1&in_tree1={host3}')
    assert hosts_of(found) == ['host3']
    spread = picked(cloud, names, f'resources=VCPU:1,{VF}:1&in_tree={host3}', '1.31')
    assert hosts_of(spread) == ['host3']
    nowhere = ask(cloud, 'resources=VCPU:1&in_tree=99999999-9999-4999-8999-999999999999')
    assert nowhere.json == {'allocation_requests': [], 'provider_summaries': {}}


def test_member_of_per_group(cloud, names) -> None:
    assert hosts_of(picked(cloud, names, f'resources=VCPU:1&member_of={AGG1}', '1.21')) == \
        ['host1']
    # In a tree the unnumbered group's providers count as members through their root ...
    spread = picked(cloud, names, f'resources=VCPU:1,{GPU}:1&member_of={AGG1}')
    assert hosts_of(spread) == ['host1']
    # ... a numbered group's provider must be a member itself.
    assert picked(cloud, names, f'resources=VCPU:1&resources1={GPU}:1&member_of1={AGG1}') == []
    assert hosts_of(picked(cloud, names, f'resources=VCPU:1&member_of=!{AGG1}')) == \
        ['host2', 'host3']


def test_limit_keeps_the_first_and_their_summaries(cloud, names) -> None:
    answer = ask(cloud, f'resources=VCPU:1&resources1={GPU}:1&limit=1')
    [request] = answer.json['allocation_requests']
    roots = {s['root_provider_uuid'] for s in answer.json['provider_summaries'].values()}
    assert len(roots) == 1
    assert set(request['allocations']) <= set(answer.json['provider_summaries'])


def test_same_subtree_and_resourceless_groups(cloud, names) -> None:
    found = picked(cloud, names, f'resources=VCPU:1&resources_G={GPU}:1'
                                 '&required_T=COMPUTE_NODE&same_subtree=_G,_T'
                                 '&group_policy=none')
    assert hosts_of(found) == ['host1', 'host2', 'host3']
    answer = ask(cloud, f'resources=VCPU:1&resources_G={GPU}:1&resources_V={VF}:1'
                        '&same_subtree=_G,_V&group_policy=none')
    assert answer.json['allocation_requests'] == []  # sibling providers: no common ancestor


def test_shapes_by_microversion(cloud) -> None:
    old = ask(cloud, 'resources=VCPU:1', '1.10').json
    request = old['allocation_requests'][0]
    assert set(request['allocations'][0]) == {'resource_provider', 'resources'}
    summary = next(iter(old['provider_summaries'].values()))
    assert summary == {'resources': {'VCPU': summary['resources']['VCPU']}}
    new = ask(cloud, 'resources=VCPU:1', '1.29').json
    summary = next(iter(new['provider_summaries'].values()))
    assert set(summary) == {'resources', 'traits', 'parent_provider_uuid',
                            'root_provider_uuid'}
    assert set(summary['resources']) == {'VCPU', 'MEMORY_MB', 'DISK_GB'}
    assert 'mappings' not in new['allocation_requests'][0]
    mapped = ask(cloud, 'resources=VCPU:1', '1.34').json['allocation_requests'][0]
    assert list(mapped['mappings']) == ['']


def test_before_1_29_only_single_provider_candidates(cloud) -> None:
    answer = ask(cloud, f'resources=VCPU:1,{GPU}:1', '1.28').json
    assert answer == {'allocation_requests': [], 'provider_summaries': {}}


def test_route_policy_and_methods(cloud) -> None:
    assert ask(cloud, 'resources=VCPU:1', '1.9').status == 404
    forbidden = placement(cloud, '/allocation_candidates', '1.36', 'resources=VCPU:1',
                          caller=MEMBER)
    assert forbidden.status == 403
    assert 'placement:allocation_candidates:list' in forbidden.json['errors'][0]['detail']


@pytest.mark.parametrize('query, detail', [
    ('resources=VCPU:1&root_required=in:A,B', "only supported since microversion 1.39"),
    ('resources=VCPU:1&same_subtree=,_A', 'Empty string (unsuffixed group)'),
    ('resources=VCPU:1&same_subtree=_A', "Real suffixes should be specified in `same_subtree`"),
    ('resources=VCPU:0', 'requires amount >= 1'),
    ('resources=VCPU', 'Badly formed resources parameter'),
    ('resources=VCPU:1&in_tree=nope', "Expected 'in_tree' parameter to be a format of uuid"),
    ('resources=VCPU:1&root_required=COMPUTE_NODE,!COMPUTE_NODE',
     'Conflicting required and forbidden traits found in root_required: COMPUTE_NODE'),
])
def test_errors(cloud, query, detail) -> None:
    answer = ask(cloud, query)
    assert answer.status == 400
    assert detail in answer.json['errors'][0]['detail']


def _provider(uuid: str, records: dict[str, InventoryRecord], used: dict[str, int],
              parent: str | None = None) -> ResourceProvider:
    return ResourceProvider(uuid, uuid, parent, parent or uuid, 1, MappingProxyType(records),
                            MappingProxyType(used), frozenset(), MappingProxyType({}))


@pytest.mark.parametrize('record, used, amount, fits', [
    (InventoryRecord(total=4, reserved=1, max_unit=4, allocation_ratio=2.0), 5, 1, True),
    (InventoryRecord(total=4, reserved=1, max_unit=4, allocation_ratio=2.0), 6, 1, False),
    (InventoryRecord(total=8, reserved=0, max_unit=2), 0, 3, False),
    (InventoryRecord(total=8, reserved=0, max_unit=8, min_unit=2), 0, 1, False),
    (InventoryRecord(total=8, reserved=0, max_unit=8, step_size=2), 0, 3, False),
    (InventoryRecord(total=8, reserved=0, max_unit=8, step_size=2), 0, 4, True),
    (InventoryRecord(total=3, reserved=0, max_unit=3, allocation_ratio=1.5), 3, 1, True),
    (InventoryRecord(total=3, reserved=0, max_unit=3, allocation_ratio=1.5), 4, 1, False),
])
def test_capacity_arithmetic(record, used, amount, fits) -> None:
    """(total - reserved) * ratio, min_unit, max_unit and step_size decide a fit."""
    tree = ProviderTree([_provider('a0a0a0a0-0000-4000-8000-000000000000',
                                   {'VCPU': record}, {'VCPU': used})], {}, 0.0)
    request = parse_candidate_query([('resources', f'VCPU:{amount}')], Microversion(1, 36))
    found = find_candidates(tree, request)
    assert bool(found.candidates) == fits
    assert found.summaries == ([0] if fits else [])
