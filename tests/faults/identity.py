"""A Keystone v3 subset and a compute API on one :class:`FaultServer`, whose tokens the
test controls: which token the compute API takes, when one "expires", what the catalog
holds, and how Keystone itself misbehaves.

keystoneauth renews a token itself when it expires within 120 s, so a cloud whose tokens
live 2 s never shows it a 401 for an expired token; here a token Keystone says is good for
an hour stops working when the test says so, as after a revocation or a clock skew.
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults import documents as docs
from tests.faults.servers import FaultServer, Reply, Request, json_reply

PASSWORD = 'S3cret-pa55word'
UNAUTHORIZED = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}


@dataclass
class Identity:
    """Behaviour knobs; ``issued`` lists every token handed out, in order."""

    catalog: Callable[[str], list[dict[str, Any]]] = lambda url: [
        docs.service('compute', f'{url}/v2.1', 'nova'), docs.service('identity', f'{url}/identity')]
    #: token → whether compute accepts it (tokens not listed: accepted)
    refused: set[str] = field(default_factory=set)
    #: refuse every token, even fresh ones
    refuse_all: bool = False
    #: after this many compute requests with a token, it stops working (None: never)
    expire_after: int | None = None
    #: what POST /v3/auth/tokens answers instead of a token (None: a token)
    login: Reply | None = None
    compute: Callable[[Request], Reply] | None = None
    issued: list[str] = field(default_factory=list)
    logins: list[dict[str, Any]] = field(default_factory=list)
    uses: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: Any = field(default_factory=lambda: itertools.count(1))


def serve(identity: Identity) -> FaultServer:
    server: FaultServer

    def behaviour(request: Request) -> Reply:
        path = request.path.rstrip('/')
        if path in ('/identity', '/identity/v3'):
            return json_reply(docs.keystone_version(server.url))
        if path == '/identity/v3/auth/tokens' and request.method == 'POST':
            with identity._lock:
                identity.logins.append(request.json())
                if identity.login is not None:
                    return identity.login
                token = f'gAAAAA{next(identity._numbers):04d}' + 'x' * 40
                identity.issued.append(token)
            methods = request.json()['auth']['identity']['methods']
            return json_reply(docs.token_body(identity.catalog(server.url), methods[0]),
                              status=201, headers={'X-Subject-Token': token})
        if path.startswith('/v2.1'):
            token = request.headers.get('x-auth-token', '')
            with identity._lock:
                uses = identity.uses[token] = identity.uses.get(token, 0) + 1
                if identity.expire_after is not None and uses > identity.expire_after:
                    identity.refused.add(token)
                refused = identity.refuse_all or token in identity.refused \
                    or token not in identity.issued
            if refused:
                return json_reply(UNAUTHORIZED, status=401, headers={
                    'WWW-Authenticate': f"Keystone uri='{server.url}/identity'"})
            if identity.compute is not None:
                return identity.compute(request)
            return compute(request)
        return json_reply(docs.nova_404(), status=404)

    server = FaultServer(behaviour)
    return server


def compute(request: Request) -> Reply:
    """A healthy compute API with one hypervisor, two devices and a server."""
    path = request.path
    if path in ('/v2.1/os-pci', '/v2.1/os-pci/detail'):
        return json_reply(docs.page('pci_devices', [docs.device(1), docs.device(2)]))
    if path == '/v2.1/os-pci/1':
        return json_reply({'pci_device': docs.device(1)})
    if path in ('/v2.1/os-hypervisors', '/v2.1/os-hypervisors/detail',
                '/v2.1/os-hypervisors/compute1/search'):
        return json_reply(docs.page('hypervisors', [docs.hypervisor(1)]))
    if path == '/v2.1/os-hypervisors/1':
        return json_reply({'hypervisor': docs.hypervisor(1)})
    if path == '/v2.1/servers/detail':
        return json_reply(docs.page('servers', [docs.server()]))
    return json_reply(docs.nova_404(), status=404)


def password_args(server: FaultServer, password: str = PASSWORD) -> list[str]:
    return ['--os-auth-url', f'{server.url}/identity/v3', '--os-username', 'admin',
            '--os-password', password, '--os-project-name', 'admin',
            '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']


def app_credential_args(server: FaultServer) -> list[str]:
    return ['--os-auth-url', f'{server.url}/identity/v3',
            '--os-auth-type', 'v3applicationcredential',
            '--os-application-credential-id', 'ac0ffee',
            '--os-application-credential-secret', PASSWORD]


def compute_tokens(server: FaultServer) -> list[str]:
    """The X-Auth-Token of each compute request, in order."""
    return [r.headers.get('x-auth-token', '') for r in server.requests
            if r.path.startswith('/v2.1')]
