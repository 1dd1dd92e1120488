"""Host trees for the capacity arithmetic's proof: made in the real Placement, read back
as a :class:`~pciclient.v2.capacity.trees.HostTree`, filled one server at a time.

Everything made here has a unique name and is deleted by :meth:`TreeMaker.cleanup`, so the
tier's other tests (which count providers, traits and a project's usages) see nothing
of it. Only standard resource classes and traits are used, so nothing global is created.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pciclient.v2.capacity.request import CANDIDATES_VERSION, PlacementRequest
from pciclient.v2.capacity.trees import HostTree, Inventory, Provider
from tests.realplacement.populate import PlacementAPI

MV_TREE = '1.14'
MV_USAGES = '1.9'
MV_CLAIM = '1.36'
#: Not the population's project: its usages are asserted elsewhere in the tier.
PROJECT_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00'
USER_ID = 'c0ffee11c0ffee11c0ffee11c0ffee11'
#: Claims per tree at most: every case here fits far fewer servers.
MAX_CLAIMS = 64


@dataclass
class Node:
    """A provider to make: Placement inventory records (defaults filled by Placement),
    traits, units already used (claimed by one consumer before the count), children."""

    name: str
    inventories: dict[str, dict[str, Any]] = field(default_factory=dict)
    traits: set[str] = field(default_factory=set)
    used: dict[str, int] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


@dataclass
class Count:
    servers: int
    status: int          # status of the last answer (200 with no candidate, 400, 409)
    consumers: list[str]


class TreeMaker:
    def __init__(self, url: str, token: str) -> None:
        self.api = PlacementAPI(url, token)
        self.tag = uuid.uuid4().hex[:8]
        self.providers: list[str] = []          # creation order: parents first
        self.consumers: list[str] = []

    def make(self, root: Node) -> str:
        """Create the tree (and its prior usage); returns the root's uuid."""
        used: dict[str, dict[str, int]] = {}
        root_uuid = self._make(root, None, used, f'cap-{self.tag}')
        if used:
            consumer = str(uuid.uuid4())
            self._put(consumer, {rp: {'resources': r} for rp, r in used.items()})
        return root_uuid

    def _make(self, node: Node, parent: str | None, used: dict[str, dict[str, int]],
              prefix: str) -> str:
        name = f'{prefix}-{node.name}'
        provider = self.api.create_provider(name, parent)
        self.providers.append(provider['uuid'])
        if node.inventories:
            self.api.set_inventory(provider, node.inventories)
        if node.traits:
            self.api.set_traits(provider, node.traits)
        if node.used:
            used[provider['uuid']] = dict(node.used)
        for child in node.children:
            self._make(child, provider['uuid'], used, name)
        return provider['uuid']

    def _put(self, consumer: str, allocations: dict[str, Any],
             mappings: dict[str, Any] | None = None) -> int:
        body: dict[str, Any] = {'allocations': allocations, 'project_id': PROJECT_ID,
                                'user_id': USER_ID, 'consumer_generation': None}
        if mappings:
            body['mappings'] = mappings
        answer = self.api.call('PUT', f'/allocations/{consumer}', MV_CLAIM, json=body,
                               expect=(204, 409))
        if answer.status_code == 204:
            self.consumers.append(consumer)
        return answer.status_code

    def read(self, root: str) -> dict[str, Any]:
        """Every provider of the tree with inventories, usages and traits, as Placement
        reports them (the raw documents the library's reader gets)."""
        listing = self.api.call('GET', '/resource_providers', MV_TREE,
                                params={'in_tree': root}).json()['resource_providers']
        tree = []
        for rp in listing:
            base = f'/resource_providers/{rp["uuid"]}'
            tree.append({
                'uuid': rp['uuid'], 'name': rp['name'],
                'parent_provider_uuid': rp['parent_provider_uuid'],
                'inventories': self.api.call('GET', base + '/inventories',
                                             '1.26').json()['inventories'],
                'usages': self.api.call('GET', base + '/usages', MV_USAGES).json()['usages'],
                'traits': self.api.call('GET', base + '/traits', '1.6').json()['traits'],
            })
        return {'root': root, 'providers': tree}

    def fill(self, root: str, request: PlacementRequest) -> Count:
        """Claim servers of ``request`` in ``root``'s tree as the scheduler does (first
        candidate of its own query, then ``PUT /allocations``) until Placement has none
        or refuses."""
        servers = 0
        status = 200
        query = request.query(in_tree=root, limit=1)
        made: list[str] = []
        while servers < MAX_CLAIMS:
            answer = self.api.call('GET', '/allocation_candidates?' + query,
                                   CANDIDATES_VERSION, expect=(200, 400))
            status = answer.status_code
            if status != 200 or not answer.json()['allocation_requests']:
                break
            candidate = answer.json()['allocation_requests'][0]
            consumer = str(uuid.uuid4())
            status = self._put(consumer, candidate['allocations'], candidate.get('mappings'))
            if status != 204:
                break
            made.append(consumer)
            servers += 1
        return Count(servers=servers, status=status, consumers=made)

    def fill_one(self, root: str, request: PlacementRequest) -> int:
        """Claim one server if Placement has a candidate: 1, else 0."""
        answer = self.api.call('GET', '/allocation_candidates?' + request.query(
            in_tree=root, limit=1), CANDIDATES_VERSION)
        candidates = answer.json()['allocation_requests']
        if not candidates:
            return 0
        status = self._put(str(uuid.uuid4()), candidates[0]['allocations'],
                           candidates[0].get('mappings'))
        return 1 if status == 204 else 0

    def cleanup(self) -> list[str]:
        """Delete every consumer and provider made; returns what could not be deleted."""
        left = []
        for consumer in self.consumers:
            answer = self.api.session.delete(
                f'{self.api.url}/allocations/{consumer}', timeout=30,
                headers={'OpenStack-API-Version': 'placement 1.28'})
            if answer.status_code not in (204, 404):
                left.append(f'consumer {consumer}: {answer.status_code}')
        for provider in reversed(self.providers):
            answer = self.api.session.delete(
                f'{self.api.url}/resource_providers/{provider}', timeout=30,
                headers={'OpenStack-API-Version': 'placement 1.14'})
            if answer.status_code not in (204, 404):
                left.append(f'provider {provider}: {answer.status_code} {answer.text[:200]}')
        self.api.close()
        return left


def host_tree(read: dict[str, Any]) -> HostTree:
    """The documents of :meth:`TreeMaker.read` as the fit arithmetic's input."""
    providers = []
    for rp in read['providers']:
        inventories = {rc: Inventory(total=inv['total'], reserved=inv['reserved'],
                                     min_unit=inv['min_unit'], max_unit=inv['max_unit'],
                                     step_size=inv['step_size'],
                                     allocation_ratio=inv['allocation_ratio'])
                       for rc, inv in rp['inventories'].items()}
        providers.append(Provider(uuid=rp['uuid'], name=rp['name'],
                                  parent_uuid=rp['parent_provider_uuid'],
                                  inventories=inventories, usages=dict(rp['usages']),
                                  traits=set(rp['traits'])))
    root = next(p for p in providers if p.uuid == read['root'])
    return HostTree(root=root, providers=[root] + [p for p in providers if p is not root])
