"""Misbehaving HTTP servers on 127.0.0.1, written on plain sockets so that they can do what
well-behaved servers never do: answer nothing, reset the connection mid-body, promise a
longer body than they send, fail a later page.

A :class:`FaultServer` runs in threads of the test process; ``behaviour(request)`` says
what each request gets (a :class:`Reply`, :data:`SILENCE`, :data:`RESET` or
:data:`CLOSE`). Every thread and socket is gone when its ``with`` block ends: waits are
bounded and wake up when the server stops.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: The longest any server thread waits for anything (a test never needs more).
MAX_WAIT = 60.0


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float                        # time.monotonic() when it was read
    connection: int                  # which connection (0, 1, …) it came on

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body or b'null')


@dataclass
class Reply:
    """An answer; ``length`` overrides Content-Length, ``cut`` sends only that many body
    bytes, then ``then`` happens: ``keep`` (keep-alive), ``close`` (FIN), ``reset`` (RST)
    or ``hang`` (send nothing more until the server stops)."""

    status: int = 200
    body: bytes | str | Any = b''
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    cut: int | None = None
    then: str = 'keep'

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def json_reply(document: Any, status: int = 200, **kwargs: Any) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode(),
                 headers={'Content-Type': 'application/json', **kwargs.pop('headers', {})},
                 **kwargs)


SILENCE = Reply(then='silence')   # read the request, never answer (until the server stops)
RESET = Reply(then='reset-now')   # read the request, reset the connection
CLOSE = Reply(then='close-now')   # read the request, close the connection

_REASONS = {200: 'OK', 201: 'Created', 300: 'Multiple Choices', 400: 'Bad Request',
            401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests',
            500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
            504: 'Gateway Timeout'}


class FaultServer:
    """``with FaultServer(behaviour) as server: … server.url …``"""

    def __init__(self, behaviour: Callable[[Request], Reply]) -> None:
        self.behaviour = behaviour
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(('127.0.0.1', 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = f'http://127.0.0.1:{self.port}'
        self.errors: list[BaseException] = []

    # -- life cycle -----------------------------------------------------------------
    def __enter__(self) -> FaultServer:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + 10
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
        for sock in sockets:
            sock.close()
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, f'fault server threads still running: {alive}'

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,
                                  name=f'fault-server-{self.port}-{len(self._threads)}')
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        count = 0
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._sockets.append(sock)
            self._spawn(self._serve, sock, count)
            count += 1

    # -- one connection -----------------------------------------------------------------
    def _serve(self, sock: socket.socket, number: int) -> None:
        sock.settimeout(0.1)
        buffer = b''
        try:
            while not self._stop.is_set():
                request, buffer = self._read_request(sock, buffer, number)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                reply = self.behaviour(request)
                if not self._send(sock, reply):
                    return
        except Exception as error:  # noqa: BLE001 - kept for the test to see
            self.errors.append(error)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _recv(self, sock: socket.socket) -> bytes | None:
        """Some bytes, b'' at the end, None when stopping."""
        deadline = time.monotonic() + MAX_WAIT
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                return sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b''
        return None

    def _read_request(self, sock: socket.socket, buffer: bytes,
                      number: int) -> tuple[Request | None, bytes]:
        while b'\r\n\r\n' not in buffer:
            chunk = self._recv(sock)
            if not chunk:
                return None, b''
            buffer += chunk
        head, _, buffer = buffer.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        method, target, _ = lines[0].split(' ', 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get('content-length', '0') or 0)
        while len(buffer) < length:
            chunk = self._recv(sock)
            if not chunk:
                return None, b''
            buffer += chunk
        body, buffer = buffer[:length], buffer[length:]
        return Request(method, target, headers, body, time.monotonic(), number), buffer

    def _hang(self) -> None:
        self._stop.wait(MAX_WAIT)

    def _send(self, sock: socket.socket, reply: Reply) -> bool:
        """Send ``reply``; whether the connection stays open for another request."""
        if reply.then == 'silence':
            self._hang()
            return False
        if reply.then == 'reset-now':
            _reset(sock)
            return False
        if reply.then == 'close-now':
            return False
        if reply.then == 'raw':   # bytes that are not HTTP at all, then FIN
            try:
                sock.sendall(reply.encoded())
            except OSError:
                pass
            return False
        body = reply.encoded()
        headers = {'Content-Length': str(len(body) if reply.length is None else reply.length),
                   **reply.headers}
        if reply.then != 'keep':
            headers['Connection'] = 'close'
        head = f'HTTP/1.1 {reply.status} {_REASONS.get(reply.status, "Status")}\r\n' + ''.join(
            f'{name}: {value}\r\n' for name, value in headers.items()) + '\r\n'
        sent = body if reply.cut is None else body[:reply.cut]
        try:
            sock.sendall(head.encode('latin-1') + sent)
        except OSError:
            return False
        if reply.then == 'reset':
            time.sleep(0.2)   # let the client read what came before the RST
            _reset(sock)
            return False
        if reply.then == 'hang':
            self._hang()
            return False
        return reply.then == 'keep'


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST, not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    sock.close()


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
