"""What goes wrong in a fuzzed cloud's answers: changed documents and whole answers replaced.

A :class:`Plan` is a world plus, per route kind (:mod:`tests.fuzz.documents`), the
:class:`Mutation` s applied to its pristine documents and maybe a :class:`Replacement`
answer (any status, content type and body). All of it is drawn before a command runs.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.fuzz import jsontext
from tests.fuzz.documents import PLACEMENT_KINDS, nova_fault, placement_error, router_404
from tests.fuzz.world import World, worlds

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
_FLAVOR_KEYS = ('flavors', 'flavor', 'flavors_links', 'href', 'rel', 'id', 'name', 'vcpus',
                'ram', 'disk', 'swap', 'OS-FLV-EXT-DATA:ephemeral', 'extra_specs',
                'pci_passthrough:alias', 'resources:VCPU', 'resources1:CUSTOM_GPU_GOLD',
                'trait:CUSTOM_GOLD', 'group_policy', 'hw:cpu_policy')
_ROOT_KEYS = ('inventories', 'usages', 'traits', 'aggregates', 'VCPU', 'PCPU', 'MEMORY_MB',
              'DISK_GB', 'total', 'reserved', 'allocation_ratio', 'min_unit', 'max_unit',
              'step_size', 'resource_provider_generation')
KEYS_BY_KIND = {
    'version': ('version', 'id', 'min_version', 'links'),
    'pci_list': _DEVICE_KEYS, 'pci_detail': _DEVICE_KEYS, 'pci_get': _DEVICE_KEYS,
    'hyp_list': _HYPERVISOR_KEYS, 'hyp_detail': _HYPERVISOR_KEYS,
    'hyp_get': _HYPERVISOR_KEYS, 'hyp_search': _HYPERVISOR_KEYS,
    'srv_detail': _SERVER_KEYS, 'srv_get': _SERVER_KEYS,
    **{kind: _PROVIDER_KEYS for kind in ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages',
                                         'rp_traits', 'rp_allocations', 'allocs')},
    'rp_aggregates': ('aggregates', 'resource_provider_generation'),
    **{kind: _FLAVOR_KEYS for kind in ('flv_list', 'flv_detail', 'flv_get', 'flv_specs')},
    'services': ('services', 'id', 'binary', 'host', 'state', 'status', 'forced_down', 'zone'),
    'aggregates': ('aggregates', 'id', 'uuid', 'name', 'availability_zone', 'metadata',
                   'hosts'),
    'zones': ('availabilityZoneInfo', 'zoneName', 'zoneState', 'available', 'hosts'),
    **{kind: _ROOT_KEYS for kind in ('root_inventories', 'root_usages', 'root_traits',
                                     'root_aggregates')},
    'candidates': ('allocation_requests', 'provider_summaries', 'allocations', 'resources'),
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


_PROVIDER_ARG = st.none() | st.integers(0, 3).map(str)
_FROM_CALL = st.integers(0, 2)


@st.composite
def plans(draw, kinds: tuple[str, ...], os_pci: bool | None = None,
          mode: str = 'any', capacity: bool = False) -> Plan:
    """A world (with what capacity reads when ``capacity``) and what goes wrong on the
    routes ``kinds`` the command reads.

    ``mode``: ``pristine`` (nothing), ``field`` (one key of one route's documents holds
    any wrong value: type, size, unicode, ``1e400``, nesting…), ``any`` (several changes
    to documents, and maybe a whole answer replaced: any status, content type and body,
    non-JSON or truncated, from some request on).
    """
    plan = Plan(world=draw(worlds(os_pci, capacity)))
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
