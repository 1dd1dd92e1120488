"""Device listings as the manager hands them on: the rows, where they came from, what was
left out (split from :mod:`pciclient.v2.pci_devices` to keep it small)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pciclient import exceptions as exc


class DeviceList(list):
    """A list of devices that also says where they came from (``os-pci``/``placement``,
    or ``neutron`` when only SR-IOV ports were read).

    ``unjudged`` counts the rows left out because their source cannot tell whether they
    match a filter, by the reason (Placement cannot tell a type-PF from a type-PCI, nor
    the ids of a device with a custom resource class): left out, but never silently.
    ``bindings_hidden``: Neutron hid the ports' bindings (no admin role), so the devices of
    SR-IOV ports are missing.
    """

    def __init__(self, items: Iterable[Any], source: str,
                 unjudged: dict[str, int] | None = None, bindings_hidden: bool = False) -> None:
        super().__init__(items)
        self.source = source
        self.unjudged = unjudged or {}
        self.bindings_hidden = bindings_hidden


class DeviceStream:
    """Devices as the caller reads them, one page of the cloud in memory at a time, and
    where they come from (``source``, known before the first row is read: the first
    page has answered by then).

    Read it once. ``unjudged`` (see :class:`DeviceList`) is complete only once every row
    has been read: a command tells it after the rows.
    """

    def __init__(self, rows: Iterable[Any], source: str,
                 unjudged: dict[str, int] | None = None, bindings_hidden: bool = False) -> None:
        self._rows = iter(rows)
        self.source = source
        self.unjudged = unjudged if unjudged is not None else {}
        self.bindings_hidden = bindings_hidden

    def __iter__(self) -> Iterator[Any]:
        return self._rows


def page_of(devices: list[Any], marker: int | str | None,
          limit: int | None) -> list[Any]:
    """The devices after the one with id ``marker``, at most ``limit`` of them."""
    if marker is not None:
        ids = [str(d.id) for d in devices]
        if str(marker) not in ids:
            raise exc.BadRequest(f'Marker {marker} is not a PCI device provider here.')
        devices = devices[ids.index(str(marker)) + 1:]
    return devices[:limit] if limit is not None else devices
