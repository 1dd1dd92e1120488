"""Hostile requests over real HTTP, auth on: each is refused cleanly and the server keeps serving.

Requests are written byte for byte on a socket (no client library to tidy
them up), to one fake cloud (identity, compute, Placement) served by the
default engine. Policy refusals that do not depend on the wire are tested
in-process: a member token on admin APIs in ``test_auth.py``
(``test_member_is_refused_admin_resources``) and ``test_placement_auth.py``,
another project's server in ``test_auth.py`` (``test_server_show_per_project``).
"""
from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cloud import FakeCloud, service_apis
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.model.sysfs import read_functions
from pciclient.fakeserver.wsgi.limits import MAX_BODY_BYTES, MAX_HEADER_BYTES
from pciclient.fakeserver.wsgi.server import start_in_thread
from tests.fakeserver.cloud_helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    PROJECTS,
    USERS,
    default_project,
    password_auth,
)
from tests.fakeserver.helpers import HOST
from tests.support.sysfs_tree import build_standard_tree

SECRET = 'the-secret-a-traversal-would-reveal'
DEMO_VM = '22222222-2222-4222-8222-222222222222'
KEYSTONE_401 = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        assert self.headers.get('content-type') == 'application/json', self
        return json.loads(self.body)


@dataclass
class Cloud:
    port: int
    admin: str
    secret_dir: Path

    def send(self, raw: bytes, timeout: float = 10) -> Answer:
        """One request, exactly these bytes, on a fresh connection; the whole answer back."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=timeout) as sock:
            sock.sendall(raw)
            return _read_answer(sock)

    def get(self, target: str, token: str | None = None, method: str = 'GET',
            headers: str = '', body: bytes = b'') -> Answer:
        token = self.admin if token is None else token
        lines = f'{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n'
        if token:
            lines += f'X-Auth-Token: {token}\r\n'
        return self.send((lines + headers + 'Connection: close\r\n\r\n').encode('latin-1') + body)

    def healthy(self) -> bool:
        answer = self.get('/v2.1/os-pci/1')
        return answer.status == 200 and answer.json['pci_device']['id'] == 1


def _read_answer(sock: socket.socket) -> Answer:
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        assert chunk, f'connection closed before the headers: {data!r}'
        data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    status_line, *header_lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get('content-length', '0'))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f'connection closed mid-body: {len(body)} of {length} bytes'
        body += chunk
    assert len(body) == length, 'more bytes than Content-Length'
    return Answer(int(status_line.split()[1]), headers, body)


def _login(port: int, user: Any, password: str) -> str:
    payload = json.dumps(password_auth(user.name, password, default_project(user.project)))
    raw = (f'POST /identity/v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n'
           f'Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n'
           f'Connection: close\r\n\r\n{payload}').encode()
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(raw)
        answer = _read_answer(sock)
    assert answer.status == 201, answer
    return answer.headers['x-subject-token']


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    base = tmp_path_factory.mktemp('hostile')
    # A file a traversal out of any directory the server might use would find.
    secret_dir = base / 'outside'
    secret_dir.mkdir()
    (secret_dir / 'passwd').write_text(SECRET)
    scan = read_functions(build_standard_tree(base / 'sys'))
    inventory = Inventory.from_hosts([(HOST, scan.functions)]).with_servers([
        Server(id=DEMO_VM, name='demo-vm', host=HOST, device_ids=(3,), tenant_id='demo')])
    app = FakeCloud(service_apis(inventory), Directory(PROJECTS, USERS), TokenStore())
    with start_in_thread(app) as running:
        yield Cloud(running.port, _login(running.port, ADMIN, ADMIN_PASSWORD), secret_dir)


@contextlib.contextmanager
def no_files() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Record (and refuse) every attempt to touch the filesystem inside the block."""
    touched: list[tuple[str, tuple[Any, ...]]] = []

    def refuse(name: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            touched.append((name, args))
            raise PermissionError(f'{name}{args!r} while serving a request')
        return refused
    with pytest.MonkeyPatch.context() as patch:
        for target, name in ((builtins, 'open'), (io, 'open'), (os, 'open'), (os, 'stat'),
                             (os, 'lstat'), (os, 'listdir'), (os, 'scandir'),
                             (os, 'readlink'), (os, 'access')):
            patch.setattr(target, name, refuse(f'{target.__name__}.{name}'))
        yield touched


# --- path traversal -----------------------------------------------------------------------------

# Every path segment of every service, {} marking the one under attack.
TEMPLATES = [
    '/{}',
    '/{}/os-pci',
    '/v2.1/{}',
    '/v2.1/{}/os-pci',
    '/v2/{}/servers/detail',
    '/v2.1/os-pci/{}',
    '/v2.1/os-pci/detail/{}',
    '/v2.1/os-hypervisors/{}',
    '/v2.1/os-hypervisors/{}/search',
    '/v2.1/os-hypervisors/node1/{}',
    '/v2.1/servers/{}',
    '/placement/{}',
    '/placement/resource_providers/{}',
    '/placement/resource_providers/{}/inventories',
    '/placement/resource_providers/00000000-0000-4000-8000-000000000000/{}',
    '/placement/allocations/{}',
    '/identity/{}',
    '/identity/v3/{}',
    '/identity/v3/auth/{}',
]
PAYLOADS = [
    '..',
    '.',
    '%2e%2e',
    '.%2e',
    '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '..%5c..%5c..%5cetc%5cpasswd',
    '%252e%252e%252f%252e%252e%252fetc%252fpasswd',
    '%c0%ae%c0%ae%c0%af',
    '%2fetc%2fpasswd',
    '%00',
    'passwd%00.json',
    '\x00',
    '~root',
]


def _secret_payloads(secret_dir: Path) -> list[str]:
    """Absolute and climbing paths to the planted secret, raw and encoded."""
    absolute = str(secret_dir / 'passwd')
    climb = '../' * 12 + absolute.lstrip('/')
    return [absolute.replace('/', '%2f'), climb.replace('/', '%2f'), '..%2f' * 12 + 'etc%2fhosts']


def _check_refused(answer: Answer, target: str) -> None:
    assert SECRET.encode() not in answer.body
    if target.startswith('/placement/allocations/') and answer.status == 200:
        # Placement answers any consumer it has no allocations for with none, as the real one.
        assert answer.json == {'allocations': {}}, target
        return
    assert answer.status in (400, 404), (target, answer)
    if answer.status == 404 or answer.headers.get('content-type') == 'application/json':
        assert answer.json, target  # a JSON error body (webob's, Nova's, Keystone's, Placement's)


@pytest.mark.parametrize('template', TEMPLATES)
def test_traversal_in_any_segment_never_reaches_the_filesystem(cloud: Cloud,
                                                               template: str) -> None:
    targets = [template.format(p) for p in PAYLOADS + _secret_payloads(cloud.secret_dir)]
    with no_files() as touched:
        answers = [cloud.get(target) for target in targets]
    assert touched == []
    for target, answer in zip(targets, answers, strict=True):
        _check_refused(answer, target)


@pytest.mark.parametrize('target', [
    '/etc/passwd',
    '//etc/passwd',
    '///etc/passwd',
    '/v2.1//etc/passwd',
    '/v2.1/os-pci//etc/passwd',
    '/v2.1/os-pci/..//..//..//etc/passwd',
    '/placement//etc/passwd',
    '/identity//etc/passwd',
    '/v2.1/os-pci/1/../../../../etc/passwd',
    '/v2.1/servers/\x00/../../etc/passwd',
])
def test_absolute_and_doubled_paths_never_reach_the_filesystem(cloud: Cloud,
                                                               target: str) -> None:
    with no_files() as touched:
        answer = cloud.get(target)
    assert touched == []
    _check_refused(answer, target)


def test_request_targets_that_are_not_paths_are_400(cloud: Cloud) -> None:
    for target in ('http://elsewhere.example/v2.1/os-pci', '*', 'etc/passwd',
                   f'file://{cloud.secret_dir}/passwd'):
        answer = cloud.get(target)
        assert answer.status == 400, (target, answer)
        assert SECRET.encode() not in answer.body
    assert cloud.healthy()


# --- odd ids ------------------------------------------------------------------------------------

ODD_IDS = [
    '-1', '-0', '0', '+1', '1.0', '1e3', '0x1', '01', '1%20', '%201', '%0a1',
    '99999999999999999999999999999999999999',
    '9' * 4000,
    'abc', 'None', 'null', '%7B%7D',
    '%EF%BC%91',          # fullwidth digit one
    '%D9%A3',             # Arabic-Indic digit three (str.isdigit says yes)
    '%C3%A9t%C3%A9',      # accented letters
    '%F0%9F%92%A5',       # an emoji
    '%FF%FE',             # not UTF-8 at all
    '%E2%80%AE1',         # right-to-left override
]


@pytest.mark.parametrize('resource', [
    '/v2.1/os-pci/{}', '/v2.1/os-hypervisors/{}', '/v2.1/servers/{}',
    '/v2/admin/servers/{}', '/placement/resource_providers/{}',
    '/placement/resource_providers/{}/inventories',
])
def test_odd_ids_are_404_or_400_with_a_json_message(cloud: Cloud, resource: str) -> None:
    for ident in ODD_IDS:
        target = resource.format(ident)
        answer = cloud.get(target)
        assert answer.status in (400, 404), (target, answer)
        body = answer.json
        text = json.dumps(body)
        assert 'message' in text or 'detail' in text, (target, body)
    assert cloud.healthy()


# --- sizes --------------------------------------------------------------------------------------

def test_oversized_request_line_is_414(cloud: Cloud) -> None:
    answer = cloud.get('/v2.1/os-pci/' + '1' * (MAX_HEADER_BYTES + 10))
    assert answer.status == 414
    assert cloud.healthy()


@pytest.mark.parametrize('headers', [
    'X-Padding: ' + 'y' * (MAX_HEADER_BYTES + 10) + '\r\n',
    ''.join(f'X-Many-{i}: {"z" * 40}\r\n' for i in range(MAX_HEADER_BYTES // 40)),
    'X-Auth-Token: ' + 'a' * (MAX_HEADER_BYTES + 10) + '\r\n',
], ids=['one-huge', 'many', 'huge-token'])
def test_oversized_headers_are_refused(cloud: Cloud, headers: str) -> None:
    answer = cloud.get('/v2.1/os-pci', token='', headers=headers)
    assert answer.status in (413, 431)
    assert cloud.healthy()


def test_oversized_body_is_refused_before_it_is_read(cloud: Cloud) -> None:
    # Only the headers are sent: the refusal must not wait for 2 MiB that never come.
    answer = cloud.get('/identity/v3/auth/tokens', token='', method='POST',
                       headers=f'Content-Type: application/json\r\n'
                               f'Content-Length: {2 * MAX_BODY_BYTES}\r\n')
    assert answer.status == 413
    assert cloud.healthy()


def test_body_under_the_server_limit_but_over_identitys_is_a_json_413(cloud: Cloud) -> None:
    body = b'{"auth": "' + b'x' * 200_000 + b'"}'
    answer = cloud.get('/identity/v3/auth/tokens', token='', method='POST',
                       headers=f'Content-Type: application/json\r\n'
                               f'Content-Length: {len(body)}\r\n', body=body)
    assert answer.status == 413 and answer.json['error']['code'] == 413
    assert cloud.healthy()


def test_negative_or_junk_content_length_is_400(cloud: Cloud) -> None:
    for length in ('-1', 'abc', '1e3', '99999999999999999999999'):
        answer = cloud.get('/identity/v3/auth/tokens', token='', method='POST',
                           headers=f'Content-Length: {length}\r\n')
        assert answer.status in (400, 413), (length, answer)
    assert cloud.healthy()


def test_unread_body_does_not_become_the_next_request(cloud: Cloud) -> None:
    """A refused POST's body is skipped on a kept-alive connection, not parsed as a request."""
    smuggled = b'GET /v2.1/os-pci/1 HTTP/1.1\r\nHost: x\r\n\r\n'
    first = (f'POST /v2.1/os-pci HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {cloud.admin}\r\n'
             f'Content-Length: {len(smuggled)}\r\n\r\n').encode() + smuggled
    second = (f'GET /v2.1/os-hypervisors HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {cloud.admin}\r\n'
              f'Connection: close\r\n\r\n').encode()
    with socket.create_connection(('127.0.0.1', cloud.port), timeout=10) as sock:
        sock.sendall(first)
        assert _read_answer(sock).status == 405
        sock.sendall(second)
        answer = _read_answer(sock)
    assert answer.status == 200 and 'hypervisors' in answer.json


# --- methods and tokens -------------------------------------------------------------------------

@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'FOO'])
@pytest.mark.parametrize('target', ['/v2.1/os-pci', '/v2.1/servers/' + DEMO_VM,
                                    '/placement/resource_providers', '/identity/v3'])
def test_unsupported_methods_are_405(cloud: Cloud, method: str, target: str) -> None:
    answer = cloud.get(target, method=method, headers='Content-Length: 0\r\n')
    assert answer.status == 405, answer
    assert answer.json and 'GET' in answer.headers['allow']


@pytest.mark.parametrize('token', [
    'x', '-', 'null', '%00', 'a\x00b', '\xff\xfe\xfd', 'two words', 'tab\there',
    'gAAAAA' + 'A' * 180, 'a' * 8000, 'Bearer {admin}', '{admin}x', 'x{admin}',
    '{admin},{admin}', '{admin_upper}',
])
@pytest.mark.parametrize('target', ['/v2.1/os-pci', '/v2.1/servers', '/placement/'
                                    'resource_providers'])
def test_malformed_tokens_are_401(cloud: Cloud, token: str, target: str) -> None:
    value = token.format(admin=cloud.admin, admin_upper=cloud.admin.swapcase())
    answer = cloud.get(target, token='', headers=f'X-Auth-Token: {value}\r\n')
    assert answer.status == 401, (value[:40], answer)
    assert answer.json == KEYSTONE_401
    assert answer.headers['www-authenticate'].startswith('Keystone uri=')
