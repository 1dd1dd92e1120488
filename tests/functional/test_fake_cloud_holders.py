"""Who holds what, by name, against the fake cloud through its Keystone (issue 15): the
holders named in every source, server-list's Host/--host/--long, pci-list --server across
projects, and a member's server-show --long refused os-pci's detail.

Two clouds of the same scenario, one with os-pci and one without (PCI devices only in
Placement), each one pci-fake-server process on a free 127.0.0.1 port, stopped at the end.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.helpers import CliResult, run_tool
from tests.support.fake_cloud import FakeServerProcess

ADMIN_PASSWORD = 'Adm1n-pw'
MEMBER_PASSWORD = 'Al1ce-pw'
SCENARIO = """\
rescan_interval: 0
{os_pci}
projects:
  - {{name: admin}}
  - {{name: demo}}
users:
  - {{name: admin, password: {admin}, project: admin, roles: [admin, member, reader]}}
  - {{name: alice, password: {member}, project: demo}}
flavors:
  - {{name: m1.vf, id: vf1, vcpus: 1, ram: 512}}
  - {{name: m1.gpu, id: gpu1, vcpus: 2, ram: 1024}}
hosts:
  - hostname: "gen-{{index}}"
    count: 2
    generate: {{pfs: 1, vfs_per_pf: 2, gpus: 1}}
servers:
  - {{name: vm-a, project: demo, host: gen-1, devices: ["0000:01:01.0"], flavor: m1.vf}}
  - {{name: vm-b, project: admin, host: gen-2, devices: ["0000:02:00.0"], flavor: m1.gpu}}
"""


@pytest.fixture(scope='module', params=['os-pci', 'placement'])
def cloud(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServerProcess]:
    workdir = tmp_path_factory.mktemp(f'holders-{request.param}')
    scenario = workdir / 'cloud.yaml'
    scenario.write_text(SCENARIO.format(
        os_pci='os_pci: false' if request.param == 'placement' else '',
        admin=ADMIN_PASSWORD, member=MEMBER_PASSWORD))
    process = FakeServerProcess('--scenario', str(scenario), log=workdir / 'server.log')
    process.source = request.param
    yield process
    assert process.stop() == 0


def _login(cloud: FakeServerProcess, user: str, password: str, project: str) -> list[str]:
    return ['--os-auth-url', cloud.root + '/identity', '--os-username', user,
            '--os-password', password, '--os-project-name', project,
            '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']


def admin(cloud: FakeServerProcess, *args: str) -> CliResult:
    return run_tool('pci-cli', *_login(cloud, 'admin', ADMIN_PASSWORD, 'admin'), *args)


def member(cloud: FakeServerProcess, *args: str) -> CliResult:
    return run_tool('pci-cli', *_login(cloud, 'alice', MEMBER_PASSWORD, 'demo'), *args)


def _servers(cloud: FakeServerProcess) -> dict[str, str]:
    rows = admin(cloud, 'server-list', '--all-projects', '-f', 'json').json()
    return {row['Name']: row['ID'] for row in rows}


def test_holders_are_named_in_every_source(cloud: FakeServerProcess) -> None:
    ids = _servers(cloud)
    rows = admin(cloud, 'pci-list', '--long', '--status', 'allocated,partial',
                 '-f', 'json').json()
    assert {row['Source'] for row in rows} == {cloud.source}
    held = sorted((row['Host'], row['Address'], [(s['name'], s['id'], s['amount'])
                                                 for s in row['Servers']]) for row in rows)
    # From Placement a VF row is its PF's provider: the PF's address, one VF in use.
    vf_row = '0000:01:01.0' if cloud.source == 'os-pci' else '0000:01:00.0'
    assert held == [('gen-1', vf_row, [('vm-a', ids['vm-a'], 1)]),
                    ('gen-2', '0000:02:00.0', [('vm-b', ids['vm-b'], 1)])]
    if cloud.source == 'os-pci':   # os-pci rows keep their own column too
        assert sorted(row['Instance UUID'] for row in rows) == sorted(ids.values())


def test_server_list_host_and_long(cloud: FakeServerProcess) -> None:
    rows = admin(cloud, 'server-list', '--all-projects', '--long', '-f', 'json').json()
    by_name = {row['Name']: row for row in rows}
    assert {name: row['Host'] for name, row in by_name.items()} == {'vm-a': 'gen-1',
                                                                     'vm-b': 'gen-2'}
    assert by_name['vm-a']['Project ID'] != by_name['vm-b']['Project ID']
    # Named from microversion 2.47; a cloud that answers as 2.1 gives the id.
    assert by_name['vm-b']['Flavor'] in ('m1.gpu', 'gpu1')
    on_gen2 = admin(cloud, 'server-list', '--all-projects', '--host', 'gen-2', '-f', 'json')
    assert [row['Name'] for row in on_gen2.json()] == ['vm-b']
    own = admin(cloud, 'server-list', '--host', 'gen-2', '-f', 'json')   # the admin's project
    assert [row['Name'] for row in own.json()] == ['vm-b']
    assert admin(cloud, 'server-list', '--host', 'gen-1', '-f', 'json').json() == []


def test_member_server_list_is_no_error(cloud: FakeServerProcess) -> None:
    result = member(cloud, 'server-list', '-f', 'json')
    rows = result.json()
    assert [row['Name'] for row in rows] == ['vm-a']
    assert rows[0]['Host'] in (None, 'gen-1')   # Nova shows it to admins only
    if cloud.source == 'os-pci':
        assert rows[0]['PCI Devices'] == [2] and result.err == ''
    else:   # Placement is admin only: the servers, and one line for what is not shown
        assert rows[0]['PCI Devices'] is None
        [line] = result.err.splitlines()
        assert line.startswith('Warning: PCI devices from Placement not shown: ')


def test_pci_list_server_across_projects(cloud: FakeServerProcess) -> None:
    refused = admin(cloud, 'pci-list', '--server', 'vm-a')
    assert refused.code == 1 and refused.out == ''
    assert "No server with a name or ID of 'vm-a' exists in this project; an admin finds " \
           "every project's servers with --all-projects." in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    rows = admin(cloud, 'pci-list', '--server', 'vm-a', '--all-projects', '--long',
                 '-f', 'json').json()
    assert [[s['name'] for s in row['Servers']] for row in rows] == [['vm-a']]
    missing = admin(cloud, 'pci-list', '--server', 'vm-z', '--all-projects')
    assert missing.code == 1 and '--all-projects' not in missing.err


def test_member_server_show_long_refused_details(cloud: FakeServerProcess) -> None:
    result = member(cloud, 'server-show', 'vm-a', '--long', '-f', 'json')
    assert result.code == 0, result
    shown = result.json()
    assert shown['name'] == 'vm-a'
    [line] = result.err.splitlines()
    if cloud.source == 'os-pci':   # os-pci/detail refused: the ids the server names
        assert (shown['pci_devices'], shown['pci_source']) == ([2], 'os-pci')
        assert line.startswith('Warning: PCI device details not shown, only their ids: ')
    else:   # Placement refused: nothing of the devices
        assert (shown['pci_devices'], shown['pci_source']) == (None, None)
        assert line.startswith('Warning: PCI devices not shown: ')
    assert '(HTTP 403)' in line
    assert ADMIN_PASSWORD not in result.err + result.out
    assert MEMBER_PASSWORD not in result.err + result.out
