"""One handler per Placement route: look up the provider tree, render Placement's documents.

Shapes are Placement's, microversion by microversion: provider links grow
``aggregates`` (1.1), ``traits`` (1.6) and ``allocations`` (1.11); providers
gain ``parent_provider_uuid``/``root_provider_uuid`` (1.14); aggregates carry
the provider generation from 1.19 (a compute node's are its host aggregates' uuids);
allocation candidates are ``candidate_query``/``candidates``/``candidate_views``'
business; a consumer's allocations name its project and user (1.12), its generation
(1.28) and type (1.38). Links are relative to the mount point
(``/placement/resource_providers/…``), as Placement makes them from ``SCRIPT_NAME``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pciclient.fakeserver.placement.candidate_query import parse_candidate_query
from pciclient.fakeserver.placement.candidate_views import candidates_document
from pciclient.fakeserver.placement.candidates import find_candidates
from pciclient.fakeserver.placement.errors import PlacementNotFound
from pciclient.fakeserver.placement.microversion import MAX_VERSION, MIN_VERSION, Microversion
from pciclient.fakeserver.placement.provider_tree import ProviderTree, ResourceProvider
from pciclient.fakeserver.placement.query import filter_providers

__all__ = ['EncodedJson', 'Handler', 'PlacementViews', 'Target', 'provider_document',
           'provider_json']

Body = dict[str, Any]
Handler = Callable[['PlacementViews', 'Target'], Any]


@dataclass(frozen=True)
class Target:
    """What a request asked for: its route's handler, the provider's (or consumer's)
    ``uuid`` and, for one inventory, the ``resource_class`` its path named."""

    handler: Handler
    uuid: str | None = None
    resource_class: str | None = None

    @property
    def name(self) -> str:
        return self.handler.__name__

# Link relations after ``self``, each with the first 1.x microversion showing it.
_LINKS = (('inventories', 0), ('usages', 0), ('aggregates', 1), ('traits', 6),
          ('allocations', 11))
_TREE_MINOR = 14
_AGGREGATES_GENERATION_MINOR = 19
_CONSUMER_OWNER_MINOR = 12
_CONSUMER_GENERATION_MINOR = 28
_CONSUMER_TYPE_MINOR = 38
# Nova does not set a consumer type when it allocates, so Placement reports its default.
_CONSUMER_TYPE = 'unknown'


def _not_found_message(route: Target) -> str:
    """Placement words an unknown provider differently per handler; clients may show it."""
    plain = f'No resource provider with uuid {route.uuid} found'
    if route.name in ('inventories', 'inventory'):
        return f'{plain} : {plain}'
    if route.name in ('usages', 'traits'):
        return f'{plain}: {plain}'
    if route.name == 'provider_allocations':
        return f"Resource provider '{route.uuid}' not found: {plain}"
    return plain


def provider_document(provider: ResourceProvider, version: Microversion, prefix: str) -> Body:
    """A provider as listed and shown; ``prefix`` is where Placement is mounted."""
    url = f'{prefix}/resource_providers/{provider.uuid}'
    links = [{'rel': 'self', 'href': url}]
    links += [{'rel': rel, 'href': f'{url}/{rel}'} for rel, since in _LINKS
              if version.at_least(since)]
    document: Body = {'uuid': provider.uuid, 'name': provider.name,
                      'generation': provider.generation, 'links': links}
    if version.at_least(_TREE_MINOR):
        document['parent_provider_uuid'] = provider.parent_uuid
        document['root_provider_uuid'] = provider.root_uuid
    return document


def provider_json(provider: ResourceProvider, version: Microversion, json_prefix: str) -> str:
    """:func:`provider_document` already encoded, the way ``json.dumps`` would write it.

    Listings of tens of thousands of providers are built from these strings:
    three times faster than building dicts and encoding them. ``json_prefix``
    is the mount point already escaped for a JSON string; uuids need no escaping.
    """
    url = f'{json_prefix}/resource_providers/{provider.uuid}'
    links = [f'{{"rel": "self", "href": "{url}"}}']
    links += [f'{{"rel": "{rel}", "href": "{url}/{rel}"}}' for rel, since in _LINKS
              if version.at_least(since)]
    text = (f'{{"uuid": "{provider.uuid}", "name": {json.dumps(provider.name)}, '
            f'"generation": {provider.generation}, "links": [{", ".join(links)}]')
    if version.at_least(_TREE_MINOR):
        parent = 'null' if provider.parent_uuid is None else f'"{provider.parent_uuid}"'
        text += (f', "parent_provider_uuid": {parent}, '
                 f'"root_provider_uuid": "{provider.root_uuid}"')
    return text + '}'


@dataclass(frozen=True)
class EncodedJson:
    """A response body that is already JSON text (see :func:`provider_json`)."""

    text: str


def versions_document() -> Body:
    """``GET /placement/``: Placement's one version with its microversion range."""
    return {'versions': [{
        'id': 'v1.0',
        'max_version': str(MAX_VERSION),
        'min_version': str(MIN_VERSION),
        'status': 'CURRENT',
        'links': [{'rel': 'self', 'href': ''}],
    }]}


class PlacementViews:
    """Route handlers over one provider tree, for one request's microversion and mount point."""

    def __init__(self, tree: ProviderTree, version: Microversion,
                 query: tuple[tuple[str, str], ...], prefix: str) -> None:
        self.tree = tree
        self.version = version
        self.query = query
        self.prefix = prefix

    def render(self, route: Target) -> Body | EncodedJson:
        return route.handler(self, route)

    def _provider_of(self, route: Target) -> ResourceProvider:
        provider = self.tree.provider(route.uuid or '')
        if provider is None:
            raise PlacementNotFound(_not_found_message(route))
        return provider

    def root(self, route: Target) -> Body:
        return versions_document()

    def providers(self, route: Target) -> EncodedJson:
        found = filter_providers(self.query, self.version, self.tree)
        json_prefix = json.dumps(self.prefix)[1:-1]
        items = ', '.join(provider_json(p, self.version, json_prefix) for p in found)
        return EncodedJson(f'{{"resource_providers": [{items}]}}')

    def provider(self, route: Target) -> Body:
        return provider_document(self._provider_of(route), self.version, self.prefix)

    def inventories(self, route: Target) -> Body:
        provider = self._provider_of(route)
        return {'resource_provider_generation': provider.generation,
                'inventories': {rc: record.document()
                                for rc, record in provider.inventories.items()}}

    def inventory(self, route: Target) -> Body:
        provider = self._provider_of(route)
        record = provider.inventories.get(route.resource_class or '')
        if record is None:
            raise PlacementNotFound(f'No inventory of class {route.resource_class} '
                                    f'for {provider.uuid}')
        return {**record.document(), 'resource_provider_generation': provider.generation}

    def usages(self, route: Target) -> Body:
        provider = self._provider_of(route)
        return {'resource_provider_generation': provider.generation,
                'usages': dict(provider.usages)}

    def traits(self, route: Target) -> Body:
        provider = self._provider_of(route)
        return {'traits': sorted(provider.traits),
                'resource_provider_generation': provider.generation}

    def aggregates(self, route: Target) -> Body:
        provider = self._provider_of(route)
        body: Body = {'aggregates': sorted(provider.aggregates)}
        if self.version.at_least(_AGGREGATES_GENERATION_MINOR):
            body['resource_provider_generation'] = provider.generation
        return body

    def provider_allocations(self, route: Target) -> Body:
        provider = self._provider_of(route)
        return {'allocations': {consumer: {'resources': dict(resources)}
                                for consumer, resources in provider.allocations.items()},
                'resource_provider_generation': provider.generation}

    def consumer_allocations(self, route: Target) -> Body:
        """An unknown consumer is an empty answer, never a 404, as in Placement."""
        consumer = self.tree.consumer(route.uuid or '')
        if consumer is None:
            return {'allocations': {}}
        allocations = {}
        for provider_uuid, resources in consumer.allocations.items():
            provider = self.tree.provider(provider_uuid)
            allocations[provider_uuid] = {
                'resources': dict(resources),
                'generation': provider.generation if provider is not None else 0,
            }
        body: Body = {'allocations': allocations}
        if self.version.at_least(_CONSUMER_OWNER_MINOR):
            body['project_id'] = consumer.project_id
            body['user_id'] = consumer.user_id
        if self.version.at_least(_CONSUMER_GENERATION_MINOR):
            body['consumer_generation'] = consumer.generation
        if self.version.at_least(_CONSUMER_TYPE_MINOR):
            body['consumer_type'] = _CONSUMER_TYPE
        return body

    def allocation_candidates(self, route: Target) -> Body:
        request = parse_candidate_query(self.query, self.version)
        return candidates_document(find_candidates(self.tree, request), self.tree, request)
