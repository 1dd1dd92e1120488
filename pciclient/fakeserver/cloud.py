"""One WSGI app for the whole fake cloud: identity under ``/identity``, the service APIs elsewhere.

A single process and port serve every service, like a DevStack host behind
one web server, so ``OS_AUTH_URL=http://HOST:PORT/identity`` and the catalog's
``http://HOST:PORT/v2.1`` and ``…/placement`` reach the same process and share
its token table.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pciclient.fakeserver.identity.middleware import ComputeAuth
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.app import IdentityApp
from pciclient.fakeserver.placement.routes import PLACEMENT_PATH
from pciclient.fakeserver.wsgi.responses import StartResponse
from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.identity.validation import LocalTokens

__all__ = ['COMPUTE_PATH', 'IDENTITY_PATH', 'FakeCloud']

IDENTITY_PATH = '/identity'
COMPUTE_PATH = '/v2.1'

WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class FakeCloud:
    """Dispatch on the first path segment; the compute app only ever sees authenticated calls."""

    def __init__(self, compute_app: WsgiApp, directory: Directory, tokens: TokenStore) -> None:
        self.tokens = tokens
        self.identity = IdentityApp(directory, tokens, compute_path=COMPUTE_PATH,
                                    placement_path=PLACEMENT_PATH)
        self.compute = ComputeAuth(compute_app, LocalTokens(tokens),
                                   identity_url=lambda request: request.host_url + IDENTITY_PATH)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '')
        if path == IDENTITY_PATH or path.startswith(IDENTITY_PATH + '/'):
            environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + IDENTITY_PATH
            environ['PATH_INFO'] = path[len(IDENTITY_PATH):]
            return self.identity(environ, start_response)
        return self.compute(environ, start_response)
