"""The provider tree of the inventory snapshot requests are reading now.

The store swaps in a new snapshot on a rescan without telling anyone; the
tree is rebuilt the first time a Placement request meets the new snapshot (the
one for the starting snapshot is built at once, so the first request does not
pay for 100,000 devices). The previous tree is handed to the rebuild, which
keeps provider generations growing.
"""
from __future__ import annotations

import threading
from typing import Protocol

from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.placement.provider_tree import ProviderTree, build_tree

__all__ = ['ProviderTrees', 'SnapshotSource']


class SnapshotSource(Protocol):
    """Anything holding the latest snapshot (``store.InventoryStore``, like the compute app's)."""

    @property
    def current(self) -> Inventory: ...


class ProviderTrees:
    """Thread-safe: one build per snapshot, readers of a known snapshot never wait."""

    def __init__(self, source: Inventory | SnapshotSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._latest: tuple[Inventory, ProviderTree] | None = None
        self.current()

    def _inventory(self) -> Inventory:
        source = self._source
        return source if isinstance(source, Inventory) else source.current

    def current(self) -> ProviderTree:
        """The tree of the snapshot a request starting now reads."""
        inventory = self._inventory()
        latest = self._latest
        if latest is not None and latest[0] is inventory:
            return latest[1]
        with self._lock:
            inventory = self._inventory()  # the newest, should it have changed meanwhile
            latest = self._latest
            if latest is not None and latest[0] is inventory:
                return latest[1]
            tree = build_tree(inventory, previous=latest[1] if latest is not None else None)
            self._latest = (inventory, tree)
            return tree
