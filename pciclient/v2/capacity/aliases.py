"""nova.conf's PCI aliases, read as Nova 34 reads them, and a flavor's PCI requests.

No API shows ``[pci] alias``: the caller hands us the operator's copy (a nova.conf
fragment or a JSON list). The rules are Nova's (``nova/pci/request.py``
``get_alias_from_config`` and its JSON schema, ``_translate_alias_to_requests``;
``nova/compute/pci_placement_translator.py`` for an alias' resource class and traits), so
that a configuration Nova would refuse is refused here too, with the line that is wrong,
instead of being counted as if Nova had accepted it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from pciclient.exceptions import ConfigurationError

#: Keys an alias object may have (Nova's schema has ``additionalProperties: false``).
ALIAS_KEYS = ('name', 'capability_type', 'product_id', 'vendor_id', 'device_type',
              'numa_policy', 'resource_class', 'traits', 'live_migratable')
#: ``device_type`` values an alias may name (vdpa is excluded from aliases by Nova).
DEVICE_TYPES = ('type-PCI', 'type-PF', 'type-VF')
#: ``numa_policy`` values (``PCINUMAAffinityPolicy.ALL``); ``legacy`` when not given.
NUMA_POLICIES = ('required', 'legacy', 'preferred', 'socket')
#: The standard resource classes of os-resource-classes 1.1 (the names Nova keeps as
#: they are; any other non-``CUSTOM_`` name it turns into a custom class).
STANDARD_RESOURCE_CLASSES = frozenset((
    'VCPU', 'MEMORY_MB', 'DISK_GB', 'PCI_DEVICE', 'SRIOV_NET_VF', 'NUMA_SOCKET',
    'NUMA_CORE', 'NUMA_THREAD', 'NUMA_MEMORY_MB', 'IPV4_ADDRESS', 'VGPU',
    'VGPU_DISPLAY_HEAD', 'NET_BW_EGR_KILOBIT_PER_SEC', 'NET_BW_IGR_KILOBIT_PER_SEC',
    'PCPU', 'MEM_ENCRYPTION_CONTEXT', 'FPGA', 'PGPU', 'NET_PACKET_RATE_KILOPACKET_PER_SEC',
    'NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC', 'NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC',
))
#: The namespaces of os-traits' standard traits; without the exact list (``standard_traits``)
#: an upper-case name in one of them is taken as standard.
STANDARD_TRAIT_PREFIXES = ('COMPUTE_', 'HW_', 'MISC_', 'OWNER_', 'STORAGE_')
CUSTOM = 'CUSTOM_'

# Nova's PCI_VENDOR_PATTERN, searched as jsonschema does ('$' also matches before a final
# newline there, so this does too).
_HEX4 = re.compile(r'^([\da-fA-F]{4})$')
_NOT_ALNUM = re.compile(r'[^0-9A-Za-z]+')
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')


class AliasError(ConfigurationError):
    """The PCI alias configuration is one Nova would refuse (or not JSON/INI at all)."""


def custom_name(name: str) -> str:
    """os-traits'/os-resource-classes' ``normalize_name``: a legal ``CUSTOM_`` name."""
    return CUSTOM + _NOT_ALNUM.sub('_', name).upper()


def normalize_resource_class(name: str) -> str:
    """An alias' ``resource_class`` as Nova's placement translator normalises it."""
    upper = name.upper()
    if upper in STANDARD_RESOURCE_CLASSES or upper.startswith(CUSTOM):
        return upper
    return custom_name(upper)


def normalize_traits(text: str, standard_traits: Collection[str] | None = None) -> frozenset[str]:
    """An alias' comma-separated ``traits`` as Nova's ``get_traits`` makes them: standard
    names kept exactly as written, anything else upper-cased into a ``CUSTOM_`` trait.
    ``standard_traits`` is the exact os-traits list (e.g. Placement's non-custom traits);
    without it a name is standard when it is written upper-case in a standard namespace."""
    if not text:
        return frozenset()
    traits = set()
    for name in text.split(','):
        if standard_traits is not None:
            standard = name in standard_traits
        else:
            standard = (name.startswith(STANDARD_TRAIT_PREFIXES)
                        and re.fullmatch(r'[A-Z0-9_]+', name) is not None)
        if standard:
            traits.add(name)
            continue
        upper = name.upper()
        traits.add(upper if upper.startswith(CUSTOM) else custom_name(upper))
    return frozenset(traits)


@dataclass(frozen=True)
class PciAlias:
    """One ``alias`` line of nova.conf. Several with one name are alternatives (ORed)."""

    name: str
    vendor_id: str | None = None
    product_id: str | None = None
    device_type: str | None = None
    #: The alias' NUMA affinity policy (``legacy`` when the line gives none).
    numa_policy: str = 'legacy'
    #: The resource class its devices have in Placement: the alias' ``resource_class``
    #: normalised, else ``CUSTOM_PCI_<VENDOR>_<PRODUCT>``; None when it gives neither.
    resource_class: str | None = None
    #: Traits its Placement request group requires (the ``traits`` field, normalised).
    traits: frozenset[str] = field(default_factory=frozenset)
    #: ``live_migratable`` as Nova stores it ('true'/'false'), None when not given.
    live_migratable: str | None = None
    #: Where the line was, for messages: ``line 3`` or ``item 2``.
    where: str = ''
    #: The object as written (less nothing), for ``--explain``.
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PciRequest:
    """``pci_passthrough:alias`` of a flavor, one alias of it: ``count`` devices that
    match any of ``specs``, with the NUMA policy that applies (the flavor's
    ``hw:pci_numa_affinity_policy`` wins over the alias')."""

    alias: str
    count: int
    specs: tuple[PciAlias, ...]
    numa_policy: str


def _bool_word(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f'live_migratable {value!r} is not a boolean word')


def _check_schema(spec: Any) -> str | None:
    """What Nova's alias JSON schema says is wrong with ``spec`` (None when nothing)."""
    if not isinstance(spec, dict):
        return 'an alias must be a JSON object'
    extra = sorted(set(spec) - set(ALIAS_KEYS))
    if extra:
        return f'unknown key {extra[0]!r} (allowed: {", ".join(ALIAS_KEYS)})'
    if 'name' not in spec:
        return "'name' is required"
    for key, value in spec.items():
        if not isinstance(value, str):
            return f'{key} must be a string'
    if not 1 <= len(spec['name']) <= 256:
        return 'name must have 1 to 256 characters'
    for key in ('vendor_id', 'product_id'):
        if key in spec and not _HEX4.search(spec[key]):
            return f'{key} {spec[key]!r} is not 4 hex digits'
    if spec.get('capability_type', 'pci') != 'pci':
        return "capability_type must be 'pci'"
    if 'device_type' in spec and spec['device_type'] not in DEVICE_TYPES:
        return f'device_type must be one of {", ".join(DEVICE_TYPES)}'
    if 'numa_policy' in spec and spec['numa_policy'] not in NUMA_POLICIES:
        return f'numa_policy must be one of {", ".join(NUMA_POLICIES)}'
    return None


def _alias(spec: dict[str, Any], where: str,
           standard_traits: Collection[str] | None) -> PciAlias:
    problem = _check_schema(spec)
    if problem:
        raise AliasError(f'PCI alias at {where}: {problem}')
    live = spec.get('live_migratable')
    if live is not None:
        try:
            live = 'true' if _bool_word(live) else 'false'
        except ValueError as exc:
            raise AliasError(f'PCI alias at {where}: {exc}') from None
    vendor, product = spec.get('vendor_id'), spec.get('product_id')
    if spec.get('resource_class'):
        rc: str | None = normalize_resource_class(spec['resource_class'])
    elif vendor is not None and product is not None:
        rc = f'CUSTOM_PCI_{vendor}_{product}'.upper()
    else:
        rc = None
    return PciAlias(name=spec['name'].strip(), vendor_id=vendor, product_id=product,
                    device_type=spec.get('device_type') or None,
                    numa_policy=spec.get('numa_policy') or 'legacy', resource_class=rc,
                    traits=normalize_traits(spec.get('traits', ''), standard_traits),
                    live_migratable=live, where=where, spec=dict(spec))


def _ini_alias_values(text: str) -> list[tuple[str, str]]:
    """The ``alias`` values of the ``[pci]`` section (or of lines before any section), as
    oslo.config's INI parser reads them: ``key = value`` or ``key: value``, one pair of
    surrounding quotes stripped, indented lines continuing a value, blank lines ending it."""
    found: list[tuple[str, str]] = []
    section: str | None = None
    key: str | None = None
    start = 0
    value: list[str] = []

    def flush() -> None:
        if key == 'alias' and section in (None, 'pci'):
            found.append((f'line {start}', '\n'.join(value)))

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            if key:
                flush()
                key = None
            continue
        if line.startswith((' ', '\t')):
            if key is None:
                raise AliasError(f'PCI alias configuration line {number}: '
                                 'a continuation line with nothing to continue')
            value.append(line.lstrip())
            continue
        if key:
            flush()
            key = None
        if line.startswith('['):
            if not line.endswith(']') or len(line) <= 2:
                raise AliasError(f'PCI alias configuration line {number}: bad section header')
            section = line[1:-1]
        elif line.startswith(('#', ';')):
            continue
        else:
            colon, equal = line.find(':'), line.find('=')
            if colon < 0 and equal < 0:
                raise AliasError(f"PCI alias configuration line {number}: no '=' in "
                                 f'{line[:60]!r}')
            cut = equal if colon < 0 or 0 <= equal < colon else colon
            key, first = line[:cut].strip(), line[cut + 1:].strip()
            if first and first[0] == first[-1] and first.startswith(('"', "'")):
                first = first[1:-1]
            start, value = number, [first]
    if key:
        flush()
    return found


def load_aliases(text: str, *, standard_traits: Collection[str] | None = None,
                 ) -> dict[str, list[PciAlias]]:
    """Aliases by name, from a nova.conf fragment (``[pci]`` ``alias = {json}`` lines) or a
    JSON list of alias objects. Raises :class:`AliasError` for what Nova refuses whatever
    ``[filter_scheduler] pci_in_placement`` says (see :func:`alias_config_problem` for the
    rest): a schema violation, two aliases of one name with different NUMA policies or
    device types (or, as Nova 34 fails too, without a device type)."""
    document: Any = None
    if text.lstrip().startswith(('[', '{')):
        try:
            document = json.loads(text)
        except ValueError:
            document = None  # an INI section header, not JSON
        except RecursionError:
            raise AliasError('PCI alias configuration: JSON nested too deeply') from None
    specs: list[tuple[str, Any]] = []
    if document is not None:
        if not isinstance(document, list):
            raise AliasError('PCI alias configuration: a JSON document must be a list of '
                             'alias objects')
        specs = [(f'item {i}', spec) for i, spec in enumerate(document, 1)]
    else:
        for where, value in _ini_alias_values(text):
            try:
                specs.append((where, json.loads(value)))
            except (ValueError, RecursionError) as exc:
                raise AliasError(f'PCI alias at {where}: not JSON ({exc})') from None
    aliases: dict[str, list[PciAlias]] = {}
    for where, spec in specs:
        alias = _alias(spec, where, standard_traits)
        known = aliases.setdefault(alias.name, [])
        if known:
            if known[0].numa_policy != alias.numa_policy:
                raise AliasError(f'PCI alias at {where}: NUMA policy mismatch for alias '
                                 f'{alias.name!r} ({known[0].where} says '
                                 f'{known[0].numa_policy})')
            if known[0].device_type is None or alias.device_type is None:
                raise AliasError(f'PCI alias at {where}: alias {alias.name!r} is defined '
                                 'more than once, so Nova needs a device_type in each')
            if known[0].device_type != alias.device_type:
                raise AliasError(f'PCI alias at {where}: device type mismatch for alias '
                                 f'{alias.name!r} ({known[0].where} says '
                                 f'{known[0].device_type})')
        known.append(alias)
    return aliases


def alias_config_problem(aliases: Mapping[str, list[PciAlias]], *,
                         pci_in_placement: bool) -> str | None:
    """Why Nova would refuse this alias configuration in the given scheduler mode (then
    every server asking for any alias fails), None when it would not."""
    if pci_in_placement:
        multiple = [name for name, specs in aliases.items() if len(specs) > 1]
        if multiple:
            return (f'PCI alias(es) {",".join(multiple)} have several specs, which PCI in '
                    'Placement does not support')
        lacking = sorted(name for name, specs in aliases.items()
                         if any(spec.resource_class is None for spec in specs))
        if lacking:
            return (f'PCI alias(es) {",".join(lacking)} have neither vendor_id and '
                    'product_id nor resource_class')
        return None
    lacking = sorted(name for name, specs in aliases.items()
                     if any(spec.vendor_id is None or spec.product_id is None
                            for spec in specs))
    if lacking:
        return f'PCI alias(es) {",".join(lacking)} have no vendor_id and product_id'
    return None


def parse_alias_request(value: str) -> list[tuple[str, int]]:
    """``pci_passthrough:alias`` (``a:N[,b:M]``) as Nova splits it; ValueError as Nova's."""
    requested = []
    for item in value.split(','):
        parts = item.split(':')
        if len(parts) != 2:
            raise ValueError(f'{item!r} is not NAME:COUNT')
        requested.append((parts[0].strip(), int(parts[1])))
    return requested


def pci_requests(extra_specs: Mapping[str, str], aliases: Mapping[str, list[PciAlias]] | None,
                 ) -> tuple[list[PciRequest], list[str]]:
    """The flavor's PCI requests (known aliases) and the alias names not given.
    ``extra_specs`` is the flavor's; ValueError when ``pci_passthrough:alias`` is malformed.
    The os-pci path counts from these; the Placement path turns them into groups."""
    value = extra_specs.get('pci_passthrough:alias')
    if value is None:
        return [], []
    override = extra_specs.get('hw:pci_numa_affinity_policy') or None
    requests: list[PciRequest] = []
    unknown: list[str] = []
    for name, count in parse_alias_request(value):
        specs = (aliases or {}).get(name)
        if not specs:
            if name not in unknown:
                unknown.append(name)
            continue
        requests.append(PciRequest(alias=name, count=count, specs=tuple(specs),
                                   numa_policy=override or specs[0].numa_policy))
    return requests, unknown
