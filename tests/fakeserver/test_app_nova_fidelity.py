"""The fake cloud answers other clients as Nova 34 would (issue 15, "The fake cloud must not
make other clients lie"): servers' ``host`` and ``status`` filters, what a member sees of a
server, microversions the 2.1-only routes do not speak, and what ``openstack hypervisor
show`` asks."""
from __future__ import annotations

import json

import pytest

from tests.fakeserver.capacity_helpers import ADMIN, MEMBER, apis, compute, scenario
from tests.support.data import data_dir

CLOUD = '''\
rescan_interval: 0
projects:
  - {name: demo, id: p-demo}
  - {name: other, id: p-other}
hosts:
  - {hostname: "cmp-{index}", count: 3, generate: {gpus: 2}}
servers:
  - {name: a-active, project: demo, host: cmp-1}
  - {name: b-off, project: demo, host: cmp-1, status: SHUTOFF}
  - {name: c-error, project: demo, host: cmp-2, status: error}
  - {name: d-reboot, project: demo, host: cmp-2, status: REBOOT}
  - {name: e-other, project: other, host: cmp-3}
  - {name: f-deleted, project: demo, host: cmp-3, status: DELETED}
'''
ADMIN_KEYS = ('OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory):
    return apis(scenario(tmp_path_factory.mktemp('fidelity'), CLOUD))


def _names(cloud, query: str, caller=ADMIN, path: str = '/v2.1/servers/detail') -> list[str]:
    answer = compute(cloud, path, query=query, caller=caller)
    assert answer.status == 200, answer.json
    return [server['name'] for server in answer.json['servers']]


@pytest.mark.parametrize('path', ['/v2.1/servers', '/v2.1/servers/detail'])
def test_an_admin_lists_one_hosts_servers(cloud, path: str) -> None:
    assert _names(cloud, 'all_tenants=1&host=cmp-2', path=path) == ['c-error', 'd-reboot']
    assert _names(cloud, 'all_tenants=1&host=cmp-3', path=path) == ['e-other']  # not deleted
    assert _names(cloud, 'all_tenants=1&host=CMP-2', path=path) == []  # exact, as Nova's DB
    assert _names(cloud, 'host=cmp-1&host=cmp-2', path=path) == ['c-error', 'd-reboot']  # last
    assert _names(cloud, 'host=cmp-3', path=path) == []  # the admin's project has none there
    assert _names(cloud, 'host=cmp-2&status=ERROR', path=path) == ['c-error']


def test_a_member_s_host_filter_is_dropped_as_nova_drops_it(cloud) -> None:
    """``host`` is for admins only (servers:allow_all_filters): Nova ignores it, no error."""
    assert _names(cloud, 'host=cmp-2', caller=MEMBER) == _names(cloud, '', caller=MEMBER)


@pytest.mark.parametrize('query, expected', [
    ('status=SHUTOFF', ['b-off']),
    ('status=shutoff', ['b-off']),                       # Nova lowers both sides
    ('status=ERROR', ['c-error']),
    ('status=REBOOT', ['d-reboot']),
    ('status=ACTIVE', ['a-active', 'd-reboot']),         # rebooting is still vm_state active
    ('status=ERROR&status=SHUTOFF', ['b-off', 'c-error']),
    ('status=NOSUCH', []),                               # before 2.38: no state, no servers
    ('status=UNKNOWN', []),
    ('status=ERROR&host=cmp-1', ['c-error']),             # a member's host is dropped
])
def test_status_filter_maps_as_nova(cloud, query: str, expected: list[str]) -> None:
    assert _names(cloud, query, caller=MEMBER) == expected
    assert _names(cloud, query, caller=MEMBER, path='/v2.1/servers') == expected


def test_only_admins_list_deleted_servers(cloud) -> None:
    answer = compute(cloud, '/v2.1/servers/detail', query='status=DELETED', caller=MEMBER)
    assert answer.status == 403
    assert answer.json == {'forbidden': {
        'code': 403, 'message': 'Only administrators may list deleted instances'}}
    assert _names(cloud, 'status=deleted') == ['f-deleted']
    assert 'f-deleted' not in _names(cloud, 'status=DELETED&status=ACTIVE')
    assert 'f-deleted' not in _names(cloud, '')


def test_a_member_does_not_see_extended_server_attributes(cloud) -> None:
    mine = compute(cloud, '/v2.1/servers/detail', caller=MEMBER).json['servers']
    shown = compute(cloud, f"/v2.1/servers/{mine[0]['id']}", caller=MEMBER).json['server']
    for document in (*mine, shown):
        assert not any(key.startswith('OS-EXT-SRV-ATTR:') for key in document), document
        assert document['hostId']  # the opaque host hash stays, as in Nova
    admin = compute(cloud, f"/v2.1/servers/{mine[0]['id']}", caller=ADMIN).json['server']
    assert admin['OS-EXT-SRV-ATTR:host'] == 'cmp-1'
    assert admin['OS-EXT-SRV-ATTR:hypervisor_hostname'] == 'cmp-1'


def test_admin_server_keys_are_the_reference_s() -> None:
    """The admin-only keys the fake hides are those Nova 34 showed its admin at 2.1."""
    recorded = json.loads((data_dir('nova-34-responses') / 'servers_detail_2.1.json')
                          .read_text())['servers'][0]
    assert all(key in recorded for key in ADMIN_KEYS)


@pytest.mark.parametrize('path', ['/v2.1/servers/detail', '/v2.1/os-hypervisors',
                                  '/v2.1/os-pci', '/v2.1/os-hypervisors/1'])
@pytest.mark.parametrize('header', ['OpenStack-API-Version', 'X-OpenStack-Nova-API-Version'])
def test_versions_the_2_1_routes_do_not_speak_are_406(cloud, path: str, header: str) -> None:
    from tests.fakeserver.capacity_helpers import as_caller
    from tests.fakeserver.cloud_helpers import call
    value = 'compute 2.99' if header == 'OpenStack-API-Version' else '2.99'
    answer = call(as_caller(cloud, ADMIN), path, headers={header: value})
    assert answer.status == 406
    assert answer.json == {'computeFault': {
        'code': 406,
        'message': 'Version 2.99 is not supported by the API. Minimum is 2.1 and maximum is 2.1.'}}
    assert answer.headers['openstack-api-version'] == 'compute 2.99'


@pytest.mark.parametrize('version, status', [('2.1', 200), ('latest', 200), ('2.0', 406),
                                             ('3.1', 406), ('2.105', 406), ('2.x', 400)])
def test_nova_s_version_checks_on_the_2_1_routes(cloud, version: str, status: int) -> None:
    answer = compute(cloud, '/v2.1/servers', version)
    assert answer.status == status, answer.json
    if status == 200:
        assert answer.headers['openstack-api-version'] == 'compute 2.1'
    if status == 400:
        assert answer.json == {'badRequest': {'code': 400, 'message': (
            'API Version String 2.x is of invalid format. Must be of format '
            'MajorNum.MinorNum.')}}
        assert 'openstack-api-version' not in answer.headers


def test_version_documents_take_any_version(cloud) -> None:
    assert compute(cloud, '/v2.1/', '2.99').status == 200


def test_errors_of_2_1_routes_say_their_version(cloud) -> None:
    """Nova's 403 and 404 carry the version header, as the reference's 404s do."""
    answer = compute(cloud, '/v2.1/os-hypervisors', caller=MEMBER)
    assert answer.status == 403 and answer.headers['openstack-api-version'] == 'compute 2.1'
    unknown = compute(cloud, '/v2.1/servers/00000000-0000-0000-0000-000000000000')
    assert unknown.status == 404 and unknown.headers['openstack-api-version'] == 'compute 2.1'


def test_hypervisor_uptime_is_the_fake_driver_s_501(cloud) -> None:
    """``openstack hypervisor show`` asks it below 2.88 and skips a 501."""
    answer = compute(cloud, '/v2.1/os-hypervisors/1/uptime', '2.1')
    expected = json.loads((data_dir('nova-34-responses') / 'hypervisor_uptime_2.87.json')
                          .read_text())
    assert (answer.status, answer.json) == (501, expected)
    missing = compute(cloud, '/v2.1/os-hypervisors/99/uptime')
    assert missing.status == 404
    assert compute(cloud, '/v2.1/os-hypervisors/1/uptime', caller=MEMBER).status == 403


def test_openstack_hypervisor_show_s_requests_answer(cloud) -> None:
    """What python-openstackclient 10's ``hypervisor show`` asks at 2.1, in order."""
    listed = compute(cloud, '/v2.1/os-hypervisors', '2.1').json['hypervisors']
    found = compute(cloud, '/v2.1/os-hypervisors/cmp-2/search', '2.1').json['hypervisors']
    assert [h['id'] for h in found] == [h['id'] for h in listed if h['hypervisor_hostname']
                                        == 'cmp-2']
    shown = compute(cloud, f"/v2.1/os-hypervisors/{found[0]['id']}", '2.1').json['hypervisor']
    assert shown['service']['host'] == 'cmp-2'
    assert compute(cloud, '/v2.1/os-aggregates', '2.1').status == 200
    assert compute(cloud, f"/v2.1/os-hypervisors/{found[0]['id']}/uptime", '2.1').status == 501
