"""The cloud of :mod:`benchmarks.capacity_scale`: compute nodes filled as Nova fills Placement,
grown in steps (100 hosts, then 1,000) so one Placement serves every size measured.

The calls, microversions, PCI devices and traits are those of the real-Placement test tier
(:mod:`tests.realplacement.populate`, its ``PlacementAPI``); only the root inventory is a
bigger node's (32 cores, 128 GiB, 1.8 TB) reported as Nova 34's libvirt driver does with
its defaults (``initial_cpu_allocation_ratio`` 4.0, ``initial_ram_allocation_ratio`` and
``initial_disk_allocation_ratio`` 1.0, ``reserved_host_memory_mb`` 512,
``reserved_host_disk_mb`` and ``reserved_host_cpus`` 0, ``max_unit`` = total).

The population is regular so every host's answer can be told in advance
(:meth:`Cloud.used`): hosts ``computeNNN0`` hold a GPU server and a 2-VF server, hosts
``computeNNN5`` a gold-GPU server and a RAM-heavy one, ``compute0003`` is disabled
(``COMPUTE_STATUS_DISABLED`` on its root, its service disabled), and ``compute0004`` has
2 of its 4 VFs reserved by the operator.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT_INVENTORY = {
    'VCPU': {'total': 32, 'reserved': 0, 'min_unit': 1, 'max_unit': 32, 'step_size': 1,
             'allocation_ratio': 4.0},
    'MEMORY_MB': {'total': 131072, 'reserved': 512, 'min_unit': 1, 'max_unit': 131072,
                  'step_size': 1, 'allocation_ratio': 1.0},
    'DISK_GB': {'total': 1800, 'reserved': 0, 'min_unit': 1, 'max_unit': 1800,
                'step_size': 1, 'allocation_ratio': 1.0},
}
DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'
DISABLED_HOST = 'compute0003'
RESERVED_HOST, RESERVED_DEVICE, RESERVED_UNITS = 'compute0004', 'sriov', 2
PROVIDERS_PER_HOST = 5        # the root and populate.DEVICES' four

# What the servers of the population hold (root resources; the PCI part by device key).
GPU_SERVER = {'VCPU': 8, 'MEMORY_MB': 32768, 'DISK_GB': 100}
VF_SERVER = {'VCPU': 4, 'MEMORY_MB': 8192, 'DISK_GB': 40}
GOLD_SERVER = {'VCPU': 8, 'MEMORY_MB': 16384, 'DISK_GB': 80}
RAM_SERVER = {'VCPU': 16, 'MEMORY_MB': 65536, 'DISK_GB': 200}
# (root resources, device key or '', devices) per server, by host index modulo 10.
SERVERS_BY_SLOT: dict[int, list[tuple[dict[str, int], str, int]]] = {
    0: [(GPU_SERVER, 'gpu', 1), (VF_SERVER, 'sriov', 2)],
    5: [(GOLD_SERVER, 'gold', 1), (RAM_SERVER, '', 0)],
}


def hostname(i: int) -> str:
    return f'compute{i:04d}'


def measured_host(hosts: int) -> str:
    """The host ``--host`` asks about: the middle one (compute0500 of 1,000, compute0050
    of 100), a host holding servers."""
    return hostname(max(1, hosts // 2))


@dataclass
class Cloud:
    """What was created so far, and what each host holds."""

    url: str
    hosts: list[str] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)
    servers: int = 0
    requests: int = 0
    seconds: float = 0.0

    def used(self, host: str) -> dict[str, int]:
        """Units held on ``host``'s tree, by resource class (PCI classes included)."""
        from tests.realplacement import populate as nova

        specs = {s.key: s for s in nova.DEVICES}
        held: dict[str, int] = {}
        for root, key, count in SERVERS_BY_SLOT.get(int(host[-4:]) % 10, []):
            for rc, amount in root.items():
                held[rc] = held.get(rc, 0) + amount
            if key:
                rc = nova.resource_class(specs[key])
                held[rc] = held.get(rc, 0) + count
        return held

    def capacity(self, host: str) -> dict[str, int]:
        """What ``host``'s tree can ever give, by resource class (reserved taken off)."""
        from tests.realplacement import populate as nova

        caps = {rc: int((inv['total'] - inv['reserved']) * inv['allocation_ratio'])
                for rc, inv in ROOT_INVENTORY.items()}
        for spec in nova.DEVICES:
            caps[nova.resource_class(spec)] = spec.vfs or 1
        if host == RESERVED_HOST:
            spec = next(s for s in nova.DEVICES if s.key == RESERVED_DEVICE)
            caps[nova.resource_class(spec)] -= RESERVED_UNITS
        return caps


def _add_host(api, cloud: Cloud, i: int) -> int:
    """Create compute node ``i`` with its devices and servers; returns its servers."""
    from tests.realplacement import populate as nova

    specs = {s.key: s for s in nova.DEVICES}
    host = hostname(i)
    root = api.create_provider(host)
    api.set_inventory(root, ROOT_INVENTORY)
    api.set_traits(root, set(nova.ROOT_TRAITS) | ({DISABLED_TRAIT} if host == DISABLED_HOST
                                                  else set()))
    children = {}
    for spec in nova.DEVICES:
        child = api.create_provider(nova.provider_name(host, spec.address), parent=root['uuid'])
        total = spec.vfs or 1
        api.set_inventory(child, {nova.resource_class(spec): {'total': total,
                                                              'max_unit': total}})
        api.set_traits(child, set(nova.PCI_TRAITS) | set(spec.traits))
        children[spec.key] = child
    if host == RESERVED_HOST:
        api.reserve(children[RESERVED_DEVICE], nova.resource_class(specs[RESERVED_DEVICE]),
                    RESERVED_UNITS)
    servers = SERVERS_BY_SLOT.get(i % 10, [])
    for flavor, key, count in servers:
        rc = nova.resource_class(specs[key]) if key else ''
        api.claim(str(uuid.uuid4()), root['uuid'], flavor, rc, count,
                  required=specs[key].traits if key else ())
    cloud.roots[host] = root['uuid']
    return len(servers)


def grow(cloud: Cloud, hosts: int, say: Callable[[str], None], workers: int = 2) -> None:
    """Add compute nodes until the cloud has ``hosts``, with their devices and servers.

    ``workers`` clients fill at once, each its own hosts, each host's calls in Nova's
    order: Placement's single worker is busy about three quarters of the time with one
    client (the client's own work is the rest), so two hide most of that."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.realplacement import populate as nova

    started = time.monotonic()
    first = len(cloud.hosts) + 1
    todo = list(range(first, hosts + 1))
    apis = [nova.PlacementAPI(cloud.url, 'admin') for _ in range(max(1, workers))]
    lock = threading.Lock()
    done: list[int] = []
    step = max(1, len(todo) // 5)

    failed = threading.Event()

    def work(slot: int) -> None:
        for i in todo[slot::len(apis)]:
            if failed.is_set():
                return
            try:
                servers = _add_host(apis[slot], cloud, i)
            except BaseException:
                failed.set()
                raise
            with lock:
                cloud.servers += servers
                done.append(i)
                if len(done) % step == 0 or len(done) == len(todo):
                    count = cloud.requests + sum(a.count for a in apis)
                    say(f'   {first - 1 + len(done)}/{hosts} hosts, {cloud.servers} servers, '
                        f'{count} requests, {cloud.seconds + time.monotonic() - started:.0f} s')

    try:
        with ThreadPoolExecutor(max_workers=len(apis)) as pool:
            for future in [pool.submit(work, slot) for slot in range(len(apis))]:
                future.result()
    finally:
        for api in apis:
            api.close()
        cloud.requests += sum(a.count for a in apis)
        cloud.seconds += time.monotonic() - started
        cloud.hosts = sorted(cloud.roots)
