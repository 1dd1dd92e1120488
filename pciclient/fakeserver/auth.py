"""Token authentication in front of the compute app, as keystonemiddleware does for Nova.

Every compute request except the version documents needs an ``X-Auth-Token``
the identity service issued and that has not expired; otherwise the answer is
keystonemiddleware's 401 (``{"error": {"code": 401, "title": "Unauthorized",
"message": …}}`` with ``WWW-Authenticate: Keystone uri="…/identity"``), so
clients know where to log in. A valid token becomes a :class:`RequestContext`
in ``environ['pciclient.context']``; what that caller may see is decided by
:mod:`policy` inside the compute app.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pciclient.fakeserver.context import ANONYMOUS, ENVIRON_KEY, RequestContext
from pciclient.fakeserver.errors import unauthorized
from pciclient.fakeserver.request import Request
from pciclient.fakeserver.responses import StartResponse, respond_json
from pciclient.fakeserver.tokens import TokenStore, fingerprint

__all__ = ['ComputeAuth', 'VERSION_PATHS']

LOG = logging.getLogger('pciclient.fakeserver.auth')

# Nova serves its version documents outside the authenticated pipeline.
VERSION_PATHS = frozenset({'', '/', '/v2', '/v2/', '/v2.1', '/v2.1/'})

WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ComputeAuth:
    """WSGI middleware: authenticate the token, hand the caller's context to ``app``."""

    def __init__(self, app: WsgiApp, tokens: TokenStore, identity_path: str = '/identity') -> None:
        self.app = app
        self.tokens = tokens
        self.identity_path = identity_path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        if request.path in VERSION_PATHS:
            environ[ENVIRON_KEY] = ANONYMOUS
            return self.app(environ, start_response)
        token_id = environ.get('HTTP_X_AUTH_TOKEN')
        token = self.tokens.get(token_id)
        if token is None:
            reason = (f'token {fingerprint(token_id)} is unknown or expired' if token_id
                      else 'no X-Auth-Token')
            LOG.info('rejected %s %s: %s', request.method, request.path, reason)
            error = unauthorized(request.host_url + self.identity_path)
            return respond_json(start_response, error.status, error.body(),
                                (('x-compute-request-id', request.request_id), *error.headers),
                                request.method, request.request_id)
        environ[ENVIRON_KEY] = RequestContext(user_id=token.user.id, project_id=token.project.id,
                                              roles=token.roles)
        return self.app(environ, start_response)
