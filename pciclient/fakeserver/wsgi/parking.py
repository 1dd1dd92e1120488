"""Connections wait in cheroot's selector, not in a worker thread, until a whole request came.

cheroot hands a connection to a worker as soon as it is accepted or a byte
arrives, and the worker then blocks reading the request: 200 clients that
connect and say nothing, or 40 that send a byte every few seconds, hold every
worker and real clients wait a minute or forever. Here the one selector thread
that accepts connections also reads them, without blocking, until the request
head and a ``Content-Length`` body are all in memory (the TLS handshake too);
only then does a worker get the connection, the bytes read so far replayed
before the socket's. A worker therefore never waits on a client for a request.

Bounds: a request head must be complete within ``header_timeout`` of the
connect (of its first byte, on a kept-alive connection; else 408 and closed),
a ``Content-Length`` body within the server's timeout of the head, an idle
kept-alive connection lasts the server's timeout, and open connections are
counted in total and per client address (:class:`limits.ConnectionLimits`).
A chunked body or one announced with ``Expect: 100-continue`` is read by the
worker, each read bounded by the server's timeout, as before.
"""
from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cheroot.connections import ConnectionManager
from cheroot.makefile import StreamReader

from pciclient.fakeserver.wsgi.limits import MAX_BODY_BYTES, MAX_HEADER_BYTES, ConnectionLimits

__all__ = ['ParkingManager', 'ReplayReader', 'request_size']

LOG = logging.getLogger('pciclient.fakeserver')

READ_CHUNK = 64 * 1024
_PLAIN_HTTP_ANSWER = b'This port speaks HTTPS only: use https:// to reach this server.\n'
PLAIN_HTTP_ON_TLS = (b'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n'
                     b'Connection: close\r\nContent-Length: '
                     + str(len(_PLAIN_HTTP_ANSWER)).encode() + b'\r\n\r\n' + _PLAIN_HTTP_ANSWER)
_TIMEOUT_408 = (b'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n'
                b'Content-Length: 0\r\n\r\n')
_BUSY_503 = (b'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n'
             b'Content-Length: 0\r\n\r\n')
_WARN_EVERY = 60.0  # seconds between two warnings that the connection limit is reached


def request_size(data: bytes | bytearray, max_head: int = MAX_HEADER_BYTES,
                 max_body: int = MAX_BODY_BYTES, searched: int = 0) -> int | None:
    """How many bytes make the request starting ``data``: None while its head is incomplete.

    0 means "hand it over now": a head too long, a body cheroot must refuse or read
    itself (chunked, ``Expect: 100-continue``, a length that is not one number). cheroot
    does the real parsing; this only tells when waiting is over. The first ``searched``
    bytes are known to hold no end of head (they were searched before): a head trickled
    byte by byte costs one pass, not one per byte.
    """
    start = 0
    while data.startswith(b'\r\n', start) or data.startswith(b'\n', start):
        start += 2 if data.startswith(b'\r\n', start) else 1  # blank lines before a request
    since = max(start, searched - 3)
    ends = [(i, len(mark)) for mark in (b'\r\n\r\n', b'\n\n')
            if (i := data.find(mark, since, start + max_head + 4)) >= 0]
    if not ends:
        return 0 if len(data) - start > max_head else None
    at, mark = min(ends)
    head_end = at + mark
    lengths = []
    for line in bytes(data[start:at]).split(b'\n')[1:]:
        name, _, value = line.partition(b':')
        name = name.strip().lower()
        if name in (b'transfer-encoding', b'expect'):
            return 0
        if name == b'content-length':
            lengths.append(value.strip())
    if not lengths:
        return head_end
    if len(lengths) > 1 or not lengths[0].isdigit() or int(lengths[0]) > max_body:
        return 0
    return head_end + int(lengths[0])


class _ReplayIO(socket.SocketIO):
    """A socket's raw stream that first gives back bytes read from it earlier."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock, 'rb')
        self.replay = bytearray()

    def readinto(self, b: Any) -> int | None:
        if self.replay:
            count = min(len(b), len(self.replay))
            b[:count] = self.replay[:count]
            del self.replay[:count]
            return count
        return super().readinto(b)


class ReplayReader(StreamReader):
    """cheroot's reader on a :class:`_ReplayIO`: what the selector read comes first."""

    def __init__(self, sock: socket.socket, mode: str = 'rb', bufsize: int = 8192) -> None:
        # StreamReader's own __init__ would wrap a plain SocketIO; set up the same otherwise.
        self._replay_io = _ReplayIO(sock)
        super(StreamReader, self).__init__(self._replay_io, bufsize)
        self.bytes_read = 0

    def give_back(self, data: bytes | bytearray) -> None:
        """Read ``data`` again, before anything buffered or still in the socket."""
        left = self.take_buffered()
        self._replay_io.replay[:0] = data + left

    def take_buffered(self) -> bytes:
        """Everything read from the socket and not consumed yet; reads nothing new."""
        parts = []
        while self.has_data():  # read1 returns buffered bytes without touching the socket
            parts.append(self.read1(READ_CHUNK))
        parts.append(bytes(self._replay_io.replay))
        self._replay_io.replay.clear()
        return b''.join(parts)


@dataclass
class _Wait:
    """A connection in the selector: what came of its next request, and until when."""

    since: float                        # when it started to wait (for eviction order)
    deadline: float                     # closed past this
    idle: bool = False                  # kept alive, no byte of a next request yet
    handshake: bool = False             # TLS handshake still to complete
    buffer: bytearray = field(default_factory=bytearray)
    size: int | None = None             # bytes of the whole request, once its head is in
    events: int = selectors.EVENT_READ


class ParkingManager(ConnectionManager):
    """cheroot's connection manager, with connections parked until a request is complete.

    cheroot's loop calls ``server.process_conn`` for a new connection and for one
    that became readable (after unregistering it); the server sends both to
    :meth:`arrived`. A worker hands a kept-alive connection back with :meth:`put`.
    """

    _selector: Any  # cheroot's thread-safe selector (not in its type stubs)

    def __init__(self, server: Any, limits: ConnectionLimits) -> None:
        super().__init__(server)
        self.limits = limits
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()
        self._total = 0
        self._warned = float('-inf')

    # -- counting -------------------------------------------------------------------------------

    def released(self, conn: Any) -> None:
        """A connection counted by :meth:`_admit` was closed (called once per connection)."""
        with self._lock:
            self._total -= 1
            self._open[conn.remote_addr] -= 1
            if self._open[conn.remote_addr] <= 0:
                del self._open[conn.remote_addr]

    def _admit(self, conn: Any) -> bool:
        """Count a new connection, making room by closing a waiting one; False: refuse it."""
        address = conn.remote_addr
        while True:
            with self._lock:
                over_address = self._open[address] >= self.limits.per_address
                over_total = self._total >= self.limits.total
                if not (over_address or over_total):
                    self._open[address] += 1
                    self._total += 1
                    conn.counted = True
                    return True
            self._warn(over_address, address)
            if not self._evict(address if over_address else None):
                return False

    def _warn(self, over_address: bool, address: str) -> None:
        now = time.monotonic()
        if now - self._warned >= _WARN_EVERY:
            self._warned = now
            which = (f'{self.limits.per_address} from {address}' if over_address
                     else f'{self.limits.total} in all')
            LOG.warning('connection limit reached (%s): closing the longest-waiting idle or '
                        'incomplete connections, refusing new ones while all are busy', which)

    def _evict(self, address: str | None) -> bool:
        """Close the longest-waiting parked connection (of ``address``); False if none."""
        parked = [(c._wait.since, fd, c) for fd, c in self._selector.connections
                  if c is not self.server and (address is None or c.remote_addr == address)]
        if not parked:
            return False
        _, fd, conn = min(parked, key=lambda entry: entry[0])
        self._selector.unregister(fd)
        LOG.debug('closing a waiting connection of %s to make room', conn.remote_addr)
        conn.close()
        return True

    # -- the selector side ----------------------------------------------------------------------

    def arrived(self, conn: Any) -> None:
        """A new connection, or one of ours with something to read (selector thread)."""
        wait = getattr(conn, '_wait', None)
        if wait is None:
            self._accepted(conn)
        else:
            self._advance(conn, wait)

    def _accepted(self, conn: Any) -> None:
        if not self._admit(conn):
            LOG.debug('refusing a connection of %s: every connection is busy', conn.remote_addr)
            _send_quietly(conn.socket, _BUSY_503)
            conn.close()
            return
        now = time.monotonic()
        conn._wait = _Wait(since=now, deadline=now + self.limits.header_timeout,
                           handshake=isinstance(conn.socket, ssl.SSLSocket))
        conn.socket.setblocking(False)
        self._advance(conn, conn._wait)

    def put(self, conn: Any) -> None:
        """A worker is done with a request and keeps the connection (worker thread)."""
        now = time.monotonic()
        wait = _Wait(since=now, deadline=now + self.server.timeout, idle=True)
        wait.buffer += conn.rfile.take_buffered()  # the client sent ahead (pipelining)
        if wait.buffer:
            wait.size = request_size(wait.buffer)
            wait.idle = False  # the next request has begun: the idle deadline is short enough
        conn._wait = wait
        conn.socket.setblocking(False)
        self._advance(conn, wait)

    def _advance(self, conn: Any, wait: _Wait) -> None:
        """Read what is there; hand a complete request to a worker, else wait in the selector."""
        try:
            if wait.handshake and not self._handshake(conn, wait):
                self._park(conn, wait)
                return
            ended = self._read(conn, wait)
        except OSError as exc:  # a reset, or a TLS error after the handshake
            LOG.debug('connection of %s failed while waiting: %s', conn.remote_addr, exc)
            conn.close()
            return
        if wait.size is not None and len(wait.buffer) >= wait.size:
            self._dispatch(conn, wait)
        elif ended:
            conn.close()  # the client hung up before its request was whole
        else:
            self._park(conn, wait)

    def _handshake(self, conn: Any, wait: _Wait) -> bool:
        """One non-blocking step of the TLS handshake; True once it is done."""
        sock = conn.socket
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            wait.events = selectors.EVENT_READ
            return False
        except ssl.SSLWantWriteError:
            wait.events = selectors.EVENT_WRITE
            return False
        except ssl.SSLError as exc:
            if exc.reason == 'HTTP_REQUEST':  # under the TLS layer: the client speaks plain HTTP
                _send_quietly(sock, PLAIN_HTTP_ON_TLS, raw=True)
            raise
        wait.handshake = False
        wait.events = selectors.EVENT_READ
        return True

    def _read(self, conn: Any, wait: _Wait) -> bool:
        """Read without blocking until the request is whole or nothing is left; True at EOF."""
        sock = conn.socket
        while wait.size is None or len(wait.buffer) < wait.size:
            try:
                chunk = sock.recv(READ_CHUNK)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            if not chunk:
                return True
            if wait.idle:  # the next request on a kept-alive connection has begun
                wait.idle = False
                wait.deadline = time.monotonic() + self.limits.header_timeout
            searched = len(wait.buffer)
            wait.buffer += chunk
            if wait.size is None:
                wait.size = request_size(wait.buffer, searched=searched)
                if wait.size is not None and wait.size > 0:  # a body: up to the server timeout
                    wait.deadline = max(wait.deadline, time.monotonic() + self.server.timeout)
        return False

    def _park(self, conn: Any, wait: _Wait) -> None:
        try:
            self._selector.register(conn.socket.fileno(), wait.events, data=conn)
        except (OSError, ValueError, KeyError):  # the server stopped meanwhile: selector closed
            conn.close()

    def _dispatch(self, conn: Any, wait: _Wait) -> None:
        conn.socket.settimeout(self.server.timeout)
        conn.rfile.give_back(wait.buffer)
        conn._wait = None
        conn.last_used = time.time()
        self.server.requests.put(conn)

    def _expire(self, threshold: float) -> None:
        """Close connections past their deadline (cheroot calls this every tick)."""
        now = time.monotonic()
        late = [(fd, c) for fd, c in self._selector.connections
                if c is not self.server and c._wait.deadline < now]
        for fd, conn in late:
            self._selector.unregister(fd)
            if conn._wait.buffer and not conn._wait.handshake:
                _send_quietly(conn.socket, _TIMEOUT_408)
            LOG.debug('closing a connection of %s: no whole request in time', conn.remote_addr)
            conn.close()


def _send_quietly(sock: socket.socket, data: bytes, *, raw: bool = False) -> None:
    """Send a short answer if the socket takes it now; a client that is gone is no error."""
    try:
        sock.setblocking(False)
        if raw:  # under the TLS layer
            socket.socket.send(sock, data)
        else:
            sock.send(data)
    except (OSError, ValueError):
        pass
