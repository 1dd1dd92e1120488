"""Nova's default policy for the API this server fakes, decided from the request context.

- ``os-pci`` and ``os-hypervisors``: admin only (403 naming the rule, as Nova);
- ``servers``: any member of a project, who sees that project's servers only;
  ``all_tenants`` (any value that reads as true, or empty) is admin only, and
  even an admin sees only their own project without it;
- ``os-pci:pci_devices`` on a server: shown to admins and the server's project;
- a project id in the URL must be the token's project (Nova's 400);
- Placement (``/placement``): every rule is admin only, Placement's default, and
  the version document needs no token (403 in Placement's shape, naming the rule).

The no-auth context is an admin bound to no project: it sees everything, as
the server did before it had identity.
"""
from __future__ import annotations

from pciclient.fakeserver.wsgi.context import RequestContext
from pciclient.fakeserver.compute.errors import BadRequest, Forbidden
from pciclient.fakeserver.placement.errors import PlacementForbidden
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.compute.routes import Route

__all__ = [
    'all_tenants_requested',
    'authorize',
    'authorize_placement',
    'may_see_server',
    'may_see_server_pci',
    'placement_rule_for',
    'rule_for',
    'servers_project_filter',
]

_FALSE = ('0', 'f', 'false', 'n', 'no', 'off')
_TRUE = ('1', 't', 'true', 'y', 'yes', 'on')
_VERSION_ROUTES = ('versions', 'version')
# Route name prefix -> (Nova policy namespace, admin only).
_FAMILIES = {
    'pci_': ('os_compute_api:os-pci', True),
    'hypervisor_': ('os_compute_api:os-hypervisors', True),
    'server_': ('os_compute_api:servers', False),
}
# Placement route name -> Placement's policy rule (placement/policies/*.py names).
_PLACEMENT_RULES = {
    'providers': 'placement:resource_providers:list',
    'provider': 'placement:resource_providers:show',
    'inventories': 'placement:resource_providers:inventories:list',
    'inventory': 'placement:resource_providers:inventories:show',
    'usages': 'placement:resource_providers:usages',
    'aggregates': 'placement:resource_providers:aggregates:list',
    'traits': 'placement:resource_providers:traits:list',
    'provider_allocations': 'placement:resource_providers:allocations:list',
    'consumer_allocations': 'placement:allocations:list',
}
# Where a route's action is not its name's suffix in Nova's rule names.
_ACTIONS = {
    'hypervisor_index': 'list',
    'hypervisor_detail': 'list-detail',
}


def rule_for(route: Route) -> str:
    """Nova's policy rule name for a route (``os_compute_api:os-pci:index``, …)."""
    for prefix, (namespace, _) in _FAMILIES.items():
        if route.name.startswith(prefix):
            action = _ACTIONS.get(route.name, route.name[len(prefix):])
            return f'{namespace}:{action}'
    return f'os_compute_api:{route.name}'


def _admin_only(route: Route) -> bool:
    """Unknown (future) routes are admin only until someone decides otherwise."""
    for prefix, (_, admin_only) in _FAMILIES.items():
        if route.name.startswith(prefix):
            return admin_only
    return True


def all_tenants_requested(request: Request) -> bool:
    """Nova's reading of ``all_tenants``: present and empty, or a true boolean word."""
    values = request.values('all_tenants')
    if not values:
        return False
    value = values[-1].strip().lower()
    if value == '' or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"Unrecognized value '{values[-1]}', acceptable values are: "
                     "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'")


def _url_project(route: Route) -> str | None:
    """The project id of ``/v2/{project}/…`` or ``/v2.1/{project}/…`` routes."""
    segments = route.prefix.strip('/').split('/')
    return segments[1] if len(segments) == 2 else None


def authorize(route: Route, request: Request) -> None:
    """Raise the API error Nova would answer for this caller on this route, if any."""
    if route.name in _VERSION_ROUTES:
        return
    context = request.context
    rule = rule_for(route)
    if not context.authenticated:  # the middleware lets only version documents through
        raise Forbidden.for_rule(rule)
    url_project = _url_project(route)
    if url_project is not None and context.project_id is not None \
            and url_project != context.project_id:
        raise BadRequest(f"Malformed request URL: URL's project_id '{url_project}' doesn't "
                         f"match Context's project_id '{context.project_id}'")
    if _admin_only(route) and not context.is_admin:
        raise Forbidden.for_rule(rule)
    if route.name in ('server_index', 'server_detail') and all_tenants_requested(request) \
            and not context.is_admin:
        raise Forbidden.for_rule(f'{rule}:get_all_tenants')


def servers_project_filter(request: Request) -> str | None:
    """The project whose servers a listing shows, or None for every project.

    Call after :func:`authorize`, which has refused ``all_tenants`` to non-admins.
    """
    if all_tenants_requested(request) and request.context.is_admin:
        return None
    return request.context.project_id


def may_see_server(context: RequestContext, tenant_id: str) -> bool:
    """Nova scopes instance lookups to the caller's project unless the caller is an admin."""
    return context.is_admin or context.project_id == tenant_id


def may_see_server_pci(context: RequestContext, tenant_id: str) -> bool:
    """The blueprint's ``os-pci:pci_devices`` attribute: admins and the server's own project."""
    return context.is_admin or context.project_id == tenant_id


def placement_rule_for(route_name: str) -> str | None:
    """Placement's rule for a route; None for the version document, which is open to all."""
    if route_name == 'root':
        return None
    return _PLACEMENT_RULES.get(route_name, f'placement:{route_name}')


def authorize_placement(route_name: str, context: RequestContext) -> None:
    """Raise Placement's 403 unless the caller is an admin (routes unknown here: admin too)."""
    rule = placement_rule_for(route_name)
    if rule is None:
        return
    if not (context.authenticated and context.is_admin):
        raise PlacementForbidden.for_rule(rule)
