"""server-list's Host, --host and --long against the real Nova 34 of this tier (issue 15):
Nova's ``host`` filter, ``OS-EXT-SRV-ATTR:host`` and the flavor named from 2.47."""
from __future__ import annotations

import pytest

from tests.realnova.cli import cli_json, run_cli

#: The flavor the harness boots its server with (tests/realnova/nova_harness.py), when
#: the PCI alias works; else DevStack's default flavor.
PCI_FLAVOR = 'pci.a1'


@pytest.mark.parametrize('version', [[], ['--os-compute-api-version', '2.53'],
                                     ['--os-compute-api-version', 'latest']],
                         ids=['default', '2.53', 'latest'])
def test_server_list_long_names_host_project_and_flavor(real_nova, version):
    rows = cli_json(real_nova, *version, 'server-list', '--all-projects', '--long')
    [row] = [row for row in rows if row['ID'] == real_nova.server_id]
    assert row['Host'] == real_nova.server_host
    assert row['Project ID'] == real_nova.project_id
    # Asked at 2.47 whatever the client's version (older ones give only the flavor's id).
    flavor = row['Flavor']
    assert isinstance(flavor, str) and flavor
    if real_nova.server_holds_pci_device:
        assert flavor == PCI_FLAVOR


def test_server_list_host_filter(real_nova):
    here = cli_json(real_nova, 'server-list', '--all-projects', '--host', real_nova.server_host)
    assert real_nova.server_id in {row['ID'] for row in here}
    other = next(h for h in real_nova.hypervisor_hostnames if h != real_nova.server_host)
    assert cli_json(real_nova, 'server-list', '--all-projects', '--host', other) == []


def test_server_show_unknown_name_hints_all_projects(real_nova):
    done = run_cli(real_nova, 'server-show', 'no-such-server')
    assert done.returncode == 1 and done.stdout == ''
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("No server with a name or ID of 'no-such-server' exists in this "
                           "project; an admin finds every project's servers with "
                           '--all-projects.')
