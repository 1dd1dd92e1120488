"""A compute node's provider tree as Placement reported it: what the fit arithmetic reads.

Plain data, filled by the Placement reads (or, for clouds of the blueprint, by turning a
host's ``pci_stats`` pools into providers), so the arithmetic never makes a request.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inventory:
    """One resource class's inventory on one provider, with Placement's defaults."""

    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int | None = None  # None: total
    step_size: int = 1
    allocation_ratio: float = 1.0

    @property
    def capacity(self) -> float:
        """What Placement lets consumers hold: ``(total − reserved) × allocation_ratio``."""
        return (self.total - self.reserved) * self.allocation_ratio

    def accepts(self, amount: int) -> bool:
        """Whether one allocation of ``amount`` passes min_unit, max_unit and step_size."""
        max_unit = self.total if self.max_unit is None else self.max_unit
        step = self.step_size or 1
        return self.min_unit <= amount <= max_unit and amount % step == 0


@dataclass
class Provider:
    uuid: str
    name: str
    parent_uuid: str | None = None
    inventories: dict[str, Inventory] = field(default_factory=dict)
    #: Units in use per resource class (Placement's usages).
    usages: dict[str, int] = field(default_factory=dict)
    traits: set[str] = field(default_factory=set)

    def free(self, rc: str) -> int:
        """Whole units still free: the most that ``used + n <= capacity`` allows."""
        inventory = self.inventories.get(rc)
        if inventory is None:
            return 0
        return max(0, math.floor(inventory.capacity - self.usages.get(rc, 0) + 1e-9))


@dataclass
class HostTree:
    """A compute node (the root) and every provider under it, root first."""

    root: Provider
    providers: list[Provider] = field(default_factory=list)
    #: Placement aggregates the root is a member of (None: not read).
    aggregates: set[str] | None = None

    @property
    def host(self) -> str:
        return self.root.name

    def free(self, rc: str) -> int:
        """Free units of ``rc`` over the whole tree."""
        return sum(p.free(rc) for p in self.providers)
