"""The Placement API over WSGI: the reference's shapes, microversions, filters, errors, scale."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cloud import ServiceApis, service_apis
from pciclient.fakeserver.placement.microversion import Microversion
from pciclient.fakeserver.placement.names import compute_node_uuid, provider_uuid
from pciclient.fakeserver.placement.views import provider_document, provider_json
from pciclient.fakeserver.scenario.loader import load_scenario
from tests.fakeserver.cloud_helpers import call
from tests.fakeserver.placement_helpers import (
    DEVICE_SPEC,
    PCI_SERVER,
    PROJECT_ID,
    error_detail,
    get,
    reference,
    reference_scenario,
    write_scenario,
)

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
RC_RE = re.compile(r'^[A-Z0-9_]+$')
COMPUTE1 = compute_node_uuid('compute1')
GPU1 = provider_uuid('compute1_0000:04:00.0')
PF1 = provider_uuid('compute1_0000:01:00.0')
PCI_TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'


@pytest.fixture
def app(tmp_path: Path) -> ServiceApis:
    return service_apis(reference_scenario(tmp_path).store)


def shape(value: Any) -> Any:
    """Types instead of values; maps keyed by data (uuids, resource classes) collapse to one."""
    if isinstance(value, dict):
        if value and all(UUID_RE.match(k) or RC_RE.match(k) for k in value):
            return {'*': shape(next(iter(value.values())))}
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def names(response: Any) -> list[str]:
    return [p['name'] for p in response.json['resource_providers']]


# --- shapes, against the real Placement's answers ----------------------------------------------

def test_version_document_is_the_reference(app: ServiceApis) -> None:
    response = get(app, '/')
    assert response.status == 200
    assert response.json == reference('placement_versions.json')
    assert response.headers['openstack-api-version'] == 'placement 1.0'
    assert get(app, '', version='1.14').headers['openstack-api-version'] == 'placement 1.14'


@pytest.mark.parametrize('ours, theirs', [
    ('/resource_providers?name=compute1', 'resource_providers_name_compute1.json'),
    (f'/resource_providers?in_tree={COMPUTE1}', 'resource_providers_in_tree_compute1.json'),
    (f'/resource_providers/{COMPUTE1}/inventories', 'rp_compute1_inventories.json'),
    (f'/resource_providers/{COMPUTE1}/usages', 'rp_compute1_usages.json'),
    (f'/resource_providers/{COMPUTE1}/traits', 'rp_compute1_traits.json'),
    (f'/resource_providers/{PF1}/inventories', 'rp_compute1_0000-01-00.0_inventories.json'),
    (f'/resource_providers/{PF1}/usages', 'rp_compute1_0000-01-00.0_usages.json'),
    (f'/resource_providers/{PF1}/traits', 'rp_compute1_0000-01-00.0_traits.json'),
    (f'/resource_providers/{GPU1}/usages', 'rp_compute1_0000-04-00.0_usages.json'),
    (f'/allocations/{PCI_SERVER}', f'allocations_{PCI_SERVER}.json'),
])
def test_shapes_equal_the_reference(app: ServiceApis, ours: str, theirs: str) -> None:
    path, _, query = ours.partition('?')
    response = get(app, path, version='1.14', query=query)  # what the reference asked with
    assert response.status == 200, response.raw
    assert shape(response.json) == shape(reference(theirs))


def test_values_equal_the_reference_where_the_clouds_agree(app: ServiceApis) -> None:
    tree = get(app, '/resource_providers', '1.14', f'in_tree={COMPUTE1}').json
    theirs = reference('resource_providers_in_tree_compute1.json')
    assert [(p['name'], p['generation']) for p in tree['resource_providers']] == \
        [(p['name'], p['generation']) for p in theirs['resource_providers']]
    ours_gpu = get(app, f'/resource_providers/{GPU1}/usages', '1.14').json
    assert ours_gpu == reference('rp_compute1_0000-04-00.0_usages.json')
    ours_pf = get(app, f'/resource_providers/{PF1}/inventories', '1.14').json
    assert ours_pf == reference('rp_compute1_0000-01-00.0_inventories.json')
    gpu_traits = get(app, f'/resource_providers/{GPU1}/traits', '1.14').json
    assert sorted(gpu_traits['traits']) == sorted(
        reference('rp_compute1_0000-04-00.0_traits.json')['traits'])


def test_consumer_allocations_by_microversion(app: ServiceApis) -> None:
    theirs = reference(f'allocations_{PCI_SERVER}_1.38.json')
    ours = get(app, f'/allocations/{PCI_SERVER}', '1.38').json
    assert shape(ours) == shape(theirs)
    assert list(ours) == list(theirs)  # same keys in the same order
    assert ours['allocations'] == {
        COMPUTE1: {'resources': {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}, 'generation': 4},
        GPU1: {'resources': {'CUSTOM_PCI_10DE_1EB8': 1}, 'generation': 3},
    }
    assert (ours['project_id'], ours['consumer_generation'], ours['consumer_type']) == \
        (PROJECT_ID, 1, 'unknown')
    assert set(get(app, f'/allocations/{PCI_SERVER}', '1.11').json) == {'allocations'}
    assert set(get(app, f'/allocations/{PCI_SERVER}', '1.12').json) == \
        {'allocations', 'project_id', 'user_id'}
    assert set(get(app, f'/allocations/{PCI_SERVER}', '1.28').json) == \
        {'allocations', 'project_id', 'user_id', 'consumer_generation'}


def test_unknown_consumer_has_no_allocations(app: ServiceApis) -> None:
    for version in ('1.0', '1.12', '1.38'):
        response = get(app, f'/allocations/{uuid.uuid4()}', version)
        assert (response.status, response.json) == (200, {'allocations': {}})


def test_provider_allocations_and_one_inventory(app: ServiceApis) -> None:
    response = get(app, f'/resource_providers/{GPU1}/allocations', '1.14')
    assert response.json == {'allocations': {PCI_SERVER: {'resources': {
        'CUSTOM_PCI_10DE_1EB8': 1}}}, 'resource_provider_generation': 3}
    response = get(app, f'/resource_providers/{GPU1}/inventories/CUSTOM_PCI_10DE_1EB8', '1.14')
    assert response.json == {'total': 1, 'reserved': 0, 'min_unit': 1, 'max_unit': 1,
                             'step_size': 1, 'allocation_ratio': 1.0,
                             'resource_provider_generation': 3}
    missing = get(app, f'/resource_providers/{GPU1}/inventories/VCPU', '1.14')
    assert missing.status == 404
    assert error_detail(missing) == \
        f'The resource could not be found.\n\n No inventory of class VCPU for {GPU1}  '


def test_one_time_use_gpu_held_is_reserved(tmp_path: Path) -> None:
    """The GPUs tagged ``one_time_use``: the held one's inventory is all reserved, as Nova 34
    writes it, and every one of them carries HW_PCI_ONE_TIME_USE."""
    spec = DEVICE_SPEC.replace('traits: gold}', 'traits: gold, one_time_use: "true"}')
    assert spec != DEVICE_SPEC
    otu = service_apis(reference_scenario(tmp_path, device_spec=spec).store)
    response = get(otu, f'/resource_providers/{GPU1}/inventories/CUSTOM_PCI_10DE_1EB8', '1.26')
    assert response.json == {'total': 1, 'reserved': 1, 'min_unit': 1, 'max_unit': 1,
                             'step_size': 1, 'allocation_ratio': 1.0,
                             'resource_provider_generation': 3}
    assert names(get(otu, '/resource_providers', '1.18', 'required=HW_PCI_ONE_TIME_USE')) == [
        'compute1_0000:04:00.0', 'compute1_0000:05:00.0', 'compute2_0000:04:00.0',
        'compute2_0000:05:00.0']
    free = provider_uuid('compute1_0000:05:00.0')
    assert get(otu, f'/resource_providers/{free}/inventories', '1.26').json['inventories'][
        'CUSTOM_PCI_10DE_1EB8']['reserved'] == 0


def test_provider_document_by_microversion(app: ServiceApis) -> None:
    def rels(version: str) -> list[str]:
        body = get(app, f'/resource_providers/{GPU1}', version).json
        assert body['links'][0] == {'rel': 'self',
                                    'href': f'/placement/resource_providers/{GPU1}'}
        return [link['rel'] for link in body['links']]
    assert rels('1.0') == ['self', 'inventories', 'usages']
    assert rels('1.1') == ['self', 'inventories', 'usages', 'aggregates']
    assert rels('1.6') == ['self', 'inventories', 'usages', 'aggregates', 'traits']
    assert rels('1.11')[-1] == 'allocations'
    assert 'root_provider_uuid' not in get(app, f'/resource_providers/{GPU1}', '1.13').json
    body = get(app, f'/resource_providers/{GPU1}', '1.14').json
    assert (body['parent_provider_uuid'], body['root_provider_uuid']) == (COMPUTE1, COMPUTE1)


@pytest.mark.parametrize('minor', [0, 1, 6, 11, 13, 14, 39])
def test_encoded_listing_equals_the_document(app: ServiceApis, minor: int) -> None:
    tree = app.placement.trees.current()
    version = Microversion(1, minor)
    for provider in tree.providers:
        text = provider_json(provider, version, '/placement')
        assert text == json.dumps(provider_document(provider, version, '/placement'))
    escaped = provider_json(tree.providers[0], version, json.dumps('/a"b')[1:-1])
    assert json.loads(escaped)['links'][0]['href'].startswith('/a"b/')


def test_aggregates(app: ServiceApis) -> None:
    assert get(app, f'/resource_providers/{GPU1}/aggregates', '1.0').status == 404
    assert get(app, f'/resource_providers/{GPU1}/aggregates', '1.1').json == {'aggregates': []}
    assert get(app, f'/resource_providers/{GPU1}/aggregates', '1.19').json == \
        {'aggregates': [], 'resource_provider_generation': 3}


# --- filters and microversion gating ---------------------------------------------------------

def test_required_needs_1_18(app: ServiceApis) -> None:
    old = get(app, '/resource_providers', '1.17', f'required={PCI_TRAIT}')
    assert old.status == 400
    assert error_detail(old).endswith("Invalid query string parameters: Additional properties "
                                      "are not allowed ('required' was unexpected)  ")
    assert get(app, '/resource_providers', None, f'required={PCI_TRAIT}').status == 400
    new = get(app, '/resource_providers', '1.18', f'required={PCI_TRAIT}')
    assert new.status == 200
    assert names(new) == [f'compute{h}_0000:0{n}:00.0' for h in (1, 2) for n in (1, 2, 4, 5)]


def test_in_tree_needs_1_14(app: ServiceApis) -> None:
    assert get(app, '/resource_providers', '1.13', f'in_tree={COMPUTE1}').status == 400
    both = get(app, '/resource_providers', '1.13', f'in_tree={COMPUTE1}&required=X')
    assert "('in_tree', 'required' were unexpected)" in error_detail(both)
    child = get(app, '/resource_providers', '1.14', f'in_tree={GPU1}')  # any member names it
    assert names(child)[0] == 'compute1' and len(names(child)) == 5
    assert names(get(app, '/resource_providers', '1.14', f'in_tree={uuid.uuid4()}')) == []


def test_forbidden_traits_need_1_22(app: ServiceApis) -> None:
    old = get(app, '/resource_providers', '1.21', f'required=!{PCI_TRAIT}')
    assert old.status == 400 and 'HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: !' in error_detail(old)
    new = get(app, '/resource_providers', '1.22', f'required=!{PCI_TRAIT}')
    assert names(new) == ['compute1', 'compute2']
    gold = get(app, '/resource_providers', '1.22', f'required={PCI_TRAIT},!CUSTOM_GOLD')
    assert names(gold) == [f'compute{h}_0000:0{n}:00.0' for h in (1, 2) for n in (1, 2)]


def test_any_of_traits_need_1_39(app: ServiceApis) -> None:
    old = get(app, '/resource_providers', '1.38', 'required=in:CUSTOM_GOLD,COMPUTE_NODE')
    assert old.status == 400 and 'only supported since microversion 1.39' in error_detail(old)
    # Before 1.39 only the last "required" counts; from 1.39 they all do.
    assert names(get(app, '/resource_providers', '1.38',
                     'required=CUSTOM_GOLD&required=COMPUTE_NODE')) == ['compute1', 'compute2']
    query = 'required=in:CUSTOM_GOLD,COMPUTE_NODE&required=!OWNER_X'
    found = names(get(app, '/resource_providers', '1.39', query))
    assert found == ['compute1', 'compute1_0000:04:00.0', 'compute1_0000:05:00.0',
                     'compute2', 'compute2_0000:04:00.0', 'compute2_0000:05:00.0']


def test_unknown_traits_are_400(app: ServiceApis) -> None:
    response = get(app, '/resource_providers', '1.23', 'required=CUSTOM_GOLD,CUSTOM_NOPE,CUSTOM_A')
    assert response.status == 400
    assert response.json['errors'][0]['code'] == 'placement.undefined_code'
    assert error_detail(response).endswith(
        'Invalid trait(s) in "required" parameter: No such trait(s): CUSTOM_NOPE.  ')
    # A standard-looking trait no provider has is simply not found anywhere.
    assert names(get(app, '/resource_providers', '1.18', 'required=HW_NIC_SRIOV')) == []
    assert get(app, '/resource_providers', '1.22', 'required=').status == 400


def test_name_uuid_resources_member_of(app: ServiceApis) -> None:
    assert names(get(app, '/resource_providers', None, 'name=compute1_0000:04:00.0')) == \
        ['compute1_0000:04:00.0']
    assert names(get(app, '/resource_providers', None, f'uuid={GPU1}')) == \
        ['compute1_0000:04:00.0']
    for wrong in ('nope', GPU1.replace('-', '')):
        bad = get(app, '/resource_providers', None, f'uuid={wrong}')
        assert bad.status == 400 and f"'{wrong}' is not a 'uuid'" in error_detail(bad)
    assert get(app, '/resource_providers', '1.3', 'resources=VCPU:1').status == 400
    free_gpus = names(get(app, '/resource_providers', '1.4', 'resources=CUSTOM_PCI_10DE_1EB8:1'))
    assert free_gpus == ['compute1_0000:05:00.0', 'compute2_0000:04:00.0',
                         'compute2_0000:05:00.0']
    assert names(get(app, '/resource_providers', '1.4', 'resources=VCPU:8,DISK_GB:1023')) == \
        ['compute2']                               # compute1's servers use 2 of its 1024 GB
    assert names(get(app, '/resource_providers', '1.4', 'resources=VCPU:9')) == []  # max_unit
    for query, message in [('resources=VCPU', 'Badly formed resources parameter'),
                           ('resources=VCPU:0', 'requires amount >= 1'),
                           ('resources=CUSTOM_NOPE:1', 'No such resource class CUSTOM_NOPE')]:
        response = get(app, '/resource_providers', '1.4', query)
        assert response.status == 400 and message in error_detail(response)
    aggregate = uuid.uuid4()
    assert get(app, '/resource_providers', '1.2', f'member_of={aggregate}').status == 400
    assert names(get(app, '/resource_providers', '1.3', f'member_of={aggregate}')) == []
    assert len(names(get(app, '/resource_providers', '1.32', f'member_of=!{aggregate}'))) == 10
    assert get(app, '/resource_providers', '1.3', 'member_of=nope').status == 400
    twice = f'member_of={aggregate}&member_of=in:{aggregate}'
    assert get(app, '/resource_providers', '1.23', twice).status == 400
    assert names(get(app, '/resource_providers', '1.24', twice)) == []


# --- the HTTP contract ------------------------------------------------------------------------

def test_every_answer_has_the_headers(app: ServiceApis) -> None:
    for path, version, status in [('/resource_providers', '1.18', 200),
                                  (f'/resource_providers/{uuid.uuid4()}', '1.18', 404),
                                  ('/nowhere', '1.5', 404)]:
        response = get(app, path, version)
        assert response.status == status
        assert response.headers['openstack-api-version'] == f'placement {version}'
        assert response.headers['x-openstack-request-id'].startswith('req-')
        assert response.headers['content-type'] == 'application/json'
    cached = get(app, '/resource_providers', '1.15').headers
    assert cached['cache-control'] == 'no-cache' and cached['last-modified'].endswith(' GMT')
    assert 'last-modified' not in get(app, '/resource_providers', '1.14').headers


def test_errors_in_placement_shape(app: ServiceApis) -> None:
    missing = get(app, f'/resource_providers/{uuid.uuid4()}', '1.22')
    error = missing.json['errors'][0]
    assert set(error) == {'status', 'title', 'detail', 'request_id'}   # no code before 1.23
    assert (error['status'], error['title']) == (404, 'Not Found')
    assert error['request_id'] == missing.headers['x-openstack-request-id']
    assert 'code' in get(app, f'/resource_providers/{uuid.uuid4()}', '1.23').json['errors'][0]
    for sub, prefix in [('inventories', 'No resource provider with uuid x found : '),
                        ('usages', 'No resource provider with uuid x found: '),
                        ('allocations', "Resource provider 'x' not found: ")]:
        assert error_detail(get(app, f'/resource_providers/x/{sub}', '1.14')).startswith(
            'The resource could not be found.\n\n ' + prefix)
    assert get(app, f'/resource_providers/{GPU1}/traits', '1.5').status == 404
    assert get(app, '/resource_providers/', '1.14').status == 404


def test_microversion_errors(app: ServiceApis) -> None:
    too_new = get(app, '/', '1.40')
    assert too_new.status == 406 and 'openstack-api-version' not in too_new.headers
    assert too_new.json['errors'][0]['max_version'] == '1.39'
    assert too_new.json['errors'][0]['min_version'] == '1.0'
    bad = get(app, '/', '1.x')
    assert bad.status == 400 and 'invalid version string: 1.x' in error_detail(bad)
    latest = get(app, '/', 'latest')
    assert latest.headers['openstack-api-version'] == 'placement 1.39'
    other = get(app, '/', headers={'OpenStack-API-Version': 'compute 2.90, placement 1.7'})
    assert other.headers['openstack-api-version'] == 'placement 1.7'


def test_read_only(app: ServiceApis) -> None:
    for method in ('POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'):
        response = get(app, f'/resource_providers/{GPU1}/inventories', '1.14', method=method)
        assert response.status == 405 and response.headers['allow'] == 'GET'
    post = get(app, '/resource_providers', '1.14', method='POST')
    assert error_detail(post).startswith('The method POST is not allowed for this resource.')


def test_a_bug_costs_one_request(app: ServiceApis, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError('boom')
    monkeypatch.setattr(app.placement.trees, 'current', broken)
    response = get(app, '/resource_providers', '1.14')
    assert response.status == 500
    assert response.json['errors'][0]['title'] == 'Internal Server Error'
    monkeypatch.undo()
    assert get(app, '/resource_providers', '1.14').status == 200


def test_compute_is_still_served_beside_it(app: ServiceApis) -> None:
    assert get(app, '', None).status == 200
    assert call(app, '/v2.1/os-hypervisors').status == 200
    assert call(app, '/placementx').status == 404   # compute's router, not Placement


# --- scale ------------------------------------------------------------------------------------

def test_hundred_thousand_devices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """500 hosts, 36,000 PCI providers (GPUs and PFs of VFs): listings and lookups stay fast."""
    path = write_scenario(tmp_path, '''\
hosts:
  - hostname: "cmp-{index:04d}"
    count: 500
    generate: {pfs: 8, vfs_per_pf: 16, gpus: 64, numa_nodes: 2}
servers:
  - {name: vm1, project: demo, host: cmp-0500, devices: ["0000:01:01.0"]}
''')
    scenario = load_scenario(str(path))
    assert len(scenario.store.current.devices) == 100_000
    started = time.perf_counter()
    apis = service_apis(scenario.store)
    built = time.perf_counter() - started
    listed = []
    for _ in range(3):
        started = time.perf_counter()
        response = get(apis, '/resource_providers', '1.18', f'required={PCI_TRAIT}')
        listed.append(time.perf_counter() - started)
    assert response.status == 200
    providers = response.json['resource_providers']
    assert len(providers) == 500 * (8 + 64)
    target = providers[-1]['uuid']
    started = time.perf_counter()
    for sub in ('', '/inventories', '/usages', '/traits', '/allocations') * 40:
        assert get(apis, f'/resource_providers/{target}{sub}', '1.18').status == 200
    lookup = (time.perf_counter() - started) / 200
    with capsys.disabled():
        print(f'\n[scale] Placement over 100,000 devices: tree built in {built:.2f} s, '
              f'36,000-provider listing in {min(listed):.3f} s, '
              f'per-provider GET {lookup * 1000:.2f} ms')
