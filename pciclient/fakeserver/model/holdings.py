"""Which server holds which PCI device, checked against Nova's rules as it is worked out.

Kept apart from :mod:`inventory` because it is the one place those rules live: a
device has one holder, on the holder's own host, and a PF and its VFs are never
held at once (Nova's tracker marks the other side ``unclaimable``/``unavailable``).
A violation is a bug in whoever built the servers, so it raises ValueError before
any snapshot exists.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pciclient.fakeserver.model.inventory import Server, TrackedDevice

__all__ = ['Holdings']


class Holdings:
    """Which server holds which device, checked against Nova's rules while it is worked out."""

    def __init__(self, tracked: Mapping[int, TrackedDevice], servers: Sequence[Server],
                 hostnames: Iterable[str]) -> None:
        self.by_device: dict[int, str] = {}
        self.held_pfs: set[tuple[str, str]] = set()        # (host, PF address) held whole
        self.busy_pfs: dict[tuple[str, str], int] = {}     # (host, PF address) -> a held VF's id
        known_hosts = set(hostnames)
        seen_ids: set[str] = set()
        for server in servers:
            if server.id in seen_ids:
                raise ValueError(f'duplicate server id {server.id!r}')
            seen_ids.add(server.id)
            if server.host not in known_hosts:
                raise ValueError(f'server {server.id} is on unknown host {server.host!r}')
            for device_id in server.device_ids:
                self._hold(server, device_id, tracked.get(device_id))

    def _hold(self, server: Server, device_id: int, device: TrackedDevice | None) -> None:
        if device is None:
            raise ValueError(f'server {server.id} holds unknown PCI device {device_id}')
        if device.hostname != server.host:
            raise ValueError(f'server {server.id} on {server.host!r} cannot hold device '
                             f'{device_id} of host {device.hostname!r}')
        if device_id in self.by_device:
            raise ValueError(f'PCI device {device_id} is held by two servers')
        function = device.function
        if function.is_vf:
            parent = (device.hostname, function.physfn or '')
            if parent in self.held_pfs:
                raise ValueError(f'PCI device {device_id} is a VF of a PF a server holds')
            self.busy_pfs.setdefault(parent, device_id)
        elif function.is_pf:
            place = (device.hostname, function.address)
            if place in self.busy_pfs:
                raise ValueError(f'PCI device {device_id} is a PF whose VF '
                                 f'{self.busy_pfs[place]} a server holds')
            self.held_pfs.add(place)
        self.by_device[device_id] = server.id
