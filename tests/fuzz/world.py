"""A small cloud for the fuzzers: hypervisors, PCI devices, servers and Placement's PCI
providers, drawn by hypothesis in the shapes the client decodes (blueprint or merged Nova,
with or without os-pci), and the documents each compute or Placement URL answers with.

Everything random is drawn before a command runs; the documents are then a pure function
of the world and the request, so concurrent requests (Placement, 8 at a time) cannot make
an example behave differently when hypothesis replays it.
"""
from __future__ import annotations

import copy
import functools
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.fuzz import jsontext

COMPUTE = 'http://nova.test/v2.1'
PLACEMENT = 'http://placement.test'

STATUSES = ('available', 'claimed', 'allocated', 'removed', 'deleted', 'unclaimable',
            'unavailable')
DEV_TYPES = ('type-PCI', 'type-PF', 'type-VF', 'vdpa')
BRIEF_DEVICE_KEYS = ('address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id')
BRIEF_HYPERVISOR_KEYS = ('id', 'hypervisor_hostname', 'state', 'status')


def router_404() -> dict[str, Any]:
    """What Nova's router (webob) answers for a URL it does not know."""
    return {'message': 'The resource could not be found.<br /><br />\n\n\n',
            'code': '404 Not Found', 'title': 'Not Found'}


def nova_fault(name: str, code: int, message: str) -> dict[str, Any]:
    return {name: {'code': code, 'message': message}}


def placement_error(status: int, title: str, detail: str) -> dict[str, Any]:
    return {'errors': [{'status': status, 'title': title, 'detail': detail,
                        'request_id': 'req-0'}]}


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

    def hostnames(self) -> list[str]:
        return [h['hypervisor_hostname'] for h in self.hypervisors]


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
_EXTRA_INFO = st.dictionaries(st.sampled_from(['phys_function', 'key1']), jsontext.texts(),
                              max_size=2)
_LABEL = st.sampled_from(['label_8086_1520', ''])
_CUSTOM_TRAITS = st.lists(st.sampled_from(['CUSTOM_GOLD', 'HW_GPU_API_CUDA']), max_size=1)
_PAGE_SIZE = st.none() | st.integers(1, 3)
_MAX_VERSION = st.sampled_from(['2.1', '2.52', '2.53', '2.95'])


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


@st.composite
def worlds(draw, os_pci: bool | None = None) -> World:
    shapes = draw(_SHAPES)
    if os_pci is None:
        os_pci = draw(st.booleans())
    uuid_ids = draw(st.booleans())   # hypervisor ids: integers (< 2.53) or UUIDs
    hostnames = draw(_HOSTNAME_LISTS)
    hypervisors = []
    for index, hostname in enumerate(hostnames, start=1):
        hypervisor: dict[str, Any] = {
            'id': str(uuidlib.UUID(int=index)) if uuid_ids else index,
            'hypervisor_hostname': hostname, 'state': draw(_STATE), 'status': draw(_ENABLED),
            'hypervisor_type': 'QEMU', 'host_ip': f'192.0.2.{index}', 'vcpus': 16,
            'vcpus_used': 2, 'memory_mb': 65536, 'memory_mb_used': 4096, 'local_gb': 100,
            'local_gb_used': 10, 'running_vms': 1, 'cpu_info': draw(_CPU_INFO),
            'service': {'host': hostname, 'id': index, 'disabled_reason': None}}
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
                'allocations': consumers}
    return World(hypervisors=hypervisors, devices=devices, servers=servers,
                 providers=providers, details=details, roots=roots, os_pci=os_pci,
                 shapes=shapes, page_size=draw(_PAGE_SIZE), max_version=draw(_MAX_VERSION))


# --- what each URL answers -----------------------------------------------------------
@dataclass
class Doc:
    """A pristine answer: status and JSON document (``kind`` names the route)."""

    kind: str
    status: int
    body: Any
    arg: str | None = None


def _page(world: World, items: list[dict[str, Any]], key: str, path: str,
          query: dict[str, str]) -> tuple[int, Any]:
    size = world.page_size
    start = 0
    if 'marker' in query:
        ids = [str(item.get('id')) for item in items]
        if query['marker'] not in ids:
            return 400, nova_fault('badRequest', 400, f'marker [{query["marker"]}] not found')
        start = ids.index(query['marker']) + 1
    if size is None:
        return 200, {key: items[start:]}
    page = items[start:start + size]
    body: dict[str, Any] = {key: page}
    if start + size < len(items):
        body[f'{key}_links'] = [{'rel': 'next', 'href': f'{COMPUTE}/{path}?' + urlencode(
            {'limit': size, 'marker': page[-1]['id']})}]
    return 200, body


def _strip_pci(world: World, item: dict[str, Any]) -> dict[str, Any]:
    if world.os_pci:
        return item
    return {k: v for k, v in item.items()
            if k not in ('pci_stats', 'os-pci:pci_stats', 'os-pci:pci_devices')}


def compute_doc(world: World, path: str, query: dict[str, str]) -> Doc:
    """The document the compute API answers ``GET {COMPUTE}/{path}?{query}`` with."""
    parts = path.split('/') if path else []
    if not parts:
        return Doc('version', 200, {'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': world.max_version,
            'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': f'{COMPUTE}/'}]}})
    head = parts[0]
    if head == 'os-pci':
        if not world.os_pci:
            return Doc('pci_list', 404, router_404())
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            items = [d if detailed else {k: d[k] for k in BRIEF_DEVICE_KEYS}
                     for d in world.devices]
            status, body = _page(world, items, 'pci_devices', path, query)
            return Doc('pci_detail' if detailed else 'pci_list', status, body)
        if len(parts) == 2:
            for device in world.devices:
                if str(device['id']) == parts[1]:
                    return Doc('pci_get', 200, {'pci_device': device}, parts[1])
            return Doc('pci_get', 404, nova_fault('itemNotFound', 404,
                                                  f'PCI device {parts[1]} not found'), parts[1])
    if head == 'os-hypervisors':
        hypervisors = [_strip_pci(world, h) for h in world.hypervisors]
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            pattern = query.get('hypervisor_hostname_pattern')
            if pattern is not None:
                hypervisors = [h for h in hypervisors if pattern in h['hypervisor_hostname']]
                if not hypervisors:
                    return Doc('hyp_detail', 404, nova_fault(
                        'itemNotFound', 404, f'No hypervisor matching {pattern} could be found.'))
            items = [h if detailed else {k: h[k] for k in BRIEF_HYPERVISOR_KEYS}
                     for h in hypervisors]
            status, body = _page(world, items, 'hypervisors', path, query)
            return Doc('hyp_detail' if detailed else 'hyp_list', status, body)
        if len(parts) == 3 and parts[2] == 'search':
            found = [{k: h[k] for k in BRIEF_HYPERVISOR_KEYS} for h in hypervisors
                     if parts[1] in h['hypervisor_hostname']]
            if not found:
                return Doc('hyp_search', 404, nova_fault(
                    'itemNotFound', 404, f'No hypervisor matching {parts[1]} could be found.'))
            return Doc('hyp_search', 200, {'hypervisors': found}, parts[1])
        if len(parts) == 2:
            for hypervisor in hypervisors:
                if str(hypervisor['id']) == parts[1]:
                    return Doc('hyp_get', 200, {'hypervisor': hypervisor}, parts[1])
            return Doc('hyp_get', 404, nova_fault(
                'itemNotFound', 404, f'Hypervisor with ID {parts[1]} could not be found.'))
    if head == 'servers':
        servers = [_strip_pci(world, s) for s in world.servers]
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            items = servers if detailed else [{k: s[k] for k in ('id', 'name')} for s in servers]
            status, body = _page(world, items, 'servers', path, query)
            return Doc('srv_detail' if detailed else 'srv_list', status, body)
        if len(parts) == 2:
            for server in servers:
                if server['id'] == parts[1]:
                    return Doc('srv_get', 200, {'server': server}, parts[1])
            return Doc('srv_get', 404, nova_fault(
                'itemNotFound', 404, f'Instance {parts[1]} could not be found.'), parts[1])
    return Doc('unknown', 404, router_404())


def _provider_index(world: World, provider: str) -> str:
    for index, item in enumerate(world.providers):
        if item['uuid'] == provider:
            return str(index)
    return provider


def placement_doc(world: World, path: str, query: dict[str, str]) -> Doc:
    """The document Placement answers ``GET {PLACEMENT}/{path}?{query}`` with.

    Per-provider routes carry the provider's index in the listing as ``arg`` (stable
    across runs, unlike the order concurrent requests arrive in).
    """
    parts = path.split('/') if path else []
    if parts[:1] == ['resource_providers']:
        if len(parts) == 1:
            return Doc('rp_list', 200, {'resource_providers': world.providers})
        provider = parts[1]
        arg = _provider_index(world, provider)
        if len(parts) == 2:
            if provider in world.roots:
                return Doc('rp_get', 200, world.roots[provider], arg)
            for item in world.providers:
                if item['uuid'] == provider:
                    return Doc('rp_get', 200, item, arg)
        elif provider in world.details and len(parts) == 3 and parts[2] in (
                'inventories', 'usages', 'traits', 'allocations'):
            detail = world.details[provider][parts[2]]
            return Doc(f'rp_{parts[2]}', 200,
                       {parts[2]: detail, 'resource_provider_generation': 2}, arg)
        return Doc('rp_get', 404, placement_error(
            404, 'Not Found', f'No resource provider with uuid {provider} found'), arg)
    if parts[:1] == ['allocations'] and len(parts) == 2:
        held = {}
        for item in world.providers:
            allocation = world.details[item['uuid']]['allocations'].get(parts[1])
            if allocation is not None:
                held[item['uuid']] = {'resources': allocation['resources'], 'generation': 2}
        body = {'allocations': held}
        if held:
            body.update(consumer_generation=1, project_id='demo', user_id='admin')
        return Doc('allocs', 200, body)
    return Doc('unknown', 404,
               placement_error(404, 'Not Found', 'The resource could not be found.'))


# --- garbage --------------------------------------------------------------------------
#: Keys the mutations aim at, per route: every key the client reads there, and the
#: envelopes around them.
_DEVICE_KEYS = ('pci_devices', 'pci_device', 'pci_devices_links', 'href', 'rel', 'id',
                'address', 'compute_node_id', 'vendor_id', 'product_id', 'status', 'dev_type',
                'dev_id', 'label', 'numa_node', 'instance_uuid', 'server_uuid', 'extra_info')
_HYPERVISOR_KEYS = ('hypervisors', 'hypervisor', 'hypervisors_links', 'href', 'rel', 'id',
                    'hypervisor_hostname', 'state', 'status', 'pci_stats', 'os-pci:pci_stats',
                    'vendor_id', 'product_id', 'numa_node', 'dev_type', 'count', 'extra_info',
                    'tags', 'nova_object.data', 'objects', 'cpu_info', 'service', 'vcpus',
                    'host_ip')
_SERVER_KEYS = ('servers', 'server', 'servers_links', 'href', 'rel', 'id', 'name', 'status',
                'os-pci:pci_devices')
_PROVIDER_KEYS = ('resource_providers', 'uuid', 'name', 'root_provider_uuid',
                  'parent_provider_uuid', 'inventories', 'usages', 'traits', 'allocations',
                  'resources', 'total', 'reserved', 'CUSTOM_GPU_GOLD')
KEYS_BY_KIND = {
    'version': ('version', 'id', 'min_version', 'links'),
    'pci_list': _DEVICE_KEYS, 'pci_detail': _DEVICE_KEYS, 'pci_get': _DEVICE_KEYS,
    'hyp_list': _HYPERVISOR_KEYS, 'hyp_detail': _HYPERVISOR_KEYS,
    'hyp_get': _HYPERVISOR_KEYS, 'hyp_search': _HYPERVISOR_KEYS,
    'srv_detail': _SERVER_KEYS, 'srv_get': _SERVER_KEYS,
    **{kind: _PROVIDER_KEYS for kind in ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages',
                                         'rp_traits', 'rp_allocations', 'allocs')},
}
KEYS = tuple(sorted({key for keys in KEYS_BY_KIND.values() for key in keys}))


@dataclass(frozen=True)
class Mutation:
    """Set or drop ``key`` in the ``nth`` dict holding it (every such dict when None)."""

    op: str
    key: str
    value: Any = None
    nth: int | None = None


_NTH = st.none() | st.integers(0, 3)


@functools.cache
def mutations(kind: str | None = None) -> st.SearchStrategy[Mutation]:
    """Changes aimed at the keys route ``kind`` holds (any key, now and then)."""
    aimed = st.sampled_from(KEYS_BY_KIND.get(kind or '', KEYS))
    anywhere = st.one_of(st.sampled_from(KEYS), jsontext.texts())
    keys = st.integers(0, 9).flatmap(lambda pick: aimed if pick < 8 else anywhere)
    return st.one_of(
        st.builds(Mutation, st.just('set'), keys, jsontext.wrong_values(), _NTH),
        st.builds(Mutation, st.just('set'), keys, jsontext.wrong_values(), _NTH),
        st.builds(Mutation, st.just('drop'), keys, st.none(), _NTH),
        st.builds(Mutation, st.just('add'), keys, jsontext.wrong_values(), _NTH),
    )


def mutate(document: Any, changes: tuple[Mutation, ...]) -> Any:
    """A copy of ``document`` with ``changes`` applied in order."""
    document = copy.deepcopy(document)
    for change in changes:
        seen = 0
        stack = [document]
        while stack:
            node = stack.pop(0)
            if isinstance(node, dict):
                # Children first: what a change puts in is never visited (nor changed) again.
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
                holds = change.key in node
                if change.op == 'add' and not holds:
                    if change.nth is None or change.nth == seen:
                        node[change.key] = copy.deepcopy(change.value)
                    seen += 1
                elif holds and change.op in ('set', 'drop'):
                    if change.nth is None or change.nth == seen:
                        if change.op == 'set':
                            node[change.key] = copy.deepcopy(change.value)
                        else:
                            del node[change.key]
                    seen += 1
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, (dict, list)))
    return document


@dataclass
class Answer:
    """A whole answer, whatever the route's document would have been."""

    status: int
    body: bytes
    content_type: str
    request_id: str | None = None
    retry_after: str | None = None


_SUCCESS = st.sampled_from(jsontext.SUCCESS)
_ERROR = st.one_of(st.sampled_from(jsontext.ERRORS), st.integers(400, 599))
_ERROR_DOCUMENT = st.sampled_from(['nova', 'router', 'keystone', 'placement'])
_CONTENT_TYPE = st.sampled_from(jsontext.CONTENT_TYPES)
_REQUEST_ID = st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e),
                                  max_size=40)
_FEW_MUTATIONS = st.lists(mutations(), max_size=2)
#: Retry-After values: seconds, huge, negative, not numbers, an HTTP date.
_RETRY_AFTER = st.none() | st.sampled_from(
    ['0', '1', '30', '86400', '1e999', '-1', 'nan', 'inf', '-inf', '0x10', ' 2 ', 'soon',
     'Wed, 21 Oct 2015 07:28:00 GMT']) | st.text(st.characters(min_codepoint=0x20,
                                                               max_codepoint=0x7e), max_size=8)


def error_document(kind: str, status: int) -> dict[str, Any]:
    if kind == 'nova':
        return nova_fault('itemNotFound', status, 'gone')
    if kind == 'router':
        return router_404()
    if kind == 'keystone':
        return {'error': {'code': status, 'title': 'Unauthorized', 'message': 'The request '
                          'you have made requires authentication.'}}
    return placement_error(status, 'Error', 'policy says no')


@st.composite
def answers(draw, success: bool | None = None) -> Answer:
    if success is None:
        success = draw(st.booleans())
    status = draw(_SUCCESS if success else _ERROR)
    document = None
    if not success:
        document = mutate(error_document(draw(_ERROR_DOCUMENT), status),
                          tuple(draw(_FEW_MUTATIONS)))
    return Answer(status=status, body=draw(jsontext.body_bytes(document)),
                  content_type=draw(_CONTENT_TYPE), request_id=draw(_REQUEST_ID),
                  retry_after=draw(_RETRY_AFTER))


@dataclass(frozen=True)
class Replacement:
    """Answer ``answer`` on route ``kind``: from its ``from_call``-th request on
    (compute), or only for the provider at index ``arg`` (Placement; None: all)."""

    answer: Answer
    from_call: int = 0
    arg: str | None = None


@dataclass
class Plan:
    """A world plus what goes wrong in it, per route."""

    world: World
    changes: dict[str, tuple[Mutation, ...]] = field(default_factory=dict)
    replacements: dict[str, Replacement] = field(default_factory=dict)


COMPUTE_KINDS = ('version', 'pci_list', 'pci_detail', 'pci_get', 'hyp_list', 'hyp_detail',
                 'hyp_get', 'hyp_search', 'srv_detail', 'srv_get')
PLACEMENT_KINDS = ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages', 'rp_traits',
                   'rp_allocations', 'allocs')


_PROVIDER_ARG = st.none() | st.integers(0, 3).map(str)
_FROM_CALL = st.integers(0, 2)


@st.composite
def plans(draw, kinds: tuple[str, ...], os_pci: bool | None = None,
          mode: str = 'any') -> Plan:
    """A world and what goes wrong on the routes ``kinds`` the command reads.

    ``mode``: ``pristine`` (nothing), ``field`` (one key of one route's documents holds
    any wrong value: type, size, unicode, ``1e400``, nesting…), ``any`` (several changes
    to documents, and maybe a whole answer replaced: any status, content type and body,
    non-JSON or truncated, from some request on).
    """
    plan = Plan(world=draw(worlds(os_pci)))
    if mode == 'pristine':
        return plan
    if mode == 'field':
        kind = draw(st.sampled_from(kinds))
        key = draw(st.sampled_from(KEYS_BY_KIND[kind]))
        plan.changes[kind] = (Mutation('set', key, draw(jsontext.wrong_values()),
                                       draw(_NTH)),)
        return plan
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True)):
        plan.changes[kind] = tuple(draw(st.lists(mutations(kind), min_size=1, max_size=3)))
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=1)):
        if kind in PLACEMENT_KINDS:
            plan.replacements[kind] = Replacement(draw(answers()), arg=draw(_PROVIDER_ARG))
        else:
            plan.replacements[kind] = Replacement(draw(answers()),
                                                  from_call=draw(_FROM_CALL))
    return plan


def _mostly(known: list[str]) -> st.SearchStrategy[str]:
    """One of ``known`` four times out of five, else any text."""
    if not known:
        return _ANY_ARG
    return st.integers(0, 4).flatmap(lambda pick: st.sampled_from(known) if pick else _ANY_ARG)


_ANY_ARG = arg_texts(min_size=1)


def server_names(world: World) -> st.SearchStrategy[str]:
    known = [s['name'] for s in world.servers if not s['name'].startswith('-')]
    known += [s['id'] for s in world.servers]
    return _mostly(known)


def hypervisor_keys(world: World) -> st.SearchStrategy[str]:
    known = [h for h in world.hostnames() if not h.startswith('-')]
    known += [str(h['id']) for h in world.hypervisors]
    return _mostly(known)


def device_keys(world: World) -> st.SearchStrategy[str]:
    known = [str(d['id']) for d in world.devices] + [p['uuid'] for p in world.providers]
    known += [p['name'] for p in world.providers]
    return _mostly(known)
