"""A small cloud for the fuzzers: hypervisors, PCI devices, servers and Placement's PCI
providers, drawn by hypothesis in the shapes the client decodes (blueprint or merged Nova,
with or without os-pci), and the command-line arguments worth trying on it.

Everything random is drawn before a command runs; the documents each URL answers with
(:mod:`tests.fuzz.documents`) are then a pure function of the world and the request, so
concurrent requests (Placement, 8 at a time) cannot make an example behave differently
when hypothesis replays it. What goes wrong in those answers is :mod:`tests.fuzz.wrong_answers`.
"""
from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.fuzz import capacity_world as cw
from tests.fuzz import jsontext

STATUSES = ('available', 'claimed', 'allocated', 'removed', 'deleted', 'unclaimable',
            'unavailable')
DEV_TYPES = ('type-PCI', 'type-PF', 'type-VF', 'vdpa')


# --- drawing the world ---------------------------------------------------------------
def arg_texts(min_size: int = 0) -> st.SearchStrategy[str]:
    """Text a user can type as an argument (no NUL, no surrogates, not an option)."""
    return st.text(st.characters(exclude_categories=('Cs',), exclude_characters='\x00'),
                   min_size=min_size, max_size=16).filter(lambda t: not t.startswith('-'))


HOSTNAMES = st.one_of(
    st.sampled_from(['compute1', 'compute2', 'gpu-01.example.org', 'Compute1', '42',
                     'host_with_underscores', 'hôte-é', '💥']),
    arg_texts(min_size=1))

hex4 = st.text('0123456789abcdef', min_size=4, max_size=4)
addresses = st.builds(lambda bus, dev, fn: f'0000:{bus:02x}:{dev:02x}.{fn}',
                      st.integers(0, 255), st.integers(0, 31), st.integers(0, 7))
uuids = st.uuids().map(str)


@dataclass
class World:
    """One cloud; ``os_pci`` False plays a Nova without the PCI API (only Placement)."""

    hypervisors: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    servers: list[dict[str, Any]]
    providers: list[dict[str, Any]]       # resource provider documents (PCI providers)
    details: dict[str, dict[str, Any]]    # provider uuid -> inventories/usages/traits/allocations
    roots: dict[str, dict[str, Any]]      # compute node providers by uuid
    os_pci: bool = True
    shapes: str = 'blueprint'
    page_size: int | None = None
    max_version: str = '2.95'
    # What capacity reads (see tests.fuzz.capacity_world); roots' details are in ``details``.
    flavors: list[dict[str, Any]] = field(default_factory=list)
    aggregates: list[dict[str, Any]] = field(default_factory=list)
    #: The --pci-alias file (None: there is none) and what is wrong with it (None: nothing).
    alias_file: bytes | None = None
    alias_broken: str | None = None
    #: Roots on which Placement has an allocation candidate (what --verify is told).
    candidates: set[str] = field(default_factory=set)

    def hostnames(self) -> list[str]:
        return [h['hypervisor_hostname'] for h in self.hypervisors]

    def root_named(self, host: str) -> str | None:
        return next((u for u, r in self.roots.items() if r['name'] == host), None)


_NUMA = st.none() | st.integers(0, 3)
_COUNT = st.integers(0, 64)
_TAGS = st.dictionaries(st.sampled_from(['physical_network', 'trusted', 'remote_managed',
                                         'address']), jsontext.texts(), max_size=2)
_DEV_TYPE = st.sampled_from(DEV_TYPES)
_STATUS = st.sampled_from(STATUSES)
_WRAPPING = st.sampled_from(['list', 'list', 'json-text', 'nova-object'])
_SHAPES = st.sampled_from(['blueprint', 'merged-nova'])
_STATE = st.sampled_from(['up', 'down'])
_ENABLED = st.sampled_from(['enabled', 'disabled'])
_CPU_INFO = st.sampled_from(['{"arch": "x86_64"}', '{', 'x86'])
_SERVER_NAMES = st.lists(st.one_of(st.sampled_from(['vm1', 'vm.1', 'vm1', '^vm$']),
                                   arg_texts(min_size=1)), max_size=3)
_HOSTNAME_LISTS = st.lists(HOSTNAMES, max_size=3, unique=True)
#: Capacity's worlds: a host at least, mostly up and enabled (else little is counted).
_CAPACITY_HOSTNAME_LISTS = st.lists(HOSTNAMES, min_size=1, max_size=3, unique=True)
_MOSTLY_UP = st.sampled_from(['up'] * 5 + ['down'])
_MOSTLY_ENABLED = st.sampled_from(['enabled'] * 5 + ['disabled'])
_EXTRA_INFO = st.dictionaries(st.sampled_from(['phys_function', 'key1']), jsontext.texts(),
                              max_size=2)
_LABEL = st.sampled_from(['label_8086_1520', ''])
_CUSTOM_TRAITS = st.lists(st.sampled_from(['CUSTOM_GOLD', 'HW_GPU_API_CUDA']), max_size=1)
_PAGE_SIZE = st.none() | st.integers(1, 3)
_MAX_VERSION = st.sampled_from(['2.1', '2.52', '2.53', '2.95'])
#: The compute service's host: mostly the node's name, now and then another (an FQDN node).
_SERVICE_HOST = st.sampled_from(['{hostname}', '{hostname}', '{hostname}', 'svc-{index}'])


@st.composite
def pools(draw, shapes: str) -> Any:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        pool: dict[str, Any] = {'vendor_id': draw(hex4), 'product_id': draw(hex4),
                                'numa_node': draw(_NUMA), 'count': draw(_COUNT)}
        tags = draw(_TAGS)
        if draw(st.booleans()):
            pool['dev_type'] = draw(_DEV_TYPE)
        if shapes == 'blueprint':
            pool['extra_info'] = tags
        else:
            pool.update(tags)
        items.append(pool)
    wrapping = draw(_WRAPPING)
    if wrapping == 'json-text':
        return jsontext.Raw(jsontext.encode(jsontext.encode(items)))
    if wrapping == 'nova-object':
        return {'nova_object.name': 'PciDevicePoolList',
                'nova_object.data': {'objects': items}}
    return items


def _pool_items(value: Any) -> list[dict[str, Any]]:
    """The pools of a drawn ``pci_stats``, however it is wrapped."""
    if isinstance(value, jsontext.Raw):
        value = json.loads(json.loads(value.text))
    if isinstance(value, dict):
        value = value['nova_object.data']['objects']
    return value


@st.composite
def worlds(draw, os_pci: bool | None = None, capacity: bool = False) -> World:
    """A cloud; ``capacity`` also draws what capacity reads (flavors, roots' inventories,
    aggregates, the alias file)."""
    shapes = draw(_SHAPES)
    if os_pci is None:
        os_pci = draw(st.booleans())
    uuid_ids = draw(st.booleans())   # hypervisor ids: integers (< 2.53) or UUIDs
    hostnames = draw(_CAPACITY_HOSTNAME_LISTS if capacity else _HOSTNAME_LISTS)
    states, statuses = (_MOSTLY_UP, _MOSTLY_ENABLED) if capacity else (_STATE, _ENABLED)
    hypervisors = []
    for index, hostname in enumerate(hostnames, start=1):
        hypervisor: dict[str, Any] = {
            'id': str(uuidlib.UUID(int=index)) if uuid_ids else index,
            'hypervisor_hostname': hostname, 'state': draw(states), 'status': draw(statuses),
            'hypervisor_type': 'QEMU', 'host_ip': f'192.0.2.{index}', 'vcpus': 16,
            'vcpus_used': 2, 'memory_mb': 65536, 'memory_mb_used': 4096, 'local_gb': 100,
            'local_gb_used': 10, 'running_vms': 1, 'cpu_info': draw(_CPU_INFO),
            'service': {'host': draw(_SERVICE_HOST).format(hostname=hostname, index=index),
                        'id': index, 'disabled_reason': None}}
        if os_pci:
            key = 'pci_stats' if shapes == 'blueprint' else 'os-pci:pci_stats'
            hypervisor[key] = draw(pools(shapes))
        hypervisors.append(hypervisor)
    servers = [{'id': draw(uuids), 'name': name, 'status': 'ACTIVE', 'tenant_id': 'demo'}
               for name in draw(_SERVER_NAMES)]
    devices = []
    for index in range(1, draw(st.integers(0, 5)) + 1):
        holder = draw(st.sampled_from([None, *servers]))
        device = {
            'id': index, 'address': draw(addresses),
            'compute_node_id': (draw(st.sampled_from([h['id'] for h in hypervisors]))
                                if hypervisors else 99),
            'vendor_id': draw(hex4), 'product_id': draw(hex4),
            'status': 'allocated' if holder else draw(_STATUS),
            'dev_type': draw(_DEV_TYPE), 'dev_id': f'pci_{index}', 'label': draw(_LABEL),
            'numa_node': draw(_NUMA), 'extra_info': draw(_EXTRA_INFO),
            'created_at': '2026-01-01T00:00:00.000000', 'updated_at': None,
            'deleted': False, 'deleted_at': None}
        holder_id = holder['id'] if holder else None
        if shapes == 'blueprint':
            device['instance_uuid'] = holder_id
        else:
            device['server_uuid'] = holder_id
        devices.append(device)
        if holder is not None and os_pci:
            holder.setdefault('os-pci:pci_devices', []).append({'id': index})
    if os_pci:
        for server in servers:
            server.setdefault('os-pci:pci_devices', [])
    providers, details, roots = [], {}, {}
    for index, hostname in enumerate(hostnames):
        root = str(uuidlib.UUID(int=1000 + index))
        roots[root] = {'uuid': root, 'name': hostname, 'generation': 3,
                       'parent_provider_uuid': None, 'root_provider_uuid': root, 'links': []}
        details[root] = draw(cw.root_details(hypervisors[index]['status'] == 'disabled')) \
            if capacity else {'inventories': {}, 'usages': {}, 'traits': [],
                              'allocations': {}, 'aggregates': []}
        for _ in range(draw(st.integers(0, 3))):
            provider = draw(uuids)
            vendor, product = draw(hex4).upper(), draw(hex4).upper()
            resource_class = draw(st.sampled_from([f'CUSTOM_PCI_{vendor}_{product}',
                                                   'CUSTOM_GPU_GOLD']))
            total = draw(st.integers(1, 8))
            reserved = draw(st.integers(0, total))
            used = draw(st.integers(0, total - reserved))
            name = draw(st.sampled_from([f'{hostname}_{draw(addresses).upper()}',
                                         'custom-board']))
            consumers: dict[str, Any] = {}
            for _ in range(used):
                consumer = draw(st.sampled_from([s['id'] for s in servers] or [None]))
                if consumer is None or draw(st.booleans()):
                    consumer = draw(uuids)
                consumers.setdefault(consumer, {'resources': {resource_class: 0}})
                consumers[consumer]['resources'][resource_class] += 1
            providers.append({'uuid': provider, 'name': name, 'generation': 2,
                              'parent_provider_uuid': root, 'root_provider_uuid': root,
                              'links': []})
            details[provider] = {
                'inventories': {resource_class: {
                    'total': total, 'reserved': reserved, 'min_unit': 1, 'max_unit': total,
                    'step_size': 1, 'allocation_ratio': 1.0}},
                'usages': {resource_class: used},
                'traits': ['COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA', *draw(_CUSTOM_TRAITS)],
                'allocations': consumers, 'aggregates': []}
    world = World(hypervisors=hypervisors, devices=devices, servers=servers,
                  providers=providers, details=details, roots=roots, os_pci=os_pci,
                  shapes=shapes, page_size=draw(_PAGE_SIZE), max_version=draw(_MAX_VERSION))
    if capacity:
        _capacity_parts(draw, world)
    return world


def _capacity_parts(draw: Any, world: World) -> None:
    """Flavors, aggregates (mirrored on the roots in Placement, as Nova does), the
    alias file, and which roots Placement has a candidate on."""
    service_hosts = [h['service']['host'] for h in world.hypervisors]
    world.flavors = draw(cw.flavors())
    world.aggregates = draw(cw.aggregates(service_hosts))
    for hypervisor, root in zip(world.hypervisors, world.roots, strict=True):
        world.details[root]['aggregates'] = [
            a['uuid'] for a in world.aggregates if hypervisor['service']['host'] in a['hosts']]
    classes = sorted({rc for p in world.providers
                      for rc in world.details[p['uuid']]['inventories']})
    pools = [(p['vendor_id'], p['product_id']) for h in world.hypervisors
             for p in _pool_items(h.get('pci_stats', h.get('os-pci:pci_stats', [])))]
    world.alias_file, world.alias_broken = draw(cw.alias_files(classes, pools))
    world.candidates = {root for root in world.roots if draw(st.booleans())}


# --- arguments worth trying on a world ------------------------------------------------
def mostly(known: list[str]) -> st.SearchStrategy[str]:
    """One of ``known`` four times out of five, else any text."""
    if not known:
        return _ANY_ARG
    return st.integers(0, 4).flatmap(lambda pick: st.sampled_from(known) if pick else _ANY_ARG)


_ANY_ARG = arg_texts(min_size=1)


def server_names(world: World) -> st.SearchStrategy[str]:
    known = [s['name'] for s in world.servers if not s['name'].startswith('-')]
    known += [s['id'] for s in world.servers]
    return mostly(known)


def hypervisor_keys(world: World) -> st.SearchStrategy[str]:
    known = [h for h in world.hostnames() if not h.startswith('-')]
    known += [str(h['id']) for h in world.hypervisors]
    return mostly(known)


def device_keys(world: World) -> st.SearchStrategy[str]:
    known = [str(d['id']) for d in world.devices] + [p['uuid'] for p in world.providers]
    known += [p['name'] for p in world.providers]
    return mostly(known)
