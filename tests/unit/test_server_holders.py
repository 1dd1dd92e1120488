"""Who holds what, by name (issue 15): server-list's Host, --host and --long; pci-list
--server across projects; server-show --long for a member refused os-pci's detail."""
from __future__ import annotations

import json

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient import shell
from pciclient.commands.hints import cli_message
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]
OTHER = '5f0a3bd5-3c5e-4a47-9c0e-3a44c3bd7c11'

pytestmark = pytest.mark.usefixtures('no_cloud_settings')

#: As an admin sees them at 2.1: each server's host, its flavor by id only.
ON_COMPUTE1 = {**samples.SERVER, 'OS-EXT-SRV-ATTR:host': 'compute1',
               'flavor': {'id': '42', 'links': []}}
ON_COMPUTE2 = {**samples.NOVA_SERVER, 'OS-EXT-SRV-ATTR:host': 'compute2', 'tenant_id': 'ops',
               'flavor': {'id': '7', 'links': []}}


def _at_2_47(server: dict, name: str) -> dict:
    """The same server as Nova describes it from microversion 2.47: the flavor inline."""
    return {**server, 'flavor': {'original_name': name, 'vcpus': 1, 'ram': 512, 'disk': 1,
                                 'ephemeral': 0, 'swap': 0}}


def run(capsys, *argv):
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, '-f', 'json')
    assert code == 0, err
    return json.loads(out)


def _version(request) -> str | None:
    return request.headers.get('OpenStack-API-Version')


# --- server-list: Host, --host, --long ------------------------------------------------

def test_server_list_shows_the_host_and_null_where_it_is_not_shown(requests_mock, capsys):
    member_view = {**samples.NOVA_SERVER}   # no OS-EXT-SRV-ATTR:host: not an admin
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [ON_COMPUTE1, member_view]})
    rows = run_json(capsys, 'server-list')
    assert list(rows[0]) == ['ID', 'Name', 'Status', 'PCI Devices', 'Host']
    assert [row['Host'] for row in rows] == ['compute1', None]


def test_server_list_host_is_sent_and_applied_to_the_answer(requests_mock, capsys):
    # A cloud that ignores the filter (as Nova does for non-admins, and old fakes did).
    route = requests_mock.get(f'{URL}/servers/detail',
                              json={'servers': [ON_COMPUTE1, ON_COMPUTE2]})
    rows = run_json(capsys, 'server-list', '--host', 'compute2', '--all-projects')
    assert [row['Name'] for row in rows] == ['plain']
    assert route.last_request.qs == {'host': ['compute2'], 'all_tenants': ['1']}


def test_server_list_host_without_seeing_hosts_is_an_error(requests_mock, capsys):
    """Nova drops ``host`` for a member and shows no host: listing every server of the
    project as if it were on that host would be a wrong answer."""
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [samples.NOVA_SERVER]})
    code, out, err = run(capsys, 'server-list', '--host', 'compute1', '-f', 'json')
    assert code == 1 and out == ''
    assert len(err.strip().splitlines()) == 1
    assert 'admins only' in err and 'Traceback' not in err


def test_server_list_long_names_the_flavor_at_2_47(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [
        _at_2_47(ON_COMPUTE1, 'm1.gpu'), _at_2_47(ON_COMPUTE2, 'm1.small')]})
    rows = run_json(capsys, 'server-list', '--long')
    assert list(rows[0]) == ['ID', 'Name', 'Status', 'PCI Devices', 'Host', 'Project ID',
                             'Flavor']
    assert [(row['Project ID'], row['Flavor']) for row in rows] == [('demo', 'm1.gpu'),
                                                                    ('ops', 'm1.small')]
    assert [_version(r) for r in requests_mock.request_history] == ['compute 2.47']


def test_server_list_long_falls_back_to_flavor_ids(requests_mock, capsys):
    """A cloud without 2.47 answers 406: asked again at the client's own version, whose
    documents give the flavor's id only."""
    def answer(request, context):
        if _version(request):
            context.status_code = 406
            return {'computeFault': {'code': 406, 'message': 'Version 2.47 is not supported'}}
        return {'servers': [ON_COMPUTE1, ON_COMPUTE2]}
    requests_mock.get(f'{URL}/servers/detail', json=answer)
    rows = run_json(capsys, 'server-list', '--long')
    assert [row['Flavor'] for row in rows] == ['42', '7']
    assert [_version(r) for r in requests_mock.request_history] == ['compute 2.47', None]


def test_server_list_without_long_asks_no_newer_version(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [ON_COMPUTE1]})
    run_json(capsys, 'server-list')
    assert [_version(r) for r in requests_mock.request_history] == [None]


def test_server_list_long_columns_are_checked(requests_mock, capsys):
    code, _, err = run(capsys, 'server-list', '-c', 'Flavor')
    assert code == 2 and "column 'Flavor' needs --long" in err   # a --long column
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [ON_COMPUTE1]})
    rows = run_json(capsys, 'server-list', '--long', '-c', 'Flavor', '-c', 'project_id')
    assert rows == [{'Flavor': '42', 'Project ID': 'demo'}]


# --- pci-list --server NAME across projects -------------------------------------------

def test_pci_list_server_name_in_every_project(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    route = requests_mock.get(f'{URL}/servers/detail', json={'servers': [ON_COMPUTE1]})
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.FREE_GPU]})
    rows = run_json(capsys, 'pci-list', '--server', 'vm-sriov', '--all-projects')
    assert [row['ID'] for row in rows] == [1]
    assert route.last_request.qs['all_tenants'] == ['1']


def test_no_server_named_suggests_all_projects(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    code, out, err = run(capsys, 'pci-list', '--server', 'vm1')
    assert code == 1 and out == ''
    assert err.startswith("No server with a name or ID of 'vm1' exists in this project; an "
                          "admin finds every project's servers with --all-projects.")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize('argv', [['pci-list', '--server', 'vm1', '--all-projects'],
                                  ['server-show', 'vm1', '--all-projects'],
                                  ['server-show', OTHER]])
def test_no_hint_where_all_projects_would_not_help(requests_mock, capsys, argv):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    requests_mock.get(f'{URL}/servers/{OTHER}', status_code=404,
                      json=samples.not_found('Instance could not be found.'))
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert 'No server with a name or ID of' in err and 'all-projects' not in err


def test_library_names_the_setting_in_its_own_terms(client, requests_mock):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    with pytest.raises(exc.NotFound) as info:
        client.servers.get('vm1')
    assert info.value.hint is exc.Hint.ALL_PROJECTS
    assert 'all_projects=True' in str(info.value) and '--' not in str(info.value)
    assert '--all-projects' in cli_message(info.value)


# --- server-show --long for a member refused os-pci ----------------------------------

def test_server_show_long_refused_details_shows_ids_and_warns(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    requests_mock.get(f'{URL}/os-pci/detail', status_code=403, json={'forbidden': {
        'code': 403, 'message': "Policy doesn't allow os_compute_api:os-pci:detail to be "
                                'performed.'}})
    code, out, err = run(capsys, 'server-show', samples.SERVER_UUID, '--long', '-f', 'json')
    assert code == 0, err
    shown = json.loads(out)
    assert shown['id'] == samples.SERVER_UUID
    assert shown['pci_devices'] == [1, 2] and shown['pci_source'] == 'os-pci'
    [line] = err.splitlines()
    assert line.startswith('Warning: PCI device details not shown, only their ids: ')
    assert 'os-pci:detail' in line and '(HTTP 403)' in line


def test_server_show_long_table_after_refusal_shows_plain_ids(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    requests_mock.get(f'{URL}/os-pci/detail', status_code=403,
                      json={'forbidden': {'code': 403, 'message': 'no'}})
    code, out, _ = run(capsys, 'server-show', samples.SERVER_UUID, '--long')
    assert code == 0
    [line] = [line for line in out.splitlines() if 'pci_devices' in line]
    assert line.split('|')[2].strip() == '1, 2'


def test_server_show_other_refusals_still_fail(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', status_code=403,
                      json={'forbidden': {'code': 403, 'message': 'no'}})
    code, out, err = run(capsys, 'server-show', samples.SERVER_UUID, '--long')
    assert code == 1 and out == '' and 'Warning' not in err


# --- a member on a cloud whose PCI devices are only in Placement (admin only) ---------

PLACEMENT_URL = 'http://placement.test/placement'
PLACEMENT_ARGS = ['--pci-source', 'placement', '--os-placement-endpoint-override',
                  PLACEMENT_URL]
PLACEMENT_403 = {'errors': [{'status': 403, 'title': 'Forbidden', 'detail': (
    'Access was denied to this resource. Policy does not allow '
    'placement:resource_providers:list to be performed.')}]}


@pytest.fixture
def member_on_placement(requests_mock):
    requests_mock.get(f'{PLACEMENT_URL}/', json={'versions': [{'id': 'v1.0'}]})
    requests_mock.get(f'{PLACEMENT_URL}/resource_providers', status_code=403,
                      json=PLACEMENT_403)
    requests_mock.get(f'{PLACEMENT_URL}/allocations/{samples.NOVA_SERVER["id"]}',
                      status_code=403, json=PLACEMENT_403)
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [samples.NOVA_SERVER]})
    requests_mock.get(f'{URL}/servers/{samples.NOVA_SERVER["id"]}',
                      json={'server': samples.NOVA_SERVER})
    return requests_mock


def test_member_server_list_from_placement_warns_instead_of_failing(member_on_placement,
                                                                    capsys):
    code, out, err = run(capsys, *PLACEMENT_ARGS, 'server-list', '-f', 'json')
    assert code == 0, err
    assert [(row['Name'], row['PCI Devices'], row['Host']) for row in json.loads(out)] == [
        ('plain', None, None)]
    [line] = err.splitlines()
    assert line.startswith('Warning: PCI devices from Placement not shown: Access was denied')


@pytest.mark.parametrize('long', [[], ['--long']])
def test_member_server_show_from_placement_warns_instead_of_failing(member_on_placement,
                                                                    capsys, long):
    code, out, err = run(capsys, *PLACEMENT_ARGS, 'server-show', samples.NOVA_SERVER['id'],
                         *long, '-f', 'json')
    assert code == 0, err
    shown = json.loads(out)
    assert shown['name'] == 'plain' and shown['pci_devices'] is None
    [line] = err.splitlines()
    assert line.startswith('Warning: PCI devices not shown: ') and '(HTTP 403)' in line


def test_library_raises_placement_refusals_unless_told_where(member_on_placement):
    placed = pci_client.Client('2', session=session.Session(auth=noauth.NoAuth()),
                               endpoint_override=URL, pci_source='placement',
                               placement_endpoint_override=PLACEMENT_URL)
    with pytest.raises(exc.Forbidden):
        list(placed.pci_devices.annotated(placed.servers.iter()))
    told: list[exc.Forbidden] = []
    [server] = placed.pci_devices.annotated(placed.servers.iter(), told.append)
    assert server.pci_devices is None and [e.http_status for e in told] == [403]
