"""A compute node as the hypervisor API shows it, and what the servers on it consume.

Split from :mod:`inventory` so each stays short. A hypervisor's usage is the sum of
what its servers hold (:func:`server_resources`): a server of a catalog flavor holds
that flavor's resources, any other server is billed like a 1 vCPU / 512 MB / 1 GB
flavor, so the hypervisor API and Placement's allocations read the same numbers. Its
``state`` and ``status`` are its compute service's (``catalog.HostService``).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pciclient.fakeserver.model.catalog import Catalog, HostService

if TYPE_CHECKING:
    from pciclient.fakeserver.model.inventory import PciPool, Server

__all__ = ['DEFAULT_SERVER_RESOURCES', 'HostResources', 'Hypervisor', 'SERVER_DISK_GB',
           'SERVER_RAM_MB', 'SERVER_VCPUS', 'server_resources']

# What Nova's fake virt driver reports; clients only ever display it.
_CPU_INFO = json.dumps({
    'arch': 'x86_64',
    'model': 'Nehalem',
    'vendor': 'Intel',
    'features': ['pge', 'clflush'],
    'topology': {'cores': 1, 'threads': 1, 'sockets': 4},
})
# A server without a flavor of the catalog is billed like a 1 vCPU / 512 MB / 1 GB flavor.
SERVER_VCPUS, SERVER_RAM_MB, SERVER_DISK_GB = 1, 512, 1
DEFAULT_SERVER_RESOURCES: Mapping[str, int] = MappingProxyType(
    {'VCPU': SERVER_VCPUS, 'MEMORY_MB': SERVER_RAM_MB, 'DISK_GB': SERVER_DISK_GB})
_NO_USAGE: Mapping[str, int] = MappingProxyType({})


def server_resources(server: Server, catalog: Catalog) -> Mapping[str, int]:
    """What ``server`` holds on its compute node's root provider."""
    flavor = catalog.flavor(server.flavor_id) if server.flavor_id is not None else None
    if flavor is None:
        return DEFAULT_SERVER_RESOURCES
    return MappingProxyType(flavor.resources())


@dataclass(frozen=True)
class HostResources:
    """Capacity a fake host advertises; PCI devices are the only real data."""

    vcpus: int = 8
    memory_mb: int = 16384
    local_gb: int = 1024
    reserved_memory_mb: int = 512


@dataclass(frozen=True)
class Hypervisor:
    id: int
    hostname: str
    pools: tuple[PciPool, ...]
    running_vms: int = 0
    resources: HostResources = HostResources()
    # VCPU / MEMORY_MB / DISK_GB its servers hold
    used: Mapping[str, int] = field(default_factory=lambda: _NO_USAGE)
    service: HostService = HostService()

    def brief(self) -> dict[str, Any]:
        return {
            'id': self.id,
            'hypervisor_hostname': self.hostname,
            'state': self.service.state,
            'status': self.service.status,
        }

    def detail(self) -> dict[str, Any]:
        """Nova 2.1's hypervisor document; PCI stats are added per API shape."""
        res = self.resources
        vcpus_used = self.used.get('VCPU', 0)
        memory_used = res.reserved_memory_mb + self.used.get('MEMORY_MB', 0)
        disk_used = self.used.get('DISK_GB', 0)
        return {
            **self.brief(),
            'hypervisor_type': 'fake',
            'hypervisor_version': 1000,
            'host_ip': '127.0.0.1',
            'service': {'id': self.id, 'host': self.hostname,
                        'disabled_reason': self.service.disabled_reason},
            'vcpus': res.vcpus,
            'memory_mb': res.memory_mb,
            'local_gb': res.local_gb,
            'vcpus_used': vcpus_used,
            'memory_mb_used': memory_used,
            'local_gb_used': disk_used,
            'free_ram_mb': res.memory_mb - memory_used,
            'free_disk_gb': res.local_gb - disk_used,
            'current_workload': 0,
            'running_vms': self.running_vms,
            'disk_available_least': 0,
            'cpu_info': _CPU_INFO,
        }
