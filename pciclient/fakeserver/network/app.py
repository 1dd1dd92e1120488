"""The fake Neutron as a plain WSGI callable, read-only, over the scenario's ports.

Mounted at ``/network`` (the catalog's ``network`` endpoint); token checks
happen in front of it, as for compute and Placement (keystonemiddleware's 401).
Order of answers as Neutron's: the route (404 ``HTTPNotFound``), the method (405),
the query (400), the port (404 ``PortNotFound``); errors in Neutron's
``NeutronError`` body, and a bug costs one request (500), never the server.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.network.errors import (
    NeutronError,
    method_not_allowed,
    not_found,
    server_error,
)
from pciclient.fakeserver.network.ports import PortSets, PortSource
from pciclient.fakeserver.network.routes import ROUTES
from pciclient.fakeserver.network.views import NetworkViews
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import StartResponse, respond_json
from pciclient.fakeserver.wsgi.routes import MethodNotAllowed, NoRoute

__all__ = ['FakeNetworkApp']

LOG = logging.getLogger('pciclient.fakeserver.network')


_MAX_BODY = 1 << 16


def _json_body(environ: dict[str, Any]) -> Any:
    """A PUT's JSON body (None when absent, too large or no JSON): only its keys matter."""
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return None
    if not 0 < length <= _MAX_BODY:
        return None
    try:
        return json.loads(environ['wsgi.input'].read(length))
    except ValueError:
        return None


class FakeNetworkApp:
    """WSGI app answering Neutron's port reads about the fake cloud's servers."""

    def __init__(self, source: Inventory | PortSource) -> None:
        self.port_sets = PortSets(source)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        put_body = _json_body(environ) if request.method == 'PUT' else None
        headers: tuple[tuple[str, str], ...] = ()
        try:
            body = self._answer(request, put_body)
            status = '200 OK'
        except NeutronError as error:
            status, body, headers = error.status, error.body(), error.headers
        except Exception:  # a bug must cost one request, never the server
            LOG.exception('unhandled error serving %s %s', request.method, request.path)
            fault = server_error()
            status, body = fault.status, fault.body()
        return respond_json(start_response, status, body, headers, request.method,
                            request.request_id)

    def _answer(self, request: Request, put_body: Any) -> dict[str, Any]:
        try:
            found = ROUTES.match(request.path, request.method)
        except NoRoute:
            raise not_found() from None
        except MethodNotAllowed as wrong:
            raise method_not_allowed(wrong.allowed) from None
        if found.route.policy is not None and not request.context.authenticated:
            raise not_found()  # the auth middleware lets only the version list through
        views = NetworkViews(request, self.port_sets.current(), put_body)
        return found.route.handler(views, dict(found.params))
