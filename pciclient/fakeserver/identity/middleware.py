"""Token authentication in front of the service APIs, as keystonemiddleware does for Nova.

Every request except the version documents (the ``public_paths`` the wiring
names: identity does not know which services stand behind it) needs an ``X-Auth-Token``
that the identity service vouches for; otherwise the answer is
keystonemiddleware's 401 (``{"error": {"code": 401, "title": "Unauthorized",
"message": …}}`` with ``WWW-Authenticate: Keystone uri="…"``), so clients know
where to log in. When the identity service cannot be asked, the answer is a
503 saying so, at once: a compute API must not hang on its identity service.
A valid token becomes a :class:`RequestContext` in ``environ['pciclient.context']``;
what that caller may see is decided by :mod:`policy` inside the compute app.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pciclient.fakeserver.identity.errors import IdentityError, internal_error, unauthorized
from pciclient.fakeserver.identity.tokens import fingerprint
from pciclient.fakeserver.identity.validation import IdentityUnavailable, TokenValidator
from pciclient.fakeserver.wsgi.context import ANONYMOUS, ENVIRON_KEY
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import StartResponse, WsgiApp, respond_json

__all__ = ['ComputeAuth']

LOG = logging.getLogger('pciclient.fakeserver.identity.middleware')


def _local_identity(request: Request) -> str:
    """The built-in identity, as the client addressed this process."""
    return request.host_url + '/identity'


class ComputeAuth:
    """WSGI middleware: authenticate the token, hand the caller's context to ``app``.

    ``identity_url`` names, per request, the identity service that 401 answers
    point clients to (``WWW-Authenticate``). ``public_paths`` are answered without
    a token (the services' version documents); ``internal_error`` is the body of
    the 500 a bug in the check costs, in the shape of the service behind.
    """

    def __init__(self, app: WsgiApp, validator: TokenValidator,
                 identity_url: Callable[[Request], str] = _local_identity, *,
                 public_paths: frozenset[str] = frozenset(),
                 internal_error: Callable[[], dict[str, Any]] = lambda: internal_error().body(),
                 ) -> None:
        self.app = app
        self.validator = validator
        self.identity_url = identity_url
        self.public_paths = public_paths
        self.internal_error = internal_error

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        if request.path in self.public_paths:
            environ[ENVIRON_KEY] = ANONYMOUS
            return self.app(environ, start_response)
        token_id = environ.get('HTTP_X_AUTH_TOKEN')
        try:
            context = self.validator.validate(token_id) if token_id else None
        except IdentityUnavailable as unavailable:
            LOG.warning('answered %s %s with 503: %s', request.method, request.path, unavailable)
            return self._refuse(request, start_response, IdentityError(
                503, 'Service Unavailable', str(unavailable)))
        except Exception:  # a bug must cost one request, never the server
            LOG.exception('unhandled error checking the token of %s %s',
                          request.method, request.path)
            return respond_json(start_response, '500 Internal Server Error', self.internal_error(),
                                (('x-compute-request-id', request.request_id),),
                                request.method, request.request_id)
        if context is None:
            reason = (f'token {fingerprint(token_id)} is not valid here' if token_id
                      else 'no X-Auth-Token')
            LOG.info('rejected %s %s: %s', request.method, request.path, reason)
            return self._refuse(request, start_response, unauthorized(self.identity_url(request)))
        environ[ENVIRON_KEY] = context
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(request: Request, start_response: StartResponse,
                error: IdentityError) -> Iterable[bytes]:
        return respond_json(start_response, error.status, error.body(),
                            (('x-compute-request-id', request.request_id), *error.headers),
                            request.method, request.request_id)
