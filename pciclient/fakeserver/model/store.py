"""The fake cloud's live state: device records that outlive rescans, and the current snapshot.

Requests only ever see an immutable :class:`Inventory`; a rescan builds a new
one and swaps it in with a single assignment, so no request mixes old and new
data and readers never take a lock. What must survive a rescan lives here:

- a device keeps its id for as long as it is tracked; a new device gets the
  next unused id (ids are never reused);
- a device gone from its host becomes ``removed`` and stays listed as such; if
  one comes back at the same address it is a new device with a new id, as a
  new row in Nova's table would be;
- a device a server holds is never removed (Nova keeps it ``allocated`` and
  warns), and is the same device again if it reappears;
- an entry that exists but cannot be read right now, or a bus that cannot be
  listed, changes nothing: a flaky read must not renumber a host;
- a reloaded scenario (:meth:`InventoryStore.adopt`) is applied like a rescan of
  every host, plus hosts and servers coming and going: a host keeps its compute
  node id while it stays, a new one gets the next unused id.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pciclient.fakeserver.model.catalog import EMPTY_CATALOG, Catalog
from pciclient.fakeserver.model.hosts import HostScan, HostSource, OnceReader
from pciclient.fakeserver.model.inventory import (
    STATUS_REMOVED,
    HostResources,
    Inventory,
    Server,
    TrackedDevice,
)

__all__ = ['InventoryStore', 'ReloadChanges', 'ServerDevices']

LOG = logging.getLogger('pciclient.fakeserver')


@dataclass(frozen=True)
class ServerDevices:
    """A server and the addresses (on its host) of the PCI devices it holds."""

    server: Server
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReloadChanges:
    """What a reload changed, for the log line that tells an operator it took."""

    hosts_added: tuple[str, ...] = ()
    hosts_removed: tuple[str, ...] = ()
    servers_added: tuple[str, ...] = ()
    servers_removed: tuple[str, ...] = ()
    servers_changed: tuple[str, ...] = ()
    devices_added: int = 0
    devices_removed: int = 0

    def __str__(self) -> str:
        parts = [f'{name.replace("_", " ")}: '
                 f'{len(value) if isinstance(value, tuple) else value}'
                 for name, value in dataclasses.asdict(self).items() if value]
        return ', '.join(parts) or 'no change'


def _now() -> str:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now.isoformat(timespec='microseconds')


class InventoryStore:
    """Thread-safe owner of the fake cloud's state; ``current`` is what requests read.

    ``scans`` may hand in scans already made (the scenario loader reads every
    host once to validate servers against it, and that same reading must be the
    one served). ``catalog`` (flavors, aggregates, services, aliases) goes into every
    snapshot unchanged. Raises ValueError for inconsistent input, like Inventory.
    """

    def __init__(self, hosts: Iterable[HostSource], placements: Iterable[ServerDevices] = (),
                 *, scans: Mapping[str, HostScan] | None = None, created_at: str | None = None,
                 resources: HostResources | None = None,
                 catalog: Catalog = EMPTY_CATALOG) -> None:
        self._hosts: dict[str, HostSource] = {}
        for host in hosts:
            if host.hostname in self._hosts:
                raise ValueError(f'duplicate host {host.hostname!r}')
            self._hosts[host.hostname] = host
        self.created_at = created_at or _now()
        self._resources = resources or HostResources()
        self.catalog = catalog  # flavors, aggregates, services: the same in every snapshot
        self._rescan_lock = threading.Lock()
        self._reported: set[tuple[str, str, str]] = set()
        self._live: dict[str, dict[str, TrackedDevice]] = {}
        self._removed: list[TrackedDevice] = []
        self._next_id = 1
        reader = OnceReader()
        self._node_ids: dict[str, int] = {}
        self._scans: dict[str, HostScan] = {}  # the first ones, for a store that adopts this
        for name in sorted(self._hosts):
            scan = self._scans[name] = (scans or {}).get(name) or self._hosts[name].scan(reader)
            self._node_ids[name] = len(self._node_ids) + 1
            self._report(name, scan)
            live = self._live[name] = {}
            for function, tags in scan.tracked:
                live[function.address] = TrackedDevice(self._next_id, name, function, tags)
                self._next_id += 1
        self._servers, self._held = self._place(tuple(placements))
        self._next_node_id = len(self._node_ids) + 1
        self._current = self._snapshot()
        # The rescanner thread (see start_rescanner/request_rescan).
        self._thread_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._worker_stop = threading.Event()
        self._wake = threading.Event()
        self._interval: float | None = None

    @property
    def current(self) -> Inventory:
        """The latest snapshot; read it once per request and keep using that one."""
        return self._current

    @property
    def hostnames(self) -> tuple[str, ...]:
        return tuple(sorted(self._hosts))

    def _place(self, placements: tuple[ServerDevices, ...],
               ) -> tuple[tuple[Server, ...], frozenset[tuple[str, str]]]:
        servers, held = [], set()
        for placement in placements:
            server = placement.server
            live = self._live.get(server.host)
            if live is None:
                raise ValueError(f'server {server.id} is on unknown host {server.host!r}')
            ids = []
            for address in placement.addresses:
                device = live.get(address)
                if device is None:
                    raise ValueError(f'server {server.id}: no tracked device {address} '
                                     f'on host {server.host!r}')
                ids.append(device.id)
                held.add((server.host, address))
            servers.append(dataclasses.replace(server, device_ids=tuple(ids)))
        return tuple(servers), frozenset(held)

    def _snapshot(self) -> Inventory:
        records = list(self._removed)
        for live in self._live.values():
            records.extend(live.values())
        records.sort(key=lambda record: record.id)
        return Inventory.from_tracked(self._hosts, records, self._servers, self.created_at,
                                      self._resources, self.catalog, self._node_ids)

    def _report(self, hostname: str, scan: HostScan) -> None:
        """Log each problem of a host's tree once, not on every rescan."""
        for where, reason in scan.problems:
            key = (hostname, where, reason)
            if key not in self._reported:
                self._reported.add(key)
                LOG.warning('sysfs of host %s: skipped %s: %s', hostname, where, reason)

    # Rescanning

    def rescan(self) -> bool:
        """Re-read every host that can change; True if the snapshot changed.

        Blocks while another rescan runs, so never call it from a signal handler:
        the handler could interrupt a rescan in its own thread and wait for it
        forever. For SIGHUP, let the handler set a flag and have the main loop
        call :meth:`request_rescan` (or this).
        """
        with self._rescan_lock:
            reader = OnceReader()
            now = _now()
            changed = False
            for name in sorted(self._hosts):
                host = self._hosts[name]
                if not host.changes:
                    continue
                scan = host.scan(reader)
                self._report(name, scan)
                if not scan.listed:
                    continue  # nothing can be concluded; keep what we know
                changed = self._apply(name, scan, now) or changed
            if changed:
                self._current = self._snapshot()
            return changed

    def _apply(self, hostname: str, scan: HostScan, now: str) -> bool:
        live = self._live[hostname]
        changed = False
        seen: set[str] = set()
        new = []
        for function, tags in scan.tracked:
            seen.add(function.address)
            old = live.get(function.address)
            if old is None:
                new.append((function, tags))
            elif old.function != function or old.tags != tags or not old.present:
                live[function.address] = dataclasses.replace(
                    old, function=function, tags=tags, present=True, updated_at=now)
                changed = True
        for address in [a for a in live if a not in seen and a not in scan.unreadable]:
            old = live[address]
            if (hostname, address) in self._held:
                if old.present:
                    LOG.warning('host %s: device %s vanished but a server holds it; '
                                'it stays allocated', hostname, address)
                    live[address] = dataclasses.replace(old, present=False, updated_at=now)
                    changed = True
                continue
            del live[address]
            self._removed.append(dataclasses.replace(old, present=False, updated_at=now))
            LOG.info('host %s: device %s (id %d) removed', hostname, address, old.id)
            changed = True
        for function, tags in new:
            live[function.address] = TrackedDevice(self._next_id, hostname, function, tags,
                                                   created_at=now)
            LOG.info('host %s: new device %s (id %d)', hostname, function.address,
                     self._next_id)
            self._next_id += 1
            changed = True
        return changed

    # Reloading

    def adopt(self, fresh: InventoryStore) -> ReloadChanges:
        """Become the cloud ``fresh`` (the store of a just-reloaded scenario) describes.

        Hosts in both keep their compute node id and are updated as a rescan would,
        from the scan ``fresh`` made (so device ids stay); hosts only in ``fresh`` get
        new node and device ids; hosts only here go, with their devices (ids are never
        reused). Servers and the catalog become ``fresh``'s. All or nothing: on an
        exception nothing changed, and requests see the old snapshot or the new one.
        """
        with self._rescan_lock:
            saved = (dict(self._hosts), {name: dict(live) for name, live in self._live.items()},
                     list(self._removed), self._next_id, dict(self._node_ids),
                     self._next_node_id, self._servers, self._held, self.catalog)
            before = self._current
            try:
                self._adopt(fresh)
            except BaseException:
                (self._hosts, self._live, self._removed, self._next_id, self._node_ids,
                 self._next_node_id, self._servers, self._held, self.catalog) = saved
                raise
            return _changes(before, self._current)

    def _adopt(self, fresh: InventoryStore) -> None:
        now = _now()
        for name in [name for name in self._hosts if name not in fresh._hosts]:
            del self._hosts[name], self._live[name], self._node_ids[name]
            self._removed = [record for record in self._removed if record.hostname != name]
            LOG.info('reload: host %s removed', name)
        by_id = {device.id: device for live in fresh._live.values() for device in live.values()}
        placements = tuple(
            ServerDevices(server, tuple(by_id[i].function.address for i in server.device_ids))
            for server in fresh._servers)
        # What the new servers hold decides which vanished devices stay allocated.
        self._held = frozenset((p.server.host, address) for p in placements
                               for address in p.addresses)
        for name in sorted(fresh._hosts):
            scan = fresh._scans[name]
            self._report(name, scan)
            if name in self._hosts:
                self._hosts[name] = fresh._hosts[name]
                if scan.listed:
                    self._apply(name, scan, now)
                continue
            self._hosts[name] = fresh._hosts[name]
            self._node_ids[name] = self._next_node_id
            self._next_node_id += 1
            live = self._live[name] = {}
            for function, tags in scan.tracked:
                live[function.address] = TrackedDevice(self._next_id, name, function, tags,
                                                       created_at=now)
                self._next_id += 1
            LOG.info('reload: new host %s (%d devices)', name, len(live))
        self._servers, self._held = self._place(placements)
        self.catalog = fresh.catalog
        self._current = self._snapshot()

    @property
    def rescannable(self) -> bool:
        """Whether any host can change (only sysfs hosts can)."""
        return any(host.changes for host in self._hosts.values())

    def start_rescanner(self, interval: float) -> None:
        """Rescan every ``interval`` seconds in a daemon thread; 0 (or less) means never.

        Nothing is started when no host can change. Call :meth:`stop` to end it.
        """
        if interval <= 0:
            return
        self._ensure_worker(float(interval))

    def request_rescan(self) -> None:
        """Ask the rescanner thread (started if need be) for a rescan now, without waiting.

        Takes a lock only briefly; still, call it from the main loop rather than
        from inside a signal handler.
        """
        self._ensure_worker(None)
        self._wake.set()

    def _ensure_worker(self, interval: float | None) -> None:
        if not self.rescannable:
            return
        with self._thread_lock:
            if interval is not None:
                self._interval = interval
            if self._worker is not None and self._worker.is_alive():
                self._wake.set()  # let it pick up the new interval
                return
            self._worker_stop = threading.Event()
            self._worker = threading.Thread(target=self._work, args=(self._worker_stop,),
                                            name='pci-fake-server-rescan', daemon=True)
            self._worker.start()

    def _work(self, stop: threading.Event) -> None:
        while True:
            self._wake.wait(self._interval)
            if stop.is_set():
                return
            self._wake.clear()
            try:
                if self.rescan():
                    LOG.info('rescan: inventory updated (%d devices)',
                             len(self._current.devices))
            except Exception:  # a bad rescan must not end rescanning
                LOG.exception('rescan failed')

    def stop(self) -> None:
        """End the rescanner thread, if any, and wait for it; safe to call twice."""
        with self._thread_lock:
            worker, self._worker = self._worker, None
            self._worker_stop.set()
            self._wake.set()
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        self._wake.clear()



def _changes(before: Inventory, after: Inventory) -> ReloadChanges:
    """What differs between two snapshots, by host name, server id and device id."""
    hosts_before = {h.hostname for h in before.hypervisors}
    hosts_after = {h.hostname for h in after.hypervisors}
    servers_before = {s.id: s for s in before.servers}
    servers_after = {s.id: s for s in after.servers}
    live_before = {d.id for d in before.devices if d.status != STATUS_REMOVED}
    live_after = {d.id for d in after.devices if d.status != STATUS_REMOVED}
    return ReloadChanges(
        hosts_added=tuple(sorted(hosts_after - hosts_before)),
        hosts_removed=tuple(sorted(hosts_before - hosts_after)),
        servers_added=tuple(sorted(servers_after.keys() - servers_before.keys())),
        servers_removed=tuple(sorted(servers_before.keys() - servers_after.keys())),
        servers_changed=tuple(sorted(i for i in servers_after.keys() & servers_before.keys()
                                     if servers_after[i] != servers_before[i])),
        devices_added=len(live_after - live_before),
        devices_removed=len(live_before - live_after),
    )
