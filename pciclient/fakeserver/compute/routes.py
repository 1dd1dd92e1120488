"""The compute API's routes, declared once: path, method, handler, Nova's policy rule.

Nova serves the same resources under ``/v2.1/``, ``/v2.1/{project_id}/`` and
``/v2/{project_id}/``; the prefix is read here (links are handed back under
the prefix the client used), and the rest of the path is looked up in
:data:`API_ROUTES`. The policy names are Nova's (``nova/policies/*.py``); which
of them are admin only is :mod:`policy`'s business.
"""
from __future__ import annotations

from pciclient.fakeserver.compute.views import Handler, Target, Views
from pciclient.fakeserver.wsgi.routes import NoRoute, Route, RouteTable, read_routes

__all__ = ['API_ROUTES', 'OS_PCI_PREFIX', 'ROOT_ROUTES', 'RouteMatch', 'VERSIONED', 'match']

OS_PCI_PREFIX = '/os-pci'
_V2, _V21 = 'v2', 'v2.1'

# ``/``: the version list, outside any API version.
ROOT_ROUTES: RouteTable[Handler] = RouteTable(read_routes('/', Views.versions, None))
# Below ``/v2.1`` (or ``/v2/{project}``, …): literal paths before ``{id}`` ones.
API_ROUTES: RouteTable[Handler] = RouteTable([
    *read_routes('/', Views.version, None),
    *read_routes('/os-pci', Views.pci_index, 'os_compute_api:os-pci:index'),
    *read_routes('/os-pci/detail', Views.pci_detail, 'os_compute_api:os-pci:detail'),
    *read_routes('/os-pci/{id}', Views.pci_show, 'os_compute_api:os-pci:show'),
    *read_routes('/os-hypervisors', Views.hypervisor_index, 'os_compute_api:os-hypervisors:list'),
    *read_routes('/os-hypervisors/detail', Views.hypervisor_detail,
                 'os_compute_api:os-hypervisors:list-detail'),
    *read_routes('/os-hypervisors/{id}', Views.hypervisor_show,
                 'os_compute_api:os-hypervisors:show'),
    *read_routes('/os-hypervisors/{id}/search', Views.hypervisor_search,
                 'os_compute_api:os-hypervisors:search'),
    *read_routes('/os-hypervisors/{id}/uptime', Views.hypervisor_uptime,
                 'os_compute_api:os-hypervisors:uptime'),
    *read_routes('/servers', Views.server_index, 'os_compute_api:servers:index'),
    *read_routes('/servers/detail', Views.server_detail, 'os_compute_api:servers:detail'),
    *read_routes('/servers/{id}', Views.server_show, 'os_compute_api:servers:show'),
    # Flavors: Nova checks no rule to read them (a private one is the admins' only).
    *read_routes('/flavors', Views.flavor_index, None),
    *read_routes('/flavors/detail', Views.flavor_detail, None),
    *read_routes('/flavors/{id}', Views.flavor_show, None),
    *read_routes('/flavors/{id}/os-extra_specs', Views.flavor_extra_specs,
                 'os_compute_api:os-flavor-extra-specs:index'),
    *read_routes('/os-aggregates', Views.aggregate_index, 'os_compute_api:os-aggregates:index'),
    *read_routes('/os-aggregates/{id}', Views.aggregate_show,
                 'os_compute_api:os-aggregates:show'),
    *read_routes('/os-availability-zone', Views.availability_zone_index,
                 'os_compute_api:os-availability-zone:list'),
    *read_routes('/os-availability-zone/detail', Views.availability_zone_detail,
                 'os_compute_api:os-availability-zone:detail'),
    *read_routes('/os-services', Views.service_index, 'os_compute_api:os-services:list'),
])
# Routes answering at the microversion asked (compute/microversion.py); the others speak
# 2.1 only (406 for any other version), as the PCI API they belong to predates microversions.
VERSIONED: frozenset[Handler] = frozenset({
    Views.flavor_index, Views.flavor_detail, Views.flavor_show, Views.flavor_extra_specs,
    Views.aggregate_index, Views.aggregate_show, Views.availability_zone_index,
    Views.availability_zone_detail, Views.service_index,
})
# A Nova without the PCI API (every Nova since Pike): its router has no os-pci routes.
API_ROUTES_WITHOUT_OS_PCI: RouteTable[Handler] = RouteTable(
    route for route in API_ROUTES.routes if not route.template.startswith(OS_PCI_PREFIX))
# The first segments of the resources: ``/v2.1/{these}`` is not a project id.
RESOURCES = frozenset(route.segments[0] for route in API_ROUTES.routes if route.segments)

RouteMatch = tuple[Route[Handler], Target]


def match(path: str, method: str, os_pci: bool = True) -> RouteMatch:
    """The row answering ``method`` on a decoded path and what the path named.

    Raises :class:`~pciclient.fakeserver.wsgi.routes.NoRoute` where Nova's router
    would 404, :class:`~pciclient.fakeserver.wsgi.routes.MethodNotAllowed` for a
    known path asked with another method. One trailing slash is tolerated.
    """
    if path in ('', '/'):
        found = ROOT_ROUTES.match('/', method)
        return found.route, Target(found.route.handler)
    if not path.startswith('/'):
        raise NoRoute(path)
    body = path[1:]
    if body.endswith('/'):
        body = body[:-1]
    if '' in body.split('/'):
        raise NoRoute(path)
    api, _, rest = body.partition('/')
    if api not in (_V2, _V21):
        raise NoRoute(path)
    prefix = '/' + api
    head = rest.split('/', 1)[0]
    if rest and not (api == _V21 and head in RESOURCES):
        project, _, rest = rest.partition('/')
        if project in RESOURCES or project in ('.', '..') or not rest:
            raise NoRoute(path)
        prefix = f'/{api}/{project}'
    table = API_ROUTES if os_pci else API_ROUTES_WITHOUT_OS_PCI
    found = table.match('/' + rest, method)
    return found.route, Target(found.route.handler, api, prefix, found.params.get('id'))
