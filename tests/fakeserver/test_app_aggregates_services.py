"""Aggregates, availability zones and compute services on the fake compute API, and what
Placement says of the same hosts (aggregate membership, COMPUTE_STATUS_DISABLED, usage)."""
from __future__ import annotations

import pytest

from tests.fakeserver.capacity_helpers import (
    MEMBER,
    NOVA_REFERENCE,
    apis,
    compute,
    placement,
    scenario,
)

DOWN_HOST = '''\
  - {hostname: compute3, generate: {gpus: 1}, down: true}
  - {hostname: compute4, generate: {gpus: 1}, forced_down: true}
'''


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory):
    text = NOVA_REFERENCE.replace('flavors:\n', DOWN_HOST + 'flavors:\n', 1)
    return apis(scenario(tmp_path_factory.mktemp('aggregates'), text))


def test_aggregates_list_and_show(cloud) -> None:
    old = compute(cloud, '/v2.1/os-aggregates').json['aggregates']
    assert [a['name'] for a in old] == ['cap-agg-az', 'cap-agg-plain']
    assert 'uuid' not in old[0]
    new = compute(cloud, '/v2.1/os-aggregates', '2.41').json['aggregates']
    zoned = new[0]
    assert list(zoned) == ['id', 'uuid', 'name', 'hosts', 'metadata', 'created_at',
                           'updated_at', 'deleted_at', 'deleted', 'availability_zone']
    assert (zoned['hosts'], zoned['availability_zone']) == (['compute2'], 'cap-az')
    assert zoned['metadata'] == {'ssd': 'true', 'availability_zone': 'cap-az'}
    assert new[1]['availability_zone'] is None
    shown = compute(cloud, '/v2.1/os-aggregates/1', '2.41').json['aggregate']
    assert shown == zoned


@pytest.mark.parametrize('arg, status, message', [
    ('99', 404, 'Aggregate 99 could not be found.'),
    ('abc', 400, 'Invalid input received: id must be an integer'),
])
def test_aggregate_errors(cloud, arg, status, message) -> None:
    answer = compute(cloud, f'/v2.1/os-aggregates/{arg}', '2.41')
    assert answer.status == status
    assert message in str(answer.json)


@pytest.mark.parametrize('path, rule', [
    ('/v2.1/os-aggregates', 'os_compute_api:os-aggregates:index'),
    ('/v2.1/os-aggregates/1', 'os_compute_api:os-aggregates:show'),
    ('/v2.1/os-services', 'os_compute_api:os-services:list'),
    ('/v2.1/os-availability-zone/detail', 'os_compute_api:os-availability-zone:detail'),
])
def test_admin_only_routes(cloud, path, rule) -> None:
    answer = compute(cloud, path, '2.53', caller=MEMBER)
    assert answer.status == 403
    assert answer.json == {'forbidden': {
        'code': 403, 'message': f"Policy doesn't allow {rule} to be performed."}}
    assert answer.headers['openstack-api-version'] == 'compute 2.53'


def test_zones_for_anyone(cloud) -> None:
    zones = compute(cloud, '/v2.1/os-availability-zone', caller=MEMBER).json
    assert zones == {'availabilityZoneInfo': [
        {'zoneName': 'nova', 'zoneState': {'available': True}, 'hosts': None},
        {'zoneName': 'cap-az', 'zoneState': {'available': False}, 'hosts': None}]}
    detail = compute(cloud, '/v2.1/os-availability-zone/detail').json['availabilityZoneInfo']
    nova = next(z for z in detail if z['zoneName'] == 'nova')
    assert sorted(nova['hosts']) == ['compute1', 'compute3', 'compute4']
    assert nova['hosts']['compute3']['nova-compute']['available'] is False  # down
    assert nova['hosts']['compute1']['nova-compute']['active'] is True


def test_services_by_version_and_filter(cloud) -> None:
    rows = compute(cloud, '/v2.1/os-services').json['services']
    assert [(r['binary'], r['host'], r['id']) for r in rows] == [
        ('nova-conductor', 'conductor', 1), ('nova-scheduler', 'scheduler', 2),
        ('nova-compute', 'compute1', 3), ('nova-compute', 'compute2', 4),
        ('nova-compute', 'compute3', 5), ('nova-compute', 'compute4', 6)]
    assert 'forced_down' not in rows[0]
    computes = compute(cloud, '/v2.1/os-services', '2.53', 'binary=nova-compute').json
    by_host = {r['host']: r for r in computes['services']}
    assert set(by_host) == {'compute1', 'compute2', 'compute3', 'compute4'}
    assert (by_host['compute4']['state'], by_host['compute4']['forced_down']) == ('down', True)
    assert len(by_host['compute1']['id']) == 36 and by_host['compute1']['forced_down'] is False
    assert (by_host['compute2']['status'], by_host['compute2']['disabled_reason'],
            by_host['compute2']['zone']) == ('disabled', 'maintenance', 'cap-az')
    assert (by_host['compute3']['state'], by_host['compute3']['status']) == ('down', 'enabled')
    one = compute(cloud, '/v2.1/os-services', '2.11', 'host=compute1').json['services']
    assert [r['host'] for r in one] == ['compute1']


def test_hypervisors_show_the_service_state(cloud) -> None:
    listed = compute(cloud, '/v2.1/os-hypervisors').json['hypervisors']
    states = {h['hypervisor_hostname']: (h['state'], h['status']) for h in listed}
    assert states == {'compute1': ('up', 'enabled'), 'compute2': ('up', 'disabled'),
                      'compute3': ('down', 'enabled'), 'compute4': ('down', 'enabled')}
    detail = compute(cloud, '/v2.1/os-hypervisors/compute2').json['hypervisor']
    assert detail['service']['disabled_reason'] == 'maintenance'


def _roots(cloud) -> dict[str, str]:
    listing = placement(cloud, '/resource_providers', '1.14').json['resource_providers']
    return {rp['name']: rp['uuid'] for rp in listing if rp['parent_provider_uuid'] is None}


def test_placement_mirrors_aggregates_and_disabled_hosts(cloud) -> None:
    roots = _roots(cloud)
    aggregates = {a['name']: a['uuid']
                  for a in compute(cloud, '/v2.1/os-aggregates', '2.41').json['aggregates']}
    answer = placement(cloud, f'/resource_providers/{roots["compute2"]}/aggregates', '1.19')
    assert answer.json['aggregates'] == [aggregates['cap-agg-az']]
    assert 'resource_provider_generation' in answer.json
    assert placement(cloud, f'/resource_providers/{roots["compute2"]}/aggregates',
                     '1.1').json == {'aggregates': [aggregates['cap-agg-az']]}
    assert placement(cloud, f'/resource_providers/{roots["compute3"]}/aggregates',
                     '1.1').json == {'aggregates': []}
    assert placement(cloud, f'/resource_providers/{roots["compute2"]}/aggregates',
                     '1.0').status == 404
    traits = placement(cloud, f'/resource_providers/{roots["compute2"]}/traits', '1.6').json
    assert 'COMPUTE_STATUS_DISABLED' in traits['traits']
    traits = placement(cloud, f'/resource_providers/{roots["compute1"]}/traits', '1.6').json
    assert 'COMPUTE_STATUS_DISABLED' not in traits['traits']


@pytest.mark.parametrize('version, member_of, hosts', [
    ('1.3', 'in:{az},{plain}', {'compute1', 'compute2'}),
    ('1.3', '{plain}', {'compute1'}),
    ('1.24', ['{az}', '{plain}'], set()),
    ('1.32', '!{plain}', 'all but compute1'),
    ('1.32', '!in:{az},{plain}', 'compute3, compute4 and PCI providers'),
])
def test_member_of_on_providers(cloud, version, member_of, hosts) -> None:
    aggregates = {a['name'][8:]: a['uuid']
                  for a in compute(cloud, '/v2.1/os-aggregates', '2.41').json['aggregates']}
    values = member_of if isinstance(member_of, list) else [member_of]
    query = '&'.join(f'member_of={v.format(**aggregates)}' for v in values)
    listing = placement(cloud, '/resource_providers', version, query).json
    names = {rp['name'] for rp in listing['resource_providers']}
    if hosts == 'all but compute1':
        assert 'compute1' not in names and {'compute2', 'compute3'} <= names
        assert any('_' in name for name in names)  # PCI providers are in no aggregate
    elif hosts == 'compute3, compute4 and PCI providers':
        assert {name for name in names if '_' not in name} == {'compute3', 'compute4'}
    else:
        assert names == hosts


@pytest.mark.parametrize('version, query, detail', [
    ('1.3', 'member_of=a,b', "Multiple values for 'member_of' must be prefixed"),
    ('1.3', 'member_of=in:nope', "Expected 'member_of' parameter to contain valid UUID(s). "
                                 'Got: nope'),
    ('1.23', 'member_of=in:1cf1d2c5-7c3e-4a4c-9b7b-f0b8e8b1a5d1'
             '&member_of=1cf1d2c5-7c3e-4a4c-9b7b-f0b8e8b1a5d1',
     'Multiple member_of parameters are not supported'),
    ('1.31', 'member_of=!1cf1d2c5-7c3e-4a4c-9b7b-f0b8e8b1a5d1',
     'Forbidden member_of parameters are not supported in the specified microversion'),
])
def test_member_of_errors(cloud, version, query, detail) -> None:
    answer = placement(cloud, '/resource_providers', version, query)
    assert answer.status == 400
    assert detail in answer.json['errors'][0]['detail']


def test_servers_consume_their_flavor(cloud) -> None:
    roots = _roots(cloud)
    usages = placement(cloud, f'/resource_providers/{roots["compute1"]}/usages').json['usages']
    assert usages == {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}  # pci.a1
    hypervisor = compute(cloud, '/v2.1/os-hypervisors/compute1').json['hypervisor']
    assert (hypervisor['vcpus_used'], hypervisor['local_gb_used']) == (1, 1)
    server = compute(cloud, '/v2.1/servers/detail').json['servers'][0]
    assert server['flavor']['id'] == next(
        f['id'] for f in compute(cloud, '/v2.1/flavors').json['flavors']
        if f['name'] == 'pci.a1')
