"""The fake Placement API as a plain WSGI callable, read-only, over the provider tree.

This layer owns what every Placement answer shares, in Placement's order of
checks: the microversion first (400/406, the only answers without
``openstack-api-version``), then the route (404, also for routes newer than
the microversion), the method (405: only GET), the policy (403), and the
answer, with ``openstack-api-version``, ``vary``, ``x-openstack-request-id``
and, from 1.15, ``last-modified``/``cache-control``. Errors use Placement's
``{"errors": [...]}`` body; a bug costs one request (500), never the server.
Token checks happen in front of it (``identity/middleware.py``), as for compute.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from email.utils import formatdate
from typing import Any

from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.placement.errors import (
    PlacementError,
    PlacementMethodNotAllowed,
    PlacementNotFound,
    PlacementServerError,
)
from pciclient.fakeserver.placement.microversion import (
    HEADER_NAME,
    SERVICE_TYPE,
    Microversion,
    requested_version,
)
from pciclient.fakeserver.placement.policy import authorize_placement
from pciclient.fakeserver.placement.routes import ROUTES
from pciclient.fakeserver.placement.source import ProviderTrees, SnapshotSource
from pciclient.fakeserver.placement.views import EncodedJson, PlacementViews, Target
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import StartResponse
from pciclient.fakeserver.wsgi.routes import MethodNotAllowed, NoRoute

__all__ = ['FakePlacementApp']

LOG = logging.getLogger('pciclient.fakeserver.placement')

# From this microversion on, GET answers say how fresh they are and must not be cached.
_CACHE_HEADERS_MINOR = 15

Headers = tuple[tuple[str, str], ...]


class FakePlacementApp:
    """WSGI app answering Placement's read calls about the fake cloud's providers.

    ``source`` is a fixed :class:`Inventory` or anything with a ``current``
    snapshot (the rescanning store); mount it so that ``SCRIPT_NAME`` ends in
    the mount point, which its links start with.
    """

    def __init__(self, source: Inventory | SnapshotSource) -> None:
        self.trees = ProviderTrees(source)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        version: Microversion | None = None
        try:
            version = requested_version(environ.get('HTTP_OPENSTACK_API_VERSION'))
            body, headers = self._answer(request, version)
            status = '200 OK'
        except PlacementError as error:
            status, headers = error.status, error.headers
            body = error.body(request.request_id, version.minor if version else None)
        except Exception:  # a bug must cost one request, never the server
            LOG.exception('unhandled error serving %s %s', request.method, request.path)
            fault = PlacementServerError()
            status, headers = fault.status, fault.headers
            body = fault.body(request.request_id, version.minor if version else None)
        if version is not None:
            headers = (*headers, (HEADER_NAME, f'{SERVICE_TYPE} {version}'),
                       ('vary', HEADER_NAME))
        text = body.text if isinstance(body, EncodedJson) else json.dumps(body)
        payload = text.encode('utf-8')
        start_response(status, [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(payload))),
            ('x-openstack-request-id', request.request_id),
            *headers,
        ])
        return [] if request.method == 'HEAD' else [payload]

    def _answer(self, request: Request, version: Microversion) -> tuple[Any, Headers]:
        try:
            found = ROUTES.match(request.path, request.method, version.minor)
        except NoRoute:
            raise PlacementNotFound() from None
        except MethodNotAllowed as wrong:
            raise PlacementMethodNotAllowed(request.method, wrong.allowed) from None
        route = found.route
        authorize_placement(route.policy, request.context)
        tree = self.trees.current()  # one tree for the whole request
        views = PlacementViews(tree, version, request.query, request.script_name)
        body = views.render(Target(route.handler, found.params.get('uuid'),
                                   found.params.get('resource_class')))
        headers: Headers = ()
        if route.handler is not PlacementViews.root and version.at_least(_CACHE_HEADERS_MINOR):
            headers = (('last-modified', formatdate(tree.built_at, usegmt=True)),
                       ('cache-control', 'no-cache'))
        return body, headers
