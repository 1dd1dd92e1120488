"""Test helpers: names used across the fake server tests and an in-process WSGI caller."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HOST = 'node1'
SERVER_UUID = '6b6bd4a3-94e5-4a9d-9b5c-3f2d1c0e7a11'
OTHER_SERVER_UUID = 'e1f0c3b2-2c51-4b53-9d55-0a8f1a7d2c42'


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def listed_ids(body: dict, key: str = 'pci_devices') -> list:
    """The ids of a listing's items, in the order the API gave them."""
    return [item['id'] for item in body[key]]


def call_app(app: Callable[..., Any], path: str, method: str = 'GET', query: str = '',
             host: str = 'fake.example:8774') -> Response:
    """Drive a WSGI app the way wsgiref would, without a socket."""
    environ = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': '',
        'PATH_INFO': path,
        'QUERY_STRING': query,
        'SERVER_NAME': 'fake.example',
        'SERVER_PORT': '8774',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'HTTP_HOST': host,
        'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(b''),
        'wsgi.errors': io.StringIO(),
        'wsgi.version': (1, 0),
        'wsgi.multithread': True,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured['status'] = status
        captured['headers'] = headers

    body = b''.join(app(environ, start_response))
    code, _, reason = captured['status'].partition(' ')
    headers = {name.lower(): value for name, value in captured['headers']}
    return Response(int(code), reason, headers, body)
