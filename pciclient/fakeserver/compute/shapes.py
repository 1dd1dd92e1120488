"""Render inventory objects in one of the two API dialects the fake server speaks.

The blueprint and the API Nova finally merged disagree on a few names (and on
where pool tags live); clients must cope with both, so the server can be told
which one to emulate. Everything shape-specific lives here.
"""
from __future__ import annotations

from typing import Any

from pciclient.fakeserver.model.inventory import Hypervisor, PciDevice, PciPool

__all__ = ['BLUEPRINT', 'MERGED_NOVA', 'SHAPES', 'device_detail', 'hypervisor_detail',
           'pool_document']

BLUEPRINT = 'blueprint'
MERGED_NOVA = 'merged-nova'
SHAPES = (BLUEPRINT, MERGED_NOVA)

# Soft-delete bookkeeping the merged API stopped exposing.
_MERGED_DROPPED = frozenset({'created_at', 'updated_at', 'deleted', 'deleted_at'})


def _check(shapes: str) -> None:
    if shapes not in SHAPES:
        raise ValueError(f'unknown shapes {shapes!r}; expected one of {", ".join(SHAPES)}')


def device_detail(device: PciDevice, shapes: str) -> dict[str, Any]:
    """Full device document; merged Nova renamed ``instance_uuid`` to ``server_uuid``."""
    _check(shapes)
    document = device.detail()
    if shapes == BLUEPRINT:
        return document
    merged: dict[str, Any] = {}
    for key, value in document.items():
        if key == 'instance_uuid':
            merged['server_uuid'] = value
        elif key not in _MERGED_DROPPED:
            merged[key] = value
    return merged


def pool_document(pool: PciPool, shapes: str) -> dict[str, Any]:
    """The blueprint nests tags in ``extra_info``; merged Nova flattened them into the pool."""
    _check(shapes)
    document: dict[str, Any] = {
        'count': pool.count,
        'vendor_id': pool.vendor_id,
        'product_id': pool.product_id,
        'numa_node': pool.numa_node,
        'dev_type': pool.dev_type,
    }
    tags = dict(pool.tags)
    if shapes == BLUEPRINT:
        document['extra_info'] = tags
    else:
        for key, value in tags.items():
            document.setdefault(key, value)
    return document


def hypervisor_detail(hypervisor: Hypervisor, shapes: str, pci: bool = True) -> dict[str, Any]:
    """Nova's hypervisor document plus PCI stats under the dialect's key (none without ``pci``)."""
    _check(shapes)
    key = 'pci_stats' if shapes == BLUEPRINT else 'os-pci:pci_stats'
    document = hypervisor.detail()
    if not pci:
        return document
    document[key] = [pool_document(pool, shapes) for pool in hypervisor.pools]
    return document
