"""What a cloud knows beside its devices: flavors, host aggregates, services and PCI aliases.

Plain, immutable data a scenario declares once; every inventory snapshot carries the
same :class:`Catalog`, so compute (flavors, ``os-aggregates``, ``os-services``) and
Placement (aggregate membership, ``COMPUTE_STATUS_DISABLED``, what servers consume)
never disagree about it. The facts follow Nova 34:

- a flavor's ``flavorid`` is a string and flavors list in ``flavorid`` order;
  ``swap`` is in MiB, ``disk`` and ``ephemeral`` in GiB;
- a server of a flavor takes ``VCPU`` = vcpus, ``MEMORY_MB`` = ram and ``DISK_GB`` =
  disk + ephemeral + swap rounded up to GiB (``nova.scheduler.utils.resources_from_flavor``
  for a server booted from an image); a zero amount is not allocated at all;
- an aggregate's availability zone is its ``availability_zone`` metadata; a host in
  no zoned aggregate is in ``[DEFAULT] default_availability_zone``, ``nova``;
- a disabled compute service (``status`` disabled) has ``COMPUTE_STATUS_DISABLED``
  on its root provider (Nova's compute sets it); a service that stopped reporting
  is ``state`` down;
- PCI aliases are ``[pci] alias`` entries of nova.conf: no API shows them.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ['Aggregate', 'Catalog', 'DEFAULT_AVAILABILITY_ZONE', 'EMPTY_CATALOG', 'Flavor',
           'HostService', 'PhysicalGpu', 'flavor_sort_key']

DEFAULT_AVAILABILITY_ZONE = 'nova'
# Where Nova's API database gives aggregates a creation time; ours is fixed.
_CREATED_AT = '2026-01-01T00:00:00.000000'
_UP = 'up'


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Flavor:
    """A flavor as Nova's API database holds it (``flavorid`` is ``id`` here)."""

    id: str
    name: str
    vcpus: int
    ram: int
    disk: int = 0
    ephemeral: int = 0
    swap: int = 0
    is_public: bool = True
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    disabled: bool = False
    rxtx_factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, 'extra_specs', _frozen(self.extra_specs))

    def resources(self) -> dict[str, int]:
        """What a server of this flavor, booted from an image, holds on its compute node."""
        disk = self.disk + self.ephemeral + math.ceil(self.swap / 1024)
        amounts = {'VCPU': self.vcpus, 'MEMORY_MB': self.ram, 'DISK_GB': disk}
        return {rc: amount for rc, amount in amounts.items() if amount}


def flavor_sort_key(flavor: Flavor) -> str:
    """Nova sorts on the ``flavorid`` column: a string, so ``"10"`` comes before ``"2"``."""
    return flavor.id


@dataclass(frozen=True)
class Aggregate:
    """A host aggregate: Nova's integer ``id``, its ``uuid`` (the Placement aggregate)."""

    id: int
    name: str
    uuid: str
    hosts: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    created_at: str = _CREATED_AT

    def __post_init__(self) -> None:
        object.__setattr__(self, 'metadata', _frozen(self.metadata))

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get('availability_zone')


@dataclass(frozen=True)
class PhysicalGpu:
    """A physical GPU (or a GPU's VF) serving vGPUs, as Nova's libvirt driver reports it:
    ``total`` mediated devices of ``resource_class`` (``VGPU`` or the mdev type's
    ``mdev_class``); ``traits`` are what an operator added by hand (Nova adds none but
    ``OWNER_NOVA``)."""

    address: str
    total: int
    resource_class: str = 'VGPU'
    traits: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HostService:
    """The ``nova-compute`` service of a host as ``os-services`` reports it."""

    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    down: bool = False
    # Nova's ``[pci] report_in_placement`` on that host: False keeps its PCI devices out of
    # Placement (its compute node is still a provider).
    pci_in_placement: bool = True
    # Physical GPUs of the host serving vGPUs (``[devices] enabled_mdev_types``).
    vgpus: tuple[PhysicalGpu, ...] = ()

    @property
    def status(self) -> str:
        return 'disabled' if self.disabled else 'enabled'

    @property
    def state(self) -> str:
        return 'down' if (self.down or self.forced_down) else _UP


_ENABLED = HostService()


class Catalog:
    """Flavors, aggregates, compute services and PCI aliases of one cloud; read-only."""

    def __init__(self, flavors: Iterable[Flavor] = (), aggregates: Iterable[Aggregate] = (),
                 services: Mapping[str, HostService] | None = None,
                 pci_aliases: Iterable[Mapping[str, Any]] = ()) -> None:
        self.flavors = tuple(sorted(flavors, key=flavor_sort_key))
        self.aggregates = tuple(sorted(aggregates, key=lambda a: a.id))
        self.services: Mapping[str, HostService] = MappingProxyType(dict(services or {}))
        self.pci_aliases: tuple[Mapping[str, Any], ...] = tuple(
            _frozen(alias) for alias in pci_aliases)
        self._flavors = {flavor.id: flavor for flavor in self.flavors}
        self._aggregates = {aggregate.id: aggregate for aggregate in self.aggregates}
        by_host: dict[str, list[Aggregate]] = {}
        for aggregate in self.aggregates:
            for host in aggregate.hosts:
                by_host.setdefault(host, []).append(aggregate)
        self._by_host = {host: tuple(found) for host, found in by_host.items()}

    def flavor(self, flavor_id: str) -> Flavor | None:
        return self._flavors.get(flavor_id)

    def aggregate(self, aggregate_id: int) -> Aggregate | None:
        return self._aggregates.get(aggregate_id)

    def aggregates_of(self, host: str) -> tuple[Aggregate, ...]:
        return self._by_host.get(host, ())

    def aggregate_uuids_of(self, host: str) -> frozenset[str]:
        """The Placement aggregates of a host's root provider (Nova mirrors its aggregates)."""
        return frozenset(aggregate.uuid for aggregate in self.aggregates_of(host))

    def availability_zone_of(self, host: str) -> str:
        """Nova joins the zones of a host's aggregates with commas; none: the default zone."""
        zones = sorted({aggregate.availability_zone for aggregate in self.aggregates_of(host)
                        if aggregate.availability_zone})
        return ','.join(zones) if zones else DEFAULT_AVAILABILITY_ZONE

    def service(self, host: str) -> HostService:
        return self.services.get(host, _ENABLED)

    def pci_alias_documents(self) -> list[dict[str, Any]]:
        """The aliases as nova.conf's JSON objects, for a client that needs them."""
        return [dict(alias) for alias in self.pci_aliases]


EMPTY_CATALOG = Catalog()
