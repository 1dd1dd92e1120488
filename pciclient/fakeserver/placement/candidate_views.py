"""``GET /allocation_candidates`` rendered as Placement renders it, microversion by microversion.

``allocation_requests``: before 1.12 a list of ``{"resource_provider": {"uuid"},
"resources"}`` per candidate, from 1.12 ``allocations`` keyed by provider uuid, from
1.34 with ``mappings`` (group suffix -> provider uuids). ``provider_summaries``, keyed
by provider uuid: ``resources`` (``capacity`` = int((total - reserved) * allocation
ratio) and ``used``; only the requested classes before 1.27), ``traits`` from 1.17,
``parent_provider_uuid``/``root_provider_uuid`` from 1.29 (``handlers/
allocation_candidate.py``). Placement encodes sets as lists in no particular order;
these are sorted.
"""
from __future__ import annotations

from typing import Any

from pciclient.fakeserver.placement.candidate_query import CandidateRequest
from pciclient.fakeserver.placement.candidates import Candidate, Found
from pciclient.fakeserver.placement.provider_tree import ProviderTree

__all__ = ['candidates_document']

Body = dict[str, Any]


def _allocation_request(candidate: Candidate, tree: ProviderTree,
                        request: CandidateRequest) -> Body:
    by_provider: dict[str, dict[str, int]] = {}
    for (position, rc), amount in candidate.amounts:
        by_provider.setdefault(tree.providers[position].uuid, {})[rc] = amount
    if not request.dict_requests:
        return {'allocations': [{'resource_provider': {'uuid': uuid}, 'resources': resources}
                                for uuid, resources in by_provider.items()]}
    document: Body = {'allocations': {uuid: {'resources': resources}
                                      for uuid, resources in by_provider.items()}}
    if request.mappings:
        document['mappings'] = {
            suffix: sorted(tree.providers[n].uuid for n in positions)
            for suffix, positions in candidate.mappings}
    return document


def _summary(position: int, tree: ProviderTree, request: CandidateRequest,
             requested: set[str]) -> Body:
    provider = tree.providers[position]
    resources = {
        rc: {'capacity': int((record.total - record.reserved) * record.allocation_ratio),
             'used': provider.usages.get(rc, 0)}
        for rc, record in provider.inventories.items()
        if request.summaries_all_classes or rc in requested}
    document: Body = {'resources': resources}
    if request.summaries_traits:
        document['traits'] = sorted(provider.traits)
    if request.summaries_tree:
        document['parent_provider_uuid'] = provider.parent_uuid
        document['root_provider_uuid'] = provider.root_uuid
    return document


def candidates_document(found: Found, tree: ProviderTree, request: CandidateRequest) -> Body:
    requested = {rc for group in request.groups.values() for rc in group.resources}
    return {
        'allocation_requests': [_allocation_request(c, tree, request) for c in found.candidates],
        'provider_summaries': {tree.providers[n].uuid: _summary(n, tree, request, requested)
                               for n in found.summaries},
    }
