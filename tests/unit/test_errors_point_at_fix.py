"""Errors that point at the fix (issue 15): an auth URL or endpoint without its scheme, a
compute endpoint without its version path, a 403 of an admin-only API, an ``--os-cloud``
that names no cloud. Each is one line on stderr, exit 1; ``-c`` of a --long column
without --long is in test_usage_errors.py."""
from __future__ import annotations

import json

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient import shell
from pciclient.commands.hints import cli_message
from tests.unit import samples

ROOT = 'http://nova.test:8774'
URL = f'{ROOT}/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint']
PASSWORD = 'pw-n0t-shown'

pytestmark = pytest.mark.usefixtures('no_cloud_settings')


def one_line_error(capsys, *argv: str) -> str:
    code = shell.main(list(argv))
    out, err = capsys.readouterr()
    assert (code, out) == (1, ''), (code, out, err)
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert PASSWORD not in err
    return err.rstrip('\n')


# --- a URL without http(s):// ---------------------------------------------------------------

def test_an_auth_url_without_a_scheme_says_so_before_any_request(requests_mock, capsys):
    """keystoneauth took ``keystone:5000/v3`` for a path in a catalog it did not have yet
    and said "no compute endpoint in the catalog"."""
    line = one_line_error(capsys, '--os-auth-url', 'keystone:5000/v3', '--os-username', 'u',
                          '--os-password', PASSWORD, '--os-project-name', 'p', 'pci-list')
    assert line == ('The auth URL keystone:5000/v3 (--os-auth-url, OS_AUTH_URL) needs '
                    'http:// or https://: did you mean http://keystone:5000/v3?')
    assert requests_mock.request_history == []


def test_an_endpoint_without_a_scheme_says_so(requests_mock, capsys):
    line = one_line_error(capsys, *NOAUTH, 'nova.test:8774/v2.1', 'hypervisor-list')
    assert line == ('--os-endpoint nova.test:8774/v2.1 needs http:// or https://: did you '
                    'mean http://nova.test:8774/v2.1?')
    assert requests_mock.request_history == []


def test_a_clouds_yaml_auth_url_without_a_scheme_says_so(requests_mock, capsys, tmp_path,
                                                         monkeypatch):
    config = tmp_path / 'clouds.yaml'
    config.write_text(json.dumps({'clouds': {'prod': {'auth': {
        'auth_url': 'keystone:5000/v3', 'username': 'u', 'password': PASSWORD,
        'project_name': 'p'}}}}))
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(config))
    line = one_line_error(capsys, '--os-cloud', 'prod', 'pci-list')
    assert line == ('clouds.yaml cloud prod: auth_url keystone:5000/v3 needs http:// or '
                    'https://: did you mean http://keystone:5000/v3?')
    assert requests_mock.request_history == []


# --- a compute endpoint without its version path ----------------------------------------------

#: What Nova 34 answers at its root (Versions.index) and under it (Versions.multi, 300).
VERSIONS = {'versions': [
    {'id': 'v2.0', 'status': 'DEPRECATED', 'version': '', 'min_version': '',
     'updated': '2025-07-04T12:00:00Z', 'links': [{'rel': 'self', 'href': f'{ROOT}/v2/'}]},
    {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.100', 'min_version': '2.1',
     'updated': '2013-07-23T11:33:21Z', 'links': [{'rel': 'self', 'href': f'{URL}/'}]}]}


def choices(path: str) -> dict:
    return {'choices': [
        {'id': 'v2.0', 'status': 'DEPRECATED',
         'links': [{'rel': 'self', 'href': f'{ROOT}/v2/{path}'}]},
        {'id': 'v2.1', 'status': 'CURRENT',
         'links': [{'rel': 'self', 'href': f'{URL}/{path}'}]}]}


WRONG_ROOT = (f'The compute endpoint {ROOT} lists the API versions and is not an API: did you '
              f'mean --os-endpoint {URL}?')


@pytest.mark.parametrize('answer', [
    {'status_code': 300, 'json': choices('os-hypervisors')},   # Nova itself
    {'status_code': 404, 'json': samples.ROUTER_404},          # a proxy, the fake cloud
], ids=['nova-300', 'router-404'])
def test_a_version_root_endpoint_suggests_its_current_version(requests_mock, capsys, answer):
    requests_mock.get(f'{ROOT}/os-hypervisors', **answer)
    root = requests_mock.get(ROOT, json=VERSIONS)
    line = one_line_error(capsys, *NOAUTH, ROOT, 'hypervisor-list')
    assert line == WRONG_ROOT
    assert root.call_count == 1 and len(requests_mock.request_history) == 2


def test_the_library_names_endpoint_override(requests_mock):
    requests_mock.get(f'{ROOT}/os-pci', status_code=404, json=samples.ROUTER_404)
    requests_mock.get(ROOT, json=VERSIONS)
    client = pci_client.Client('2', session=session.Session(auth=noauth.NoAuth()),
                               endpoint_override=ROOT, pci_source='os-pci')
    with pytest.raises(exc.ConfigurationError) as info:
        client.pci_devices.list(resolve_hosts=False)
    assert str(info.value) == (f'The compute endpoint {ROOT} lists the API versions and is '
                               f"not an API: did you mean endpoint_override='{URL}'?")
    assert cli_message(info.value) == WRONG_ROOT


def test_latest_reads_the_root_once_and_says_so(requests_mock, capsys):
    """--os-compute-api-version latest reads the endpoint's document first: no probe."""
    requests_mock.get(ROOT, json=VERSIONS)
    line = one_line_error(capsys, *NOAUTH, ROOT, '--os-compute-api-version', 'latest',
                          'hypervisor-list')
    assert line == WRONG_ROOT
    assert len(requests_mock.request_history) == 1


def test_a_versioned_endpoint_is_never_probed(requests_mock, capsys):
    """Today's Nova has no os-pci: its 404 under /v2.1 costs no extra request."""
    requests_mock.get(f'{URL}/os-pci', status_code=404, json=samples.ROUTER_404)
    root = requests_mock.get(URL, json={'version': VERSIONS['versions'][1]})
    line = one_line_error(capsys, *NOAUTH, URL, '--pci-source', 'os-pci', 'pci-list')
    assert line.startswith("This cloud's compute API has no os-pci API")
    assert root.call_count == 0 and len(requests_mock.request_history) == 1


def test_a_nova_fault_is_not_a_version_root(requests_mock, capsys):
    requests_mock.get(f'{ROOT}/servers/detail', status_code=404,
                      json=samples.not_found('Not here.'))
    root = requests_mock.get(ROOT, json=VERSIONS)
    line = one_line_error(capsys, *NOAUTH, ROOT, 'server-list')
    assert line.startswith('Not here. (HTTP 404)')
    assert root.call_count == 0


def test_a_root_that_lists_no_other_version_is_left_as_it_was(requests_mock, capsys):
    """Placement's root lists its one version with an empty link: it is the API."""
    requests_mock.get(f'{ROOT}/os-hypervisors', status_code=404, json=samples.ROUTER_404)
    requests_mock.get(ROOT, json={'versions': [{'id': 'v1.0', 'status': 'CURRENT',
                                                'links': [{'rel': 'self', 'href': ''}]}]})
    line = one_line_error(capsys, *NOAUTH, ROOT, 'hypervisor-list')
    assert line.startswith('The resource could not be found. (HTTP 404)')
    assert len(requests_mock.request_history) == 2   # at most one extra request


def test_placement_is_never_probed(requests_mock, capsys):
    """Placement's root is its API (no version path to forget): its 404 asks nothing more."""
    requests_mock.get(f'{ROOT}/placement/resource_providers', status_code=404,
                      json=samples.ROUTER_404)
    root = requests_mock.get(f'{ROOT}/placement', json=VERSIONS)
    one_line_error(capsys, *NOAUTH, URL, '--os-placement-endpoint-override',
                   f'{ROOT}/placement', '--pci-source', 'placement', 'pci-list')
    assert root.call_count == 0 and len(requests_mock.request_history) == 1


# --- 403: an admin-only API -------------------------------------------------------------------

def forbidden(rule: str) -> dict:
    return {'json': {'forbidden': {'code': 403,
                                   'message': f"Policy doesn't allow {rule} to be performed."}},
            'status_code': 403, 'headers': {'x-compute-request-id': 'req-1'}}


MEMBER_WAY = ('ask for one, or use a member-visible command (server-list, server-show). '
              '(HTTP 403) (Request-ID: req-1)')


def test_a_403_of_an_admin_api_says_it_needs_an_admin_role(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors', **forbidden('os_compute_api:os-hypervisors:list'))
    line = one_line_error(capsys, *NOAUTH, URL, 'hypervisor-list')
    assert line == ("Policy doesn't allow os_compute_api:os-hypervisors:list to be performed. "
                    f'os-hypervisors needs an admin role in this cloud: {MEMBER_WAY}')


def test_a_403_of_all_projects_says_leave_it_out(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/detail',
                      **forbidden('os_compute_api:servers:detail:get_all_tenants'))
    line = one_line_error(capsys, *NOAUTH, URL, 'server-list', '--all-projects')
    assert line.endswith(". --all-projects needs an admin role in this cloud: ask for one, or "
                         "leave it out to see your own project's servers. (HTTP 403) "
                         '(Request-ID: req-1)'), line


def test_a_403_of_placement_says_it_needs_an_admin_role(requests_mock, capsys):
    body = {'errors': [{'status': 403, 'title': 'Forbidden', 'detail': (
        'Access was denied to this resource.\n\n Policy does not allow '
        'placement:resource_providers:list to be performed.  ')}]}
    requests_mock.get(f'{ROOT}/placement/resource_providers', status_code=403, json=body)
    line = one_line_error(capsys, *NOAUTH, URL, '--os-placement-endpoint-override',
                          f'{ROOT}/placement', '--pci-source', 'placement', 'pci-list')
    assert line.startswith('Access was denied to this resource. Policy does not allow '
                           'placement:resource_providers:list to be performed. Placement '
                           'needs an admin role in this cloud: ask for one'), line


def test_the_library_words_the_role_without_options(client, requests_mock):
    requests_mock.get(f'{URL}/os-pci', **forbidden('os_compute_api:os-pci:index'))
    with pytest.raises(exc.Forbidden) as info:
        client.pci_devices.list(resolve_hosts=False)
    assert info.value.hint is exc.Hint.ADMIN_ROLE
    assert '--' not in str(info.value)
    assert 'os-pci needs an admin role in this cloud' in str(info.value)


def test_a_403_of_a_member_api_keeps_the_servers_words(requests_mock, capsys):
    requests_mock.get(f'{URL}/servers/detail', **forbidden('os_compute_api:servers:detail'))
    line = one_line_error(capsys, *NOAUTH, URL, 'server-list')
    assert line == ("Policy doesn't allow os_compute_api:servers:detail to be performed. "
                    '(HTTP 403) (Request-ID: req-1)')


# --- --os-cloud naming no cloud ---------------------------------------------------------------

def test_an_unknown_cloud_lists_the_names_there_are(requests_mock, capsys, tmp_path,
                                                    monkeypatch):
    config = tmp_path / 'clouds.yaml'
    config.write_text(json.dumps({'clouds': {
        'prod': {'auth': {'auth_url': 'http://k/v3', 'username': 'u', 'password': PASSWORD}},
        'devstack-admin': {'auth': {'auth_url': 'http://k/v3', 'password': PASSWORD}}}}))
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(config))
    line = one_line_error(capsys, '--os-cloud', 'prd', 'pci-list')
    assert line == (f'--os-cloud prd: {config} has no cloud of that name; its clouds: '
                    'devstack-admin, prod.')
    assert requests_mock.request_history == []


def test_no_clouds_yaml_at_all_says_where_it_looked(requests_mock, capsys, tmp_path,
                                                    monkeypatch):
    from openstack.config import loader

    monkeypatch.setattr(loader, 'CONFIG_FILES', [str(tmp_path / 'clouds.yaml')])
    monkeypatch.setattr(loader, 'SECURE_FILES', [])
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(tmp_path / 'missing.yaml'))
    line = one_line_error(capsys, '--os-cloud', 'prod', 'pci-list')
    assert line.startswith('--os-cloud prod: no clouds.yaml was found (OS_CLIENT_CONFIG_FILE, '
                           './clouds.yaml'), line
