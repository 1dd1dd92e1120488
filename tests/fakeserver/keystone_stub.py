"""A Keystone stand-in on a loopback port: just the two token calls keystonemiddleware makes.

Served over real HTTP (the validator's own HTTP code is under test), with knobs
for what real Keystones do to a compute service: expire or revoke its service
token, refuse its credentials, fail, or say nothing at all. It counts calls, so
tests can tell a cached validation from a fresh one. Its token documents are
keystoneauth's test fixture (``keystoneauth1.fixture.V3Token``), not hand-built.
"""
from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from keystoneauth1 import fixture

from pciclient.fakeserver.identity.tokens import keystone_time
from pciclient.fakeserver.wsgi.server import RunningServer, start_in_thread

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
        self.stall_validation = 0.0   # seconds to sit on a validation before answering
        self.redirect_to = ''         # answer every call with 307 to this URL
        self.refuse_service_tokens = False  # 401 to every validation, even under a new token
        self.url = ''  # set by whoever serves it
        self.lock = threading.Lock()

    def add_token(self, project_id: str | None = 'p-demo', roles: tuple[str, ...] = ('member',),
                  ttl: float = 3600.0, user_id: str = 'u-alice') -> str:
        token_id = 'gAAAAA' + secrets.token_urlsafe(48)
        token = fixture.V3Token(user_id=user_id, user_name=user_id, user_domain_id='default',
                                user_domain_name='Default',
                                expires=keystone_time(self.clock() + ttl))
        if project_id:
            token.set_project_scope(id=project_id, name=project_id, domain_id='default',
                                    domain_name='Default')
        else:
            token.set_domain_scope(id='default', name='Default')
        for name in roles:
            token.add_role(name=name, id=f'r-{name}')
        self.tokens[token_id] = token['token']
        return token_id

    def revoke_service_tokens(self) -> None:
        self.service_tokens.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ['REQUEST_METHOD'], environ['PATH_INFO']
        if self.redirect_to:
            return self._answer(start_response, 307, {}, [('Location', self.redirect_to)])
        if path != '/v3/auth/tokens':
            return self._answer(start_response, 404, {'error': {'code': 404}})
        if method == 'POST':
            length = int(environ.get('CONTENT_LENGTH') or 0)
            return self._issue(json.loads(environ['wsgi.input'].read(length)), start_response)
        with self.lock:
            self.validations += 1
        if self.stall_validation:
            time.sleep(self.stall_validation)
        if self.refuse_service_tokens or \
                environ.get('HTTP_X_AUTH_TOKEN') not in self.service_tokens:
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
        document = fixture.V3Token(
            user_name=SERVICE_USER, user_domain_id='default', user_domain_name='Default',
            project_name=SERVICE_PROJECT, project_domain_id='default',
            project_domain_name='Default',
            expires=keystone_time(self.clock() + self.service_ttl))
        document.add_role(name='service')
        return self._answer(start_response, 201, document,
                            [('X-Subject-Token', token_id)])

    @staticmethod
    def _answer(start_response: Any, status: int, body: Any,
                headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        payload = json.dumps(body).encode()
        start_response(f'{status} Status', [('Content-Type', 'application/json'),
                                            ('Content-Length', str(len(payload))),
                                            *(headers or [])])
        return [payload]


class Recorder:
    """WSGI app that answers 200 to anything and keeps every request's headers and body."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get('CONTENT_LENGTH') or 0)
        headers = {key: value for key, value in environ.items() if key.startswith('HTTP_')}
        self.seen.append((headers, environ['wsgi.input'].read(length)))
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', '2')])
        return [b'{}']

    def text(self) -> str:
        return repr(self.seen)


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
