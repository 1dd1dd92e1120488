"""Generated hosts: deterministic, the asked-for counts, plausible addresses, NUMA spread, scale."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from pciclient.fakeserver.model.generate import (
    LIMITS,
    GenerateError,
    GenerateParams,
    generate_functions,
)
from pciclient.fakeserver.model.inventory import dev_type_of
from pciclient.fakeserver.model.sysfs import ADDRESS_RE, address_sort_key
from pciclient.fakeserver.scenario.loader import load_scenario


def test_counts_and_types() -> None:
    params = GenerateParams(pfs=4, vfs_per_pf=64, gpus=2, numa_nodes=2)
    functions = generate_functions(params)
    assert len(functions) == params.device_count == 4 * 65 + 2
    types = Counter(dev_type_of(f) for f in functions)
    assert types == {'type-PF': 4, 'type-VF': 256, 'type-PCI': 2}


def test_deterministic_and_shared() -> None:
    params = GenerateParams(pfs=3, vfs_per_pf=5, gpus=1, numa_nodes=2)
    first = generate_functions(params)
    assert generate_functions(GenerateParams(3, 5, 1, 2)) is first  # one tuple per parameter set
    generate_functions.cache_clear()
    assert generate_functions(params) == first                      # and the same when remade


def test_addresses_are_valid_unique_and_sorted() -> None:
    functions = generate_functions(GenerateParams(pfs=8, vfs_per_pf=256, gpus=8, numa_nodes=4))
    addresses = [f.address for f in functions]
    assert all(ADDRESS_RE.match(a) for a in addresses)
    assert len(set(addresses)) == len(addresses)
    assert addresses == sorted(addresses, key=address_sort_key)
    # 256 VFs do not fit behind a PF on one bus: they continue on the next one.
    pf = functions[0]
    assert pf.address == '0000:01:00.0' and pf.sriov_numvfs == 256
    assert pf.virtfns[0] == '0000:01:01.0' and pf.virtfns[-1] == '0000:02:00.7'
    assert functions[257].address == '0000:03:00.0' and functions[257].is_pf


def test_pfs_and_vfs_link_both_ways() -> None:
    functions = generate_functions(GenerateParams(pfs=2, vfs_per_pf=3))
    by_address = {f.address: f for f in functions}
    pfs = [f for f in functions if f.is_pf]
    assert len(pfs) == 2
    for pf in pfs:
        assert pf.sriov_numvfs == 3 and pf.sriov_totalvfs >= 3  # type: ignore[operator]
        assert len(pf.virtfns) == 3
        for vf_address in pf.virtfns:
            vf = by_address[vf_address]
            assert vf.physfn == pf.address and vf.is_vf
            assert (vf.vendor, vf.numa_node) == (pf.vendor, pf.numa_node)
            assert vf.device != pf.device


def test_realistic_ids_alternate_nic_vendors() -> None:
    functions = generate_functions(GenerateParams(pfs=4, vfs_per_pf=1, gpus=1))
    ids = [(f.vendor, f.device, f.driver, f.class_code) for f in functions if not f.is_vf]
    assert ids == [
        ('8086', '159b', 'ice', '020000'),         # Intel E810
        ('15b3', '101d', 'mlx5_core', '020000'),   # Mellanox ConnectX-6 Dx
        ('8086', '159b', 'ice', '020000'),
        ('15b3', '101d', 'mlx5_core', '020000'),
        ('10de', '1eb8', 'vfio-pci', '030200'),    # NVIDIA T4
    ]
    vf_ids = {(f.vendor, f.device, f.driver) for f in functions if f.is_vf}
    assert vf_ids == {('8086', '1889', 'iavf'), ('15b3', '101e', 'mlx5_core')}


@pytest.mark.parametrize('pfs, gpus, nodes', [(4, 2, 2), (3, 5, 2), (7, 3, 4), (1, 0, 8)])
def test_numa_spread_is_balanced_and_contiguous(pfs: int, gpus: int, nodes: int) -> None:
    functions = generate_functions(GenerateParams(pfs=pfs, vfs_per_pf=2, gpus=gpus,
                                                  numa_nodes=nodes))
    for kind, total in (('type-PF', pfs), ('type-PCI', gpus)):
        numa = [f.numa_node for f in functions if dev_type_of(f) == kind]
        assert len(numa) == total
        if not total:
            continue
        counts = Counter(numa)
        assert max(counts.values()) - min(counts.values()) <= 1 or len(counts) < nodes
        assert all(0 <= n < nodes for n in numa)
        assert numa == sorted(numa)  # node 0 on the lowest buses, as firmware numbers them
        if total >= nodes:
            assert set(numa) == set(range(nodes))


def test_many_pfs_roll_over_to_the_next_domain() -> None:
    functions = generate_functions(GenerateParams(pfs=256, vfs_per_pf=256, gpus=64,
                                                  numa_nodes=64))
    assert len(functions) == 256 * 257 + 64
    domains = {f.address.split(':')[0] for f in functions}
    assert domains == {'0000', '0001', '0002'}
    assert len({f.address for f in functions}) == len(functions)


def test_empty_host() -> None:
    assert generate_functions(GenerateParams()) == ()
    assert generate_functions(GenerateParams(vfs_per_pf=8)) == ()  # VFs need a PF


@pytest.mark.parametrize('field, value', [
    ('pfs', -1), ('pfs', 257), ('vfs_per_pf', 257), ('gpus', 65), ('numa_nodes', 0),
    ('numa_nodes', 65), ('pfs', True), ('gpus', 1.5), ('pfs', '4'),
])
def test_out_of_range_parameters(field: str, value: object) -> None:
    with pytest.raises(GenerateError) as caught:
        GenerateParams(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    low, high = LIMITS[field]
    assert f'from {low} to {high}' in str(caught.value)


def test_hundred_thousand_devices_from_a_scenario(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The size the server is built for; the time is printed (-s), never asserted."""
    path = tmp_path / 'big.yaml'
    path.write_text(
        'hosts:\n'
        '  - hostname: "cmp-{index:04d}"\n'
        '    count: 500\n'
        '    generate: {pfs: 2, vfs_per_pf: 98, gpus: 2, numa_nodes: 2}\n'
        '    device_spec:\n'
        '      - {vendor_id: "8086", physical_network: physnet1}\n'
        '      - {vendor_id: "15b3", physical_network: physnet2}\n'
        '      - {vendor_id: "10de"}\n'
        'servers:\n'
        '  - {name: vm1, project: demo, host: cmp-0500, devices: ["0000:03:01.0"]}\n')
    started = time.perf_counter()
    scenario = load_scenario(str(path))
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f'\n[scale] 100,000 generated devices loaded in {elapsed:.2f} s')
    inventory = scenario.store.current
    assert len(inventory.devices) == 500 * 200 == 100_000
    assert len(inventory.hypervisors) == 500
    assert inventory.devices[-1].id == 100_000
    last = inventory.devices[-200:]
    assert {d.hostname for d in last} == {'cmp-0500'}
    statuses = Counter(d.status for d in last)
    assert statuses == {'available': 198, 'allocated': 1, 'unclaimable': 1}
    # Every host has 2 PF pools, 2 VF pools and 2 GPU pools, tagged by the device_spec.
    pools = inventory.hypervisors[0].pools
    assert len(pools) == 6
    assert {dict(p.tags).get('physical_network') for p in pools} == {'physnet1', 'physnet2',
                                                                      None}
