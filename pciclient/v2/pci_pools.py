"""Free PCI capacity per host: the hypervisors' ``pci_stats`` pools, or Placement's."""
from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient.v2.base import normalise_hex_id
from pciclient.v2.hypervisors import HypervisorManager
from pciclient.v2.placement import CANNOT_TELL_IDS, NoSuchComputeNode, PlacementManager

LOG = logging.getLogger(__name__)

NO_POOLS = ("This cloud's hypervisors do not report PCI pools (no pci_stats), so free PCI "
            'capacity cannot be listed from the compute API.')


class PoolList(list):
    """Pools, where they came from, and the hosts that reported none at all."""

    def __init__(self, items: Iterable[Any], source: str, silent: list[str],
                 unjudged: dict[str, int] | None = None) -> None:
        super().__init__(items)
        self.source = source
        self.silent_hosts = silent
        #: Pools left out because their source cannot tell whether they match, by reason.
        self.unjudged = unjudged or {}


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
        pools, unjudged = [], 0
        for pool in self._placement.pools(host):  # with a host: its tree alone
            if (vendor_id and pool['vendor_id'] is None) or \
                    (product_id and pool['product_id'] is None):
                unjudged += 1  # a custom resource class names no ids: not silently dropped
            elif _same_id(pool['vendor_id'], vendor_id) and \
                    _same_id(pool['product_id'], product_id):
                pools.append(pool)
        return PoolList(pools, 'placement', [], unjudged={CANNOT_TELL_IDS: unjudged}
                        if unjudged else {})

    def of_hypervisor(self, hypervisor: Any) -> tuple[builtins.list[dict[str, Any]] | None,
                                                     str | None]:
        """A hypervisor's pools and where they were read: its own ``pci_stats``, or, where
        the compute API reports none (today's Nova), Placement's pools of its tree alone
        (its root is named after the nodename); ``(None, None)`` when neither tells."""
        pools = hypervisor.pci_stats
        if pools is not None and self.source != 'placement':
            return pools, 'os-pci'
        nodename = hypervisor.raw.get('hypervisor_hostname')
        if self.source == 'os-pci' or not isinstance(nodename, str) or not nodename:
            return None, None
        if self.source == 'auto' and not self._placement.available():
            return None, None
        try:
            from_tree = self._placement.pools(nodename)
        except NoSuchComputeNode:
            return None, None
        except exc.ClientException as error:
            if self.source == 'placement':
                raise
            # auto: the compute API answered; Placement's view is a bonus, never a failure
            LOG.warning('PCI pools of %s not read from Placement: %s', nodename, error)
            return None, None
        # A tree without PCI providers tells nothing (report_in_placement may be off).
        return (from_tree, 'placement') if from_tree else (None, None)
