"""Placement's routes, declared once: path, method, handler, Placement's policy rule.

Like Placement's own ``ROUTE_DECLARATIONS``: a path's 404, its 405 (this fake
is read-only: GET only, as Placement answers HEAD too) and the rule names of
``placement/policies/*.py`` all come from these rows. A route newer than the
request's microversion is unknown to it (Placement's 404): ``since`` says from
which 1.x it exists. Paths are relative to Placement's mount point.
"""
from __future__ import annotations

from pciclient.fakeserver.placement.views import Handler
from pciclient.fakeserver.placement.views import PlacementViews as V
from pciclient.fakeserver.wsgi.routes import Route, RouteTable

__all__ = ['ROUTES']

_PROVIDER = '/resource_providers/{uuid}'

ROUTES: RouteTable[Handler] = RouteTable([
    Route('/', 'GET', V.root, None),
    Route('/resource_providers', 'GET', V.providers, 'placement:resource_providers:list'),
    Route(_PROVIDER, 'GET', V.provider, 'placement:resource_providers:show'),
    Route(f'{_PROVIDER}/inventories', 'GET', V.inventories,
          'placement:resource_providers:inventories:list'),
    Route(f'{_PROVIDER}/inventories/{{resource_class}}', 'GET', V.inventory,
          'placement:resource_providers:inventories:show'),
    Route(f'{_PROVIDER}/usages', 'GET', V.usages, 'placement:resource_providers:usages'),
    Route(f'{_PROVIDER}/aggregates', 'GET', V.aggregates,
          'placement:resource_providers:aggregates:list', since=1),
    Route(f'{_PROVIDER}/traits', 'GET', V.traits,
          'placement:resource_providers:traits:list', since=6),
    Route(f'{_PROVIDER}/allocations', 'GET', V.provider_allocations,
          'placement:resource_providers:allocations:list'),
    Route('/allocations/{uuid}', 'GET', V.consumer_allocations, 'placement:allocations:list'),
    Route('/allocation_candidates', 'GET', V.allocation_candidates,
          'placement:allocation_candidates:list', since=10),
])
