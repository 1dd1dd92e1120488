"""device_spec: which functions a host tracks and with which tags, as Nova's [pci] device_spec."""
from __future__ import annotations

from pathlib import Path

import pytest

from pciclient.fakeserver.model.device_spec import (
    DeviceFilter,
    DeviceSpecError,
    parse_device_spec,
    track_all,
)
from pciclient.fakeserver.model.sysfs import PciFunction
from pciclient.fakeserver.scenario.loader import load_scenario
from tests.support.sysfs_tree import build_standard_tree

PF = PciFunction('0000:04:00.0', '8086', '10fb', sriov_totalvfs=4)
VF0 = PciFunction('0000:04:10.0', '8086', '10ed', physfn='0000:04:00.0')
VF2 = PciFunction('0000:04:10.2', '8086', '10ed', physfn='0000:04:00.0')
GPU = PciFunction('0000:3b:00.0', '10de', '1eb8')
FAR = PciFunction('0001:3b:00.1', '10de', '1eb8')
ALL = (PF, VF0, VF2, GPU, FAR)


def _tracked(*entries: dict[str, object]) -> list[str]:
    device_filter = DeviceFilter(parse_device_spec(entry) for entry in entries)
    return [function.address for function, _ in device_filter.track(ALL)]


@pytest.mark.parametrize('entry, expected', [
    ({}, ['0000:04:00.0', '0000:04:10.0', '0000:04:10.2', '0000:3b:00.0', '0001:3b:00.1']),
    ({'vendor_id': '10de'}, ['0000:3b:00.0', '0001:3b:00.1']),
    ({'vendor_id': '0x10DE', 'product_id': '1eb8'}, ['0000:3b:00.0', '0001:3b:00.1']),
    ({'vendor_id': '8086', 'product_id': '10ed'}, ['0000:04:10.0', '0000:04:10.2']),
    ({'vendor_id': '*', 'product_id': '10fb'}, ['0000:04:00.0']),
    ({'address': '0000:3b:*'}, ['0000:3b:00.0']),
    ({'address': '*:3b:00.*'}, ['0000:3b:00.0', '0001:3b:00.1']),
    ({'address': '3b:00.1'}, ['0001:3b:00.1']),                  # missing domain: any
    ({'address': ':04:'}, ['0000:04:00.0', '0000:04:10.0', '0000:04:10.2']),  # empty: any
    ({'address': '*:*:10.2'}, ['0000:04:10.2']),
    ({'address': '0000:04:10.0'}, ['0000:04:10.0']),
    # An exact PF address stands for the PF and its VFs.
    ({'address': '0000:04:00.0'}, ['0000:04:00.0', '0000:04:10.0', '0000:04:10.2']),
    ({'address': '0000:04:00.0', 'product_id': '10ed'}, ['0000:04:10.0', '0000:04:10.2']),
    ({'address': {'bus': '3b', 'function': '[01]'}}, ['0000:3b:00.0', '0001:3b:00.1']),
    ({'address': {'domain': '0001'}}, ['0001:3b:00.1']),
    ({'vendor_id': '15b3'}, []),
])
def test_matching(entry: dict[str, object], expected: list[str]) -> None:
    assert _tracked(entry) == expected


def test_first_matching_entry_gives_the_tags() -> None:
    device_filter = DeviceFilter([
        parse_device_spec({'vendor_id': '8086', 'product_id': '10ed',
                           'physical_network': 'physnet1', 'trusted': True}),
        parse_device_spec({'vendor_id': '8086', 'physical_network': 'physnet2'}),
        parse_device_spec({'address': '*:3b:*', 'numa_group': 7}),
    ])
    assert device_filter.tags_for(VF0) == (('physical_network', 'physnet1'), ('trusted', 'true'))
    assert device_filter.tags_for(PF) == (('physical_network', 'physnet2'),)
    assert device_filter.tags_for(GPU) == (('numa_group', '7'),)
    assert device_filter.tags_for(PciFunction('0000:05:00.0', '15b3', '1017')) is None


def test_no_filter_tracks_everything_without_tags() -> None:
    assert track_all(ALL, None) == tuple((f, ()) for f in ALL)
    assert track_all(ALL, DeviceFilter([])) == ()  # an empty device_spec tracks nothing


@pytest.mark.parametrize('entry, key, fragment', [
    ({'vendor_id': '12345'}, 'vendor_id', 'hex number up to ffff'),
    ({'product_id': 'xyz'}, 'product_id', 'hex number up to ffff'),
    ({'vendor_id': 8086}, 'vendor_id', 'must be a string'),
    ({'address': '0000:04:20.0'}, 'address', 'address slot must be'),      # slot > 1f
    ({'address': '0000:04:00.8'}, 'address', 'address function must be'),
    ({'address': '0000:04:00.'}, 'address', 'not a PCI address glob'),
    ({'address': ['0000:04:00.0']}, 'address', 'glob string or a mapping'),
    ({'address': {'slot': '1', 'port': '2'}}, 'address', "unknown field 'port'"),
    ({'devname': 'eth0'}, 'devname', 'devname is not supported'),
    ({'physical_network': ['a']}, 'physical_network', 'must be a string'),
    ({'remote_managed': 'perhaps'}, 'remote_managed', 'must be true or false'),
    ({'bad tag': 'x'}, 'bad tag', 'is not a simple word'),
])
def test_bad_entries_name_the_key(entry: dict[str, object], key: str, fragment: str) -> None:
    with pytest.raises(DeviceSpecError) as caught:
        parse_device_spec(entry)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_scenario_host_tracks_only_matching_devices(tmp_path: Path) -> None:
    build_standard_tree(tmp_path / 'sys')
    path = tmp_path / 'cloud.yaml'
    path.write_text(
        'hosts:\n'
        '  - hostname: compute1\n'
        '    sysfs_root: sys\n'
        '    device_spec:\n'
        '      - {vendor_id: "8086", product_id: "10ed", physical_network: physnet1}\n'
        '      - {address: "0000:3b:*", trusted: "true"}\n'
        '  - hostname: compute2\n'
        '    sysfs_root: sys\n'
        'servers:\n'
        '  - {name: vm, project: p, host: compute1, devices: ["0000:04:10.2"]}\n')
    inventory = load_scenario(str(path)).store.current
    rows = [(d.id, d.hostname, d.address, d.status) for d in inventory.devices]
    assert rows[:3] == [
        (1, 'compute1', '0000:04:10.0', 'available'),
        (2, 'compute1', '0000:04:10.2', 'allocated'),   # its PF is not tracked: no unclaimable
        (3, 'compute1', '0000:3b:00.0', 'available'),
    ]
    assert len(rows) == 3 + 5 and rows[3][:2] == (4, 'compute2')
    compute1 = inventory.hypervisor('compute1')
    assert compute1 is not None
    assert [(p.product_id, p.tags, p.count) for p in compute1.pools] == [
        ('1eb8', (('address', '0000:3b:00.0'), ('trusted', 'true')), 1),
        ('10ed', (('address', '0000:04:00.0'), ('physical_network', 'physnet1'),
                  ('remote_managed', 'false')), 1),
    ]
