"""Neutron's reading of a port query: filters, ``fields`` and native pagination.

As Neutron 29 with ML2 does it (``neutron/api/api_common.py``,
``pecan_wsgi/hooks/query_parameters.py``):

- with ``filter-validation`` (on by default) a key that is no ``is_filter``
  attribute is a 400 naming all such keys; ``binding:vnic_type`` is one of them
  (``portbindings.py`` gives it no ``is_filter``), ``binding:host_id`` is not;
- repeated values of one key mean any of them; empty values count
  (``empty-string-filtering``); ``fixed_ips`` takes ``ip_address=…``/``subnet_id=…``;
- ``fields`` keeps only the attributes asked for: Neutron also reads the
  ``required_by_policy`` ones and the ``id`` (for paging) but strips them from the
  answer (as a real Neutron 29 answered, ``tests/data/neutron-29-ports``); no
  ``fields``: everything;
- ``limit`` (0: no paging), ``marker`` (a port the caller can find, else
  ``PortNotFound``) and ``page_reverse`` over ports sorted by ``id``, with
  ``ports_links`` built as ``get_pagination_links`` does.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pciclient.fakeserver.network.errors import (
    NeutronError,
    bad_filter,
    bad_limit,
    invalid_boolean,
)

__all__ = ['PAGING_KEYS', 'Filters', 'Page', 'page_links', 'parse_filters', 'parse_page',
           'selected_fields']

PAGING_KEYS = ('fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse')
_PRIMARY_KEY = 'id'
# ``is_filter`` port attributes of the core resource and ML2's usual extensions.
_PLAIN_FILTERS = frozenset({
    'id', 'name', 'network_id', 'device_id', 'device_owner', 'tenant_id', 'project_id',
    'status', 'description', 'binding:host_id', 'revision_number',
})
_TAG_FILTERS = frozenset({'tags', 'tags-any', 'not-tags', 'not-tags-any'})
FILTER_KEYS = _PLAIN_FILTERS | _TAG_FILTERS | {'admin_state_up', 'mac_address', 'fixed_ips',
                                               'security_groups'}
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')
_KVP = re.compile(r'^([^=]+)=(.*)$')

Port = dict[str, Any]
Test = Callable[[Port], bool]


def _boolean(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise invalid_boolean(value)


def _fixed_ips_test(values: list[str]) -> Test:
    wanted: dict[str, set[str]] = {}
    for value in values:
        found = _KVP.match(value)
        if found is None:
            raise NeutronError('400 Bad Request', 'InvalidInput',
                               f"Invalid input for operation: '{value}' is not of the form "
                               '<key>=[value].')
        wanted.setdefault(found.group(1), set()).add(found.group(2))

    def test(port: Port) -> bool:
        return any(all(str(ip.get(key)) in allowed for key, allowed in wanted.items())
                   for ip in port.get('fixed_ips', ()))
    return test


def _tags_test(key: str, values: list[str]) -> Test:
    tags = {tag for value in values for tag in value.split(',') if tag}

    def test(port: Port) -> bool:
        have = set(port.get('tags', ()))
        return {'tags': tags <= have, 'tags-any': bool(tags & have),
                'not-tags': not tags <= have, 'not-tags-any': not tags & have}[key]
    return test


def _test(key: str, values: list[str]) -> Test:
    if key == 'admin_state_up':
        states = {_boolean(value) for value in values}
        return lambda port: port.get(key) in states
    if key == 'mac_address':
        macs = {value.lower().replace('-', ':') for value in values}
        return lambda port: str(port.get(key)).lower() in macs
    if key == 'fixed_ips':
        return _fixed_ips_test(values)
    if key == 'security_groups':
        groups = set(values)
        return lambda port: bool(groups & set(port.get(key, ())))
    if key in _TAG_FILTERS:
        return _tags_test(key, values)
    allowed = set(values)
    return lambda port: str(port.get(key)) in allowed


@dataclass(frozen=True)
class Filters:
    """The filters of one request, each a test on a port's full (admin) document."""

    tests: tuple[Test, ...] = ()

    def __call__(self, port: Port) -> bool:
        return all(test(port) for test in self.tests)


def parse_filters(query: Sequence[tuple[str, str]]) -> Filters:
    """Neutron's ``get_filters_from_dict`` with filter validation on."""
    grouped: dict[str, list[str]] = {}
    for key, value in query:
        if key not in PAGING_KEYS:
            grouped.setdefault(key, []).append(value)
    invalid = [key for key in grouped if key not in FILTER_KEYS]
    if invalid:
        raise bad_filter(invalid)
    return Filters(tuple(_test(key, values) for key, values in grouped.items()))


def selected_fields(query: Sequence[tuple[str, str]]) -> frozenset[str] | None:
    """The attributes to keep (None: all): only those asked for. Neutron reads the
    mandatory ones (and the id, for paging) too, but strips them before answering."""
    asked = {value for key, value in query if key == 'fields' and value}
    return frozenset(asked) if asked else None


@dataclass(frozen=True)
class Page:
    limit: int | None
    marker: str | None
    reverse: bool


def _last(query: Sequence[tuple[str, str]], key: str) -> str | None:
    """webob's ``GET.get``: the last value given."""
    found = None
    for name, value in query:
        if name == key:
            found = value
    return found


def parse_page(query: Sequence[tuple[str, str]]) -> Page:
    """``get_limit_and_marker`` and ``get_page_reverse`` (``pagination_max_limit`` -1)."""
    text = _last(query, 'limit')
    limit = 0
    if text is not None:
        try:
            limit = int(text)
        except ValueError:
            raise bad_limit(text) from None
        if limit < 0:
            raise bad_limit(text)
    reverse = (_last(query, 'page_reverse') or 'False').lower() == 'true'
    if not limit:
        return Page(None, None, reverse)
    return Page(limit, _last(query, 'marker'), reverse)


def _link(url: str, query: Sequence[tuple[str, str]], marker: str | None,
          reverse: bool) -> str:
    params = [(key, value) for key, value in query if key != 'marker']
    if reverse:
        params = [(key, value) for key, value in params if key != 'page_reverse']
    if marker is not None:
        params.append(('marker', marker))
    if reverse:
        params.append(('page_reverse', 'True'))
    else:
        params = [(key, value) for key, value in params if key != 'page_reverse']
    return f'{url}?{urlencode(params)}'


def page_links(url: str, query: Sequence[tuple[str, str]], page: Page,
               items: Sequence[Port]) -> list[dict[str, str]]:
    """``get_pagination_links``: ``next`` unless a short forward page, ``previous`` unless a
    short backward one; markers are the first and last ids shown."""
    if not page.limit:
        return []
    links = []
    short = len(items) < page.limit
    if not (short and not page.reverse):
        marker = items[-1][_PRIMARY_KEY] if items else None
        links.append({'rel': 'next', 'href': _link(url, query, marker, False)})
    if not (short and page.reverse):
        marker = items[0][_PRIMARY_KEY] if items else None
        links.append({'rel': 'previous', 'href': _link(url, query, marker, True)})
    return links
