"""A tiny WSGI app and raw-socket helpers for the connection tests (no fake cloud needed)."""
from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pciclient.fakeserver.wsgi.limits import ConnectionLimits
from pciclient.fakeserver.wsgi.server import RunningServer, start_in_thread


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers the path and the length of the body it read, so tests see whole requests."""
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = environ['wsgi.input'].read(length) if length else b''
    answer = f'{environ["PATH_INFO"]} {len(body)}'.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(answer)))])
    return [answer]


@contextmanager
def serving(app: Callable[..., Any] = echo_app, **limits: Any) -> Iterator[RunningServer]:
    with start_in_thread(app, connection_limits=ConnectionLimits(**limits)) as running:
        yield running


def get(port: int, path: str = '/real', timeout: float = 10.0) -> tuple[int, bytes]:
    """One request on a new connection: (status, body); raises on a timeout."""
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        connection.request('GET', path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def answer(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b''.join(chunks)


def is_closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    """Whether the server closed ``sock`` (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b''
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


class Trickle:
    """Connections that each send one more byte of an endless request head every ``every`` s."""

    HEAD = b'GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: ' + b'a' * 100_000

    def __init__(self, port: int, count: int, every: float) -> None:
        self.socks = [socket.create_connection(('127.0.0.1', port), timeout=5)
                      for _ in range(count)]
        self.sent = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def __enter__(self) -> Trickle:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.socks:
            sock.close()

    def _drip(self) -> None:
        while not self._stop.is_set():
            for sock in self.socks:
                try:
                    sock.send(self.HEAD[self.sent:self.sent + 1])
                except OSError:
                    pass
            self.sent += 1
            self._stop.wait(self._every)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
