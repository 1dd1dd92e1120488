"""Send a JSON answer the way every OpenStack service does, request id included.

Shared by the identity endpoint and the compute auth middleware, which answer
on their own (before or beside the compute app) and must still look like the
rest of the cloud: JSON content type, exact length, ``x-openstack-request-id``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pciclient.fakeserver.wsgi.request import new_request_id

__all__ = ['StartResponse', 'WsgiApp', 'respond_json']

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def respond_json(start_response: StartResponse, status: str, body: Any,
                 headers: Iterable[tuple[str, str]] = (), method: str = 'GET',
                 request_id: str | None = None) -> list[bytes]:
    """Start the response and return its body (empty for HEAD, whose length is still stated)."""
    request_id = request_id or new_request_id()
    payload = json.dumps(body).encode('utf-8')
    start_response(status, [
        ('Content-Type', 'application/json'),
        ('Content-Length', str(len(payload))),
        ('x-openstack-request-id', request_id),
        *headers,
    ])
    return [] if method == 'HEAD' else [payload]
