"""Nova-style ``limit``/``marker`` paging, so clients can be tested on multi-page lists.

As in Nova, a page never holds more than :data:`MAX_LIMIT` items (``[api]
max_limit``), asked for or not, and a ``next`` link repeats the request's query
with the marker replaced. A marker must name an item of the (filtered) list.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from pciclient.fakeserver.compute.errors import BadRequest

__all__ = ['MAX_LIMIT', 'marker_not_found', 'next_links', 'page_size', 'paginate', 'parse_limit',
           'parse_marker']

T = TypeVar('T')
Query = Sequence[tuple[str, str]]

# Nova's default [api] max_limit: the most any one list answer carries.
MAX_LIMIT = 1000


def _last(query: Query, key: str) -> str | None:
    """A repeated paging parameter counts once: the last one wins."""
    values = [value for name, value in query if name == key]
    return values[-1] if values else None


def parse_limit(query: Query) -> int | None:
    """The ``limit`` asked for, or None; 400 for anything but a positive integer."""
    raw = _last(query, 'limit')
    if raw is None:
        return None
    try:
        limit = int(raw.strip(), 10)
    except ValueError:
        raise BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                         "limit param must be an integer") from None
    if limit <= 0:
        raise BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                         "limit param must be positive")
    return limit


def page_size(query: Query) -> int:
    """How many items this page may hold: the limit asked for, capped at MAX_LIMIT."""
    limit = parse_limit(query)
    return MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)


def parse_marker(query: Query) -> str | None:
    return _last(query, 'marker')


def marker_not_found(marker: str) -> BadRequest:
    return BadRequest(f'marker [{marker}] not found')


def next_links(query: Query, collection_url: str, last_id: Any) -> list[dict[str, str]]:
    """The ``…_links`` list pointing at the page after the item ``last_id``."""
    kept = [(name, value) for name, value in query if name != 'marker']
    kept.append(('marker', str(last_id)))
    return [{'rel': 'next', 'href': f'{collection_url}?{urlencode(kept)}'}]


def paginate(items: Sequence[T], item_id: Callable[[T], Any], query: Query,
             collection_url: str, positions: Mapping[str, int] | None = None,
             ) -> tuple[list[T], list[dict[str, str]]]:
    """Cut one page out of ``items`` and build the ``next`` link when more remain.

    ``collection_url`` is the absolute URL of the list without a query.
    ``positions`` maps a marker to its index in ``items`` (for long lists that
    are paged often); without it the marker is looked for item by item.
    """
    size = page_size(query)
    marker = parse_marker(query)
    start = 0
    if marker is not None:
        found = positions.get(marker) if positions is not None else _find(items, item_id, marker)
        if found is None:
            raise marker_not_found(marker)
        start = found + 1
    page = list(items[start:start + size])
    if start + size >= len(items) or not page:
        return page, []
    return page, next_links(query, collection_url, item_id(page[-1]))


def _find(items: Sequence[T], item_id: Callable[[T], Any], marker: str) -> int | None:
    for index, item in enumerate(items):
        if str(item_id(item)) == marker:
            return index
    return None
