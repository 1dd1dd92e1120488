"""A host reporting PCI to Placement may not track a PF and its VFs (Nova 34 refuses such a
host: ``PlacementPciDependentDeviceException``); with ``report_in_placement: false`` it may,
and the tracker's rules hold (issue 15)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pciclient.fakeserver.scenario.loader import ScenarioError, load_scenario
from tests.fakeserver.capacity_helpers import apis, placement

HOST = '''\
rescan_interval: 0
hosts:
  - hostname: sriov-1
    generate: {{pfs: 1, vfs_per_pf: 4, gpus: 1}}
{extra}
'''


def _load(tmp_path: Path, extra: str):
    path = tmp_path / 'scenario.yaml'
    path.write_text(HOST.format(extra=extra))
    return load_scenario(str(path))


def test_a_pf_and_its_vfs_reported_to_placement_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, '    device_spec:\n      - {vendor_id: "8086"}')
    message = str(caught.value)
    assert '\n' not in message
    assert message.startswith(f'{tmp_path / "scenario.yaml"}:6: host sriov-1 reports PCI to '
                              'Placement but tracks PF 0000:01:00.0 and its VFs 0000:01:01.0, '
                              '0000:01:01.1, 0000:01:01.2 and 1 more')
    assert 'report_in_placement: false' in message


def test_saying_report_in_placement_checks_a_host_without_device_spec(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match='tracks PF 0000:01:00.0'):
        _load(tmp_path, '    report_in_placement: true')


@pytest.mark.parametrize('extra', [
    '    device_spec:\n      - {vendor_id: "8086", product_id: "1889"}\n'
    '      - {vendor_id: "10de"}',                                   # the VFs only
    '    device_spec:\n      - {vendor_id: "8086", physical_network: physnet1}',  # Neutron's
    '',                                                               # no device_spec at all
])
def test_hosts_nova_can_report_load(tmp_path: Path, extra: str) -> None:
    _load(tmp_path, extra)


def test_elsewhere_a_pf_and_its_vfs_are_tracked_as_before(tmp_path: Path) -> None:
    loaded = _load(tmp_path, '    report_in_placement: false\n'
                             '    device_spec:\n      - {vendor_id: "8086"}\n'
                             '      - {vendor_id: "10de"}\n'
                             'servers:\n  - {name: vm-pf, project: demo, host: sriov-1, '
                             'devices: ["0000:01:00.0"]}')
    devices = {d.address: d for d in loaded.store.current.devices}
    assert devices['0000:01:00.0'].status == 'allocated'
    assert {devices[f'0000:01:01.{n}'].status for n in range(4)} == {'unavailable'}
    cloud = apis(loaded)
    providers = placement(cloud, '/resource_providers').json['resource_providers']
    assert [p['name'] for p in providers] == ['sriov-1']  # its compute node, no PCI
    assert placement(cloud, '/resource_providers/' + providers[0]['uuid']
                     + '/inventories').json['inventories'].keys() >= {'VCPU'}
