"""Compute nodes' provider trees read from Placement once, for every flavor at once.

Capacity needs each tree's inventories (with reserved, ratios and units), usages, and the
traits requests name. Placement has no bulk read of inventories, so every provider costs
two requests (inventories, usages), whatever the number of flavors; traits cost one
listing per trait named (``?required=T``), not one request per provider; aggregates one
listing per ``member_of``. A single host costs its root, its tree and three requests per
provider of it, whatever the size of the cloud.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pciclient import exceptions as exc
from pciclient.http import expect_object
from pciclient.v2.base import path_segment
from pciclient.v2.capacity.trees import HostTree, Inventory, Provider
from pciclient.v2.placement import PlacementManager, read_traits
from pciclient.v2.placement_rows import PCI_TRAIT, PciProvider, number

#: Nova puts this trait on the root of a compute node whose service is disabled.
DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'

@dataclass
class Trees:
    """What was read: the trees, and facts about the cloud the answer depends on."""

    trees: list[HostTree] = field(default_factory=list)
    #: Whether any provider of the cloud (or of the host) is a Nova PCI device.
    pci_reported: bool = False


#: The largest amount Placement stores (its database's big integers): anything beyond is
#: no answer of Placement's, and would overflow the float arithmetic of capacities.
MAX_AMOUNT = 2**63 - 1


def amount(value: Any, what: str) -> int:
    """A whole number of units from Placement, ≥ 0 and within what it stores."""
    units = number(value, what)
    if not 0 <= units <= MAX_AMOUNT:
        raise exc.InvalidResponse(f'Placement sent a {what} of {str(units)[:30]}, which is '
                                  'no amount of units.')
    return units


def inventory(rc: str, value: Any, where: str) -> Inventory:
    if not isinstance(value, dict):
        raise exc.InvalidResponse(f'Inventory {rc} of {where} is not an object.')

    def whole(key: str, default: int | None) -> int | None:
        raw = value.get(key)
        return default if raw is None else amount(raw, f'{key} (inventory {rc})')

    ratio = value.get('allocation_ratio', 1.0)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) \
            or not 0 <= ratio < math.inf:
        raise exc.InvalidResponse(f'Inventory {rc} of {where} has an allocation ratio '
                                  'that is not a number.')
    total = whole('total', 0) or 0
    found = Inventory(total=total, reserved=whole('reserved', 0) or 0,
                      min_unit=whole('min_unit', 1) or 1, max_unit=whole('max_unit', None),
                      step_size=whole('step_size', 1) or 1, allocation_ratio=float(ratio))
    if not math.isfinite(found.capacity):
        # e.g. a ratio of 1e308: (total − reserved) × ratio is beyond any float
        raise exc.InvalidResponse(f'Inventory {rc} of {where} has a capacity beyond any '
                                  'number (its allocation ratio is too large).')
    return found


class TreeReader:
    """Reads trees through the client's Placement (its endpoint, concurrency, progress)."""

    def __init__(self, placement: PlacementManager) -> None:
        self.placement = placement
        self._having: dict[str, set[str]] = {}

    def _uuids(self, query: dict[str, str]) -> set[str]:
        return {p.uuid for p in self.placement.list_providers(query)}

    def having(self, trait: str) -> set[str]:
        """The providers with ``trait`` (one listing, read once per reader)."""
        if trait not in self._having:
            self._having[trait] = self._uuids({'required': trait})
        return self._having[trait]

    def trees(self, *, host: str | None = None, member_of: list[list[str]] | None = None,
              traits: Iterable[str] = ()) -> Trees:
        """Every compute node's tree (those in every ``member_of`` list), or ``host``'s
        alone; providers know which of ``traits`` they have (all their traits for a host,
        so a host's tree can be read before the requests are known). ``pci_reported``:
        for a host, from its own tree when it has PCI providers (no cloud-wide listing)."""
        wanted = set(traits) | {PCI_TRAIT, DISABLED_TRAIT}
        if host is not None:
            return self._host_tree(host, member_of or [])
        listed = self.placement.list_providers({})
        roots = {p.uuid for p in listed if p.parent_uuid is None}
        members = {uuid: self._uuids({'member_of': uuid})
                   for uuid in sorted({u for ored in member_of or [] for u in ored})}
        for ored in member_of or []:
            roots &= set().union(*(members[uuid] for uuid in ored))
        having = {trait: self.having(trait) for trait in sorted(wanted)}
        chosen = [p for p in listed if (p.root_uuid or p.uuid) in roots]
        providers = self._fill(chosen, traits=False)
        for provider in providers:
            provider.traits = {t for t, uuids in having.items() if provider.uuid in uuids}
        trees = self._assemble(providers)
        if member_of:
            for tree in trees:
                tree.aggregates = {u for u, uuids in members.items() if tree.root.uuid in uuids}
        return Trees(trees, pci_reported=bool(having[PCI_TRAIT]))

    def _host_tree(self, host: str, member_of: list[list[str]]) -> Trees:
        root = self.placement.root(host)
        listed = self.placement.list_providers({'in_tree': root.uuid})
        providers = self._fill(listed, traits=True)
        trees = self._assemble(providers)
        if member_of and trees:
            path = f'resource_providers/{path_segment(root.uuid)}/aggregates'
            body = self.placement.require().get(path)
            listed_aggregates = body.get('aggregates') if isinstance(body, dict) else None
            if not isinstance(listed_aggregates, list):
                raise exc.InvalidResponse(f'The answer to {path} has no "aggregates" list.')
            trees[0].aggregates = {str(a) for a in listed_aggregates}
        pci = any(PCI_TRAIT in p.traits for p in providers)
        if not pci:  # the cloud may report PCI elsewhere: one listing tells
            pci = bool(self.having(PCI_TRAIT))
        return Trees(trees, pci_reported=pci)

    def _fill(self, listed: list[PciProvider], *, traits: bool) -> list[Provider]:
        http = self.placement.require()

        def read(item: PciProvider) -> Provider:
            base = f'resource_providers/{path_segment(item.uuid)}'
            inventories = expect_object(http.get(f'{base}/inventories'), 'inventories', base)
            usages = expect_object(http.get(f'{base}/usages'), 'usages', base)
            provider = Provider(
                uuid=item.uuid, name=item.name, parent_uuid=item.parent_uuid,
                inventories={str(rc): inventory(str(rc), value, base)
                             for rc, value in inventories.items()},
                usages={str(rc): amount(value, 'usage') for rc, value in usages.items()})
            if traits:
                provider.traits = set(read_traits(http, base))
            return provider

        result: list[Provider] = self.placement.map_concurrently(
            read, listed, 'Reading resource providers')
        return result

    @staticmethod
    def _assemble(providers: list[Provider]) -> list[HostTree]:
        """Providers into trees (root first, then its descendants by name), by host."""
        by_uuid = {p.uuid: p for p in providers}
        trees: dict[str, HostTree] = {}
        for provider in providers:
            if provider.parent_uuid is None:
                trees[provider.uuid] = HostTree(root=provider, providers=[provider])
        for provider in sorted(providers, key=lambda p: p.name):
            if provider.parent_uuid is None:
                continue
            root = provider
            seen = set()
            while root.parent_uuid is not None and root.parent_uuid in by_uuid \
                    and root.uuid not in seen:
                seen.add(root.uuid)
                root = by_uuid[root.parent_uuid]
            if root.uuid in trees and root.parent_uuid is None:
                trees[root.uuid].providers.append(provider)
        return sorted(trees.values(), key=lambda t: t.host)
