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
  listed, changes nothing: a flaky read must not renumber a host.
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
from pciclient.fakeserver.model.inventory import HostResources, Inventory, Server, TrackedDevice

__all__ = ['InventoryStore', 'ServerDevices']

LOG = logging.getLogger('pciclient.fakeserver')


@dataclass(frozen=True)
class ServerDevices:
    """A server and the addresses (on its host) of the PCI devices it holds."""

    server: Server
    addresses: tuple[str, ...] = ()


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
        for name in sorted(self._hosts):
            scan = (scans or {}).get(name) or self._hosts[name].scan(reader)
            self._report(name, scan)
            live = self._live[name] = {}
            for function, tags in scan.tracked:
                live[function.address] = TrackedDevice(self._next_id, name, function, tags)
                self._next_id += 1
        self._servers, self._held = self._place(tuple(placements))
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
                                      self._resources, self.catalog)

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

