"""The one retry policy: which failures are asked again, and how long to wait between tries.

Every kind of failure goes through it: a connection refused or timed out (the login's
too), an answer broken off mid-body, and the statuses of :data:`RETRIABLE_STATUS_CODES`.
keystoneauth's own ``connect_retries`` is not used: its back-off doubles up to 60 s,
past the 30 s ``--os-retries`` promises, and it knows no deadline. Here the waits
double from :data:`FIRST_DELAY` up to :data:`MAX_RETRY_DELAY`, a server's Retry-After
is bounded the same way, and no wait outlasts the deadline: a try that could only start
after it is not made.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from keystoneauth1 import exceptions as ksa_exc

from pciclient import connection_failures as failures

#: Answers worth asking again: too many requests, and server-side failures that pass.
RETRIABLE_STATUS_CODES = (429, 500, 502, 503, 504)
#: The longest pause between two tries, whatever a server's Retry-After asks.
MAX_RETRY_DELAY = 30.0
#: The first pause; each next one is twice as long, up to :data:`MAX_RETRY_DELAY`.
FIRST_DELAY = 0.5


def backoff() -> Iterator[float]:
    """0.5, 1, 2, 4, 8, 16, 30, 30, … seconds."""
    delay = FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, MAX_RETRY_DELAY)


def retry_after(response: Any, default: float) -> float:
    """The server's Retry-After (seconds), bounded; ``default`` when absent, a date, or
    not a number at all (``nan`` parses as a float, and ``time.sleep`` refuses it)."""
    try:
        asked = float(response.headers.get('Retry-After', ''))
    except ValueError:
        return default
    if asked != asked:
        return default
    return min(max(asked, 0.0), MAX_RETRY_DELAY)


def retriable_failure(error: BaseException) -> bool:
    """Whether asking again may help: nothing answered (refused, no route, timed out) or
    the answer broke off. Not: a request that cannot be sent, a TLS failure, an
    identity service that answered, anything of pciclient's own (a size limit, the
    deadline, a refused redirect)."""
    if failures.unsendable(error) or isinstance(error, ksa_exc.SSLError):
        return False
    if isinstance(error, (ksa_exc.RetriableConnectionFailure, ksa_exc.UnknownConnectionError)):
        return True
    return isinstance(error, ksa_exc.DiscoveryFailure) and failures.unreachable(error)


class Retries:
    """The tries of one request: at most ``retries`` more after the first.

    ``time_left`` says how many seconds remain before the deadline (None: no deadline).
    """

    def __init__(self, retries: int, time_left: Any = None) -> None:
        self.left = max(0, retries)
        self._time_left = time_left
        self._delays = backoff()
        #: Every pause taken, in seconds (what a test or a log line may want to see).
        self.waits: list[float] = []

    def wait(self, response: Any = None) -> bool:
        """Pause before the next try and say True; False (no pause) when no try is left or
        the next could only start after the deadline. ``response``: a retriable answer,
        whose Retry-After counts instead of the back-off."""
        if self.left <= 0:
            return False
        delay = next(self._delays)
        if response is not None:
            delay = retry_after(response, delay)
        remaining = self._time_left() if self._time_left is not None else None
        if remaining is not None and delay >= remaining:
            return False
        self.left -= 1
        self.waits.append(delay)
        time.sleep(delay)
        return True
