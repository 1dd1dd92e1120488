"""The answers of the fake Neutron: version documents, the port list and one port.

A handler gets the request and the ports of the snapshot it reads and returns
the body; errors are raised as :class:`NeutronError`. What a caller sees is
decided as Neutron does it, in its order: the database query (scoped to the
caller's project and networks unless admin or service, filtered, paged), then
per port the ``get_port`` policy, then ``fields``, then the attributes the
policy hides (``policy.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from pciclient.fakeserver.network import policy
from pciclient.fakeserver.network.errors import (
    method_not_allowed,
    not_found,
    policy_not_authorized,
    port_not_found,
)
from pciclient.fakeserver.network.ports import NETWORK_OWNER, Port, PortSet
from pciclient.fakeserver.network.query import (
    page_links,
    parse_filters,
    parse_page,
    selected_fields,
)
from pciclient.fakeserver.wsgi.request import Request

__all__ = ['Handler', 'NetworkViews']

# The core resources ``GET /v2.0/`` lists (``pecan_wsgi/controllers/root.py``), in its order.
_CORE_RESOURCES = (('network', 'networks'), ('subnet', 'subnets'),
                   ('subnetpool', 'subnetpools'), ('port', 'ports'))


class NetworkViews:
    """The handlers of the route table; one instance per request."""

    def __init__(self, request: Request, ports: PortSet, body: Any = None) -> None:
        self.request = request
        self.body = body
        self.ports = ports
        self.context = request.context

    def _url(self, path: str) -> str:
        return self.request.host_url + quote(self.request.script_name + path, safe='/:@-._~')

    # Version documents

    def versions(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET /``: the one version, linked as ``<application url>/v2.0/``."""
        return {'versions': [{'id': 'v2.0', 'status': 'CURRENT',
                              'links': [{'rel': 'self', 'href': self._url('/v2.0/')}]}]}

    def resources(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET /v2.0/`` (only with the slash: pecan's 404 without it)."""
        if not self.request.path.endswith('/'):
            raise not_found()
        return {'resources': [
            {'name': name, 'collection': collection,
             'links': [{'rel': 'self', 'href': self._url(f'/v2.0/{collection}')}]}
            for name, collection in _CORE_RESOURCES]}

    # Ports

    def _findable(self, port: Port) -> bool:
        """The project scope of a non-admin's query: own ports and ports on own networks."""
        if policy.sees_all_projects(self.context):
            return True
        return self.context.project_id in (port.project_id, NETWORK_OWNER)

    def _shown(self, document: dict[str, Any], fields: frozenset[str] | None
               ) -> dict[str, Any]:
        if fields is not None:
            document = {key: value for key, value in document.items() if key in fields}
        hidden = policy.hidden_fields(self.context, document)
        return {key: value for key, value in document.items() if key not in hidden}

    def ports_list(self, params: dict[str, str]) -> dict[str, Any]:
        query = self.request.query
        filters = parse_filters(query)
        fields = selected_fields(query)
        page = parse_page(query)
        candidates = [port for port in self.ports.ports if self._findable(port)]
        if page.marker is not None:
            marker = self.ports.port(page.marker)
            if marker is None or not self._findable(marker):
                raise port_not_found(page.marker)
        documents = [document for document in (port.document() for port in candidates)
                     if filters(document)]
        if page.limit:
            documents = _page(documents, page.marker, page.limit, page.reverse)
        visible = [document for document in documents
                   if policy.may_see_port(self.context, document['project_id'], NETWORK_OWNER)]
        body: dict[str, Any] = {'ports': [self._shown(d, fields) for d in visible]}
        links = page_links(self._url(self.request.path), query, page, visible)
        if links:
            body['ports_links'] = links
        return body

    def port_show(self, params: dict[str, str]) -> dict[str, Any]:
        query = self.request.query
        parse_filters(query)  # Neutron validates them on a show too, and ignores them
        fields = selected_fields(query)
        port = self.ports.port(params['id'])
        if port is None or not self._findable(port):
            raise port_not_found(params['id'])
        if not policy.may_see_port(self.context, port.project_id, NETWORK_OWNER):
            raise port_not_found(params['id'])
        return {'port': self._shown(port.document(), fields)}

    def port_update(self, params: dict[str, str]) -> dict[str, Any]:
        """``PUT``: the fake is read-only, but says what Neutron 29 says first: a port the
        caller cannot find is a 404, and writing ``binding:profile`` takes the ``service``
        role (Nova's), so even an admin gets ``PolicyNotAuthorized``; else a 405."""
        port = self.ports.port(params['id'])
        if (port is None or not self._findable(port)
                or not policy.may_see_port(self.context, port.project_id, NETWORK_OWNER)):
            raise port_not_found(params['id'])
        attributes = self.body.get('port') if isinstance(self.body, dict) else None
        if (isinstance(attributes, dict) and 'binding:profile' in attributes
                and not policy.may_write_profile(self.context)):
            raise policy_not_authorized('update_port', 'binding:profile')
        raise method_not_allowed(('GET',))


def _page(documents: list[dict[str, Any]], marker: str | None, limit: int,
          reverse: bool) -> list[dict[str, Any]]:
    """Native pagination over id order: after (or, reversed, before) the marker."""
    if marker is not None:
        documents = [d for d in documents if (d['id'] < marker if reverse else d['id'] > marker)]
    return documents[-limit:] if reverse else documents[:limit]


Handler = Callable[[NetworkViews, dict[str, str]], dict[str, Any]]
