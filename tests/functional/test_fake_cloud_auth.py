"""Real clients log in to ``pci-fake-server --scenario`` through its Keystone subset.

One server process per module, on a free 127.0.0.1 port, serving a scenario with
an admin and a member and a server in each project. ``pci-cli``, ``openstack`` and
``nova`` are the installed console scripts, run unchanged with password auth
(DevStack-style ``/identity`` and ``/identity/v3`` auth URLs, clouds.yaml), as
operators would run them against a real cloud.
"""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.helpers import CliResult, run_tool
from tests.support.cli_process import clean_env
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree

ADMIN_PASSWORD = 'Adm1n-pw'
MEMBER_PASSWORD = 'Al1ce-pw'
SCENARIO = """\
rescan_interval: 0
projects:
  - {{name: admin}}
  - {{name: demo}}
users:
  - {{name: admin, password: {admin_password}, project: admin, roles: [admin, member, reader]}}
  - {{name: alice, password: {member_password}, project: demo}}
hosts:
  - {{hostname: compute1, sysfs_root: {sysfs}}}
servers:
  - {{name: vm1, project: demo, host: compute1, devices: ["0000:04:10.0"]}}
  - {{name: ops-vm, project: admin, host: compute1}}
"""


class CloudProcess(FakeServerProcess):
    """``pci-fake-server --scenario`` with the admin and member of SCENARIO."""

    def __init__(self, workdir: Path) -> None:
        sysfs = build_standard_tree(workdir / 'sys')
        scenario = workdir / 'cloud.yaml'
        scenario.write_text(SCENARIO.format(admin_password=ADMIN_PASSWORD,
                                            member_password=MEMBER_PASSWORD, sysfs=sysfs))
        super().__init__('--scenario', str(scenario), log=workdir / 'server.log')
        assert self.url.startswith('http://127.0.0.1:') and self.url.endswith('/v2.1')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudProcess]:
    process = CloudProcess(tmp_path_factory.mktemp('fake-cloud'))
    yield process
    assert process.stop() == 0


def _auth_args(cloud: CloudProcess, user: str, password: str, project: str,
               auth_path: str = '/identity') -> list[str]:
    return ['--os-auth-url', cloud.root + auth_path, '--os-username', user,
            '--os-password', password, '--os-project-name', project,
            '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']


def as_admin(cloud: CloudProcess, auth_path: str = '/identity') -> list[str]:
    return _auth_args(cloud, 'admin', ADMIN_PASSWORD, 'admin', auth_path)


def as_member(cloud: CloudProcess, auth_path: str = '/identity') -> list[str]:
    return _auth_args(cloud, 'alice', MEMBER_PASSWORD, 'demo', auth_path)


def pci_cli(*args: str, env: dict[str, str] | None = None) -> CliResult:
    return run_tool('pci-cli', *args, env=env)


def _no_secrets(*texts: str) -> None:
    for text in texts:
        assert ADMIN_PASSWORD not in text and MEMBER_PASSWORD not in text


# --- pci-cli with password auth -----------------------------------------------------------------

@pytest.mark.parametrize('auth_path', ['/identity', '/identity/v3'])
def test_pci_cli_admin_password_auth(cloud: CloudProcess, auth_path: str) -> None:
    devices = pci_cli(*as_admin(cloud, auth_path), 'pci-list', '-f', 'json').json()
    assert [d['Address'] for d in devices] == [
        '0000:00:1f.2', '0000:04:00.0', '0000:04:10.0', '0000:04:10.2', '0000:3b:00.0']
    assert {d['Host'] for d in devices} == {'compute1'}
    hypervisors = pci_cli(*as_admin(cloud, auth_path), 'hypervisor-list', '-f', 'json').json()
    assert [h['Hostname'] for h in hypervisors] == ['compute1']


def test_pci_cli_admin_sees_all_projects_only_when_asked(cloud: CloudProcess) -> None:
    own = pci_cli(*as_admin(cloud), 'server-list', '-f', 'json').json()
    assert [s['Name'] for s in own] == ['ops-vm']
    everyone = pci_cli(*as_admin(cloud), 'server-list', '--all-projects', '-f', 'json').json()
    assert sorted(s['Name'] for s in everyone) == ['ops-vm', 'vm1']


def test_pci_cli_member_sees_own_servers_only(cloud: CloudProcess) -> None:
    servers = pci_cli(*as_member(cloud, '/identity/v3'), 'server-list', '-f', 'json').json()
    assert [(s['Name'], s['PCI Devices']) for s in servers] == [('vm1', [3])]
    shown = pci_cli(*as_member(cloud), 'server-show', 'vm1', '-f', 'json').json()
    assert shown['pci_devices'] == [3]


@pytest.mark.parametrize('command, rule, needs', [
    (['pci-list'], 'os_compute_api:os-', 'needs an admin role in this cloud: ask for one, or '
                                         'use a member-visible command (server-list, '
                                         'server-show).'),
    (['hypervisor-list'], 'os_compute_api:os-hypervisors:list',
     'os-hypervisors needs an admin role in this cloud'),
    (['server-list', '--all-projects'], 'get_all_tenants',
     "--all-projects needs an admin role in this cloud: ask for one, or leave it out to see "
     "your own project's servers."),
])
def test_pci_cli_member_is_refused_admin_views(cloud: CloudProcess, command: list[str],
                                               rule: str, needs: str) -> None:
    """The 403 says what the fix is (a role, or a command a member may run)."""
    result = pci_cli(*as_member(cloud), *command)
    assert result.code == 1, result
    assert "Policy doesn't allow" in result.err and rule in result.err
    assert needs in result.err and result.err.count('\n') == 1, result.err
    assert 'Traceback' not in result.err


def test_pci_cli_wrong_password(cloud: CloudProcess) -> None:
    result = pci_cli(*_auth_args(cloud, 'alice', 'not-her-password', 'demo'), 'server-list')
    assert result.code == 1
    assert 'requires authentication' in result.err
    assert 'not-her-password' not in result.err + result.out
    assert 'Traceback' not in result.err


def test_pci_cli_token_auth(cloud: CloudProcess) -> None:
    """A token from the identity endpoint, re-scoped by keystoneauth's token plugin."""
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'alice', 'domain': {'id': 'default'}, 'password': MEMBER_PASSWORD}}},
        'scope': {'project': {'name': 'demo', 'domain': {'name': 'Default'}}}}}
    request = urllib.request.Request(cloud.root + '/identity/v3/auth/tokens', method='POST',
                                     data=json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        token = response.headers['X-Subject-Token']
        project_id = json.load(response)['token']['project']['id']
    servers = pci_cli('--os-auth-url', cloud.root + '/identity', '--os-token', token,
                      '--os-project-id', project_id, 'server-list', '-f', 'json').json()
    assert [s['Name'] for s in servers] == ['vm1']


def test_pci_cli_os_cloud(cloud: CloudProcess, tmp_path: Path) -> None:
    clouds = {'clouds': {
        'fake-admin': {'auth': {'auth_url': cloud.root + '/identity', 'username': 'admin',
                                'password': ADMIN_PASSWORD, 'project_name': 'admin',
                                'user_domain_name': 'Default',
                                'project_domain_name': 'Default'},
                       'region_name': 'RegionOne', 'identity_api_version': 3},
        'fake-member': {'auth': {'auth_url': cloud.root + '/identity/v3', 'username': 'alice',
                                 'password': MEMBER_PASSWORD, 'project_name': 'demo',
                                 'user_domain_id': 'default', 'project_domain_id': 'default'}},
    }}
    path = tmp_path / 'clouds.yaml'
    path.write_text(json.dumps(clouds))  # JSON is YAML
    env = clean_env(OS_CLIENT_CONFIG_FILE=str(path))
    devices = pci_cli('--os-cloud', 'fake-admin', 'pci-list', '--long', '-f', 'json',
                      env=env).json()
    held = [d['Address'] for d in devices if d['Instance UUID']]
    assert len(devices) == 5 and held == ['0000:04:10.0']  # vm1's VF
    servers = pci_cli('--os-cloud', 'fake-member', 'server-list', '-f', 'json', env=env).json()
    assert [s['Name'] for s in servers] == ['vm1']
    refused = pci_cli('--os-cloud', 'fake-member', 'hypervisor-list', env=env)
    assert refused.code == 1 and "Policy doesn't allow" in refused.err


# --- openstack and nova, unchanged from PyPI --------------------------------------------------

def openstack(*args: str) -> CliResult:
    return run_tool('openstack', *args)


def test_openstack_hypervisor_list(cloud: CloudProcess) -> None:
    rows = openstack(*as_admin(cloud), 'hypervisor', 'list', '-f', 'json').json()
    assert [(row['ID'], row['Hypervisor Hostname'], row['State']) for row in rows] == [
        (1, 'compute1', 'up')]


def test_openstack_server_list(cloud: CloudProcess) -> None:
    mine = openstack(*as_member(cloud, '/identity/v3'), 'server', 'list', '-f', 'json').json()
    assert [(row['Name'], row['Status']) for row in mine] == [('vm1', 'ACTIVE')]
    everyone = openstack(*as_admin(cloud), 'server', 'list', '--all-projects',
                         '-f', 'json').json()
    assert sorted(row['Name'] for row in everyone) == ['ops-vm', 'vm1']


def test_openstack_member_refused_hypervisors(cloud: CloudProcess) -> None:
    result = openstack(*as_member(cloud), 'hypervisor', 'list')
    assert result.code == 1
    assert "Policy doesn't allow os_compute_api:os-hypervisors" in result.err
    assert 'Traceback' not in result.err


def test_openstack_token_issue(cloud: CloudProcess) -> None:
    token = openstack(*as_member(cloud), 'token', 'issue', '-f', 'json').json()
    assert token['user_id'] and token['project_id'] and token['id']
    assert token['expires']


def test_nova_cli(cloud: CloudProcess) -> None:
    hypervisors = run_tool('nova', *as_admin(cloud), 'hypervisor-list')
    assert hypervisors.code == 0, hypervisors
    assert 'compute1' in hypervisors.out and 'enabled' in hypervisors.out
    servers = run_tool('nova', *as_admin(cloud), 'list', '--all-tenants')
    assert servers.code == 0, servers
    assert 'vm1' in servers.out and 'ops-vm' in servers.out


# --- the server's side ------------------------------------------------------------------------

def test_server_log_has_no_secrets(cloud: CloudProcess) -> None:
    pci_cli(*as_member(cloud), 'server-list')
    log = cloud.log_text()
    assert f'identity (Keystone v3) at {cloud.root}/identity/v3' in log
    assert 'issued token' in log and "'alice'" in log
    _no_secrets(log)
    assert 'Traceback' not in log
