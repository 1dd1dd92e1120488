"""Resource and Manager: the shape every v2 resource module follows.

A :class:`Resource` keeps the server's raw dict (``raw``) next to the
normalised fields (``to_dict()``), so callers get one stable model whichever
dialect of the API the cloud speaks, and can still reach anything it sent.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from pciclient import exceptions as exc
from pciclient.http import HTTPClient, expect_list, expect_object
from pciclient.lazy_regex import LazyRegex
from pciclient.text import to_wire

_UUID = LazyRegex(r'^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$')


def is_uuid_like(value: str) -> bool:
    """True for the 32-hex-digit forms (with or without dashes) Nova accepts as UUIDs."""
    return bool(_UUID.match(str(value)))


def is_int_like(value: Any) -> bool:
    """True for an integer or a string of decimal digits."""
    return str(value).isdigit()


def normalise_hex_id(value: str) -> str:
    """``0x8086``, ``8086`` and ``0X8086`` all mean the same vendor or product."""
    text = str(value).strip().lower()
    return text[2:] if text.startswith('0x') else text


def matches_filters(fields: dict[str, Any], wanted: dict[str, list[str]]) -> bool:
    """Whether a device's fields pass every filter (values already normalised): hex ids
    compare without ``0x`` and case, addresses without case; a missing field fails."""
    for key, values in wanted.items():
        value = fields.get(key)
        if value is None:
            return False
        if key in ('vendor_id', 'product_id'):
            value = normalise_hex_id(value)
        elif key == 'address':
            value = str(value).lower()
        if str(value) not in values:
            return False
    return True


def path_segment(value: Any) -> str:
    """One URL path segment: quoted so that ``/``, ``..`` or ``?`` stay inside it."""
    text = str(value)
    if text in ('.', '..'):
        text = text.replace('.', '%2E')
    return quote(to_wire(text), safe='')


class Resource:
    """One API object: normalised fields as attributes, the raw document in ``raw``."""

    #: What a user calls this kind of object in messages ("PCI device").
    human_name: ClassVar[str] = 'resource'

    def __init__(self, info: dict[str, Any]) -> None:
        self.raw = info
        self._fields = self.normalise(info)
        ident = self._fields.get('id')
        if isinstance(ident, bool) or not isinstance(ident, (str, int)) or ident == '':
            # Every later step (names to ids, held-by, -c ID, pci-show ID) needs one.
            raise exc.InvalidResponse(
                f'The cloud sent a {self.human_name} without a usable id '
                f'(id: {str(ident)[:40] if ident is not None else "missing"}).')

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        """The stable model of ``info``; subclasses decode dialects here."""
        return dict(info)

    def to_dict(self) -> dict[str, Any]:
        return dict(self._fields)

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__.get('_fields')
        if fields is not None and name in fields:
            return fields[name]
        raise AttributeError(f'{type(self).__name__} has no attribute {name!r}')

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._fields == self._fields

    def __repr__(self) -> str:
        ident = self._fields.get('id')
        return f'<{type(self).__name__} {ident!r}>'


ResourceT = TypeVar('ResourceT', bound=Resource)


class Manager(Generic[ResourceT]):
    """Lists and gets one kind of resource through the shared HTTP client."""

    resource_class: type[ResourceT]

    def __init__(self, http: HTTPClient) -> None:
        self.http = http

    def _list(self, path: str, key: str, params: dict[str, Any] | None = None) -> list[ResourceT]:
        return list(self._iter(path, key, params))

    def _iter(self, path: str, key: str,
              params: dict[str, Any] | None = None) -> Iterator[ResourceT]:
        """The items of a listing as the caller reads them, one page in memory at a time
        (a generator: nothing is asked before the first item is wanted)."""
        for item in self.http.iter_list(path, key, params):
            yield self.resource_class(item)

    def _get(self, path: str, key: str) -> ResourceT:
        return self.resource_class(expect_object(self.http.get(path), key, path))

    def _get_list_once(self, path: str, key: str,
                       params: dict[str, Any] | None = None) -> list[ResourceT]:
        items = expect_list(self.http.get(path, params), key, path)
        return [self.resource_class(item) for item in items]
