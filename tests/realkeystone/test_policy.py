"""Nova's policy from the roles a real Keystone put in the token.

The fake server builds its caller from Keystone's token document; an ``admin``
sees the admin-only ``os-pci`` and hypervisors, a ``member`` gets Nova's 403 as
one clean line and sees only its own project's servers.
"""
from __future__ import annotations

import pytest

from tests.realkeystone.cloud import RealCloud, member_args, password_args


def test_admin_sees_pci_devices_and_pools(cloud: RealCloud, run_cli) -> None:
    devices = run_cli(*password_args(cloud), 'pci-list', '--long', '-f', 'json').json()
    held = [device for device in devices if device['Status'] == 'allocated']
    assert [device['Address'] for device in held] == ['0000:04:10.0']
    pools = run_cli(*password_args(cloud), 'pci-pool-list', '-f', 'json').json()
    assert pools and {pool['Host'] for pool in pools} == {'r1-compute1'}


def test_admin_sees_own_project_then_all(cloud: RealCloud, run_cli) -> None:
    own = run_cli(*password_args(cloud), 'server-list', '-f', 'json').json()
    assert [server['Name'] for server in own] == ['r1-admin-vm']
    everyone = run_cli(*password_args(cloud), 'server-list', '--all-projects',
                       '-f', 'json').json()
    assert sorted(server['Name'] for server in everyone) == ['r1-admin-vm', 'r1-demo-vm']


@pytest.mark.parametrize('command, rule', [
    (['pci-list'], 'os_compute_api:os-pci:index'),
    (['hypervisor-list'], 'os_compute_api:os-hypervisors:list'),
    (['server-list', '--all-projects'], 'os_compute_api:servers:detail:get_all_tenants'),
])
def test_member_is_refused_admin_views_in_one_line(cloud: RealCloud, run_cli,
                                                   command: list[str], rule: str) -> None:
    result = run_cli(*member_args(cloud), *command)
    assert result.code == 1, result
    assert result.out == ''
    [line] = result.err_lines
    assert line.startswith(f"Policy doesn't allow {rule} to be performed. "), line
    assert 'needs an admin role in this cloud: ask for one' in line and '(HTTP 403)' in line


def test_member_sees_only_its_projects_servers(cloud: RealCloud, run_cli) -> None:
    servers = run_cli(*member_args(cloud), 'server-list', '-f', 'json').json()
    assert [(server['Name'], server['PCI Devices']) for server in servers] == [('r1-demo-vm', [3])]
    shown = run_cli(*member_args(cloud), 'server-show', 'r1-demo-vm', '-f', 'json').json()
    assert shown['tenant_id'] == cloud.demo_project_id
    other = run_cli(*member_args(cloud), 'server-show', 'r1-admin-vm')
    assert other.code == 1 and len(other.err_lines) == 1, other
