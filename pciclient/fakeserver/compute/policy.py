"""Nova's default policy for the API this server fakes, decided from the request context.

- ``os-pci``, ``os-hypervisors``, ``os-aggregates``, ``os-services`` and the
  availability zones' detail: admin only (403 naming the rule, as Nova);
- flavors (no rule), their extra specs and the availability zones: any caller;
- ``servers``: any member of a project, who sees that project's servers only;
  ``all_tenants`` (any value that reads as true, or empty) is admin only, and
  even an admin sees only their own project without it;
- ``os-pci:pci_devices`` on a server: shown to admins and the server's project;
- a project id in the URL must be the token's project (Nova's 400).

The no-auth context is an admin bound to no project: it sees everything, as
the server did before it had identity.
"""
from __future__ import annotations

from pciclient.fakeserver.compute.errors import BadRequest, Forbidden
from pciclient.fakeserver.wsgi.context import RequestContext
from pciclient.fakeserver.wsgi.request import Request

__all__ = [
    'all_tenants_requested',
    'authorize',
    'may_see_server',
    'may_see_server_pci',
    'servers_project_filter',
]

_FALSE = ('0', 'f', 'false', 'n', 'no', 'off')
_TRUE = ('1', 't', 'true', 'y', 'yes', 'on')
# Nova's defaults: these namespaces are admin only; any other rule lets a project member in.
_ADMIN_ONLY = ('os_compute_api:os-pci:', 'os_compute_api:os-hypervisors:',
               'os_compute_api:os-aggregates:', 'os_compute_api:os-services:',
               'os_compute_api:os-availability-zone:detail')
# Listings whose ``all_tenants`` is a rule of its own (``…:get_all_tenants``).
_LISTINGS = ('os_compute_api:servers:index', 'os_compute_api:servers:detail')


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


def _url_project(prefix: str) -> str | None:
    """The project id of ``/v2/{project}/…`` or ``/v2.1/{project}/…`` routes."""
    segments = prefix.strip('/').split('/')
    return segments[1] if len(segments) == 2 else None


def authorize(rule: str | None, prefix: str, request: Request) -> None:
    """Raise the API error Nova would answer for this caller under ``rule``, if any.

    ``rule`` is the route's policy (None: the version documents, open to all);
    ``prefix`` the URL's ``/v2.1[/{project}]``.
    """
    if rule is None:
        return
    context = request.context
    if not context.authenticated:  # the middleware lets only version documents through
        raise Forbidden.for_rule(rule)
    url_project = _url_project(prefix)
    if url_project is not None and context.project_id is not None \
            and url_project != context.project_id:
        raise BadRequest(f"Malformed request URL: URL's project_id '{url_project}' doesn't "
                         f"match Context's project_id '{context.project_id}'")
    if rule.startswith(_ADMIN_ONLY) and not context.is_admin:
        raise Forbidden.for_rule(rule)
    if rule in _LISTINGS and all_tenants_requested(request) and not context.is_admin:
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
