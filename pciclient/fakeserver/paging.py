"""Nova-style ``limit``/``marker`` paging, so clients can be tested on multi-page lists."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from pciclient.fakeserver.errors import BadRequest

__all__ = ['paginate', 'parse_limit']

T = TypeVar('T')


def _last(query: Sequence[tuple[str, str]], key: str) -> str | None:
    """A repeated paging parameter counts once: the last one wins."""
    values = [value for name, value in query if name == key]
    return values[-1] if values else None


def parse_limit(query: Sequence[tuple[str, str]]) -> int | None:
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


def paginate(items: Sequence[T], item_id: Callable[[T], Any],
             query: Sequence[tuple[str, str]], collection_url: str,
             ) -> tuple[list[T], list[dict[str, str]]]:
    """Cut one page out of ``items`` and build the ``next`` link when more remain.

    ``collection_url`` is the absolute URL of the list without a query; the next
    link repeats the request's query with ``marker`` replaced.
    """
    limit = parse_limit(query)
    marker = _last(query, 'marker')
    start = 0
    if marker is not None:
        ids = [str(item_id(item)) for item in items]
        try:
            start = ids.index(marker) + 1
        except ValueError:
            raise BadRequest(f'marker [{marker}] not found') from None
    if limit is None:
        return list(items[start:]), []
    page = list(items[start:start + limit])
    if start + limit >= len(items) or not page:
        return page, []
    kept = [(name, value) for name, value in query if name != 'marker']
    kept.append(('marker', str(item_id(page[-1]))))
    return page, [{'rel': 'next', 'href': f'{collection_url}?{urlencode(kept)}'}]
