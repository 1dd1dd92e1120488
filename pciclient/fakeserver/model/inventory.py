"""The fake cloud's state at one moment: hosts, their PCI devices, and servers holding some.

An :class:`Inventory` is an immutable snapshot, so request threads share it
without locks; a rescan builds a new one and swaps it in whole (see
:mod:`store`). Ids are given by the caller (stable across rescans) or derived
from sorted input, so every run over the same hosts answers with the same ids.

Device states follow Nova's PCI tracker: a device a server holds is
``allocated``; a PF whose VF is held is ``unclaimable``; the VFs of a held PF are
``unavailable``; a device gone from its host is ``removed`` (unless a server still
holds it: Nova keeps that one ``allocated``). Pools group devices the way
Nova's ``PciDeviceStats`` does today and count only ``available`` ones; a pool
whose devices are all taken stays, with count 0. Nova's rules on who may hold
what are checked in :mod:`holdings`; lookups by id, place or field go through the
lazily built :mod:`device_index`.

Documents here are in the blueprint's form; other API shapes are derived from
them by the presentation layer.
"""
from __future__ import annotations

import datetime
import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pciclient.fakeserver.model.catalog import EMPTY_CATALOG, Catalog
from pciclient.fakeserver.model.device_index import DeviceIndex
from pciclient.fakeserver.model.holdings import Holdings
from pciclient.fakeserver.model.hypervisor import (
    SERVER_DISK_GB,
    SERVER_RAM_MB,
    SERVER_VCPUS,
    HostResources,
    Hypervisor,
    server_resources,
)
from pciclient.fakeserver.model.sysfs import PciFunction, address_sort_key

__all__ = [
    'DEV_TYPE_PCI',
    'DEV_TYPE_PF',
    'DEV_TYPE_VF',
    'HostResources',
    'Hypervisor',
    'Inventory',
    'PciDevice',
    'PciPool',
    'SERVER_DISK_GB',
    'SERVER_RAM_MB',
    'SERVER_VCPUS',
    'STATUS_ALLOCATED',
    'STATUS_AVAILABLE',
    'STATUS_REMOVED',
    'STATUS_UNAVAILABLE',
    'STATUS_UNCLAIMABLE',
    'Server',
    'TrackedDevice',
    'dev_type_of',
]

DEV_TYPE_PCI = 'type-PCI'
DEV_TYPE_PF = 'type-PF'
DEV_TYPE_VF = 'type-VF'

STATUS_AVAILABLE = 'available'
STATUS_ALLOCATED = 'allocated'
STATUS_UNCLAIMABLE = 'unclaimable'
STATUS_UNAVAILABLE = 'unavailable'
STATUS_REMOVED = 'removed'

# Device-spec tags Nova matches in Placement and therefore leaves out of its pools.
_IGNORED_POOL_TAGS = frozenset({'resource_class', 'traits'})
# Types Nova assumes to be locally managed NICs unless the device_spec says otherwise.
_NIC_TYPES = frozenset({DEV_TYPE_PF, DEV_TYPE_VF, 'vdpa'})


Tags = tuple[tuple[str, str], ...]


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
    flavor_id: str | None = None   # a flavor of the catalog; None: billed like m1.tiny
    vgpus: tuple[str, ...] = ()    # one physical GPU address per vGPU it holds
    # VNIC type of the Neutron port bound to a held physnet device, by address (default:
    # direct for a VF, direct-physical for a PF); only the fake Neutron reads it.
    vnic_types: Mapping[str, str] = field(default_factory=dict)

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


@dataclass(frozen=True, slots=True)
class TrackedDevice:
    """A device as its host's PCI tracker knows it, before servers are applied.

    ``present`` is False once the function vanished from the host; ``tags`` are
    the matching device_spec entry's; timestamps of None mean "the inventory's".
    """

    id: int
    hostname: str
    function: PciFunction
    tags: Tags = ()
    present: bool = True
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
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
    status: str = STATUS_AVAILABLE
    instance_uuid: str | None = None
    tags: Tags = ()
    parent_addr: str | None = None
    updated_at: str | None = None

    @property
    def dev_id(self) -> str:
        return 'pci_' + self.address.replace(':', '_').replace('.', '_')

    @property
    def label(self) -> str:
        return f'label_{self.vendor_id}_{self.product_id}'

    @property
    def pool_tags(self) -> Tags:
        """The pool keys beyond vendor/product/NUMA/type, as Nova's PciDeviceStats makes them.

        Device-spec tags, then the PF (or the device itself) as ``address`` so
        each PF and each plain device is its own pool while a PF's VFs share
        one, and ``remote_managed`` defaulting to "false" for NIC functions.
        """
        tags = {key: value for key, value in self.tags if key not in _IGNORED_POOL_TAGS}
        tags['address'] = self.parent_addr or self.address
        if self.dev_type in _NIC_TYPES:
            tags.setdefault('remote_managed', 'false')
        return tuple(sorted(tags.items()))

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
            'updated_at': self.updated_at,
            'vendor_id': self.vendor_id,
        }


@dataclass(frozen=True)
class PciPool:
    """Devices a scheduler would treat as interchangeable; ``count`` of them are free."""

    vendor_id: str
    product_id: str
    numa_node: int | None
    dev_type: str
    tags: Tags
    count: int


def _pool_sort_key(pool: PciPool) -> tuple:
    numa = -1 if pool.numa_node is None else pool.numa_node
    return pool.vendor_id, pool.product_id, numa, pool.dev_type, pool.tags


def _pools(devices: Iterable[PciDevice]) -> tuple[PciPool, ...]:
    """Every pool a tracked device belongs to, counting the available ones."""
    counts: dict[tuple[str, str, int | None, str, Tags], int] = {}
    tag_cache: dict[tuple[Tags, str, str], Tags] = {}
    for device in devices:
        if device.status == STATUS_REMOVED:
            continue
        cache_key = (device.tags, device.parent_addr or device.address, device.dev_type)
        tags = tag_cache.get(cache_key)
        if tags is None:
            tags = tag_cache[cache_key] = device.pool_tags
        key = (device.vendor_id, device.product_id, device.numa_node, device.dev_type, tags)
        counts[key] = counts.get(key, 0) + (device.status == STATUS_AVAILABLE)
    pools = [PciPool(vendor, product, numa, dev_type, tags, count)
             for (vendor, product, numa, dev_type, tags), count in counts.items()]
    return tuple(sorted(pools, key=_pool_sort_key))


def _startup_timestamp() -> str:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now.isoformat(timespec='microseconds')


class Inventory:
    """Read-only view of the fake cloud; build it with :meth:`from_hosts` or
    :meth:`from_tracked`."""

    def __init__(self, hostnames: tuple[str, ...], tracked: tuple[TrackedDevice, ...],
                 devices: tuple[PciDevice, ...], hypervisors: tuple[Hypervisor, ...],
                 servers: tuple[Server, ...], created_at: str, resources: HostResources,
                 catalog: Catalog = EMPTY_CATALOG,
                 node_ids: Mapping[str, int] | None = None) -> None:
        self.devices = devices
        self.catalog = catalog
        self.hypervisors = hypervisors
        self.servers = servers
        self.created_at = created_at
        self._hostnames = hostnames
        self._tracked = tracked
        self._resources = resources
        self._node_ids = node_ids
        self._index = DeviceIndex(devices, removed_status=STATUS_REMOVED)
        self._hypervisors_by_id = {str(h.id): h for h in hypervisors}
        self._hypervisors_by_name = {h.hostname: h for h in hypervisors}
        self._hypervisor_positions = {str(h.id): n for n, h in enumerate(hypervisors)}
        self._servers_by_id = {s.id: s for s in servers}

    # Construction

    @classmethod
    def from_hosts(cls, hosts: Iterable[tuple[str, Iterable[PciFunction]]],
                   servers: Iterable[Server] = (), created_at: str | None = None,
                   resources: HostResources | None = None,
                   catalog: Catalog = EMPTY_CATALOG) -> Inventory:
        """Track every function of every host, ids 1..N over sorted (host, address).

        Raises ValueError for inconsistent input (duplicate hosts or addresses,
        a server on an unknown host or holding a device that is not on its host
        or already held, directly or through its PF or VF): that is a bug in the caller.
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
        tracked: list[TrackedDevice] = []
        for hostname in sorted(functions):
            for function in functions[hostname]:
                tracked.append(TrackedDevice(len(tracked) + 1, hostname, function))
        return cls.from_tracked(functions, tracked, servers, created_at, resources, catalog)

    @classmethod
    def from_tracked(cls, hostnames: Iterable[str], tracked: Iterable[TrackedDevice],
                     servers: Iterable[Server] = (), created_at: str | None = None,
                     resources: HostResources | None = None,
                     catalog: Catalog = EMPTY_CATALOG,
                     node_ids: Mapping[str, int] | None = None) -> Inventory:
        """Apply servers to devices whose ids are already settled (listed in ascending id order).

        ``node_ids`` (hostname -> compute node id) keeps hypervisor ids stable when hosts
        come and go (a scenario reload); None numbers the sorted hostnames from 1.
        Raises ValueError as :meth:`from_hosts` does, and for ids out of order.
        """
        names = tuple(sorted(set(hostnames)))
        devices_in = tuple(tracked)
        for before, after in itertools.pairwise(devices_in):
            if before.id >= after.id:
                raise ValueError(f'device ids must ascend: {before.id} then {after.id}')
        unknown = {d.hostname for d in devices_in} - set(names)
        if unknown:
            raise ValueError(f'device on unknown host {sorted(unknown)[0]!r}')
        if node_ids is not None and set(node_ids) != set(names):
            raise ValueError('node_ids must name exactly the hosts')
        return cls._build(names, devices_in, tuple(servers), created_at or _startup_timestamp(),
                          resources or HostResources(), catalog, node_ids)

    def with_servers(self, servers: Iterable[Server]) -> Inventory:
        """Same hosts and device ids, different servers (ids are known before servers are made)."""
        return self._build(self._hostnames, self._tracked, tuple(servers), self.created_at,
                           self._resources, self.catalog, self._node_ids)

    @classmethod
    def _build(cls, hostnames: tuple[str, ...], tracked: tuple[TrackedDevice, ...],
               servers: tuple[Server, ...], created_at: str,
               resources: HostResources, catalog: Catalog,
               node_ids: Mapping[str, int] | None = None) -> Inventory:
        if node_ids is None:
            node_ids = {name: index for index, name in enumerate(hostnames, start=1)}
        holdings = Holdings({d.id: d for d in tracked}, servers, hostnames)
        # by id(function): generated hosts share them
        extra_infos: dict[int, Mapping[str, str]] = {}
        devices = []
        by_host: dict[str, list[PciDevice]] = {name: [] for name in hostnames}
        for item in tracked:
            function = item.function
            dev_type = dev_type_of(function)
            holder = holdings.by_device.get(item.id)
            place = (item.hostname, function.address)
            if holder is not None:
                status = STATUS_ALLOCATED
            elif not item.present:
                status = STATUS_REMOVED
            elif dev_type == DEV_TYPE_PF and place in holdings.busy_pfs:
                status = STATUS_UNCLAIMABLE
            elif dev_type == DEV_TYPE_VF and (item.hostname, function.physfn) in holdings.held_pfs:
                status = STATUS_UNAVAILABLE
            else:
                status = STATUS_AVAILABLE
            extra_info = extra_infos.get(id(function))
            if extra_info is None:
                extra_info = extra_infos[id(function)] = MappingProxyType(_extra_info(function))
            device = PciDevice(
                id=item.id,
                hostname=item.hostname,
                compute_node_id=node_ids[item.hostname],
                address=function.address,
                vendor_id=function.vendor,
                product_id=function.device,
                dev_type=dev_type,
                numa_node=function.numa_node,
                extra_info=extra_info,
                created_at=item.created_at or created_at,
                status=status,
                instance_uuid=holder,
                tags=item.tags,
                parent_addr=function.physfn if dev_type == DEV_TYPE_VF else None,
                updated_at=item.updated_at,
            )
            devices.append(device)
            by_host[item.hostname].append(device)
        running: dict[str, int] = {}
        used: dict[str, dict[str, int]] = {name: {} for name in hostnames}
        for server in servers:
            running[server.host] = running.get(server.host, 0) + 1
            held = used[server.host]
            for rc, amount in server_resources(server, catalog).items():
                held[rc] = held.get(rc, 0) + amount
        hypervisors = tuple(
            Hypervisor(id=node_ids[name], hostname=name, pools=_pools(by_host[name]),
                       running_vms=running.get(name, 0), resources=resources,
                       used=MappingProxyType(used[name]), service=catalog.service(name))
            for name in sorted(hostnames, key=node_ids.__getitem__)  # Nova lists by node id
        )
        return cls(hostnames, tracked, tuple(devices), hypervisors, servers, created_at,
                   resources, catalog, node_ids)

    # Lookups

    def device(self, device_id: int) -> PciDevice | None:
        position = self.position_of(device_id)
        return None if position is None else self.devices[position]

    def position_of(self, device_id: int) -> int | None:
        """Where a device id sits in :attr:`devices` (which is in id order), or None."""
        return self._index.position_of(device_id)

    def device_at(self, hostname: str, address: str) -> PciDevice | None:
        """The device at a place (the live one, if a removed one was there before)."""
        return self._index.device_at(hostname, address)

    def positions(self, field_name: str, value: Any) -> Sequence[int]:
        """Ascending positions in :attr:`devices` of the devices whose ``field_name`` is
        ``value``."""
        return self._index.positions(field_name, value)

    def hypervisor(self, id_or_hostname: str) -> Hypervisor | None:
        """Nova 2.1 accepted the integer id; the blueprint's examples use the hostname."""
        found = self._hypervisors_by_id.get(id_or_hostname)
        return found if found is not None else self._hypervisors_by_name.get(id_or_hostname)

    def hypervisor_positions(self) -> Mapping[str, int]:
        """Position of each hypervisor in :attr:`hypervisors`, by id as a marker spells it."""
        return MappingProxyType(self._hypervisor_positions)

    def server(self, server_id: str) -> Server | None:
        return self._servers_by_id.get(server_id)
