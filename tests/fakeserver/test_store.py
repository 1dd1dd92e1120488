"""The store: stable ids across rescans, removed and new devices, atomic snapshots, the thread."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model import hosts as hosts_module
from pciclient.fakeserver.model.device_spec import DeviceFilter, parse_device_spec
from pciclient.fakeserver.model.generate import GenerateParams
from pciclient.fakeserver.model.hosts import GeneratedHost, SysfsHost, generated_scan
from pciclient.fakeserver.model.inventory import Server
from pciclient.fakeserver.model.store import InventoryStore, ServerDevices
from pciclient.fakeserver.model.sysfs import read_functions
from tests.fakeserver.helpers import call_app
from tests.support.sysfs_tree import (
    STANDARD_VALID_ADDRESSES,
    add_device,
    bus_devices_dir,
    device_dir,
)

VM = '0b5d8a4e-3c1f-4e8a-9d2b-7f6e5a4b3c21'
GPU = '0000:3b:00.0'


def _vanish(root: Path, address: str) -> None:
    os.unlink(bus_devices_dir(root) / address)


def _return(root: Path, address: str) -> None:
    os.symlink(f'../../../devices/pci0000:00/{address}', bus_devices_dir(root) / address)


def _rows(store: InventoryStore) -> list[tuple[int, str, str]]:
    return [(d.id, d.address, d.status) for d in store.current.devices]


@pytest.fixture
def stores() -> Iterator[list[InventoryStore]]:
    """Stores made by a test; their rescanner threads are stopped whatever happens."""
    made: list[InventoryStore] = []
    yield made
    for store in made:
        store.stop()


@pytest.fixture
def make_store(standard_tree: Path, stores: list[InventoryStore],
               ) -> Callable[..., InventoryStore]:
    def make(*placements: ServerDevices, hostname: str = 'node1') -> InventoryStore:
        store = InventoryStore([SysfsHost(hostname, str(standard_tree))], placements,
                               created_at='2026-11-25T12:00:00.000000')
        stores.append(store)
        return store
    return make


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# --- rescan() --------------------------------------------------------------------------------

def test_initial_ids_and_nothing_changed(make_store: Callable[..., InventoryStore]) -> None:
    store = make_store()
    assert _rows(store) == [(n, a, 'available')
                            for n, a in enumerate(STANDARD_VALID_ADDRESSES, start=1)]
    before = store.current
    assert store.rescan() is False
    assert store.current is before  # unchanged hosts do not even rebuild the snapshot


def test_vanished_device_becomes_removed(make_store: Callable[..., InventoryStore],
                                         standard_tree: Path) -> None:
    store = make_store()
    _vanish(standard_tree, GPU)
    assert store.rescan() is True
    assert _rows(store) == [
        (1, '0000:00:1f.2', 'available'),
        (2, '0000:04:00.0', 'available'),
        (3, '0000:04:10.0', 'available'),
        (4, '0000:04:10.2', 'available'),
        (5, GPU, 'removed'),
    ]
    removed = store.current.device(5)
    assert removed is not None and removed.updated_at is not None
    assert removed.created_at == '2026-11-25T12:00:00.000000'
    (hypervisor,) = store.current.hypervisors
    assert all(dict(p.tags)['address'] != GPU for p in hypervisor.pools)
    assert store.rescan() is False  # a removed device stays removed, quietly


def test_new_device_gets_the_next_id(make_store: Callable[..., InventoryStore],
                                     standard_tree: Path) -> None:
    store = make_store()
    add_device(standard_tree, '0000:5e:00.0', '15b3', '101d', totalvfs=8, driver='mlx5_core')
    add_device(standard_tree, '0000:01:00.0', '8086', '1521')  # sorts first, still comes last
    assert store.rescan() is True
    assert _rows(store)[:5] == [(n, a, 'available')
                                for n, a in enumerate(STANDARD_VALID_ADDRESSES, start=1)]
    assert _rows(store)[5:] == [(6, '0000:01:00.0', 'available'),
                                (7, '0000:5e:00.0', 'available')]
    new = store.current.device(7)
    assert new is not None and new.dev_type == 'type-PF'
    assert new.created_at != store.created_at


def test_returning_device_is_a_new_device(make_store: Callable[..., InventoryStore],
                                          standard_tree: Path) -> None:
    store = make_store()
    _vanish(standard_tree, GPU)
    store.rescan()
    _return(standard_tree, GPU)
    assert store.rescan() is True
    assert _rows(store)[4:] == [(5, GPU, 'removed'), (6, GPU, 'available')]
    found = store.current.device_at('node1', GPU)
    assert found is not None and found.id == 6


def test_changed_device_keeps_its_id(make_store: Callable[..., InventoryStore],
                                     standard_tree: Path) -> None:
    store = make_store()
    (device_dir(standard_tree, '0000:04:00.0') / 'sriov_numvfs').write_text('4\n')
    assert store.rescan() is True
    pf = store.current.device(2)
    assert pf is not None and pf.address == '0000:04:00.0'
    assert pf.extra_info['sriov_numvfs'] == '4' and pf.updated_at is not None


def test_held_device_that_vanishes_stays_allocated(make_store: Callable[..., InventoryStore],
                                                   standard_tree: Path) -> None:
    server = Server(id=VM, name='vm', host='node1')
    store = make_store(ServerDevices(server, ('0000:04:10.0',)))
    assert store.current.servers[0].device_ids == (3,)
    _vanish(standard_tree, '0000:04:10.0')
    assert store.rescan() is True
    vf = store.current.device(3)
    assert vf is not None and (vf.status, vf.instance_uuid) == ('allocated', VM)
    assert store.current.device(2).status == 'unclaimable'  # type: ignore[union-attr]
    _return(standard_tree, '0000:04:10.0')
    assert store.rescan() is True  # back: the same device, still held
    assert [d.id for d in store.current.devices] == [1, 2, 3, 4, 5]
    assert store.current.device(3).status == 'allocated'  # type: ignore[union-attr]


def test_unreadable_entry_is_not_a_removal(make_store: Callable[..., InventoryStore],
                                           standard_tree: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    store = make_store()
    (device_dir(standard_tree, GPU) / 'vendor').unlink()
    with caplog.at_level(logging.WARNING, logger='pciclient.fakeserver'):
        assert store.rescan() is False
        assert store.rescan() is False
    assert store.current.device(5).status == 'available'  # type: ignore[union-attr]
    reported = [r.getMessage() for r in caplog.records if GPU in r.getMessage()]
    assert reported == [f'sysfs of host node1: skipped {GPU}: vendor: file missing']


def test_unlistable_bus_changes_nothing(make_store: Callable[..., InventoryStore],
                                        standard_tree: Path) -> None:
    store = make_store()
    bus = bus_devices_dir(standard_tree)
    bus.rename(bus.with_name('devices.away'))
    assert store.rescan() is False
    assert [s for _, _, s in _rows(store)] == ['available'] * 5


def test_hosts_sharing_a_tree_are_read_once_per_pass(standard_tree: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     stores: list[InventoryStore]) -> None:
    calls: list[str] = []

    def counting(root: str) -> object:
        calls.append(root)
        return read_functions(root)
    monkeypatch.setattr(hosts_module, 'read_functions', counting)
    only_vfs = DeviceFilter([parse_device_spec({'product_id': '10ed'})])
    store = InventoryStore([SysfsHost(f'c{n}', str(standard_tree), only_vfs) for n in range(3)])
    stores.append(store)
    assert len(calls) == 1
    assert [(d.id, d.hostname) for d in store.current.devices] == [
        (1, 'c0'), (2, 'c0'), (3, 'c1'), (4, 'c1'), (5, 'c2'), (6, 'c2')]
    store.rescan()
    assert len(calls) == 2


def test_generated_hosts_do_not_change(stores: list[InventoryStore]) -> None:
    scan = generated_scan(GenerateParams(pfs=1, vfs_per_pf=2), None)
    store = InventoryStore([GeneratedHost('g1', scan), GeneratedHost('g2', scan)])
    stores.append(store)
    assert len(store.current.devices) == 6 and not store.rescannable
    assert store.rescan() is False
    store.start_rescanner(0.01)
    store.request_rescan()
    assert not [t for t in threading.enumerate() if t.name == 'pci-fake-server-rescan']


@pytest.mark.parametrize('hosts, placement, message', [
    (['a', 'a'], None, 'duplicate host'),
    (['a'], ServerDevices(Server(id='s', name='s', host='b')), 'unknown host'),
    (['a'], ServerDevices(Server(id='s', name='s', host='a'), ('0000:09:00.0',)),
     'no tracked device 0000:09:00.0'),
])
def test_inconsistent_input_rejected(hosts: list[str], placement: ServerDevices | None,
                                     message: str) -> None:
    scan = generated_scan(GenerateParams(pfs=1), None)
    with pytest.raises(ValueError, match=message):
        InventoryStore([GeneratedHost(name, scan) for name in hosts],
                       [placement] if placement else [])


# --- the app over a store ---------------------------------------------------------------------

def test_app_answers_from_the_current_snapshot(make_store: Callable[..., InventoryStore],
                                               standard_tree: Path) -> None:
    store = make_store()
    app = FakeComputeApp(store)
    assert len(call_app(app, '/v2.1/os-pci').json['pci_devices']) == 5
    old = app.inventory
    _vanish(standard_tree, GPU)
    add_device(standard_tree, '0000:5e:00.0', '10de', '20b5', class_code='030200')
    store.rescan()
    assert app.inventory is store.current is not old
    body = call_app(app, '/v2.1/os-pci', query='status=removed&status=available').json
    assert [(d['id'], d['status']) for d in body['pci_devices']] == [
        (1, 'available'), (2, 'available'), (3, 'available'), (4, 'available'),
        (5, 'removed'), (6, 'available')]
    assert len(old.devices) == 5  # a snapshot never changes under a request using it


def test_requests_during_rescans_see_whole_snapshots(make_store: Callable[..., InventoryStore],
                                                     standard_tree: Path) -> None:
    store = make_store()
    app = FakeComputeApp(store)
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            n = 0
            while not stop.is_set():
                add_device(standard_tree, f'0000:{0x60 + n:02x}:00.0', '8086', '1521')
                store.rescan()
                _vanish(standard_tree, f'0000:{0x60 + n:02x}:00.0')
                store.rescan()
                n = (n + 1) % 100
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    try:
        for _ in range(200):
            response = call_app(app, '/v2.1/os-pci/detail')
            assert response.status == 200
            devices = response.json['pci_devices']
            ids = [d['id'] for d in devices]
            assert ids == sorted(ids) and ids[:5] == [1, 2, 3, 4, 5]
            assert {d['status'] for d in devices} <= {'available', 'removed'}
    finally:
        stop.set()
        worker.join()
    assert not errors
    assert len(set(d.id for d in store.current.devices)) == len(store.current.devices)


# --- the rescanner thread ----------------------------------------------------------------------

def _rescanners() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == 'pci-fake-server-rescan']


def test_periodic_rescanner_picks_up_changes(make_store: Callable[..., InventoryStore],
                                             standard_tree: Path) -> None:
    store = make_store()
    store.start_rescanner(0.05)
    assert len(_rescanners()) == 1
    add_device(standard_tree, '0000:5e:00.0', '8086', '1521')
    assert _wait_for(lambda: len(store.current.devices) == 6)
    _vanish(standard_tree, GPU)
    assert _wait_for(lambda: store.current.device(5).status == 'removed')  # type: ignore
    store.stop()
    assert not _rescanners()
    store.stop()  # twice is fine


def test_request_rescan_without_a_timer(make_store: Callable[..., InventoryStore],
                                        standard_tree: Path) -> None:
    store = make_store()
    store.start_rescanner(0)  # off
    assert not _rescanners()
    add_device(standard_tree, '0000:5e:00.0', '8086', '1521')
    store.request_rescan()    # what SIGHUP does
    assert _wait_for(lambda: len(store.current.devices) == 6)
    assert len(_rescanners()) == 1
    store.stop()
    assert not _rescanners()


def test_a_failing_rescan_does_not_end_the_thread(make_store: Callable[..., InventoryStore],
                                                  standard_tree: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    store = make_store()
    failures = [RuntimeError('disk on fire')]

    def flaky(root: str) -> object:
        if failures:
            raise failures.pop()
        return read_functions(root)
    monkeypatch.setattr(hosts_module, 'read_functions', flaky)
    add_device(standard_tree, '0000:5e:00.0', '8086', '1521')
    with caplog.at_level(logging.ERROR, logger='pciclient.fakeserver'):
        store.start_rescanner(0.02)
        assert _wait_for(lambda: len(store.current.devices) == 6)
    assert any('rescan failed' in r.getMessage() for r in caplog.records)
    store.stop()
