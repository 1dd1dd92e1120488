"""Match a path below ``/placement`` against the Placement routes this fake serves.

Like :mod:`routing`, a path is only split into segments and compared with fixed
names. Routes newer than the request's microversion are unknown to it (Placement
answers 404 for them), so each route says since when it exists.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ['PLACEMENT_PATH', 'PlacementRoute', 'match']

# Where the Placement API is mounted on the fake cloud's one port (DevStack's layout).
PLACEMENT_PATH = '/placement'

# /resource_providers/{uuid}/<sub> -> (route name, first 1.x microversion having it).
_PROVIDER_CHILDREN = {
    'inventories': ('inventories', 0),
    'usages': ('usages', 0),
    'aggregates': ('aggregates', 1),
    'traits': ('traits', 6),
    'allocations': ('provider_allocations', 0),
}


@dataclass(frozen=True)
class PlacementRoute:
    """What to answer: ``name`` is ``root``, ``providers``, ``provider``, ``inventories``,
    ``inventory``, ``usages``, ``aggregates``, ``traits``, ``provider_allocations`` or
    ``consumer_allocations``; ``uuid`` the provider's or consumer's; ``resource_class`` for
    ``inventory``."""

    name: str
    uuid: str | None = None
    resource_class: str | None = None
    since_minor: int = 0


def match(path: str) -> PlacementRoute | None:
    """The route of a path relative to :data:`PLACEMENT_PATH`, or None (404)."""
    if path in ('', '/'):
        return PlacementRoute('root')
    if not path.startswith('/'):
        return None
    segments = path[1:].split('/')
    if any(segment == '' for segment in segments):
        return None
    head, rest = segments[0], segments[1:]
    if head == 'allocations':
        return PlacementRoute('consumer_allocations', rest[0]) if len(rest) == 1 else None
    if head != 'resource_providers':
        return None
    if not rest:
        return PlacementRoute('providers')
    uuid = rest[0]
    if len(rest) == 1:
        return PlacementRoute('provider', uuid)
    child = _PROVIDER_CHILDREN.get(rest[1])
    if child is None:
        return None
    name, since = child
    if len(rest) == 2:
        return PlacementRoute(name, uuid, since_minor=since)
    if len(rest) == 3 and name == 'inventories':
        return PlacementRoute('inventory', uuid, rest[2])
    return None
