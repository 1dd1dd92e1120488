"""Finding a snapshot's device rows by id, place or one field's value, without a scan per request.

Kept apart from :mod:`inventory` because it is about speed, not about what the rows
say: an :class:`~pciclient.fakeserver.model.inventory.Inventory` of a big cloud holds
hundreds of thousands of rows, and every filtered or paged listing would otherwise walk
them all. Rows are in ascending id order, so an id (a paging marker) is found by
bisection; the place map and each field's index are built the first time they are asked
for (most snapshots are never asked everything), once, under a lock, since request
threads share the snapshot.
"""
from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pciclient.fakeserver.model.inventory import PciDevice

__all__ = ['DEVICE_FIELDS', 'DeviceIndex']

# Device attributes the API filters on; each gets a lazily built index per snapshot.
DEVICE_FIELDS = ('hostname', 'status', 'vendor_id', 'product_id', 'dev_type',
                 'instance_uuid', 'address')


class DeviceIndex:
    """Positions of device rows (in the order given, which must be ascending id order).

    ``removed_status`` is the status of a row whose device is gone from its host
    (the inventory's constant, passed in so this module needs nothing of it at run time).
    """

    def __init__(self, devices: Sequence[PciDevice], removed_status: str) -> None:
        self._devices = devices
        self._removed_status = removed_status
        # Ids ascend with position, so a binary search finds a marker without a scan.
        self._ids = array('q', (device.id for device in devices))
        self._lock = threading.Lock()
        self._by_field: dict[str, Mapping[Any, Sequence[int]]] = {}
        self._places: Mapping[tuple[str, str], PciDevice] | None = None

    def position_of(self, device_id: int) -> int | None:
        """Where a device id sits among the rows, or None."""
        position = bisect.bisect_left(self._ids, device_id)
        if position < len(self._ids) and self._ids[position] == device_id:
            return position
        return None

    def device_at(self, hostname: str, address: str) -> PciDevice | None:
        """The row at a place: the live one, if a removed one was there before."""
        places = self._places
        if places is None:
            with self._lock:
                if self._places is None:
                    built: dict[tuple[str, str], PciDevice] = {}
                    for device in self._devices:
                        key = (device.hostname, device.address)
                        if device.status != self._removed_status or key not in built:
                            built[key] = device
                    self._places = MappingProxyType(built)
                places = self._places
        return places.get((hostname, address))

    def positions(self, field_name: str, value: Any) -> Sequence[int]:
        """Ascending positions of the rows whose ``field_name`` is ``value``.

        Raises ValueError for a field outside :data:`DEVICE_FIELDS`: an index on an
        arbitrary attribute would be a caller's typo, built and kept for nothing.
        """
        index = self._by_field.get(field_name)
        if index is None:
            if field_name not in DEVICE_FIELDS:
                raise ValueError(f'no index on {field_name!r}')
            with self._lock:
                index = self._by_field.get(field_name)
                if index is None:
                    built: dict[Any, array] = {}
                    for position, device in enumerate(self._devices):
                        key = getattr(device, field_name)
                        bucket = built.get(key)
                        if bucket is None:
                            bucket = built[key] = array('l')
                        bucket.append(position)
                    index = self._by_field[field_name] = MappingProxyType(built)
        return index.get(value, ())
