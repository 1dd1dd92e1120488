"""Re-read a running server's scenario file on SIGHUP, so tests can watch a cloud move.

Servers come and go or hold other devices, hosts come and go, sysfs trees are
read again, flavors, aliases, aggregates and services follow the file; device
ids, compute node ids, provider and server uuids stay what they were for
whatever did not change (:meth:`InventoryStore.adopt`). The file is checked
whole first, exactly as at start: a file that became invalid is refused with
its ``FILE:LINE`` error logged on one line, and the running cloud is kept.

Read at start only (a change is logged as ignored): projects, users,
``security_compliance`` (the identity side is built once), ``os_pci`` and
``rescan_interval``.

The work runs in a thread of its own, as rescans do, so a big scenario never
delays a SIGTERM; SIGHUPs that come while a reload runs make one more reload.
"""
from __future__ import annotations

import logging
import threading

from pciclient.fakeserver.model.store import ReloadChanges
from pciclient.fakeserver.scenario.loader import Scenario, ScenarioError, load_scenario

__all__ = ['ScenarioReloader', 'reload_scenario']

LOG = logging.getLogger('pciclient.fakeserver')

# Scenario parts the running server took at start and cannot swap.
_START_ONLY = (('projects', 'projects'), ('users', 'users'), ('lockout', 'security_compliance'),
               ('os_pci', 'os_pci'), ('rescan_interval', 'rescan_interval'))


def reload_scenario(scenario: Scenario) -> ReloadChanges | None:
    """Apply ``scenario.path`` as it is now to the running ``scenario``; None if refused.

    A refused file changes nothing, though its old sysfs hosts are still
    rescanned, as SIGHUP always did.
    """
    if scenario.path is None:
        raise ValueError('this cloud was not loaded from a scenario file')
    store = scenario.store
    try:
        fresh = load_scenario(scenario.path)
    except ScenarioError as exc:
        LOG.error('reload refused, still serving the previous scenario: %s', exc)
        store.request_rescan()
        return None
    could_rescan = store.rescannable
    try:
        changes = store.adopt(fresh.store)
    except ValueError as exc:  # the loader's checks should make this impossible
        LOG.error('reload refused, still serving the previous scenario: %s: %s',
                  scenario.path, exc)
        return None
    ignored = [key for attribute, key in _START_ONLY
               if getattr(fresh, attribute) != getattr(scenario, attribute)]
    if ignored:
        LOG.warning('reload: %s changed in %s but are read at start only; restart to apply',
                    ', '.join(ignored), scenario.path)
    LOG.info('reload of %s: %s', scenario.path, changes)
    if not could_rescan and scenario.rescan_interval and store.rescannable:
        store.start_rescanner(scenario.rescan_interval)  # the first sysfs host came
    return changes


class ScenarioReloader:
    """Runs :func:`reload_scenario` in a daemon thread whenever :meth:`request` is called."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._wake = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Ask for a reload soon, without waiting (call it from the main loop, not a handler)."""
        with self._lock:
            if self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, daemon=True,
                                                name='pci-fake-server-reload')
                self._thread.start()
        self._wake.set()

    def _work(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                reload_scenario(self._scenario)
            except Exception as exc:  # a bad reload must not end reloading
                LOG.error('reload failed: %s', exc, exc_info=LOG.isEnabledFor(logging.DEBUG))

    def stop(self) -> None:
        """End the thread after the reload it may be running; safe to call twice."""
        with self._lock:
            self._stopping = True
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join()
