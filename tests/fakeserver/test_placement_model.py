"""The provider tree: Nova's PCI-in-Placement model derived from the inventory snapshot."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pciclient.fakeserver.model.device_spec import DeviceFilter, parse_device_spec
from pciclient.fakeserver.model.hosts import SysfsHost
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.model.store import InventoryStore, ServerDevices
from pciclient.fakeserver.placement.names import (
    COMPUTE_NODE_TRAITS,
    compute_node_uuid,
    device_resource_class,
    device_traits,
    is_true,
    normalize_resource_class,
    normalize_traits,
    pci_provider_name,
    provider_uuid,
)
from pciclient.fakeserver.placement.provider_tree import ProviderTree, ResourceProvider, build_tree
from pciclient.fakeserver.placement.source import ProviderTrees
from tests.fakeserver.helpers import HOST, SERVER_UUID
from tests.fakeserver.placement_helpers import (
    IDLE_SERVER,
    PCI_SERVER,
    PROJECT_ID,
    REFERENCE_PROVIDERS,
    reference,
    reference_scenario,
)
from tests.support.sysfs_tree import bus_devices_dir

BASE_TRAITS = {'COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA'}
PF, VF1, VF2, GPU, SATA = '0000:04:00.0', '0000:04:10.0', '0000:04:10.2', '0000:3b:00.0', \
    '0000:00:1f.2'
VF_CLASS, GPU_CLASS = 'CUSTOM_PCI_8086_10ED', 'CUSTOM_PCI_10DE_1EB8'


def by_name(tree: ProviderTree) -> dict[str, ResourceProvider]:
    return {provider.name: provider for provider in tree.providers}


def totals(provider: ResourceProvider) -> dict[str, tuple[int, int, int]]:
    """class -> (total, reserved, used)."""
    return {rc: (record.total, record.reserved, provider.usages[rc])
            for rc, record in provider.inventories.items()}


@pytest.fixture
def stores() -> Iterator[list[InventoryStore]]:
    made: list[InventoryStore] = []
    yield made
    for store in made:
        store.stop()


def _store(stores: list[InventoryStore], root: Path, *placements: ServerDevices,
           spec: list[dict[str, object]] | None = None) -> InventoryStore:
    device_filter = DeviceFilter(parse_device_spec(entry) for entry in spec) if spec else None
    store = InventoryStore([SysfsHost(HOST, str(root), device_filter)], placements)
    stores.append(store)
    return store


# --- names ------------------------------------------------------------------------------------

def test_names_as_nova_writes_them() -> None:
    assert pci_provider_name('gpu06', '0000:2f:00.0') == 'gpu06_0000:2F:00.0'
    assert device_resource_class('10de', '20b0', {}) == 'CUSTOM_PCI_10DE_20B0'
    assert device_resource_class('10de', '20b0', {'resource_class': 'gpu-a100'}) == \
        'CUSTOM_GPU_A100'
    assert normalize_resource_class('custom_fast nic') == 'CUSTOM_FAST NIC'  # already custom
    assert normalize_resource_class('pgpu') == 'PGPU'                        # standard
    assert normalize_resource_class('CUSTOM_X') == 'CUSTOM_X'
    assert normalize_traits(['gold', ' custom_silver', '', 'HW_GPU_API_CUDA_V11_0',
                             'hw-fast']) == {'CUSTOM_GOLD', 'CUSTOM_SILVER',
                                             'HW_GPU_API_CUDA_V11_0', 'CUSTOM_HW_FAST'}
    assert device_traits({'traits': 'gold,,blue'}) == BASE_TRAITS | {'CUSTOM_GOLD',
                                                                      'CUSTOM_BLUE'}
    assert device_traits({}) == BASE_TRAITS
    assert [is_true(text) for text in ('true', ' Yes', 'on', '1', 't', 'Y')] == [True] * 6
    assert [is_true(text) for text in ('false', 'no', '0', '', 'maybe', None)] == [False] * 6


def test_uuids_are_uuid5_of_the_names_and_stable() -> None:
    name = pci_provider_name('gpu06', '0000:2f:00.0')
    assert uuid.UUID(provider_uuid(name)).version == 5
    assert provider_uuid(name) == provider_uuid('gpu06_0000:2F:00.0')
    assert compute_node_uuid('gpu06') == provider_uuid('gpu06') != provider_uuid(name)


# --- the reference cloud ----------------------------------------------------------------------

def test_reference_cloud_is_modelled_as_nova_34_reported_it(tmp_path: Path) -> None:
    """Names, classes, totals, usages and traits equal the real capture's (SUMMARY.json)."""
    tree = build_tree(reference_scenario(tmp_path).store.current)
    providers = by_name(tree)
    summary = reference('SUMMARY.json')['providers']
    for host in ('compute1', 'compute2'):
        expected = {p['name']: p for p in summary[host]['providers']}
        ours = {name: p for name, p in providers.items() if p.root_uuid ==
                compute_node_uuid(host)}
        assert set(ours) == set(expected)            # physnet2's PF and VF are not reported
        for name, provider in ours.items():
            want = expected[name]
            assert {rc: r.total for rc, r in provider.inventories.items()} == \
                want['inventories'] or provider.parent_uuid is None
            assert dict(provider.usages) == want['usages'] or provider.parent_uuid is None
            assert sorted(provider.traits) == want['traits']
            assert provider.generation == want['generation']
            if provider.parent_uuid is not None:
                assert {rc: r.document() for rc, r in provider.inventories.items()} == \
                    want['inventory_detail']
    for name, (inventories, usages, extra_traits) in REFERENCE_PROVIDERS.items():
        provider = providers[name]
        assert {rc: r.total for rc, r in provider.inventories.items()} == inventories
        assert dict(provider.usages) == usages
        assert provider.traits == BASE_TRAITS | extra_traits


def test_compute_nodes(tmp_path: Path) -> None:
    tree = build_tree(reference_scenario(tmp_path).store.current)
    compute1 = tree.provider(compute_node_uuid('compute1'))
    assert compute1 is not None and compute1.name == 'compute1'
    assert compute1.parent_uuid is None and compute1.root_uuid == compute1.uuid
    assert compute1.traits == COMPUTE_NODE_TRAITS and 'COMPUTE_NODE' in compute1.traits
    assert {rc: r.document() for rc, r in compute1.inventories.items()} == {
        'VCPU': {'total': 8, 'reserved': 0, 'min_unit': 1, 'max_unit': 8, 'step_size': 1,
                 'allocation_ratio': 4.0},
        'MEMORY_MB': {'total': 16384, 'reserved': 512, 'min_unit': 1, 'max_unit': 16384,
                      'step_size': 1, 'allocation_ratio': 1.0},
        'DISK_GB': {'total': 1024, 'reserved': 0, 'min_unit': 1, 'max_unit': 1024,
                    'step_size': 1, 'allocation_ratio': 1.0},
    }
    # Two servers on compute1, each billed 1 vCPU / 512 MB / 1 GB, as the hypervisor says.
    assert dict(compute1.usages) == {'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2}
    assert set(compute1.allocations) == {PCI_SERVER, IDLE_SERVER}
    children = [p for p in tree.providers if p.parent_uuid == compute1.uuid]
    assert [p.name for p in children] == sorted(REFERENCE_PROVIDERS)
    assert all(p.root_uuid == compute1.uuid for p in children)


def test_consumers(tmp_path: Path) -> None:
    tree = build_tree(reference_scenario(tmp_path).store.current)
    consumer = tree.consumer(PCI_SERVER)
    assert consumer is not None
    assert (consumer.project_id, consumer.generation) == (PROJECT_ID, 1)
    gpu = by_name(tree)['compute1_0000:04:00.0']
    assert {k: dict(v) for k, v in consumer.allocations.items()} == {
        compute_node_uuid('compute1'): {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1},
        gpu.uuid: {GPU_CLASS: 1},
    }
    assert list(consumer.allocations)[0] == compute_node_uuid('compute1')  # root first
    idle = tree.consumer(IDLE_SERVER)
    assert idle is not None and list(idle.allocations) == [compute_node_uuid('compute1')]
    assert tree.consumer(str(uuid.uuid4())) is None


# --- PFs, VFs and servers holding them (the standard tree: PF 04:00.0 with 2 VFs, a GPU) ----

def test_vfs_are_the_inventory_of_their_pf(inventory: Inventory) -> None:
    providers = by_name(build_tree(inventory))
    assert set(providers) == {HOST, f'{HOST}_0000:00:1F.2', f'{HOST}_0000:04:00.0',
                              f'{HOST}_0000:3B:00.0'}
    pf = providers[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {VF_CLASS: (2, 0, 0)}            # the VFs' product, not the PF's 10fb
    assert pf.inventories[VF_CLASS].max_unit == 2
    assert pf.uuid == provider_uuid(f'{HOST}_0000:04:00.0')
    assert totals(providers[f'{HOST}_0000:3B:00.0']) == {GPU_CLASS: (1, 0, 0)}


def test_vf_held(busy_inventory: Inventory) -> None:
    """Device 3 is VF 04:10.0: one of the PF provider's two units is used."""
    tree = build_tree(busy_inventory)
    pf = by_name(tree)[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {VF_CLASS: (2, 0, 1)}
    assert {k: dict(v) for k, v in pf.allocations.items()} == {SERVER_UUID: {VF_CLASS: 1}}
    assert pf.generation == 3


def test_gpu_held(inventory: Inventory) -> None:
    tree = build_tree(inventory.with_servers([
        Server(id=SERVER_UUID, name='vm', host=HOST, device_ids=(5,))]))
    gpu = by_name(tree)[f'{HOST}_0000:3B:00.0']
    assert totals(gpu) == {GPU_CLASS: (1, 0, 1)}
    assert dict(gpu.allocations[SERVER_UUID]) == {GPU_CLASS: 1}


def test_pf_held_while_its_vfs_are_tracked(inventory: Inventory) -> None:
    """The PF is not a provider, so its allocation has nowhere to go. Its VFs are
    ``unavailable`` in the tracker, but Nova 34 never reserves for that: reserved stays 0."""
    tree = build_tree(inventory.with_servers([
        Server(id=SERVER_UUID, name='vm', host=HOST, device_ids=(2,))]))
    pf = by_name(tree)[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {VF_CLASS: (2, 0, 0)}
    consumer = tree.consumer(SERVER_UUID)
    assert consumer is not None and list(consumer.allocations) == [compute_node_uuid(HOST)]


def test_pf_held_without_tracked_vfs(standard_tree: Path,
                                     stores: list[InventoryStore]) -> None:
    """Only the PF matches the device_spec: it is its own provider, of its own class."""
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    store = _store(stores, standard_tree, ServerDevices(vm, (PF,)),
                   spec=[{'vendor_id': '8086', 'product_id': '10fb'}])
    tree = build_tree(store.current)
    assert [p.name for p in tree.providers] == [HOST, f'{HOST}_0000:04:00.0']
    pf = tree.providers[1]
    assert totals(pf) == {'CUSTOM_PCI_8086_10FB': (1, 0, 1)}
    assert dict(pf.allocations[SERVER_UUID]) == {'CUSTOM_PCI_8086_10FB': 1}


def test_unclaimable_pf_is_not_reserved(standard_tree: Path,
                                       stores: list[InventoryStore]) -> None:
    """A held Neutron VF makes its PF ``unclaimable``; Nova 34 still reports the PF's provider
    with reserved 0 (only an allocated one-time-use device is ever reserved)."""
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    store = _store(stores, standard_tree, ServerDevices(vm, (VF1,)), spec=[
        {'vendor_id': '8086', 'product_id': '10ed', 'physical_network': 'physnet1'},
        {'vendor_id': '8086', 'product_id': '10fb'},
    ])
    assert [d.status for d in store.current.devices if d.address == PF] == ['unclaimable']
    pf = by_name(build_tree(store.current))[f'{HOST}_0000:04:00.0']
    assert pf.inventories['CUSTOM_PCI_8086_10FB'].document() == {
        'total': 1, 'reserved': 0, 'min_unit': 1, 'max_unit': 1, 'step_size': 1,
        'allocation_ratio': 1.0}
    assert totals(pf) == {'CUSTOM_PCI_8086_10FB': (1, 0, 0)}


# --- one-time-use devices (device_spec tag one_time_use) ------------------------------------

OTU_TRAIT = 'HW_PCI_ONE_TIME_USE'


def test_one_time_use_device_reserved_once_allocated(standard_tree: Path,
                                                     stores: list[InventoryStore]) -> None:
    """Nova 34 marks a one-time-use type-PCI/PF provider with a trait, and reserves its whole
    total once a server holds the device; a free one is not reserved."""
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    spec: list[dict[str, object]] = [{'vendor_id': '10de', 'one_time_use': 'yes'}]
    free = by_name(build_tree(_store(stores, standard_tree, spec=spec).current))
    gpu = free[f'{HOST}_0000:3B:00.0']
    assert gpu.traits == BASE_TRAITS | {OTU_TRAIT}
    assert totals(gpu) == {GPU_CLASS: (1, 0, 0)}
    held = by_name(build_tree(_store(stores, standard_tree, ServerDevices(vm, (GPU,)),
                                     spec=spec).current))[gpu.name]
    assert held.traits == BASE_TRAITS | {OTU_TRAIT}
    assert held.inventories[GPU_CLASS].document() == {
        'total': 1, 'reserved': 1, 'min_unit': 1, 'max_unit': 1, 'step_size': 1,
        'allocation_ratio': 1.0}
    assert totals(held) == {GPU_CLASS: (1, 1, 1)}


def test_one_time_use_stays_reserved_after_the_server_lets_go(
        standard_tree: Path, stores: list[InventoryStore]) -> None:
    """Nova never lowers that reservation itself (an unchanged total is not re-sent), so the
    device stays reserved in a rebuilt tree after its holder is gone."""
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    spec: list[dict[str, object]] = [{'vendor_id': '10de', 'one_time_use': True}]
    store = _store(stores, standard_tree, ServerDevices(vm, (GPU,)), spec=spec)
    held = build_tree(store.current)
    freed = build_tree(store.current.with_servers([]), previous=held)
    gpu = by_name(freed)[f'{HOST}_0000:3B:00.0']
    assert totals(gpu) == {GPU_CLASS: (1, 1, 0)}
    assert gpu.generation == by_name(held)[gpu.name].generation + 1  # the consumer left


def test_one_time_use_false_or_on_vfs_reserves_nothing(standard_tree: Path,
                                                       stores: list[InventoryStore]) -> None:
    """``one_time_use: false`` is no one-time use; on VFs Nova refuses the tag (only type-PCI
    and type-PF devices may be one-time-use), the fake ignores it there."""
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    store = _store(stores, standard_tree, ServerDevices(vm, (GPU, VF1)), spec=[
        {'vendor_id': '10de', 'one_time_use': 'false'},
        {'vendor_id': '8086', 'product_id': '10ed', 'one_time_use': 'true'}])
    providers = by_name(build_tree(store.current))
    assert totals(providers[f'{HOST}_0000:3B:00.0']) == {GPU_CLASS: (1, 0, 1)}
    pf = providers[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {VF_CLASS: (2, 0, 1)}
    assert OTU_TRAIT not in pf.traits | providers[f'{HOST}_0000:3B:00.0'].traits


def test_vf_whose_pf_is_not_tracked_is_named_after_the_pf(standard_tree: Path,
                                                          stores: list[InventoryStore]) -> None:
    store = _store(stores, standard_tree, spec=[{'address': VF2}])
    tree = build_tree(store.current)
    assert [p.name for p in tree.providers] == [HOST, f'{HOST}_0000:04:00.0']
    assert totals(tree.providers[1]) == {VF_CLASS: (1, 0, 0)}


def test_device_spec_resource_class_and_traits(standard_tree: Path,
                                               stores: list[InventoryStore]) -> None:
    store = _store(stores, standard_tree, spec=[
        {'vendor_id': '10de', 'resource_class': 'gpu-t4', 'traits': 'gold, fast,HW_GPU_API_VULKAN'},
        {'vendor_id': '8086', 'product_id': '10ed', 'resource_class': 'CUSTOM_NIC_vf',
         'traits': 'CUSTOM_SRIOV'},
    ])
    providers = by_name(build_tree(store.current))
    gpu = providers[f'{HOST}_0000:3B:00.0']
    assert list(gpu.inventories) == ['CUSTOM_GPU_T4']
    assert gpu.traits == BASE_TRAITS | {'CUSTOM_GOLD', 'CUSTOM_FAST', 'HW_GPU_API_VULKAN'}
    pf = providers[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {'CUSTOM_NIC_VF': (2, 0, 0)}
    assert pf.traits == BASE_TRAITS | {'CUSTOM_SRIOV'}


def test_neutron_devices_are_not_reported(standard_tree: Path,
                                          stores: list[InventoryStore]) -> None:
    """physical_network on the VFs: the PF (no tag) is reported as a plain PF instead."""
    store = _store(stores, standard_tree, spec=[
        {'vendor_id': '8086', 'product_id': '10ed', 'physical_network': 'physnet1'},
        {'vendor_id': '8086', 'product_id': '10fb'},
    ])
    tree = build_tree(store.current)
    assert [p.name for p in tree.providers] == [HOST, f'{HOST}_0000:04:00.0']
    assert list(tree.providers[1].inventories) == ['CUSTOM_PCI_8086_10FB']


def test_vfs_of_one_pf_with_two_classes_keep_both(standard_tree: Path,
                                                  stores: list[InventoryStore]) -> None:
    """Nova refuses this configuration; the fake reports both classes rather than guess."""
    store = _store(stores, standard_tree, spec=[
        {'address': VF1, 'resource_class': 'red'}, {'address': VF2, 'resource_class': 'blue'}])
    pf = by_name(build_tree(store.current))[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {'CUSTOM_BLUE': (1, 0, 0), 'CUSTOM_RED': (1, 0, 0)}


# --- rescans: one source of truth, stable uuids, growing generations --------------------------

def test_rescans_update_the_tree_and_keep_uuids(standard_tree: Path,
                                                stores: list[InventoryStore]) -> None:
    store = _store(stores, standard_tree)
    trees = ProviderTrees(store)
    before = by_name(trees.current())
    assert trees.current() is trees.current()                # one build per snapshot
    gpu = before[f'{HOST}_0000:3B:00.0']
    os.unlink(bus_devices_dir(standard_tree) / GPU)
    assert store.rescan() is True
    after = by_name(trees.current())
    # Removed and not held: Nova drops it from its view, so the provider's total would be 0
    # and Nova deletes the provider (it is not kept with the device reserved).
    assert gpu.name not in after
    unchanged = after[f'{HOST}_0000:04:00.0']
    assert unchanged.generation == before[unchanged.name].generation
    os.symlink(f'../../../devices/pci0000:00/{GPU}', bus_devices_dir(standard_tree) / GPU)
    assert store.rescan() is True
    back = by_name(trees.current())[gpu.name]
    assert [d.status for d in store.current.devices if d.address == GPU] == \
        ['removed', 'available']
    assert totals(back) == {GPU_CLASS: (1, 0, 0)}             # the live device, counted once
    assert back.uuid == gpu.uuid
    assert back.generation > gpu.generation                   # never goes back for one uuid


def test_removed_vf_lowers_the_total(standard_tree: Path, stores: list[InventoryStore]) -> None:
    """A VF gone from the host and not held is not counted at all: total 2 -> 1, reserved 0,
    and the inventory write bumps the provider's generation once."""
    store = _store(stores, standard_tree)
    trees = ProviderTrees(store)
    pf = by_name(trees.current())[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {VF_CLASS: (2, 0, 0)}
    os.unlink(bus_devices_dir(standard_tree) / VF1)
    assert store.rescan() is True
    assert [d.status for d in store.current.devices if d.address == VF1] == ['removed']
    after = by_name(trees.current())[pf.name]
    assert totals(after) == {VF_CLASS: (1, 0, 0)}
    assert after.inventories[VF_CLASS].max_unit == 1
    assert after.generation == pf.generation + 1


def test_removed_vfs_no_longer_hide_their_pf(standard_tree: Path,
                                             stores: list[InventoryStore]) -> None:
    """Nova forgets removed VFs before placing their PF, so once both VFs are gone the PF
    (tracked too) is reported under the same provider name with its own class."""
    store = _store(stores, standard_tree)
    trees = ProviderTrees(store)
    for vf in (VF1, VF2):
        os.unlink(bus_devices_dir(standard_tree) / vf)
    assert store.rescan() is True
    pf = by_name(trees.current())[f'{HOST}_0000:04:00.0']
    assert totals(pf) == {'CUSTOM_PCI_8086_10FB': (1, 0, 0)}


def test_held_device_that_vanishes_stays_used(standard_tree: Path,
                                              stores: list[InventoryStore]) -> None:
    vm = Server(id=SERVER_UUID, name='vm', host=HOST)
    store = _store(stores, standard_tree, ServerDevices(vm, (GPU,)))
    os.unlink(bus_devices_dir(standard_tree) / GPU)
    store.rescan()
    gpu = by_name(build_tree(store.current))[f'{HOST}_0000:3B:00.0']
    assert totals(gpu) == {GPU_CLASS: (1, 0, 1)}


def test_generations_count_consumers(busy_inventory: Inventory, inventory: Inventory) -> None:
    idle = build_tree(inventory)
    assert {p.generation for p in idle.providers} == {2}
    busy = build_tree(busy_inventory, previous=idle)
    root = busy.provider(compute_node_uuid(HOST))
    assert root is not None and root.generation == 4         # two new consumers
    again = build_tree(busy_inventory, previous=busy)
    assert [p.generation for p in again.providers] == [p.generation for p in busy.providers]
    consumer = again.consumer(SERVER_UUID)
    assert consumer is not None and consumer.generation == 1
