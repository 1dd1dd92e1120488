"""The fake cloud's state: hosts, their PCI devices, and servers holding some of them.

Pure data built once at startup and never mutated, so request threads can share
it without locks. Ids are derived from sorted input, which keeps every run over
the same tree answering with the same ids (tests and humans can rely on them).
Documents here are in the blueprint's form; other API shapes are derived from
them by the presentation layer.
"""
from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pciclient.fakeserver.sysfs import PciFunction, address_sort_key

__all__ = [
    'DEV_TYPE_PCI',
    'DEV_TYPE_PF',
    'DEV_TYPE_VF',
    'HostResources',
    'Hypervisor',
    'Inventory',
    'PciDevice',
    'PciPool',
    'Server',
    'dev_type_of',
]

DEV_TYPE_PCI = 'type-PCI'
DEV_TYPE_PF = 'type-PF'
DEV_TYPE_VF = 'type-VF'

# What Nova's fake virt driver reports; clients only ever display it.
_CPU_INFO = json.dumps({
    'arch': 'x86_64',
    'model': 'Nehalem',
    'vendor': 'Intel',
    'features': ['pge', 'clflush'],
    'topology': {'cores': 1, 'threads': 1, 'sockets': 4},
})
# Every fake server is billed like a 1 vCPU / 512 MB / 1 GB flavor.
_SERVER_VCPUS, _SERVER_RAM_MB, _SERVER_DISK_GB = 1, 512, 1


def dev_type_of(function: PciFunction) -> str:
    """A parent link settles VF-ness first; only then does SR-IOV capability make a PF."""
    if function.is_vf:
        return DEV_TYPE_VF
    if function.is_pf:
        return DEV_TYPE_PF
    return DEV_TYPE_PCI


def _extra_info(function: PciFunction) -> dict[str, str]:
    info: dict[str, str] = {}
    if function.physfn is not None:
        info['phys_function'] = function.physfn
    if function.is_pf:
        info['sriov_totalvfs'] = str(function.sriov_totalvfs)
        info['sriov_numvfs'] = str(function.sriov_numvfs or 0)
    if function.driver is not None:
        info['driver'] = function.driver
    if function.class_code is not None:
        info['class_code'] = function.class_code
    return info


@dataclass(frozen=True)
class Server:
    """A server (instance) that can hold PCI devices; none exist unless a caller adds them."""

    id: str
    name: str
    host: str
    device_ids: tuple[int, ...] = ()
    status: str = 'ACTIVE'
    tenant_id: str = 'fake-project'
    user_id: str = 'fake-user'
    created: str = '2026-01-01T00:00:00Z'
    updated: str = '2026-01-01T00:00:00Z'
    metadata: Mapping[str, str] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        """Nova's server document without ``links``, which depend on the request URL."""
        host_id = hashlib.sha224((self.tenant_id + self.host).encode('utf-8')).hexdigest()
        return {
            'id': self.id,
            'name': self.name,
            'status': self.status,
            'tenant_id': self.tenant_id,
            'user_id': self.user_id,
            'created': self.created,
            'updated': self.updated,
            'hostId': host_id,
            'OS-EXT-SRV-ATTR:host': self.host,
            'OS-EXT-SRV-ATTR:hypervisor_hostname': self.host,
            'metadata': dict(self.metadata),
            'addresses': {},
            'os-pci:pci_devices': [{'id': device_id} for device_id in self.device_ids],
        }


@dataclass(frozen=True)
class PciDevice:
    """One device row as Nova's ``pci_devices`` table would hold it."""

    id: int
    hostname: str
    compute_node_id: int
    address: str
    vendor_id: str
    product_id: str
    dev_type: str
    numa_node: int | None
    extra_info: Mapping[str, str]
    created_at: str
    status: str = 'available'
    instance_uuid: str | None = None

    @property
    def dev_id(self) -> str:
        return 'pci_' + self.address.replace(':', '_').replace('.', '_')

    @property
    def label(self) -> str:
        return f'label_{self.vendor_id}_{self.product_id}'

    @property
    def pool_tags(self) -> tuple[tuple[str, str], ...]:
        """VFs of different PFs must not share a pool; Nova tags them apart the same way."""
        if self.dev_type == DEV_TYPE_VF and 'phys_function' in self.extra_info:
            return (('phys_function', self.extra_info['phys_function']),)
        return ()

    def brief(self) -> dict[str, Any]:
        return {
            'address': self.address,
            'compute_node_id': self.compute_node_id,
            'id': self.id,
            'product_id': self.product_id,
            'status': self.status,
            'vendor_id': self.vendor_id,
        }

    def detail(self) -> dict[str, Any]:
        """The blueprint's full form (``instance_uuid`` and soft-delete columns included)."""
        return {
            'address': self.address,
            'compute_node_id': self.compute_node_id,
            'created_at': self.created_at,
            'deleted': False,
            'deleted_at': None,
            'dev_id': self.dev_id,
            'dev_type': self.dev_type,
            'extra_info': dict(self.extra_info),
            'id': self.id,
            'instance_uuid': self.instance_uuid,
            'label': self.label,
            'numa_node': self.numa_node,
            'product_id': self.product_id,
            'status': self.status,
            'updated_at': None,
            'vendor_id': self.vendor_id,
        }


@dataclass(frozen=True)
class PciPool:
    """Free devices a scheduler would treat as interchangeable."""

    vendor_id: str
    product_id: str
    numa_node: int | None
    dev_type: str
    tags: tuple[tuple[str, str], ...]
    count: int


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

    def brief(self) -> dict[str, Any]:
        return {
            'id': self.id,
            'hypervisor_hostname': self.hostname,
            'state': 'up',
            'status': 'enabled',
        }

    def detail(self) -> dict[str, Any]:
        """Nova 2.1's hypervisor document; PCI stats are added per API shape."""
        res = self.resources
        vcpus_used = self.running_vms * _SERVER_VCPUS
        memory_used = res.reserved_memory_mb + self.running_vms * _SERVER_RAM_MB
        disk_used = self.running_vms * _SERVER_DISK_GB
        return {
            **self.brief(),
            'hypervisor_type': 'fake',
            'hypervisor_version': 1000,
            'host_ip': '127.0.0.1',
            'service': {'id': self.id, 'host': self.hostname, 'disabled_reason': None},
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


def _pool_sort_key(pool: PciPool) -> tuple:
    numa = -1 if pool.numa_node is None else pool.numa_node
    return pool.vendor_id, pool.product_id, numa, pool.dev_type, pool.tags


def _pools(devices: Iterable[PciDevice]) -> tuple[PciPool, ...]:
    counts: dict[tuple, int] = {}
    for device in devices:
        if device.status != 'available':
            continue
        key = (device.vendor_id, device.product_id, device.numa_node,
               device.dev_type, device.pool_tags)
        counts[key] = counts.get(key, 0) + 1
    pools = [PciPool(*key, count=count) for key, count in counts.items()]
    return tuple(sorted(pools, key=_pool_sort_key))


def _startup_timestamp() -> str:
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return now.isoformat(timespec='microseconds')


class Inventory:
    """Read-only view of the fake cloud; build it with :meth:`from_hosts`."""

    def __init__(self, devices: tuple[PciDevice, ...], hypervisors: tuple[Hypervisor, ...],
                 servers: tuple[Server, ...], created_at: str,
                 functions: Mapping[str, tuple[PciFunction, ...]],
                 resources: HostResources) -> None:
        self.devices = devices
        self.hypervisors = hypervisors
        self.servers = servers
        self.created_at = created_at
        self._functions = MappingProxyType(dict(functions))
        self._resources = resources
        self._devices_by_id = {d.id: d for d in devices}
        self._devices_by_place = {(d.hostname, d.address): d for d in devices}
        self._hypervisors_by_id = {str(h.id): h for h in hypervisors}
        self._hypervisors_by_name = {h.hostname: h for h in hypervisors}
        self._servers_by_id = {s.id: s for s in servers}

    @classmethod
    def from_hosts(cls, hosts: Iterable[tuple[str, Iterable[PciFunction]]],
                   servers: Iterable[Server] = (), created_at: str | None = None,
                   resources: HostResources | None = None) -> Inventory:
        """Number hosts and devices deterministically and apply server allocations.

        Raises ValueError for inconsistent input (duplicate hosts or addresses,
        a server on an unknown host or holding a device that is not on its host
        or already held by another server): that is a bug in the caller.
        """
        functions: dict[str, tuple[PciFunction, ...]] = {}
        for hostname, host_functions in hosts:
            if hostname in functions:
                raise ValueError(f'duplicate host {hostname!r}')
            ordered = tuple(sorted(host_functions, key=lambda f: address_sort_key(f.address)))
            addresses = [f.address for f in ordered]
            if len(set(addresses)) != len(addresses):
                raise ValueError(f'duplicate PCI address on host {hostname!r}')
            functions[hostname] = ordered
        return cls._build(functions, tuple(servers), created_at or _startup_timestamp(),
                          resources or HostResources())

    def with_servers(self, servers: Iterable[Server]) -> Inventory:
        """Same hosts and device ids, different servers (ids are known before servers are made)."""
        return self._build(self._functions, tuple(servers), self.created_at, self._resources)

    @classmethod
    def _build(cls, functions: Mapping[str, tuple[PciFunction, ...]], servers: tuple[Server, ...],
               created_at: str, resources: HostResources) -> Inventory:
        hostnames = sorted(functions)
        node_ids = {name: index for index, name in enumerate(hostnames, start=1)}
        holders = cls._holders(functions, servers)
        devices = []
        for hostname in hostnames:
            for function in functions[hostname]:
                holder = holders.get((hostname, function.address))
                devices.append(PciDevice(
                    id=len(devices) + 1,
                    hostname=hostname,
                    compute_node_id=node_ids[hostname],
                    address=function.address,
                    vendor_id=function.vendor,
                    product_id=function.device,
                    dev_type=dev_type_of(function),
                    numa_node=function.numa_node,
                    extra_info=MappingProxyType(_extra_info(function)),
                    created_at=created_at,
                    status='allocated' if holder else 'available',
                    instance_uuid=holder,
                ))
        hypervisors = tuple(
            Hypervisor(
                id=node_ids[name],
                hostname=name,
                pools=_pools(d for d in devices if d.hostname == name),
                running_vms=sum(1 for s in servers if s.host == name),
                resources=resources,
            )
            for name in hostnames
        )
        return cls(tuple(devices), hypervisors, servers, created_at, functions, resources)

    @staticmethod
    def _holders(functions: Mapping[str, tuple[PciFunction, ...]],
                 servers: tuple[Server, ...]) -> dict[tuple[str, str], str]:
        """Map (host, address) to the uuid of the server holding it, validating as we go."""
        places: list[tuple[str, str]] = [
            (hostname, function.address)
            for hostname in sorted(functions)
            for function in functions[hostname]
        ]
        holders: dict[tuple[str, str], str] = {}
        seen_ids: set[str] = set()
        for server in servers:
            if server.id in seen_ids:
                raise ValueError(f'duplicate server id {server.id!r}')
            seen_ids.add(server.id)
            if server.host not in functions:
                raise ValueError(f'server {server.id} is on unknown host {server.host!r}')
            for device_id in server.device_ids:
                if not 1 <= device_id <= len(places):
                    raise ValueError(f'server {server.id} holds unknown PCI device {device_id}')
                place = places[device_id - 1]
                if place[0] != server.host:
                    raise ValueError(
                        f'server {server.id} on {server.host!r} cannot hold device '
                        f'{device_id} of host {place[0]!r}')
                if place in holders:
                    raise ValueError(f'PCI device {device_id} is held by two servers')
                holders[place] = server.id
        return holders

    def device(self, device_id: int) -> PciDevice | None:
        return self._devices_by_id.get(device_id)

    def device_at(self, hostname: str, address: str) -> PciDevice | None:
        """Look a device up by where it is, e.g. to give a test server its id."""
        return self._devices_by_place.get((hostname, address))

    def hypervisor(self, id_or_hostname: str) -> Hypervisor | None:
        """Nova 2.1 accepted the integer id; the blueprint's examples use the hostname."""
        found = self._hypervisors_by_id.get(id_or_hostname)
        return found if found is not None else self._hypervisors_by_name.get(id_or_hostname)

    def server(self, server_id: str) -> Server | None:
        return self._servers_by_id.get(server_id)
