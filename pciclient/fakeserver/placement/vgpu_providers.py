"""The physical GPUs serving vGPUs, as Nova 34's libvirt driver reports them to Placement.

``LibvirtDriver._ensure_pgpu_providers`` makes each physical GPU (each VF, for SR-IOV
GPUs) a child of the compute node named ``<nodename>_<libvirt device name>``
(``compute1_pci_0000_84_00_0``, lower-case hex as libvirt spells node devices), with one
inventory of ``VGPU`` or of the mdev type's ``[mdev_<type>] mdev_class``, whose fields
come from ``_get_gpu_inventories`` (``min_unit`` 1, ``max_unit`` = ``total``,
``step_size`` 1, ``reserved`` 0, ``allocation_ratio`` 1.0), and the trait ``OWNER_NOVA``
only: mdev-type traits are an operator's, added by hand (the scenario's ``traits``). A
server holding vGPUs is a consumer of that inventory.

Kept apart from :mod:`provider_tree` so the tree builder stays about PCI devices.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pciclient.fakeserver.model.catalog import PhysicalGpu
from pciclient.fakeserver.model.inventory import Server
from pciclient.fakeserver.placement.names import OWNER_TRAIT

__all__ = ['PgpuProvider', 'pgpu_provider_name', 'pgpu_providers']


def pgpu_provider_name(hostname: str, address: str) -> str:
    """``compute1_pci_0000_84_00_0`` for the GPU at ``0000:84:00.0`` of ``compute1``."""
    return f'{hostname}_pci_' + address.lower().replace(':', '_').replace('.', '_')


@dataclass(frozen=True)
class PgpuProvider:
    """What the tree needs to make one physical GPU's provider."""

    name: str
    resource_class: str
    total: int
    traits: frozenset[str]
    allocations: dict[str, dict[str, int]]   # server uuid -> {resource class: vGPUs}


def pgpu_providers(hostname: str, gpus: Iterable[PhysicalGpu],
                   servers: Iterable[Server]) -> Iterator[PgpuProvider]:
    """The providers of ``hostname``'s physical GPUs with their servers' vGPUs, in address
    order. A GPU with no mdev to offer (total 0) has no provider (Nova deletes it)."""
    held: dict[str, dict[str, int]] = {}
    for server in servers:
        for address in server.vgpus:
            by_server = held.setdefault(address.lower(), {})
            by_server[server.id] = by_server.get(server.id, 0) + 1
    for gpu in sorted(gpus, key=lambda g: g.address):
        if gpu.total <= 0:
            continue
        allocations = {server: {gpu.resource_class: amount}
                       for server, amount in held.get(gpu.address.lower(), {}).items()}
        yield PgpuProvider(pgpu_provider_name(hostname, gpu.address), gpu.resource_class,
                           gpu.total, frozenset({OWNER_TRAIT}) | gpu.traits, allocations)
