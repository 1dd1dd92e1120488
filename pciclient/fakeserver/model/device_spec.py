"""Nova's ``[pci] device_spec`` for one fake host: which functions it tracks, with which tags.

A real compute node only reports the devices its operator listed, and tags them
(``physical_network`` …) so the scheduler can tell pools apart. The fake must
apply the same rule, or its pools and listings would not look like a cloud's.

Matching follows Nova: the first entry that matches a function wins and gives
it that entry's tags; ``vendor_id``/``product_id`` are hex ids or ``*``; an
``address`` is a glob (``[[domain:]bus:]slot[.function]``, each field a hex
number or ``*``, missing fields meaning ``*``) or a mapping of regular
expressions per field; an exact address naming a PF also matches that PF's
VFs. Every other key is a tag with a string value. ``devname`` is refused: the
fake hosts have no network interfaces to look names up in.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pciclient.fakeserver.model.sysfs import PciFunction

__all__ = ['ANY', 'DeviceFilter', 'DeviceSpec', 'DeviceSpecError', 'Tags', 'TrackedFunction',
           'parse_device_spec', 'track_all']

ANY = '*'
# Pool tags are sorted (key, value) pairs: hashable, comparable, shareable between devices.
Tags = tuple[tuple[str, str], ...]
TrackedFunction = tuple[PciFunction, Tags]

_MATCH_KEYS = frozenset({'vendor_id', 'product_id', 'address', 'devname'})
_ADDRESS_FIELDS = (('domain', 0xFFFF, 4), ('bus', 0xFF, 2), ('slot', 0x1F, 2), ('function', 0x7, 1))
_HEX_RE = re.compile(r'^(?:0x)?([0-9a-fA-F]{1,8})$')
_TAG_KEY_RE = re.compile(r'^[A-Za-z0-9_.:-]{1,64}$')
_BOOL_TAGS = frozenset({'trusted', 'remote_managed', 'managed', 'one_time_use'})
_BOOL_TEXT = frozenset({'true', 'false', 'yes', 'no', 'on', 'off', '1', '0', 't', 'f', 'y', 'n'})


class DeviceSpecError(ValueError):
    """One entry of a device_spec is unusable; ``key`` names the offending field, if any."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _hex_field(value: str, label: str, maximum: int, width: int, key: str) -> str:
    match = _HEX_RE.match(value.strip())
    if not match or int(match.group(1), 16) > maximum:
        raise DeviceSpecError(f'{label} must be "*" or a hex number up to {maximum:x}, '
                              f'not {value!r}', key)
    return format(int(match.group(1), 16), f'0{width}x')


def _split_address(address: str) -> tuple[int, int, int, int]:
    domain, bus, rest = address.split(':')
    slot, function = rest.split('.')
    return int(domain, 16), int(bus, 16), int(slot, 16), int(function, 16)


@dataclass(frozen=True)
class _AddressGlob:
    """Each field either None (any) or the number it must equal."""

    fields: tuple[int | None, int | None, int | None, int | None]

    @classmethod
    def parse(cls, text: str) -> _AddressGlob:
        head, dot, func = text.strip().partition('.')
        parts = head.split(':') if head else []
        if len(parts) > 3 or (dot and not func):
            raise DeviceSpecError(f'address {text!r} is not a PCI address glob '
                                  '([[domain:]bus:]slot[.function], "*" for any field)', 'address')
        parts = [ANY] * (3 - len(parts)) + parts + [func or ANY]
        values: list[int | None] = []
        for raw, (name, maximum, width) in zip(parts, _ADDRESS_FIELDS, strict=True):
            raw = raw.strip() or ANY
            values.append(None if raw == ANY else int(_hex_field(raw, f'address {name}',
                                                                 maximum, width, 'address'), 16))
        return cls(tuple(values))  # type: ignore[arg-type]

    @property
    def exact(self) -> str | None:
        """The one address this glob names, if it has no wildcard."""
        if any(value is None for value in self.fields):
            return None
        domain, bus, slot, function = self.fields
        return f'{domain:04x}:{bus:02x}:{slot:02x}.{function:x}'

    def match(self, address: str) -> bool:
        return all(want is None or want == got
                   for want, got in zip(self.fields, _split_address(address), strict=True))


@dataclass(frozen=True)
class _AddressRegex:
    """Nova's mapping form: a regular expression per field, matched from the field's start."""

    patterns: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> _AddressRegex:
        names = [name for name, _, _ in _ADDRESS_FIELDS]
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise DeviceSpecError(f'address has unknown field {unknown[0]!r} '
                                  f'(expected {", ".join(names)})', 'address')
        compiled = []
        for name in names:
            pattern = fields.get(name, '.*')
            if not isinstance(pattern, str):
                raise DeviceSpecError(f'address {name} must be a regular expression string',
                                      'address')
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise DeviceSpecError(f'address {name}: bad regular expression: {exc}',
                                      'address') from None
        return cls(tuple(compiled))  # type: ignore[arg-type]

    exact = None

    def match(self, address: str) -> bool:
        domain, bus, rest = address.split(':')
        slot, function = rest.split('.')
        return all(pattern.match(text) for pattern, text in
                   zip(self.patterns, (domain, bus, slot, function), strict=True))


@dataclass(frozen=True)
class DeviceSpec:
    """One device_spec entry."""

    vendor_id: str = ANY
    product_id: str = ANY
    address: _AddressGlob | _AddressRegex | None = None
    tags: Tags = ()

    def match(self, function: PciFunction) -> bool:
        if self.vendor_id != ANY and self.vendor_id != function.vendor:
            return False
        if self.product_id != ANY and self.product_id != function.device:
            return False
        if self.address is None:
            return True
        if self.address.match(function.address):
            return True
        # An exact PF address stands for the PF's VFs as well, as in Nova.
        exact = self.address.exact
        return exact is not None and function.physfn == exact


def _tag_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        text = 'true' if value else 'false'
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        raise DeviceSpecError(f'tag {key!r} must be a string, not {type(value).__name__}', key)
    if key in _BOOL_TAGS and text.strip().lower() not in _BOOL_TEXT:
        raise DeviceSpecError(f'tag {key!r} must be true or false, not {text!r}', key)
    return text


def _spec_field(entry: Mapping[str, object], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str):
        raise DeviceSpecError(f'{key} must be a string such as "8086" or "*"', key)
    return value


def parse_device_spec(entry: Mapping[str, object]) -> DeviceSpec:
    """Validate one entry as Nova would at start-up; raise DeviceSpecError naming the key."""
    for key in entry:
        if not isinstance(key, str) or not key:
            raise DeviceSpecError(f'keys must be non-empty strings, not {key!r}')
    if 'devname' in entry:
        raise DeviceSpecError('devname is not supported by the fake server (its hosts have '
                              'no network interfaces); use address', 'devname')
    vendor_id = product_id = ANY
    if 'vendor_id' in entry:
        raw = _spec_field(entry, 'vendor_id').strip()
        vendor_id = raw if raw == ANY else _hex_field(raw, 'vendor_id', 0xFFFF, 4, 'vendor_id')
    if 'product_id' in entry:
        raw = _spec_field(entry, 'product_id').strip()
        product_id = raw if raw == ANY else _hex_field(raw, 'product_id', 0xFFFF, 4,
                                                       'product_id')
    address: _AddressGlob | _AddressRegex | None = None
    if 'address' in entry:
        raw_address = entry['address']
        if isinstance(raw_address, str):
            address = _AddressGlob.parse(raw_address)
        elif isinstance(raw_address, Mapping):
            address = _AddressRegex.parse(raw_address)
        else:
            raise DeviceSpecError('address must be a glob string or a mapping of '
                                  'domain/bus/slot/function regular expressions', 'address')
    tags = []
    for key, value in entry.items():
        if key in _MATCH_KEYS:
            continue
        if not _TAG_KEY_RE.match(key):
            raise DeviceSpecError(f'tag name {key!r} is not a simple word', key)
        tags.append((key, _tag_value(key, value)))
    return DeviceSpec(vendor_id, product_id, address, tuple(sorted(tags)))


class DeviceFilter:
    """A host's whole device_spec; ``None`` in place of a filter means "track everything"."""

    def __init__(self, specs: Iterable[DeviceSpec]) -> None:
        self.specs = tuple(specs)

    def tags_for(self, function: PciFunction) -> Tags | None:
        """The first matching entry's tags, or None when the host does not track the function."""
        for spec in self.specs:
            if spec.match(function):
                return spec.tags
        return None

    def track(self, functions: Iterable[PciFunction]) -> tuple[TrackedFunction, ...]:
        """Keep the tracked functions (in their order), each with its tags."""
        tracked = []
        for function in functions:
            tags = self.tags_for(function)
            if tags is not None:
                tracked.append((function, tags))
        return tuple(tracked)


def track_all(functions: Iterable[PciFunction], device_filter: DeviceFilter | None,
              ) -> tuple[TrackedFunction, ...]:
    """Apply ``device_filter``, or track every function without tags when there is none."""
    if device_filter is None:
        return tuple((function, ()) for function in functions)
    return device_filter.track(functions)
