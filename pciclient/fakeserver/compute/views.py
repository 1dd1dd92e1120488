"""One handler per route: filter, page and render inventory data as response bodies."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pciclient.fakeserver.compute.catalog_views import CatalogViews
from pciclient.fakeserver.compute.device_query import device_page
from pciclient.fakeserver.compute.errors import BadRequest, ItemNotFound, NotImplementedFault
from pciclient.fakeserver.compute.microversion import MIN_VERSION, ComputeVersion
from pciclient.fakeserver.compute.name_filter import NameFilterError, NamePattern
from pciclient.fakeserver.compute.paging import paginate
from pciclient.fakeserver.compute.policy import (
    may_see_server,
    may_see_server_pci,
    servers_project_filter,
)
from pciclient.fakeserver.compute.server_filters import filter_servers, hide_admin_attributes
from pciclient.fakeserver.compute.shapes import device_detail, hypervisor_detail
from pciclient.fakeserver.compute.versions import version_document, versions_document
from pciclient.fakeserver.model.inventory import Inventory, PciDevice, Server
from pciclient.fakeserver.wsgi.request import Request

__all__ = ['Handler', 'Target', 'Views']

Body = dict[str, Any]
Handler = Callable[['Views', 'Target', Request], Body]


@dataclass(frozen=True)
class Target:
    """What a request asked for: the handler of its route, and what its path said.

    ``api`` (``v2``/``v2.1``) and ``prefix`` (``/v2.1`` or ``/v2/{project}``) are
    where the client addressed us, for the links we hand back; ``arg`` is the
    ``{id}`` of the path.
    """

    handler: Handler
    api: str = ''
    prefix: str = ''
    arg: str | None = None

    @property
    def name(self) -> str:
        return self.handler.__name__


class Views(CatalogViews):
    """Route handlers over one inventory in one API shape, with or without the PCI API;
    ``version`` is the microversion the versioned routes (``routes.VERSIONED``) answer at."""

    def __init__(self, inventory: Inventory, shapes: str, os_pci: bool = True,
                 version: ComputeVersion = MIN_VERSION) -> None:
        self.inventory = inventory
        self.shapes = shapes
        self.os_pci = os_pci
        self.microversion = version

    def render(self, route: Target, request: Request) -> Body:
        return route.handler(self, route, request)

    # Version discovery

    def versions(self, route: Target, request: Request) -> Body:
        return versions_document(request.url_for)

    def version(self, route: Target, request: Request) -> Body:
        return version_document(route.api, request.url_for)

    # os-pci

    def _device_page(self, request: Request, render: Callable[[PciDevice], Body]) -> Body:
        # Filters (device_query.FILTERS) and paging come from the snapshot's indexes.
        page, links = device_page(self.inventory, request.query, request.url)
        body: Body = {'pci_devices': [render(d) for d in page]}
        if links:
            body['pci_devices_links'] = links
        return body

    def pci_index(self, route: Target, request: Request) -> Body:
        return self._device_page(request, lambda d: d.brief())

    def pci_detail(self, route: Target, request: Request) -> Body:
        return self._device_page(request, lambda d: device_detail(d, self.shapes))

    def pci_show(self, route: Target, request: Request) -> Body:
        arg = route.arg or ''
        is_number = arg.isascii() and arg.isdigit() and len(arg) <= 18
        device = self.inventory.device(int(arg)) if is_number else None
        if device is None or str(device.id) != arg:
            raise ItemNotFound(f'PCI device {arg} not found')
        return {'pci_device': device_detail(device, self.shapes)}

    # os-hypervisors

    def _hypervisor_page(self, request: Request, detail: bool) -> Body:
        page, links = paginate(self.inventory.hypervisors, lambda h: h.id,
                               request.query, request.url,
                               positions=self.inventory.hypervisor_positions())
        render = ((lambda h: hypervisor_detail(h, self.shapes, pci=self.os_pci)) if detail
                  else (lambda h: h.brief()))
        body: Body = {'hypervisors': [render(h) for h in page]}
        if links:
            body['hypervisors_links'] = links
        return body

    def hypervisor_index(self, route: Target, request: Request) -> Body:
        return self._hypervisor_page(request, detail=False)

    def hypervisor_detail(self, route: Target, request: Request) -> Body:
        return self._hypervisor_page(request, detail=True)

    def hypervisor_show(self, route: Target, request: Request) -> Body:
        hypervisor = self.inventory.hypervisor(route.arg or '')
        if hypervisor is None:
            raise ItemNotFound(f"Hypervisor with ID '{route.arg}' could not be found.")
        return {'hypervisor': hypervisor_detail(hypervisor, self.shapes, pci=self.os_pci)}

    def hypervisor_uptime(self, route: Target, request: Request) -> Body:
        """Nova's fake virt driver, which the reference capture ran, has no uptime: 501
        (clients such as ``openstack hypervisor show`` expect and skip it)."""
        self.hypervisor_show(route, request)  # an unknown hypervisor is still a 404
        raise NotImplementedFault()

    def hypervisor_search(self, route: Target, request: Request) -> Body:
        pattern = route.arg or ''
        found = [h.brief() for h in self.inventory.hypervisors if pattern in h.hostname]
        if not found:
            raise ItemNotFound(f"No hypervisor matching '{pattern}' could be found.")
        return {'hypervisors': found}

    # servers

    def _filtered_servers(self, request: Request) -> list[Server]:
        servers = list(self.inventory.servers)
        project = servers_project_filter(request)
        if project is not None:  # Nova then ignores any project_id/tenant_id filter
            servers = [s for s in servers if s.tenant_id == project]
        elif request.has('project_id', 'tenant_id'):
            wanted = set(request.values('project_id', 'tenant_id'))
            servers = [s for s in servers if s.tenant_id in wanted]
        names = request.values('name')
        if names:
            try:  # a regular expression, as in Nova, matched without backtracking
                servers = NamePattern.compile(names[-1]).filter(servers, lambda item: item.name)
            except NameFilterError as exc:
                raise BadRequest(str(exc)) from None
        return filter_servers(servers, request)

    def _server_page(self, route: Target, request: Request, detail: bool) -> Body:
        page, links = paginate(self._filtered_servers(request), lambda s: s.id,
                               request.query, request.url)
        documents = []
        for server in page:
            if detail:
                document = self._server_document(route, request, server)
            else:
                document = {'id': server.id, 'name': server.name}
            document['links'] = self._links(route, request, server)
            documents.append(document)
        body: Body = {'servers': documents}
        if links:
            body['servers_links'] = links
        return body

    def _server_document(self, route: Target, request: Request, server: Server) -> Body:
        """A server's detail, without its PCI devices for callers outside its project
        (or for everyone, when the cloud has no PCI API), and without the extended server
        attributes (its host) for anyone but an admin, as Nova's default policy.

        Nova always sends ``image`` and ``flavor`` and clients (``openstack server
        list``) index them: a fake server is booted from a volume (``image`` is
        Nova's empty string then) and of its scenario flavor, else of flavor ``1``,
        DevStack's m1.tiny.
        """
        document = server.detail()
        bookmark_prefix = route.prefix[len('/' + route.api):]
        flavor_id = server.flavor_id or '1'
        document.setdefault('image', '')
        document.setdefault('flavor', {'id': flavor_id, 'links': [
            {'rel': 'bookmark',
             'href': request.url_for(f'{bookmark_prefix}/flavors/{flavor_id}')}]})
        if not self.os_pci or not may_see_server_pci(request.context, server.tenant_id):
            document.pop('os-pci:pci_devices', None)
        hide_admin_attributes(document, request.context.is_admin)
        return document

    @staticmethod
    def _links(route: Target, request: Request, server: Server) -> list[Body]:
        # Bookmarks are version-less: the prefix minus its leading /v2 or /v2.1.
        bookmark_prefix = route.prefix[len('/' + route.api):]
        return [
            {'rel': 'self', 'href': request.url_for(f'{route.prefix}/servers/{server.id}')},
            {'rel': 'bookmark', 'href': request.url_for(f'{bookmark_prefix}/servers/{server.id}')},
        ]

    def server_index(self, route: Target, request: Request) -> Body:
        return self._server_page(route, request, detail=False)

    def server_detail(self, route: Target, request: Request) -> Body:
        return self._server_page(route, request, detail=True)

    def server_show(self, route: Target, request: Request) -> Body:
        server = self.inventory.server(route.arg or '')
        if server is None or not may_see_server(request.context, server.tenant_id):
            raise ItemNotFound(f'Instance {route.arg} could not be found.')
        document = self._server_document(route, request, server)
        document['links'] = self._links(route, request, server)
        return {'server': document}
