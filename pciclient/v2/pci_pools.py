"""Free PCI capacity per host: the hypervisors' ``pci_stats`` pools, or Placement's."""
from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient.v2.base import normalise_hex_id
from pciclient.v2.hypervisors import HypervisorManager
from pciclient.v2.placement import PlacementManager

NO_POOLS = ("This cloud's hypervisors do not report PCI pools (no pci_stats), so free PCI "
            'capacity cannot be listed from the compute API.')


class PoolList(list):
    """Pools, where they came from, and the hosts that reported none at all."""

    def __init__(self, items: Iterable[Any], source: str, silent: list[str]) -> None:
        super().__init__(items)
        self.source = source
        self.silent_hosts = silent


def _same_id(value: Any, wanted: str | None) -> bool:
    return wanted is None or normalise_hex_id(value or '') == normalise_hex_id(wanted)


class PciPoolManager:
    def __init__(self, hypervisors: HypervisorManager, placement: PlacementManager,
                 source: str = 'auto') -> None:
        self._hypervisors = hypervisors
        self._placement = placement
        self.source = source

    def list(self, host: str | None = None, vendor_id: str | None = None,
             product_id: str | None = None) -> PoolList:
        """Every host's pools: from ``os-hypervisors/detail`` in one request, or, when no
        hypervisor reports pools (today's Nova), from Placement's inventories and usages."""
        if self.source != 'placement':
            pools, silent = self._hypervisors.pools(host, vendor_id, product_id)
            if pools or not silent:
                return PoolList(({**pool, 'source': 'os-pci'} for pool in pools), 'os-pci', silent)
            if self.source == 'os-pci':
                raise exc.CommandError(f'{NO_POOLS} Read them from Placement with ',
                                       hint=exc.Hint.PCI_SOURCE_PLACEMENT, then='.')
            if not self._placement.available():
                raise exc.CommandError(f'{NO_POOLS} Placement could tell, but it is not in '
                                       'the catalog; give ',
                                       hint=exc.Hint.PLACEMENT_ENDPOINT, then='.')
        pools = [pool for pool in self._placement.pools(host)
                 if (host is None or pool['host'] == host)
                 and _same_id(pool['vendor_id'], vendor_id)
                 and _same_id(pool['product_id'], product_id)]
        return PoolList(pools, 'placement', [])

    def of_hypervisor(self, hypervisor: Any) -> tuple[builtins.list[dict[str, Any]] | None,
                                                     str | None]:
        """A hypervisor's pools and where they were read: its own ``pci_stats``, or, where
        the compute API reports none (today's Nova), Placement's pools of its tree alone
        (its root is named after the nodename); ``(None, None)`` when neither tells."""
        pools = hypervisor.pci_stats
        if pools is not None and self.source != 'placement':
            return pools, 'os-pci'
        if self.source == 'os-pci' or not self._placement.available():
            return None, None
        try:
            return self._placement.pools(hypervisor.raw.get('hypervisor_hostname')), 'placement'
        except exc.NotFound:  # no compute node of that name in Placement
            return None, None
