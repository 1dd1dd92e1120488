"""A Keystone stand-in on a loopback port: just the two token calls keystonemiddleware makes.

Served over real HTTP (the validator's own HTTP code is under test), with knobs
for what real Keystones do to a compute service: expire or revoke its service
token, refuse its credentials, fail, or say nothing at all. It counts calls, so
tests can tell a cached validation from a fresh one.
"""
from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pciclient.fakeserver.wsgi.server import RunningServer, start_in_thread
from pciclient.fakeserver.identity.tokens import keystone_time

SERVICE_USER = 'nova'
SERVICE_PASSWORD = 'service-secret'
SERVICE_PROJECT = 'service'


class KeystoneStub:
    """WSGI app; ``tokens`` maps token ids to the token documents GET returns."""

    def __init__(self, clock: Any, service_ttl: float = 3600.0) -> None:
        self.clock = clock
        self.service_ttl = service_ttl
        self.tokens: dict[str, dict[str, Any]] = {}
        self.service_tokens: set[str] = set()
        self.issued = 0
        self.validations = 0
        self.fail_validation_with: int | None = None
        self.url = ''  # set by whoever serves it
        self.lock = threading.Lock()

    def add_token(self, project_id: str | None = 'p-demo', roles: tuple[str, ...] = ('member',),
                  ttl: float = 3600.0, user_id: str = 'u-alice') -> str:
        token_id = 'gAAAAA' + secrets.token_urlsafe(48)
        document: dict[str, Any] = {
            'user': {'id': user_id, 'name': user_id, 'domain': {'id': 'default'}},
            'roles': [{'id': f'r-{name}', 'name': name} for name in roles],
            'expires_at': keystone_time(self.clock() + ttl), 'methods': ['password'],
        }
        if project_id:
            document['project'] = {'id': project_id, 'name': project_id}
        else:
            document['domain'] = {'id': 'default', 'name': 'Default'}
        self.tokens[token_id] = document
        return token_id

    def revoke_service_tokens(self) -> None:
        self.service_tokens.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ['REQUEST_METHOD'], environ['PATH_INFO']
        if path != '/v3/auth/tokens':
            return self._answer(start_response, 404, {'error': {'code': 404}})
        if method == 'POST':
            length = int(environ.get('CONTENT_LENGTH') or 0)
            return self._issue(json.loads(environ['wsgi.input'].read(length)), start_response)
        with self.lock:
            self.validations += 1
        if environ.get('HTTP_X_AUTH_TOKEN') not in self.service_tokens:
            return self._answer(start_response, 401, {'error': {'code': 401}})
        if self.fail_validation_with:
            return self._answer(start_response, self.fail_validation_with,
                                {'error': {'code': self.fail_validation_with}})
        document = self.tokens.get(environ.get('HTTP_X_SUBJECT_TOKEN', ''))
        if document is None:
            return self._answer(start_response, 404, {'error': {
                'code': 404, 'message': 'Could not recognize Fernet token'}})
        return self._answer(start_response, 200, {'token': document})

    def _issue(self, body: dict[str, Any], start_response: Any) -> list[bytes]:
        auth = body['auth']
        user = auth['identity']['password']['user']
        project = auth['scope']['project']
        if (user['name'], user['password'], project['name']) != (
                SERVICE_USER, SERVICE_PASSWORD, SERVICE_PROJECT):
            return self._answer(start_response, 401, {'error': {'code': 401}})
        token_id = secrets.token_urlsafe(32)
        with self.lock:
            self.issued += 1
            self.service_tokens.add(token_id)
        document = {'expires_at': keystone_time(self.clock() + self.service_ttl)}
        return self._answer(start_response, 201, {'token': document},
                            [('X-Subject-Token', token_id)])

    @staticmethod
    def _answer(start_response: Any, status: int, body: Any,
                headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        payload = json.dumps(body).encode()
        start_response(f'{status} Status', [('Content-Type', 'application/json'),
                                            ('Content-Length', str(len(payload))),
                                            *(headers or [])])
        return [payload]


@contextmanager
def serving(stub: KeystoneStub, port: int = 0) -> Iterator[RunningServer]:
    """Serve ``stub``; a given ``port`` (not 0) is bound with SO_REUSEADDR, so a second
    stub can bind it again while the validator's pooled connections to the first linger."""
    with start_in_thread(stub, port=port) as running:
        yield running


@contextmanager
def silent_listener() -> Iterator[str]:
    """A loopback port that accepts connections and never answers: a hung Keystone."""
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen(64)
        yield f'http://127.0.0.1:{listener.getsockname()[1]}/v3'


def free_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def dead_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    return f'http://127.0.0.1:{free_port()}/v3'
