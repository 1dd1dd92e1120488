"""What a real Nova would have reported to Placement about the fake cloud, as one immutable tree.

Derived from one :class:`~pciclient.fakeserver.model.inventory.Inventory` snapshot and
nothing else, so the compute API and Placement can never disagree about a
device. The rules are Nova's PCI-in-Placement model:

- every hypervisor is a root provider named after its hostname, with VCPU,
  MEMORY_MB and DISK_GB inventory and each server's flavor allocated on it
  (``hypervisor.server_resources``); it is a member of the uuids of its host's
  aggregates (Nova mirrors host aggregates to the compute node provider, one write
  each) and, when its compute service is disabled, has ``COMPUTE_STATUS_DISABLED``
  (set by Nova's compute, one more write);
- a host with ``report_in_placement: false`` (Nova's ``[pci]`` option) reports no PCI
  device, only its compute node;
- every reported ``type-PCI`` or ``type-PF`` device is a child provider of its
  compute node, holding one unit of its resource class;
- VFs are not providers of their own: the VFs of one PF are the inventory of a
  provider named after that PF, and such a PF is not reported itself;
- devices whose device_spec has a ``physical_network`` tag are Neutron's SR-IOV
  ports and are not reported at all (Nova leaves them out, as the reference
  capture of a real Nova 34 shows);
- ``total`` counts the devices, ``used`` the held ones, ``reserved`` is 0; the
  holder is the consumer, the allocation is on the provider. An ``unavailable``
  VF (its PF is held) or ``unclaimable`` PF (one of its VFs is held) is counted
  like any other device and never reserved: Nova's
  ``PciResourceProvider._get_inventories`` sends only ``total`` and
  ``max_unit`` (the tracker's state does not enter Placement's inventory);
- a ``removed`` device is not counted at all, so it lowers its provider's
  ``total``, and a provider left with none is gone (Nova's
  ``PlacementView.process_dev`` drops a removed device from its view, and
  ``PciResourceProvider.update_provider_tree`` deletes a provider whose total
  is 0). A device a server still holds after it vanished is ``allocated``, not
  ``removed`` (the tracker's ``_set_hvdevs`` cannot remove it), so it stays
  counted and used; Nova's ``_adjust_for_removals_and_held_devices`` (total
  never below the usage) therefore never has anything to add here. Removed VFs
  do not stand in for their PF either: once its VFs are gone a tracked PF is
  reported, under the same provider name, with its own class;
- a host's physical GPUs serving vGPUs follow its PCI providers (:mod:`vgpu_providers`);
- the one exception to ``reserved`` 0 is Nova's one-time-use device: a type-PCI
  or type-PF device whose device_spec tag ``one_time_use`` is true gets the
  ``HW_PCI_ONE_TIME_USE`` trait (``PciResourceProvider.add_parent``), and once a
  server holds it its whole total is reserved
  (``PciResourceProvider._handle_one_time_use``). Nova never takes that back:
  when the device is freed it sends the same total without ``reserved``, which
  ``ProviderTree.has_inventory_changed`` does not count as a change, so nothing
  is written and the reservation stands until someone else lowers it; a
  rebuild keeps it likewise while the provider's classes and totals are
  unchanged. (A tree built from scratch has no such history.) Nova refuses the
  tag on VFs (``PciResourceProvider.add_child``) and stops reporting the host;
  the fake ignores it there.

Generations start where Nova's do after registering a provider (created,
inventory set, traits set: 2) plus one per consumer holding something; a
rebuild from a newer snapshot bumps a provider's generation once per change of
inventory, of traits and of each consumer, so generations only ever grow. A
provider that went away and comes back keeps its uuid here (uuids derive from
names, where a real Nova would make a new one), so it carries on from the
generation it had, plus the writes of registering it again: the tree remembers
the last generation of every provider it has dropped.
"""
from __future__ import annotations

import time
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pciclient.fakeserver.model.hypervisor import server_resources
from pciclient.fakeserver.model.inventory import (
    DEV_TYPE_PCI,
    DEV_TYPE_PF,
    DEV_TYPE_VF,
    STATUS_ALLOCATED,
    STATUS_REMOVED,
    Hypervisor,
    Inventory,
    PciDevice,
    Server,
)
from pciclient.fakeserver.model.sysfs import address_sort_key
from pciclient.fakeserver.placement.names import (
    COMPUTE_NODE_TRAITS,
    DISABLED_TRAIT,
    ONE_TIME_USE_TRAIT,
    STANDARD_RESOURCE_CLASSES,
    compute_node_uuid,
    device_resource_class,
    device_traits,
    is_true,
    pci_provider_name,
    provider_uuid,
)
from pciclient.fakeserver.placement.vgpu_providers import pgpu_providers

__all__ = ['Consumer', 'InventoryRecord', 'ProviderTree', 'ResourceProvider', 'build_tree']

# Nova's initial allocation ratios (nova.conf defaults) for a compute node's own resources.
CPU_ALLOCATION_RATIO = 4.0
RAM_ALLOCATION_RATIO = 1.0
DISK_ALLOCATION_RATIO = 1.0
# A provider that was created, got its inventory and its traits: Nova's three writes.
_REGISTERED_GENERATION = 2
# Placement's first allocation write for a consumer makes its generation 1.
_FIRST_CONSUMER_GENERATION = 1

_REPORTED_TYPES = frozenset({DEV_TYPE_PCI, DEV_TYPE_PF, DEV_TYPE_VF})
_EMPTY: Mapping[str, Any] = MappingProxyType({})

Resources = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """One resource class of one provider, with Placement's fields."""

    total: int
    reserved: int
    max_unit: int
    min_unit: int = 1
    step_size: int = 1
    allocation_ratio: float = 1.0

    def document(self) -> dict[str, Any]:
        return {
            'total': self.total,
            'reserved': self.reserved,
            'min_unit': self.min_unit,
            'max_unit': self.max_unit,
            'step_size': self.step_size,
            'allocation_ratio': self.allocation_ratio,
        }

    def fits(self, used: int, amount: int) -> bool:
        """Placement's capacity test for asking ``amount`` more of this class."""
        return (self.min_unit <= amount <= self.max_unit and amount % self.step_size == 0
                and used + amount <= (self.total - self.reserved) * self.allocation_ratio)


@dataclass(frozen=True, slots=True)
class ResourceProvider:
    """A provider with everything Placement says about it; mappings are read-only."""

    uuid: str
    name: str
    parent_uuid: str | None
    root_uuid: str
    generation: int
    inventories: Mapping[str, InventoryRecord]
    usages: Resources
    traits: frozenset[str]
    allocations: Mapping[str, Resources]   # consumer uuid -> resources it holds here
    aggregates: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Consumer:
    """A server as Placement knows it: who owns it and what it holds where."""

    uuid: str
    project_id: str
    user_id: str
    generation: int
    allocations: Mapping[str, Resources]   # provider uuid -> resources, in provider order


class ProviderTree:
    """Every provider of the cloud in Placement's listing order, with the lookups requests need."""

    def __init__(self, providers: Sequence[ResourceProvider], consumers: Mapping[str, Consumer],
                 built_at: float, retired: Mapping[str, int] | None = None) -> None:
        self.providers = tuple(providers)
        self.consumers = MappingProxyType(dict(consumers))
        self.built_at = built_at
        # uuid -> last generation of each provider an earlier tree had and this one has not
        self.retired: Mapping[str, int] = MappingProxyType(dict(retired or {}))
        self._positions = {p.uuid: n for n, p in enumerate(self.providers)}
        self._names = {p.name: n for n, p in enumerate(self.providers)}
        trees: dict[str, array] = {}
        traits: dict[str, array] = {}
        aggregates: dict[str, array] = {}
        classes = set(STANDARD_RESOURCE_CLASSES)
        for position, provider in enumerate(self.providers):
            trees.setdefault(provider.root_uuid, array('l')).append(position)
            for trait in provider.traits:
                traits.setdefault(trait, array('l')).append(position)
            for aggregate in provider.aggregates:
                aggregates.setdefault(aggregate, array('l')).append(position)
            classes.update(provider.inventories)
        self._trees = trees
        self._traits = traits
        self._aggregates = aggregates
        self.has_nested = any(provider.parent_uuid for provider in self.providers)
        self.resource_classes = frozenset(classes)

    def position(self, uuid: str) -> int | None:
        return self._positions.get(uuid)

    def provider(self, uuid: str) -> ResourceProvider | None:
        position = self._positions.get(uuid)
        return None if position is None else self.providers[position]

    def named(self, name: str) -> int | None:
        """The position of the provider with this name (names are unique, as in Placement)."""
        return self._names.get(name)

    def tree_of(self, uuid: str) -> Sequence[int]:
        """Positions of every provider sharing a root with ``uuid`` (none for an unknown uuid)."""
        provider = self.provider(uuid)
        return () if provider is None else self._trees[provider.root_uuid]

    def with_trait(self, trait: str) -> Sequence[int]:
        """Ascending positions of the providers having ``trait``."""
        return self._traits.get(trait, ())

    def in_aggregate(self, aggregate: str) -> Sequence[int]:
        """Ascending positions of the providers that are members of ``aggregate`` themselves."""
        return self._aggregates.get(aggregate, ())

    def roots(self) -> list[str]:
        """Root uuids in listing order."""
        return list(self._trees)

    def has_trait_anywhere(self, trait: str) -> bool:
        return trait in self._traits

    def consumer(self, uuid: str) -> Consumer | None:
        return self.consumers.get(uuid)


class _PciGroup:
    """The devices behind one PCI provider while the tree is being built."""

    __slots__ = ('counts', 'traits', 'allocations', 'spent')

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}          # class -> [total, used]
        self.traits: set[str] = set()
        self.allocations: dict[str, dict[str, int]] = {}
        self.spent = False            # a one-time-use PCI/PF device held: all of it reserved

    def add(self, device: PciDevice, resource_class: str, facts: _TagFacts) -> None:
        """Count a reported device in its class: in the total whatever its state (an
        ``unavailable`` or ``unclaimable`` device is still one unit of inventory to Nova), and
        as used when a server holds it."""
        counts = self.counts.get(resource_class)
        if counts is None:
            counts = self.counts[resource_class] = [0, 0]
        counts[0] += 1
        one_time_use = facts.one_time_use and device.dev_type != DEV_TYPE_VF
        if device.status == STATUS_ALLOCATED and device.instance_uuid is not None:
            counts[1] += 1
            held = self.allocations.setdefault(device.instance_uuid, {})
            held[resource_class] = held.get(resource_class, 0) + 1
            self.spent |= one_time_use
        self.traits |= facts.traits
        if one_time_use:
            self.traits.add(ONE_TIME_USE_TRAIT)


@dataclass(frozen=True)
class _TagFacts:
    """What a device_spec entry's tags mean for Placement (computed once per distinct tags)."""

    tags: dict[str, str]
    neutron: bool
    traits: frozenset[str]
    one_time_use: bool


class _Builder:
    def __init__(self, inventory: Inventory, previous: ProviderTree | None) -> None:
        self.inventory = inventory
        self.previous = previous
        self._tag_facts: dict[tuple[tuple[str, str], ...], _TagFacts] = {}
        self._classes: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
        self._records: dict[tuple[int, int], InventoryRecord] = {}

    def _facts(self, tags: tuple[tuple[str, str], ...]) -> _TagFacts:
        facts = self._tag_facts.get(tags)
        if facts is None:
            as_dict = dict(tags)
            facts = self._tag_facts[tags] = _TagFacts(
                as_dict, bool(as_dict.get('physical_network', '').strip()),
                device_traits(as_dict), is_true(as_dict.get('one_time_use')))
        return facts

    def _resource_class(self, device: PciDevice, facts: _TagFacts) -> str:
        key = (device.vendor_id, device.product_id, device.tags)
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = device_resource_class(
                device.vendor_id, device.product_id, facts.tags)
        return found

    def _record(self, total: int, reserved: int) -> InventoryRecord:
        """PCI inventories repeat a lot; share the identical ones."""
        key = (total, reserved)
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = InventoryRecord(total, reserved, max_unit=total)
        return record

    def _reported(self) -> list[tuple[PciDevice, _TagFacts]]:
        """The devices Nova reports (none removed, so one per address); PFs with reported
        VFs left out."""
        reported: list[tuple[PciDevice, _TagFacts]] = []
        vf_parents: set[tuple[str, str | None]] = set()
        silent = {hypervisor.hostname for hypervisor in self.inventory.hypervisors
                  if not hypervisor.service.pci_in_placement}
        for device in self.inventory.devices:
            if device.dev_type not in _REPORTED_TYPES or device.status == STATUS_REMOVED \
                    or device.hostname in silent:
                continue
            facts = self._facts(device.tags)
            if facts.neutron:
                continue
            if device.dev_type == DEV_TYPE_VF:
                vf_parents.add((device.hostname, device.parent_addr))
            reported.append((device, facts))
        return [(device, facts) for device, facts in reported
                if not (device.dev_type == DEV_TYPE_PF
                        and (device.hostname, device.address) in vf_parents)]

    def _pci_groups(self) -> dict[str, dict[str, _PciGroup]]:
        """Host -> provider address -> its devices."""
        groups: dict[str, dict[str, _PciGroup]] = {}
        for device, facts in self._reported():
            address = device.parent_addr if device.dev_type == DEV_TYPE_VF else device.address
            host_groups = groups.setdefault(device.hostname, {})
            group = host_groups.get(address or device.address)
            if group is None:
                group = host_groups[address or device.address] = _PciGroup()
            group.add(device, self._resource_class(device, facts), facts)
        return groups

    def build(self) -> ProviderTree:
        groups = self._pci_groups()
        servers_by_host: dict[str, list[Server]] = {}
        for server in self.inventory.servers:
            servers_by_host.setdefault(server.host, []).append(server)
        providers: list[ResourceProvider] = []
        for hypervisor in self.inventory.hypervisors:
            root = self._compute_node(hypervisor, servers_by_host.get(hypervisor.hostname, ()))
            providers.append(root)
            host_groups = groups.get(hypervisor.hostname, {})
            for address in sorted(host_groups, key=address_sort_key):
                providers.append(self._pci_provider(hypervisor.hostname, address, root.uuid,
                                                    host_groups[address]))
            providers.extend(self._pgpu_providers(hypervisor, root.uuid, servers_by_host))
        return ProviderTree(providers, self._consumers(providers), time.time(),
                            self._retired(providers))

    def _retired(self, providers: Sequence[ResourceProvider]) -> dict[str, int]:
        previous = self.previous
        if previous is None:
            return {}
        present = {provider.uuid for provider in providers}
        retired = {uuid: generation for uuid, generation in previous.retired.items()
                   if uuid not in present}
        for provider in previous.providers:
            if provider.uuid not in present:
                retired[provider.uuid] = provider.generation
        return retired

    def _compute_node(self, hypervisor: Hypervisor, servers: Sequence[Server],
                      ) -> ResourceProvider:
        res = hypervisor.resources
        inventories = {
            'VCPU': InventoryRecord(res.vcpus, 0, res.vcpus,
                                    allocation_ratio=CPU_ALLOCATION_RATIO),
            'MEMORY_MB': InventoryRecord(res.memory_mb, res.reserved_memory_mb, res.memory_mb,
                                         allocation_ratio=RAM_ALLOCATION_RATIO),
            'DISK_GB': InventoryRecord(res.local_gb, 0, res.local_gb,
                                       allocation_ratio=DISK_ALLOCATION_RATIO),
        }
        catalog = self.inventory.catalog
        allocations = {server.id: server_resources(server, catalog) for server in servers}
        allocations = {server: held for server, held in allocations.items() if held}
        uuid = compute_node_uuid(hypervisor.hostname)
        traits = COMPUTE_NODE_TRAITS
        if hypervisor.service.disabled:
            traits = traits | {DISABLED_TRAIT}
        return self._provider(uuid, hypervisor.hostname, None, uuid, inventories, traits,
                              allocations, catalog.aggregate_uuids_of(hypervisor.hostname))

    def _pgpu_providers(self, hypervisor: Hypervisor, root_uuid: str,
                        servers_by_host: Mapping[str, Sequence[Server]],
                        ) -> list[ResourceProvider]:
        """Its physical GPUs serving vGPUs (:mod:`vgpu_providers`)."""
        gpus = self.inventory.catalog.service(hypervisor.hostname).vgpus
        return [self._provider(provider_uuid(gpu.name), gpu.name, root_uuid, root_uuid,
                               {gpu.resource_class: InventoryRecord(gpu.total, 0, gpu.total)},
                               gpu.traits, {s: MappingProxyType(r)
                                            for s, r in gpu.allocations.items()})
                for gpu in pgpu_providers(hypervisor.hostname, gpus,
                                          servers_by_host.get(hypervisor.hostname, ()))]

    def _pci_provider(self, hostname: str, address: str, root_uuid: str,
                      group: _PciGroup) -> ResourceProvider:
        name = pci_provider_name(hostname, address)
        uuid = provider_uuid(name)
        old = self.previous.provider(uuid) if self.previous is not None else None
        same_classes = old is not None and set(old.inventories) == set(group.counts)
        inventories = {}
        for rc, (total, _) in sorted(group.counts.items()):
            reserved = total if group.spent else 0
            if not reserved and same_classes and old is not None:
                # Nova would not rewrite an inventory whose total is unchanged.
                kept = old.inventories[rc]
                if kept.total == total:
                    reserved = kept.reserved
            inventories[rc] = self._record(total, reserved)
        allocations = {consumer: MappingProxyType(held)
                       for consumer, held in group.allocations.items()}
        return self._provider(uuid, name, root_uuid, root_uuid, inventories,
                              frozenset(group.traits), allocations)

    def _provider(self, uuid: str, name: str, parent: str | None, root: str,
                  inventories: dict[str, InventoryRecord], traits: frozenset[str],
                  allocations: Mapping[str, Resources],
                  aggregates: frozenset[str] = frozenset()) -> ResourceProvider:
        usages = {rc: 0 for rc in inventories}
        for held in allocations.values():
            for rc, amount in held.items():
                usages[rc] = usages.get(rc, 0) + amount
        previous = self.previous
        old = previous.provider(uuid) if previous is not None else None
        if old is None:
            generation = (_REGISTERED_GENERATION + len(allocations) + len(aggregates)
                          + (DISABLED_TRAIT in traits))
            if previous is not None:
                generation += previous.retired.get(uuid, 0)
        else:
            generation = old.generation + _changes(old, inventories, traits, allocations)
        return ResourceProvider(
            uuid=uuid, name=name, parent_uuid=parent, root_uuid=root, generation=generation,
            inventories=MappingProxyType(inventories), usages=MappingProxyType(usages),
            traits=traits, allocations=MappingProxyType(allocations) if allocations else _EMPTY,
            aggregates=aggregates)

    def _consumers(self, providers: Sequence[ResourceProvider]) -> dict[str, Consumer]:
        held: dict[str, dict[str, Resources]] = {}
        for provider in providers:
            for consumer, resources in provider.allocations.items():
                held.setdefault(consumer, {})[provider.uuid] = resources
        consumers = {}
        for server in self.inventory.servers:
            allocations = held.get(server.id)
            if not allocations:
                continue
            generation = _FIRST_CONSUMER_GENERATION
            old = self.previous.consumer(server.id) if self.previous is not None else None
            if old is not None:
                generation = old.generation + (dict(old.allocations) != allocations)
            consumers[server.id] = Consumer(server.id, server.tenant_id, server.user_id,
                                            generation, MappingProxyType(allocations))
        return consumers


def _changes(old: ResourceProvider, inventories: Mapping[str, InventoryRecord],
             traits: frozenset[str], allocations: Mapping[str, Resources]) -> int:
    """How many writes Nova would have made to turn ``old`` into the new content."""
    changes = int(dict(old.inventories) != dict(inventories)) + int(old.traits != traits)
    for consumer in set(old.allocations) | set(allocations):
        before, after = old.allocations.get(consumer), allocations.get(consumer)
        if before is None or after is None or dict(before) != dict(after):
            changes += 1
    return changes


def build_tree(inventory: Inventory, previous: ProviderTree | None = None) -> ProviderTree:
    """The provider tree of ``inventory``; ``previous`` (the tree of an older snapshot) carries
    generations forward so they never go back."""
    return _Builder(inventory, previous).build()
