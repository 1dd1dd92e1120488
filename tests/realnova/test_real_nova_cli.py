"""Every pci-cli command against a real Nova 34 without Placement, at no microversion,
2.53 and latest (with Placement: test_real_nova_placement.py)."""
from __future__ import annotations

import pytest

from tests.realnova.cli import cli_json, run_cli

VERSIONS = [(), ('--os-compute-api-version', '2.53'), ('--os-compute-api-version', 'latest')]


@pytest.mark.parametrize('version', VERSIONS, ids=['default', '2.53', 'latest'])
def test_hypervisors_at_each_microversion(real_nova, version):
    rows = cli_json(real_nova, *version, 'hypervisor-list')
    by_name = {row['Hostname']: row for row in rows}
    assert sorted(by_name) == ['compute1', 'compute2']
    ident = str(by_name['compute2']['ID'])
    assert ('-' in ident) == bool(version)  # UUIDs from 2.53, integers before
    for key in ('compute1', ident):
        shown = cli_json(real_nova, *version, 'hypervisor-show', key)
        assert shown['hypervisor_hostname'] == ('compute1' if key == 'compute1' else 'compute2')
        assert shown['pci_stats'] is None
    long_rows = cli_json(real_nova, *version, 'hypervisor-list', '--long')
    usage = {row['Hostname']: row['vCPUs'] for row in long_rows}
    if version and version[1] == 'latest':
        assert usage == {'compute1': None, 'compute2': None}  # gone from 2.88
    else:
        assert all(isinstance(value, int) for value in usage.values())


@pytest.mark.parametrize('version', VERSIONS, ids=['default', '2.53', 'latest'])
def test_servers_at_each_microversion(real_nova, version):
    rows = cli_json(real_nova, *version, 'server-list', '--all-projects')
    assert real_nova.server_id in {row['ID'] for row in rows}
    for key in (real_nova.server_id, real_nova.server_name):
        shown = cli_json(real_nova, *version, 'server-show', key)
        assert shown['id'] == real_nova.server_id
        assert shown['pci_devices'] is None


@pytest.mark.parametrize('argv', [['pci-list'], ['pci-list', '--long'], ['pci-show', '1']])
def test_no_os_pci_is_one_line(real_nova, argv):
    done = run_cli(real_nova, *argv, '-f', 'json')
    assert done.returncode == 1
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("This cloud's compute API has no os-pci API")
    assert '--os-placement-endpoint-override' in lines[0]  # where the answer is
    assert '<' not in lines[0]


def test_no_pools_without_placement_is_one_line(real_nova):
    done = run_cli(real_nova, 'pci-pool-list', '-f', 'json')
    assert done.returncode == 1
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert '--os-placement-endpoint-override' in lines[0]


def test_unknown_hypervisor_and_server(real_nova):
    for argv, text in ((['hypervisor-show', 'compute9'], "No hypervisor with ID or hostname"),
                       (['server-show', 'ghost'], 'No server with a name or ID')):
        done = run_cli(real_nova, '--os-compute-api-version', 'latest', *argv)
        assert done.returncode == 1
        assert text in done.stderr
