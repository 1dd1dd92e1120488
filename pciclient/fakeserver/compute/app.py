"""The fake compute API as a plain WSGI callable.

This layer owns the HTTP contract every answer shares (JSON content type,
request-id headers, read-only methods, Nova's error bodies, never crashing
the server on a bug) and delegates what to say to :mod:`views`.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from pciclient.fakeserver.compute.errors import (
    ApiError,
    MethodNotAllowed,
    RouteNotFound,
    compute_fault,
)
from pciclient.fakeserver.compute.microversion import (
    MIN_VERSION,
    requested_version,
    version_headers,
)
from pciclient.fakeserver.compute.policy import authorize
from pciclient.fakeserver.compute.routes import VERSIONED, match
from pciclient.fakeserver.compute.shapes import BLUEPRINT, SHAPES
from pciclient.fakeserver.compute.views import Views
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.wsgi import routes
from pciclient.fakeserver.wsgi.request import Request, new_request_id
from pciclient.fakeserver.wsgi.routes import NoRoute

__all__ = ['FakeComputeApp', 'InventorySource']

LOG = logging.getLogger('pciclient.fakeserver')

StartResponse = Callable[..., Any]
# Versioned answers say which microversion they are: always 2.1, the PCI API's own.
_VERSION_HEADERS = (
    ('OpenStack-API-Version', 'compute 2.1'),
    ('X-OpenStack-Nova-API-Version', '2.1'),
    ('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'),
)
_DOCUMENTS = frozenset({Views.versions, Views.version})


class InventorySource(Protocol):
    """Anything holding the latest snapshot, e.g. a ``store.InventoryStore`` that rescans."""

    @property
    def current(self) -> Inventory: ...


class FakeComputeApp:
    """WSGI application answering read-only Compute API calls from an in-memory inventory.

    ``source`` is a fixed :class:`Inventory` or an :class:`InventorySource`; each
    request reads the source once, so a rescan never gives it half-old data.
    ``os_pci=False`` plays a Nova without the PCI API (every Nova since Pike): no
    ``os-pci`` routes (the router's 404) and no PCI keys on hypervisors and servers.
    """

    def __init__(self, source: Inventory | InventorySource, shapes: str = BLUEPRINT,
                 os_pci: bool = True) -> None:
        if shapes not in SHAPES:
            raise ValueError(f'unknown shapes {shapes!r}; expected one of {", ".join(SHAPES)}')
        self.source = source
        self.shapes = shapes
        self.os_pci = os_pci

    @property
    def inventory(self) -> Inventory:
        """The snapshot a request starting now answers from."""
        source = self.source
        return source if isinstance(source, Inventory) else source.current

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = None
        try:
            request = Request.from_environ(environ)
            request_id = request.request_id
            status, body, extra_headers = self._answer(request, environ)
            method = request.method
        except Exception:  # a bug must cost one request, never the server
            LOG.exception('unhandled error serving %s %s',
                          environ.get('REQUEST_METHOD'), environ.get('PATH_INFO'))
            status, body, extra_headers = '500 Internal Server Error', compute_fault(), ()
            method = str(environ.get('REQUEST_METHOD', 'GET')).upper()
        return self._respond(start_response, status, body, extra_headers, method, request_id)

    def _answer(self, request: Request, environ: dict[str, Any],
                ) -> tuple[str, Any, tuple[tuple[str, str], ...]]:
        versioned: tuple[tuple[str, str], ...] = ()  # what errors of versioned routes add
        try:
            try:
                route, target = match(request.path, request.method, self.os_pci)
            except NoRoute:
                raise RouteNotFound() from None
            except routes.MethodNotAllowed as wrong:
                raise MethodNotAllowed(request.method, wrong.allowed) from None
            version = MIN_VERSION
            headers: tuple[tuple[str, str], ...] = (
                () if route.handler is Views.versions else _VERSION_HEADERS)
            # Nova checks the version before the policy; the routes of the PCI API,
            # hypervisors and servers speak 2.1 only, and say so rather than answer
            # another version in 2.1's shape (the version documents take any).
            if route.handler in VERSIONED:
                version = requested_version(environ)
                headers = versioned = version_headers(version)
            elif route.handler not in _DOCUMENTS:
                requested_version(environ, MIN_VERSION)
                versioned = _VERSION_HEADERS
            authorize(route.policy, target.prefix, request)  # the context came with the request
            # one snapshot per request
            views = Views(self.inventory, self.shapes, self.os_pci, version)
            return '200 OK', views.render(target, request), headers
        except ApiError as error:
            return error.status, error.body(), (*error.headers, *versioned)

    @staticmethod
    def _respond(start_response: StartResponse, status: str, body: Any,
                 extra_headers: Iterable[tuple[str, str]], method: str,
                 request_id: str | None) -> list[bytes]:
        request_id = request_id or new_request_id()
        payload = json.dumps(body).encode('utf-8')
        headers = [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(payload))),
            ('x-openstack-request-id', request_id),
            ('x-compute-request-id', request_id),
            *extra_headers,
        ]
        start_response(status, headers)
        return [] if method == 'HEAD' else [payload]
