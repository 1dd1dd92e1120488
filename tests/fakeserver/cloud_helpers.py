"""Helpers for identity and auth tests: accounts, a settable clock, a WSGI caller with bodies."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from pciclient.fakeserver.identity.accounts import Project, User
from tests.fakeserver.helpers import Response

ADMIN_PASSWORD = 'admin-secret'
ALICE_PASSWORD = 'alice-secret'
BOB_PASSWORD = 'bob-secret'
CAROL_PASSWORD = 'carol-secret'

ADMIN_PROJECT = Project('admin')
DEMO_PROJECT = Project('demo')
OTHER_PROJECT = Project('other')
LAB_PROJECT = Project('lab', domain='Lab')
PROJECTS = (ADMIN_PROJECT, DEMO_PROJECT, OTHER_PROJECT, LAB_PROJECT)

ADMIN = User('admin', ADMIN_PASSWORD, 'admin', roles=('admin', 'member', 'reader'))
ALICE = User('alice', ALICE_PASSWORD, 'demo')
BOB = User('bob', BOB_PASSWORD, 'other')
CAROL = User('carol', CAROL_PASSWORD, 'lab', domain='Lab')
USERS = (ADMIN, ALICE, BOB, CAROL)


class Clock:
    """A clock tests move by hand, so token expiry needs no sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def call(app: Callable[..., Any], path: str, method: str = 'GET', body: Any = None,
         headers: dict[str, str] | None = None, query: str = '', raw_body: bytes | None = None,
         host: str = 'cloud.example:8774') -> Response:
    """Drive a WSGI app in-process with a JSON body and request headers."""
    payload = raw_body if raw_body is not None else (
        b'' if body is None else json.dumps(body).encode('utf-8'))
    environ: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': '',
        'PATH_INFO': path,
        'QUERY_STRING': query,
        'SERVER_NAME': 'cloud.example',
        'SERVER_PORT': '8774',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'HTTP_HOST': host,
        'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(payload),
        'wsgi.errors': io.StringIO(),
        'wsgi.version': (1, 0),
        'wsgi.multithread': True,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    if payload:
        environ['CONTENT_LENGTH'] = str(len(payload))
        environ['CONTENT_TYPE'] = 'application/json'
    for name, value in (headers or {}).items():
        environ['HTTP_' + name.upper().replace('-', '_')] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]],
                       exc_info: Any = None) -> None:
        captured['status'] = status
        captured['headers'] = response_headers

    data = b''.join(app(environ, start_response))
    code, _, reason = captured['status'].partition(' ')
    return Response(int(code), reason,
                    {name.lower(): value for name, value in captured['headers']}, data)


def password_auth(username: str, password: str, project: dict[str, Any] | None = None,
                  user_domain: dict[str, str] | None = None) -> dict[str, Any]:
    """The body keystoneauth's password plugin sends (project scope unless ``project`` is None)."""
    auth: dict[str, Any] = {'identity': {'methods': ['password'], 'password': {'user': {
        'name': username, 'domain': user_domain or {'name': 'Default'}, 'password': password}}}}
    if project is not None:
        auth['scope'] = {'project': project}
    return {'auth': auth}


def token_auth(token_id: str, project: dict[str, Any] | None = None) -> dict[str, Any]:
    auth: dict[str, Any] = {'identity': {'methods': ['token'], 'token': {'id': token_id}}}
    if project is not None:
        auth['scope'] = {'project': project}
    return {'auth': auth}


def default_project(name: str) -> dict[str, Any]:
    return {'name': name, 'domain': {'name': 'Default'}}
