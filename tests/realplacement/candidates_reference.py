"""The ``GET /allocation_candidates`` queries recorded from a real Placement 16.

``tests/data/placement-16-candidates`` holds the answers (see its README entry), asked of
the real-Placement tier's population (``populate.py``: two compute nodes with a GPU, an
SR-IOV NIC's VFs, a whole PF and a ``CUSTOM_GPU_GOLD`` GPU each; one GPU and two VFs
held). The real tier checks a live Placement still answers so; the fake cloud's tests
ask a fake cloud of the same population and compare: the same status, the same errors,
and the same candidates once provider uuids are put as provider names
(``tests/fakeserver/test_placement_candidates_reference.py``).

``{compute1}``/``{compute2}`` in a query are those roots' uuids. The queries keep clear
of what the two clouds have differently on purpose (the fake's compute nodes are bigger,
and it has no operator-reserved PF): they ask little of the roots and nothing of the
reserved PF's class.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ROOTS = ('compute1', 'compute2')
_REQUEST_ID = re.compile(r'req-[0-9a-f-]{36}')


@dataclass(frozen=True)
class Query:
    name: str
    version: str
    query: str
    # Placement's order of candidates is arbitrary: which ones a limit keeps is too
    chosen_freely: bool = False


def _q(name: str, version: str, query: str, chosen_freely: bool = False) -> Query:
    return Query(name, version, query, chosen_freely)


QUERIES = [
    _q('root_1.10', '1.10', 'resources=VCPU:1,MEMORY_MB:512'),
    _q('root_1.12', '1.12', 'resources=VCPU:1,MEMORY_MB:512'),
    _q('root_required_1.17', '1.17', 'resources=VCPU:1&required=COMPUTE_NODE'),
    _q('gpu_group_1.25', '1.25', 'resources=VCPU:1&resources1=CUSTOM_PCI_10DE_1EB8:1'),
    _q('gpu_group_1.26', '1.26', 'resources=VCPU:1'),
    _q('gpu_group_1.29', '1.29', 'resources=VCPU:1&resources1=CUSTOM_PCI_10DE_1EB8:1'),
    _q('two_vfs_none_1.34', '1.34', 'resources=VCPU:1,MEMORY_MB:512'
       '&resources1=CUSTOM_PCI_8086_1515:1&resources2=CUSTOM_PCI_8086_1515:1'
       '&group_policy=none'),
    _q('two_vfs_isolate_1.34', '1.34', 'resources=VCPU:1'
       '&resources1=CUSTOM_PCI_8086_1515:1&resources2=CUSTOM_PCI_8086_1515:1'
       '&group_policy=isolate'),
    _q('gpu_or_vf_isolate_1.36', '1.36', 'resources=VCPU:1'
       '&resources_A=CUSTOM_PCI_10DE_1EB8:1&resources_B=CUSTOM_GPU_GOLD:1'
       '&group_policy=isolate'),
    _q('nova_query_1.36', '1.36', 'resources=DISK_GB:1,MEMORY_MB:512,VCPU:1'
       '&resources_req-1=CUSTOM_GPU_GOLD:1&required_req-1=CUSTOM_GOLD'
       '&root_required=COMPUTE_NODE,!COMPUTE_STATUS_DISABLED&same_subtree=_req-1'
       '&group_policy=none&limit=1000'),
    _q('in_tree_group_1.36', '1.36', 'resources=VCPU:1&resources1=CUSTOM_PCI_10DE_1EB8:1'
       '&in_tree1={compute2}&group_policy=none'),
    _q('in_tree_spread_1.31', '1.31', 'resources=VCPU:1,CUSTOM_PCI_8086_1515:1'
       '&in_tree={compute1}'),
    _q('spread_trait_on_root_only_1.36', '1.36', 'resources=VCPU:1&required=CUSTOM_GOLD'),
    _q('spread_trait_1.36', '1.36', 'resources=VCPU:1,CUSTOM_GPU_GOLD:1&required=CUSTOM_GOLD'),
    _q('spread_forbidden_1.36', '1.36',
       'resources=VCPU:1,CUSTOM_PCI_10DE_1EB8:1&required=!CUSTOM_GOLD'),
    _q('group_forbidden_1.36', '1.36',
       'resources1=CUSTOM_PCI_10DE_1EB8:1&required1=!CUSTOM_GOLD'),
    _q('root_forbidden_1.35', '1.35', 'resources=VCPU:1&root_required=!COMPUTE_NODE'),
    _q('limit_1.36', '1.36', 'resources=VCPU:1&limit=1', chosen_freely=True),
    _q('member_of_unknown_1.24', '1.24',
       'resources=VCPU:1&member_of=5ec8d0a2-1a64-4a1e-9c55-5f1f6b5e6e6b'),
    _q('resourceless_subtree_1.36', '1.36', 'resources=VCPU:1'
       '&resources_G=CUSTOM_PCI_10DE_1EB8:1&required_T=COMPUTE_NODE&same_subtree=_G,_T'
       '&group_policy=none'),
    # Errors
    _q('before_1.10', '1.9', 'resources=VCPU:1'),
    _q('no_group_policy_1.36', '1.36', 'resources1=VCPU:1&resources2=MEMORY_MB:1'),
    _q('unknown_class_1.36', '1.36', 'resources=CUSTOM_NOPE:1'),
    _q('unknown_trait_1.36', '1.36', 'resources=VCPU:1&required=CUSTOM_NOPE'),
    _q('numbered_before_1.25', '1.24', 'resources=VCPU:1&resources1=VCPU:1'),
    _q('named_before_1.33', '1.32', 'resources=VCPU:1&resources_X=VCPU:1'),
    _q('limit_zero_1.36', '1.36', 'resources=VCPU:1&limit=0'),
    _q('bad_group_policy_1.36', '1.36', 'resources=VCPU:1&group_policy=bogus'),
    _q('resourceless_outside_subtree_1.36', '1.36', 'resources=VCPU:1&required_X=COMPUTE_NODE'),
    _q('orphan_traits_1.35', '1.35', 'resources=VCPU:1&required1=COMPUTE_NODE'),
    _q('root_required_twice_1.36', '1.36',
       'resources=VCPU:1&root_required=COMPUTE_NODE&root_required=OWNER_NOVA'),
    _q('member_of_not_uuid_1.36', '1.36', 'resources=VCPU:1&member_of=nope'),
    _q('conflicting_traits_1.36', '1.36', 'resources=VCPU:1&required=COMPUTE_NODE,!COMPUTE_NODE'),
    _q('no_resources_1.10', '1.10', 'required=COMPUTE_NODE'),
]


def error_lines(body: dict[str, Any]) -> list[str]:
    """An error's status, title and first lines of detail: Placement's detail goes on with
    jsonschema's whole schema for query-string errors, which the fake leaves out."""
    [error] = body['errors']
    detail = _REQUEST_ID.sub('REQ', str(error['detail'])).split('  Failed validating')[0]
    return [str(error['status']), error['title'],
            *(line.strip() for line in detail.split('\n')[:3])]


def by_name(body: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Candidates and summaries with provider uuids put as provider names, sets sorted."""
    requests = []
    for request in body.get('allocation_requests', []):
        allocations = request['allocations']
        if isinstance(allocations, list):
            taken = {names[a['resource_provider']['uuid']]: a['resources'] for a in allocations}
        else:
            taken = {names[uuid]: a['resources'] for uuid, a in allocations.items()}
        mappings = {suffix: sorted(names[u] for u in uuids)
                    for suffix, uuids in request.get('mappings', {}).items()}
        requests.append(json.dumps({'allocations': taken, 'mappings': mappings},
                                   sort_keys=True))
    return {'allocation_requests': sorted(requests),
            'summarised': sorted(names[uuid] for uuid in body.get('provider_summaries', {}))}
