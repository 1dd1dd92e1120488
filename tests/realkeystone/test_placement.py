"""Placement found through a real Keystone's catalog, behind the same token validation.

RegionTwo's fake compute plays a modern Nova (no os-pci API): ``pci-cli`` reads
the PCI devices from the Placement endpoint of the region it was given, with the
token Keystone issued and the fake server validated there; Placement's admin-only
policy refuses a member in one line.
"""
from __future__ import annotations

import pytest

from tests.realkeystone.cloud import RealCloud, member_args, password_args


@pytest.mark.parametrize('region, source, prefix', [
    ('RegionOne', 'placement', 'r1'),
    ('RegionTwo', 'placement', 'r2'),
    ('RegionTwo', 'auto', 'r2'),        # no os-pci there: auto falls back to Placement
])
def test_devices_from_the_regions_placement(cloud: RealCloud, run_cli, region: str,
                                            source: str, prefix: str) -> None:
    devices = run_cli(*password_args(cloud, region=region), '--pci-source', source,
                      'pci-list', '-f', 'json').json()
    assert devices and {device['Source'] for device in devices} == {'placement'}
    assert {device['Host'] for device in devices} == {f'{prefix}-compute1'}


def test_os_pci_only_is_refused_where_nova_has_none(cloud: RealCloud, run_cli) -> None:
    result = run_cli(*password_args(cloud, region='RegionTwo'), '--pci-source', 'os-pci',
                     'pci-list')
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith("This cloud's compute API has no os-pci API"), line


def test_member_is_refused_placement_in_one_line(cloud: RealCloud, run_cli) -> None:
    result = run_cli(*member_args(cloud, 'RegionTwo'), '--pci-source', 'placement', 'pci-list')
    assert result.code == 1, result
    [line] = result.err_lines
    assert line.startswith('Access was denied to this resource. Policy does not allow '
                           'placement:resource_providers:list to be performed. Placement '
                           'needs an admin role in this cloud: ask for one'), line
    assert '(HTTP 403)' in line
