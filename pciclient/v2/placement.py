"""PCI devices as today's Nova reports them: resource providers in Placement.

Since Zed, Nova (``[pci] report_in_placement = True``) makes every ``type-PCI`` or
``type-PF`` device a child provider of its compute node, named
``<hypervisor_hostname>_<ADDRESS>``, with one inventory of resource class
``CUSTOM_PCI_<VENDOR>_<PRODUCT>`` (or the device spec's ``resource_class``) and the
trait ``COMPUTE_MANAGED_PCI_DEVICE``. VFs are not providers: they are inventory of
their PF's provider. Servers are consumers of that inventory.

Placement cannot tell everything os-pci could: a VF's own address, NUMA node, or
whether a provider holding one device is a ``type-PCI``, a ``type-PF`` or a PF's only
tracked VF. Those fields
are ``None`` here, never guessed.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pciclient import exceptions as exc
from pciclient.http import HTTPClient, expect_object
from pciclient.v2.base import Resource, is_uuid_like, matches_filters, path_segment

#: The trait Nova puts on every PCI device provider.
PCI_TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'
#: Placement microversion used: ``required`` needs 1.18, ``in_tree`` 1.14.
PLACEMENT_VERSION = '1.18'
#: Requests to Placement in flight at once when reading per-provider details.
CONCURRENCY = 8
#: Traits every Nova PCI provider has, left out of pools' tags.
_COMMON_TRAITS = frozenset({PCI_TRAIT, 'OWNER_NOVA'})

_PCI_CLASS = re.compile(r'^CUSTOM_PCI_([0-9A-F]{4})_([0-9A-F]{4})$')
_PROVIDER_NAME = re.compile(r'^(?P<host>.+)_(?P<address>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:'
                            r'[0-9A-Fa-f]{2}\.[0-7])$')


def split_provider_name(name: str) -> tuple[str | None, str | None]:
    """``gpu06_0000:2F:00.0`` → ``('gpu06', '0000:2f:00.0')``; (None, None) otherwise."""
    match = _PROVIDER_NAME.match(name or '')
    if not match:
        return None, None
    return match.group('host'), match.group('address').lower()


def ids_from_resource_class(resource_class: str) -> tuple[str | None, str | None]:
    """``CUSTOM_PCI_10DE_20B0`` → ``('10de', '20b0')``; a custom class tells nothing."""
    match = _PCI_CLASS.match(resource_class or '')
    if not match:
        return None, None
    return match.group(1).lower(), match.group(2).lower()


@dataclass
class PciProvider:
    """One PCI resource provider with what Placement knows about it."""

    uuid: str
    name: str
    root_uuid: str | None
    parent_uuid: str | None
    host: str | None = None
    inventories: dict[str, dict[str, Any]] = field(default_factory=dict)
    usages: dict[str, int] = field(default_factory=dict)
    traits: list[str] = field(default_factory=list)
    consumers: dict[str, int] = field(default_factory=dict)   # server uuid → amount

    @property
    def address(self) -> str | None:
        return split_provider_name(self.name)[1]


def _number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise exc.InvalidResponse(f'Placement sent a {what} that is not a whole number.')
    return value


def _amount(allocation: dict[str, Any], where: str) -> int:
    """How much of its provider one allocation holds (the sum over resource classes)."""
    resources = allocation.get('resources', {})
    if not isinstance(resources, dict):
        raise exc.InvalidResponse(f'An allocation in the answer to {where} has "resources" '
                                  'that is not an object.')
    return sum(_number(value, 'allocation amount') for value in resources.values())


def device_fields(provider: PciProvider) -> dict[str, Any]:
    """The device row of a provider, in the schema of os-pci devices plus Placement's."""
    resource_class = next(iter(sorted(provider.inventories)), None)
    inventory = provider.inventories.get(resource_class or '', {})
    total = _number(inventory.get('total', 0), 'total')
    reserved = _number(inventory.get('reserved', 0), 'reserved')
    used = _number(provider.usages.get(resource_class or '', 0), 'usage')
    free = max(total - reserved - used, 0)
    vendor_id, product_id = ids_from_resource_class(resource_class or '')
    if total and reserved >= total:
        status = 'unavailable'
    elif used and free == 0:
        status = 'allocated'
    else:
        status = 'available'
    servers = sorted(provider.consumers)
    return {
        'id': provider.uuid,
        'name': provider.name,
        'address': provider.address,
        'host': provider.host,
        'vendor_id': vendor_id,
        'product_id': product_id,
        # Only VFs come in numbers: one device could be a type-PCI, a type-PF or a PF's
        # single tracked VF.
        'dev_type': 'type-VF' if total > 1 else None,
        'status': status,
        'resource_class': resource_class,
        'total': total,
        'reserved': reserved,
        'used': used,
        'free': free,
        'traits': sorted(provider.traits),
        'servers': servers,
        'instance_uuid': servers[0] if total == 1 and len(servers) == 1 else None,
        'numa_node': None,
        'parent_provider_uuid': provider.parent_uuid,
        'root_provider_uuid': provider.root_uuid,
        'source': 'placement',
    }


class PlacementDevice(Resource):
    """A PCI device provider as a device row (``id`` is the provider's UUID)."""

    human_name = 'PCI device provider'


class PlacementManager:
    """Reads Nova's PCI providers, their inventories, usages, traits and consumers."""

    def __init__(self, http: HTTPClient | None) -> None:
        self.http = http
        self._available: bool | None = None

    def available(self) -> bool:
        """Whether a Placement endpoint is configured or in the catalog."""
        if self.http is None:
            return False
        if self._available is None:
            try:
                self.http.endpoint()
                self._available = True
            except (exc.ConfigurationError, exc.ConnectionError):
                self._available = False
        return self._available

    def _require(self) -> HTTPClient:
        if not self.available():
            raise exc.ConfigurationError(
                'No Placement endpoint: the catalog has no placement service; give one with ',
                hint=exc.Hint.PLACEMENT_ENDPOINT,
                then=' (in clouds.yaml: placement_endpoint_override).')
        assert self.http is not None
        return self.http

    # -- providers -------------------------------------------------------------------
    def providers(self, *, consumers: bool = False) -> list[PciProvider]:
        """Every PCI provider of the cloud with inventories, usages and traits
        (and its consumers when asked), sorted by host and address."""
        http = self._require()
        body = http.get('resource_providers', {'required': PCI_TRAIT})
        listed = body.get('resource_providers') if isinstance(body, dict) else None
        if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
            raise exc.InvalidResponse('Placement\'s provider listing has no '
                                      '"resource_providers" list.')
        providers = [self._provider(item) for item in listed]
        self._resolve_hosts(providers)
        self._fill(providers, consumers)
        return sorted(providers, key=lambda p: (p.host or '', p.address or '', p.name))

    @staticmethod
    def _provider(item: dict[str, Any]) -> PciProvider:
        uuid, name = item.get('uuid'), item.get('name')
        if not isinstance(uuid, str) or not uuid or not isinstance(name, str):
            raise exc.InvalidResponse('A Placement provider has no uuid or name.')
        root, parent = item.get('root_provider_uuid'), item.get('parent_provider_uuid')
        if not isinstance(root, (str, type(None))) or not isinstance(parent, (str, type(None))):
            raise exc.InvalidResponse(f'Placement provider {uuid} has a root or parent '
                                      'provider uuid that is not text.')
        return PciProvider(uuid=uuid, name=name, root_uuid=root, parent_uuid=parent,
                           host=split_provider_name(name)[0])

    def _resolve_hosts(self, providers: list[PciProvider]) -> None:
        """A provider whose name does not follow Nova's pattern gets its root's name."""
        unknown = {p.root_uuid for p in providers if p.host is None and p.root_uuid}
        names = dict(self._map(self._root_name, sorted(unknown)))
        for provider in providers:
            if provider.host is None:
                provider.host = names.get(provider.root_uuid or '')

    def _root_name(self, uuid: str) -> tuple[str, str | None]:
        body = self._require().get(f'resource_providers/{path_segment(uuid)}')
        name = body.get('name') if isinstance(body, dict) else None
        return uuid, name if isinstance(name, str) else None

    def _fill(self, providers: list[PciProvider], consumers: bool) -> None:
        def details(provider: PciProvider) -> None:
            http = self._require()
            base = f'resource_providers/{path_segment(provider.uuid)}'
            inventories = expect_object(http.get(f'{base}/inventories'), 'inventories', base)
            usages = expect_object(http.get(f'{base}/usages'), 'usages', base)
            body = http.get(f'{base}/traits')
            traits = body.get('traits') if isinstance(body, dict) else None
            if not isinstance(traits, list):
                raise exc.InvalidResponse(f'The answer to {base}/traits has no "traits" list.')
            provider.inventories = {rc: inv for rc, inv in inventories.items()
                                    if isinstance(inv, dict)}
            provider.usages = usages
            provider.traits = [str(t) for t in traits]
            if consumers:
                allocations = expect_object(http.get(f'{base}/allocations'), 'allocations', base)
                provider.consumers = {consumer: _amount(alloc, base)
                                      for consumer, alloc in allocations.items()
                                      if isinstance(alloc, dict)}
        list(self._map(details, providers, 'Reading PCI providers'))

    def _map(self, function: Callable[[Any], Any], items: Iterable[Any],
             what: str | None = None) -> list[Any]:
        """``function`` over ``items`` with bounded concurrency; the first error wins."""
        items = list(items)
        progress = self.http.progress if (what and self.http is not None) else None
        if len(items) <= 1:
            return [function(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor

        results = []
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            for done, result in enumerate(pool.map(function, items), start=1):
                results.append(result)
                if progress is not None:
                    progress.update(what, done, len(items))
        if progress is not None:
            progress.finish()
        return results

    # -- what the commands ask -------------------------------------------------------------
    def devices(self, *, consumers: bool = False) -> list[PlacementDevice]:
        return [PlacementDevice(device_fields(p)) for p in self.providers(consumers=consumers)]

    def get(self, ident: str) -> PlacementDevice:
        """A device provider by UUID or by ``HOST_ADDRESS`` (any case of the address)."""
        key = str(ident).strip()
        for device in self.devices(consumers=True):
            fields = device.to_dict()
            if is_uuid_like(key) and fields['id'] == key:
                return device
            host, address = split_provider_name(key)
            if address and fields['host'] == host and fields['address'] == address:
                return device
        raise exc.NotFound(f'No PCI device with ID {ident} in Placement (give a provider UUID '
                           'or HOST_ADDRESS, e.g. compute1_0000:04:00.0)')

    def pools(self) -> list[dict[str, Any]]:
        """Free capacity per host, vendor, product and resource class (and custom traits)."""
        grouped: dict[tuple, dict[str, Any]] = {}
        for device in self.devices():
            fields = device.to_dict()
            custom = tuple(t for t in fields['traits'] if t not in _COMMON_TRAITS)
            key = (fields['host'], fields['vendor_id'], fields['product_id'],
                   fields['dev_type'], fields['resource_class'], custom)
            pool = grouped.setdefault(key, {
                'host': fields['host'], 'vendor_id': fields['vendor_id'],
                'product_id': fields['product_id'], 'dev_type': fields['dev_type'],
                'numa_node': None, 'count': 0, 'source': 'placement',
                'tags': {'resource_class': fields['resource_class'],
                         **({'traits': list(custom)} if custom else {})}})
            pool['count'] += fields['free']
        return list(grouped.values())

    def consumer_devices(self, consumer: str) -> list[dict[str, Any]]:
        """The PCI providers a server's allocations touch, with the amount it holds."""
        http = self._require()
        path = f'allocations/{path_segment(consumer)}'
        allocations = expect_object(http.get(path), 'allocations', path)
        if not allocations:
            return []
        by_uuid = {d.id: d.to_dict() for d in self.devices()}
        held = []
        for uuid, allocation in sorted(allocations.items()):
            if uuid in by_uuid and isinstance(allocation, dict):
                row = dict(by_uuid[uuid])
                row['amount'] = _amount(allocation, path)
                held.append(row)
        return held


def matches(fields: dict[str, Any], wanted: dict[str, list[str]]) -> bool:
    """Client-side filters on a placement device row (``instance_uuid`` means "held by")."""
    held = wanted.get('instance_uuid')
    if held is not None and not set(fields.get('servers') or ()) & set(held):
        return False
    return matches_filters(fields, {k: v for k, v in wanted.items() if k != 'instance_uuid'})
