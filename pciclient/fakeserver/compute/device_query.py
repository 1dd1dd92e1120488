"""Answer an ``os-pci`` listing's filters and paging from the snapshot's indexes.

A cloud of 100,000 devices is paged 1,000 (or 100) at a time, so one page must
cost what it returns, not what the cloud holds: the marker is found by binary
search, and the filter with the fewest candidates drives the walk while the
other filters are checked on those candidates only.
"""
from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator, Sequence

from pciclient.fakeserver.compute.paging import (
    Query,
    marker_not_found,
    next_links,
    page_size,
    parse_marker,
)
from pciclient.fakeserver.model.inventory import Inventory, PciDevice

__all__ = ['FILTERS', 'device_page', 'parse_filters']

# Query key(s) -> device attribute, and whether the value compares case-insensitively
# (hex ids and addresses are stored lower-case). Repeating a key means OR; keys AND.
FILTERS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (('host',), 'hostname', False),
    (('status',), 'status', False),
    (('vendor_id',), 'vendor_id', True),
    (('product_id',), 'product_id', True),
    (('dev_type',), 'dev_type', False),
    (('instance_uuid', 'server_uuid'), 'instance_uuid', False),
    (('address',), 'address', True),
)

Filter = tuple[str, frozenset[str]]


def parse_filters(query: Query) -> list[Filter]:
    """The (attribute, accepted values) pairs a query asks for, in a fixed order."""
    filters = []
    for keys, attribute, fold_case in FILTERS:
        values = [value for name, value in query if name in keys]
        if not any(name in keys for name, _ in query):
            continue
        filters.append((attribute, frozenset(v.lower() if fold_case else v for v in values)))
    return filters


def _matches(device: PciDevice, filters: Sequence[Filter]) -> bool:
    return all(getattr(device, attribute) in wanted for attribute, wanted in filters)


def _marker_position(inventory: Inventory, marker: str) -> int | None:
    """Markers are device ids spelled exactly as we print them ("07" is not 7)."""
    if not (marker.isascii() and marker.isdigit() and len(marker) <= 18):
        return None
    if str(int(marker)) != marker:
        return None
    return inventory.position_of(int(marker))


def _candidates(inventory: Inventory, filters: Sequence[Filter], start: int,
                ) -> tuple[Iterator[int], list[Filter]]:
    """Positions from ``start`` on that pass the most selective filter, and the filters left."""
    best_index, best_lists, best_total = 0, [], -1
    for index, (attribute, wanted) in enumerate(filters):
        lists = [inventory.positions(attribute, value) for value in wanted]
        total = sum(len(positions) for positions in lists)
        if best_total < 0 or total < best_total:
            best_index, best_lists, best_total = index, lists, total
    tails = [iter(positions[bisect.bisect_left(positions, start):]) for positions in best_lists]
    rest = [f for index, f in enumerate(filters) if index != best_index]
    return (tails[0] if len(tails) == 1 else heapq.merge(*tails)), rest


def device_page(inventory: Inventory, query: Query, collection_url: str,
                ) -> tuple[list[PciDevice], list[dict[str, str]]]:
    """One page of the devices the query selects, and its ``next`` link if more remain."""
    filters = parse_filters(query)
    size = page_size(query)
    marker = parse_marker(query)
    devices = inventory.devices
    start = 0
    if marker is not None:
        position = _marker_position(inventory, marker)
        if position is None or not _matches(devices[position], filters):
            raise marker_not_found(marker)
        start = position + 1
    if not filters:
        page = list(devices[start:start + size])
        more = start + size < len(devices)
    else:
        positions, rest = _candidates(inventory, filters, start)
        page, more = [], False
        for position in positions:
            device = devices[position]
            if rest and not _matches(device, rest):
                continue
            if len(page) == size:  # one more match exists: there is a next page
                more = True
                break
            page.append(device)
    if not more or not page:
        return page, []
    return page, next_links(query, collection_url, page[-1].id)
