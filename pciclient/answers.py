"""Reading an answer's body with bounds: its size (on the wire and once inflated) and the
time the whole command may still take.

requests reads a body whole, as fast as the server sends it and for as long as it keeps
sending: a 2 GB body, a gzip body inflating to 10 GB or an endless chunked body each
grow the client by gigabytes, and a body trickling one byte per second never trips a
per-read timeout. Here a body is read in pieces of at most :data:`PIECE` bytes, each
piece as soon as it arrives (``read1``), inflated by at most the room left under the
limit, and given up at the first byte past the limit or at the deadline (a watchdog
shuts the socket down, so that no blocked read outlives it).
"""
from __future__ import annotations

import contextlib
import heapq
import http.client
import math
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import requests
import urllib3.exceptions
import urllib3.response

from pciclient import exceptions as exc

#: The largest answer read, on the wire and once inflated, unless the caller says otherwise.
DEFAULT_MAX_ANSWER_SIZE = 256 * 1024 * 1024

#: How much of a body one read asks for (a piece arrives whole or in part, never more).
PIECE = 64 * 1024

#: Content-Encodings inflated here (the only ones :data:`ACCEPT_ENCODING` asks for).
_GZIP = ('gzip', 'x-gzip')
_DEFLATE = ('deflate',)
ACCEPT_ENCODING = 'gzip, deflate'


class AnswerTooLarge(exc.InvalidResponse):
    """An answer larger than the answer size limit (announced, sent or once inflated)."""


class DeadlinePassed(exc.ConnectionError):
    """The deadline passed before a request could start or before its answer was read."""


def size_text(size: int) -> str:
    """``1048576`` → ``"1 MiB"``; sizes that are no whole MiB or KiB in bytes."""
    for unit, scale in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if size >= scale and size % scale == 0:
            return f'{size // scale} {unit}'
    return f'{size:,} bytes'


class Limits(NamedTuple):
    """The bounds of one client's answers (a named tuple, not a dataclass: making a
    dataclass costs a millisecond of every start-up).

    ``deadline`` is a :func:`time.monotonic` value (None: none): no request starts after
    it, and no read continues past it. ``started`` only words messages ("the deadline,
    N s after the start").
    """

    max_answer_size: int = DEFAULT_MAX_ANSWER_SIZE
    deadline: float | None = None
    started: float = 0.0

    @classmethod
    def from_now(cls, max_answer_size: int, deadline: float | None) -> Limits:
        if not isinstance(max_answer_size, int) or max_answer_size < 1:
            raise ValueError(f'max_answer_size must be a whole number of bytes ≥ 1, not '
                             f'{max_answer_size!r}')
        return cls(max_answer_size, deadline, time.monotonic())

    def time_left(self) -> float | None:
        """Seconds until the deadline (≤ 0 once passed); None without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def deadline_text(self) -> str:
        """``"The deadline (2 s)"``: how long after this client was made it falls, rounded
        up to whole seconds (a deadline is set in whole seconds, a moment before the
        client is made)."""
        total = (self.deadline or 0.0) - self.started
        if total <= 0:
            return 'The deadline'
        return f'The deadline ({math.ceil(total) if total >= 1 else round(total, 1)} s)'

    def check_start(self, url: str) -> float | None:
        """Seconds left for a request to ``url``; :class:`DeadlinePassed` when none are."""
        left = self.time_left()
        if left is not None and left <= 0:
            raise DeadlinePassed(f'{self.deadline_text()} passed before a request to {url} '
                                 'could start.')
        return left

    def too_large(self, url: str, what: str) -> AnswerTooLarge:
        return AnswerTooLarge(f'The answer from {url} {what} the answer size limit of '
                              f'{size_text(self.max_answer_size)}: not read any further.')

    def late(self, url: str) -> DeadlinePassed:
        return DeadlinePassed(f'{self.deadline_text()} passed while reading the answer '
                              f'from {url}.')


def clamp_timeout(timeout: Any, left: float | None) -> Any:
    """A requests ``timeout`` (seconds, a (connect, read) pair or None) no longer than
    ``left`` seconds; anything else (urllib3's Timeout object) as it is."""
    if left is None:
        return timeout
    left = max(left, 0.001)
    if timeout is None:
        return left
    if isinstance(timeout, (int, float)):
        return min(float(timeout), left)
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return tuple(left if part is None else min(float(part), left) for part in timeout)
    return timeout


class _Inflater:
    """gzip (also several members) or deflate (zlib-wrapped, or raw as some servers send
    it), inflating at most what the caller has room for."""

    def __init__(self, encoding: str) -> None:
        self._wbits = 16 + zlib.MAX_WBITS if encoding in _GZIP else zlib.MAX_WBITS
        self._gzip = encoding in _GZIP
        self._object = zlib.decompressobj(self._wbits)
        self._first = True

    def inflate(self, data: bytes, room: int) -> tuple[bytes, bytes]:
        """(inflated bytes, at most ``room``; input not yet inflated, to give again)."""
        try:
            out = self._object.decompress(data, room)
        except zlib.error:
            if not (self._first and not self._gzip):
                raise
            self._object = zlib.decompressobj(-zlib.MAX_WBITS)   # raw deflate
            out = self._object.decompress(data, room)
        self._first = False
        rest = self._object.unconsumed_tail
        if self._object.eof and self._gzip and self._object.unused_data:
            rest = self._object.unused_data
            self._object = zlib.decompressobj(self._wbits)   # the next gzip member
        return out, rest


class _Watch:
    """One response watched until its deadline: :attr:`fired` once its socket was shut.
    ``done`` and ``fired`` change under the watchdog's lock only, so that a body read to
    its end is never shut afterwards (its connection may be back in the pool)."""

    __slots__ = ('when', 'raw', 'fired', 'done', '_lock')

    def __init__(self, when: float, raw: Any, lock: Any) -> None:
        self.when, self.raw, self.fired, self.done, self._lock = when, raw, False, False, lock

    def __lt__(self, other: _Watch) -> bool:
        return self.when < other.when

    def cancel(self) -> None:
        with self._lock:
            self.done = True


class _Watchdog:
    """One thread for the whole process that shuts a response's socket down at its
    deadline, which wakes a read blocked in it (a per-request ``threading.Timer`` would
    cost a thread start per request, about as long as a request on loopback)."""

    def __init__(self) -> None:
        self._watches: list[_Watch] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, raw: Any, left: float | None) -> _Watch:
        watch = _Watch(time.monotonic() + (left or 0.0), raw, self._changed)
        if left is None or not callable(getattr(raw, 'shutdown', None)):
            watch.done = True   # no deadline, or no way to wake a read (urllib3 < 2.3)
            return watch
        with self._changed:
            heapq.heappush(self._watches, watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name='pciclient-deadline')
                self._thread.start()
            elif self._watches[0] is watch:
                self._changed.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._watches and self._watches[0].done:
                    heapq.heappop(self._watches)
                if not self._watches:
                    self._changed.wait(60)
                    continue
                first = self._watches[0]
                wait = first.when - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                heapq.heappop(self._watches)
                first.fired = True
                with contextlib.suppress(Exception):   # closed or released: nothing to wake
                    first.raw.shutdown()


_WATCHDOG = _Watchdog()


def _pieces(raw: Any) -> Iterator[bytes]:
    """The body as it arrives, not inflated; requests' exceptions as requests raises them
    when it reads a body itself (keystoneauth and pciclient know those)."""
    if isinstance(raw, urllib3.response.HTTPResponse):
        urllib3_read = getattr(raw, 'read1', None) or raw.read   # read1: urllib3 ≥ 2

        def read(size: int) -> bytes:
            return bytes(urllib3_read(size, decode_content=False))
    else:   # a file-like body some other transport adapter made
        read = raw.read
    try:
        while True:
            piece = read(PIECE)
            if not piece:
                return
            yield piece
    except urllib3.exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.exceptions.ConnectionError(error) from error
    except urllib3.exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error) from error
    except http.client.HTTPException as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error


def read_body(response: requests.Response, limits: Limits, url: str) -> bytes:
    """The whole body of ``response`` (headers read, body not yet), inflated, within
    ``limits``; :class:`AnswerTooLarge` or :class:`DeadlinePassed` otherwise."""
    limit = limits.max_answer_size
    announced = response.headers.get('Content-Length', '')
    if announced.strip().isdigit() and int(announced) > limit:
        raise limits.too_large(url, f'announces {int(announced):,} bytes, more than')
    encoding = response.headers.get('Content-Encoding', '').strip().lower()
    inflater = _Inflater(encoding) if encoding in _GZIP + _DEFLATE else None
    if encoding not in ('', 'identity') and inflater is None:
        raise exc.InvalidResponse(f'The answer from {url} is encoded as {encoding[:40]!r}, '
                                  'which was not asked for.')
    left = limits.time_left()
    if left is not None and left <= 0:
        raise limits.late(url)
    watchdog = _WATCHDOG.watch(response.raw, left)
    parts: list[bytes] = []
    kept = received = 0
    try:
        for piece in _pieces(response.raw):
            received += len(piece)
            if received > limit:
                raise limits.too_large(url, 'exceeds')
            while piece:
                if inflater is None:
                    out, piece = piece, b''
                else:
                    try:
                        out, piece = inflater.inflate(piece, limit - kept + 1)
                    except zlib.error as error:
                        raise requests.exceptions.ContentDecodingError(
                            f'the {encoding} body does not inflate: {error}') from error
                    if not out and piece:
                        continue
                kept += len(out)
                if kept > limit:
                    raise limits.too_large(url, 'once inflated exceeds')
                parts.append(out)
            left = limits.time_left()
            if watchdog.fired or (left is not None and left <= 0):
                raise limits.late(url)
    except (requests.exceptions.RequestException, zlib.error):
        if watchdog.fired:
            raise limits.late(url) from None
        raise
    finally:
        watchdog.cancel()
    if watchdog.fired:
        raise limits.late(url)
    return b''.join(parts)
