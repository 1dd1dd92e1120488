"""What one PCI provider of Placement tells, turned into a device row.

Kept apart from the reads (:mod:`placement`) so that the rules a reader checks
against Nova and Placement (names, resource classes, statuses) stand in one place.

Placement cannot tell everything os-pci could: a VF's own address, NUMA node, or
whether a provider holding one device is a ``type-PCI``, a ``type-PF`` or a PF's only
tracked VF. Those fields are ``None`` here, never guessed.
"""
from __future__ import annotations

from typing import Any

from pciclient import exceptions as exc
from pciclient.lazy_regex import LazyRegex

#: The trait Nova puts on every PCI device provider.
PCI_TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'
#: A Placement row's status, decided from its free and used units only:
#: ``available`` (none used, some free), ``partial`` (some used, some free),
#: ``allocated`` (some used, none free), ``unavailable`` (none used, none free: reserved).
PLACEMENT_STATUSES = ('available', 'partial', 'allocated', 'unavailable')

_PCI_CLASS = LazyRegex(r'^CUSTOM_PCI_([0-9A-F]{4})_([0-9A-F]{4})$')
_PROVIDER_NAME = LazyRegex(r'^(?P<host>.+)_(?P<address>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:'
                            r'[0-9A-Fa-f]{2}\.[0-7])$')
#: Nova's libvirt driver names a physical GPU's provider ``<nodename>_<libvirt device
#: name>``, e.g. ``compute1_pci_0000_84_00_0`` (``LibvirtDriver._ensure_pgpu_providers``).
_PGPU_NAME = LazyRegex(r'^(?P<host>.+)_pci_(?P<domain>[0-9A-Fa-f]{4,8})_(?P<bus>[0-9A-Fa-f]{2})_'
                        r'(?P<slot>[0-9A-Fa-f]{2})_(?P<function>[0-7])$')
#: ``Type`` of a physical GPU's provider, whose units are the vGPUs (mediated devices) it
#: serves: Nova's libvirt driver reports it without ``COMPUTE_MANAGED_PCI_DEVICE``.
DEV_TYPE_VGPU = 'vgpu'
#: ``address_of`` of a vGPU row: the physical GPU (or its VF) that serves the mediated devices.
ADDRESS_OF_GPU = 'GPU'


def split_provider_name(name: str) -> tuple[str | None, str | None]:
    """``gpu06_0000:2F:00.0`` → ``('gpu06', '0000:2f:00.0')``; (None, None) otherwise."""
    match = _PROVIDER_NAME.match(name or '')
    if not match:
        return None, None
    return match.group('host'), match.group('address').lower()


def split_pgpu_name(name: str) -> tuple[str | None, str | None]:
    """``gpu06_pci_0000_2f_00_0`` → ``('gpu06', '0000:2f:00.0')``; (None, None) otherwise."""
    match = _PGPU_NAME.match(name or '')
    if not match:
        return None, None
    domain, bus, slot, function = match.group('domain', 'bus', 'slot', 'function')
    return match.group('host'), f'{domain}:{bus}:{slot}.{function}'.lower()


def pgpu_provider_name(host: str, address: str) -> str:
    """The name Nova's libvirt driver gives the provider of the physical GPU at ``address``
    on ``host``: ``<nodename>_pci_<domain>_<bus>_<slot>_<function>``, as libvirt spells the
    node device (lower-case hex)."""
    domain, bus, rest = address.lower().split(':')
    slot, function = rest.split('.')
    return f'{host}_pci_{domain}_{bus}_{slot}_{function}'


def provider_name(host: str, address: str) -> str:
    """The name Nova gives the provider of the device at ``address`` on ``host``: the
    hypervisor's nodename as it is, the address upper-cased (``compute1_0000:3B:00.0``)."""
    return f'{host}_{address.upper()}'


def ids_from_resource_class(resource_class: str) -> tuple[str | None, str | None]:
    """``CUSTOM_PCI_10DE_20B0`` → ``('10de', '20b0')``; a custom class tells nothing."""
    match = _PCI_CLASS.match(resource_class or '')
    if not match:
        return None, None
    return match.group(1).lower(), match.group(2).lower()


#: What a Placement row's ``address`` is the address of (``address_of``): the provider's
#: name carries one address, a PF's when the provider counts its VFs (Nova names it after
#: the PF), whose own addresses Placement never learns; a one-unit provider may be the
#: device at that address or one VF of the PF there (Placement cannot tell which).
ADDRESS_OF_PF = 'PF'
ADDRESS_OF_ONE = 'device or PF'


def address_of(address: str | None, total: int) -> str | None:
    """``address_of`` of a row (see :data:`ADDRESS_OF_PF`); None without an address."""
    if address is None:
        return None
    return ADDRESS_OF_PF if total > 1 else ADDRESS_OF_ONE


def status_of(used: int, free: int) -> str:
    """One of :data:`PLACEMENT_STATUSES`, decided here once for every command."""
    if used:
        return 'partial' if free else 'allocated'
    return 'available' if free else 'unavailable'


class PciProvider:
    """One PCI resource provider with what was read of it.

    ``traits`` and ``consumers`` are None until read (a listing that shows neither
    does not ask); ``consumers`` maps each server holding units of it to the amount.
    ``vgpu``: a physical GPU serving vGPUs (see :func:`is_vgpu_provider`), not a PCI
    device. (A plain class, not a dataclass: making a dataclass costs a millisecond of
    every start-up.)
    """

    __slots__ = ('uuid', 'name', 'root_uuid', 'parent_uuid', 'host', 'inventories', 'usages',
                 'traits', 'consumers', 'vgpu')

    def __init__(self, uuid: str, name: str, root_uuid: str | None, parent_uuid: str | None,
                 host: str | None = None, inventories: dict[str, dict[str, Any]] | None = None,
                 usages: dict[str, int] | None = None, traits: list[str] | None = None,
                 consumers: dict[str, int] | None = None, vgpu: bool = False) -> None:
        self.uuid = uuid
        self.name = name
        self.root_uuid = root_uuid
        self.parent_uuid = parent_uuid
        self.host = host
        self.inventories: dict[str, dict[str, Any]] = {} if inventories is None else inventories
        self.usages: dict[str, int] = {} if usages is None else usages
        self.traits = traits
        self.consumers = consumers
        self.vgpu = vgpu

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        fields = ', '.join(f'{name}={getattr(self, name)!r}' for name in self.__slots__)
        return f'{type(self).__name__}({fields})'

    @property
    def address(self) -> str | None:
        if self.vgpu:
            return split_pgpu_name(self.name)[1]
        return split_provider_name(self.name)[1]


def is_vgpu_provider(provider: PciProvider) -> bool:
    """Whether a provider is a physical GPU's as Nova's libvirt driver reports it: a child
    provider named ``<nodename>_pci_DDDD_BB_SS_F`` with inventory and without
    ``COMPUTE_MANAGED_PCI_DEVICE`` (its traits must have been read). Its resource class is
    ``VGPU`` or the ``mdev_class`` an operator chose for the mdev type (any ``CUSTOM_``
    class), so the class cannot tell it; Nova gives it ``OWNER_NOVA`` and no other trait."""
    return (provider.parent_uuid is not None and provider.traits is not None
            and PCI_TRAIT not in provider.traits
            and split_pgpu_name(provider.name)[0] is not None)


def number(value: Any, what: str) -> int:
    """A whole number from Placement, or :class:`InvalidResponse`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise exc.InvalidResponse(f'Placement sent a {what} that is not a whole number.')
    return value


def device_fields(provider: PciProvider,
                  holders: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The device row of a provider, in the schema of os-pci devices plus Placement's.

    ``servers`` lists the holders as ``{"id", "name", "amount"}`` (names from
    ``holders`` where known), or is None when the consumers were not read.
    """
    resource_class = next(iter(sorted(provider.inventories)), None)
    inventory = provider.inventories.get(resource_class or '', {})
    total = number(inventory.get('total', 0), 'total')
    reserved = number(inventory.get('reserved', 0), 'reserved')
    used = number(provider.usages.get(resource_class or '', 0), 'usage')
    free = max(total - reserved - used, 0)
    vendor_id, product_id = ids_from_resource_class(resource_class or '')
    if provider.vgpu:  # a vGPU's class names no device (VGPU or the operator's mdev_class)
        vendor_id = product_id = None
    names = holders or {}
    servers = None if provider.consumers is None else [
        {'id': consumer, 'name': names.get(consumer), 'amount': amount}
        for consumer, amount in sorted(provider.consumers.items())]
    return {
        'id': provider.uuid,
        'name': provider.name,
        'address': provider.address,
        'address_of': (ADDRESS_OF_GPU if provider.vgpu and provider.address
                       else address_of(provider.address, total)),
        'host': provider.host,
        'vendor_id': vendor_id,
        'product_id': product_id,
        # Only VFs come in numbers: one device could be a type-PCI, a type-PF or a PF's
        # single tracked VF.
        'dev_type': DEV_TYPE_VGPU if provider.vgpu else 'type-VF' if total > 1 else None,
        'status': status_of(used, free),
        'resource_class': resource_class,
        'total': total,
        'reserved': reserved,
        'used': used,
        'free': free,
        'traits': sorted(provider.traits) if provider.traits is not None else None,
        'servers': servers,
        'instance_uuid': servers[0]['id'] if servers and total == 1 and len(servers) == 1
                         else None,
        'numa_node': None,
        'parent_provider_uuid': provider.parent_uuid,
        'root_provider_uuid': provider.root_uuid,
        'source': 'placement',
    }
