"""Remember which tokens an external Keystone vouched for, for a few seconds.

Asking Keystone on every compute request doubles the cost of each; like
keystonemiddleware's token cache, a validation is reused for ``ttl`` seconds,
and never past the token's own expiry. The price is that a token revoked in
Keystone keeps working here until its entry lapses, so ``ttl`` 0 turns the
cache off (tests of revocation need that). Entries are keyed by a hash of the
token, so the table holds no usable secret; it is bounded in size.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from pciclient.fakeserver.wsgi.context import RequestContext

__all__ = ['DEFAULT_CACHE_TTL', 'MAX_ENTRIES', 'ValidationCache']

DEFAULT_CACHE_TTL = 60.0
MAX_ENTRIES = 10_000


def _key(token_id: str) -> str:
    return hashlib.sha256(token_id.encode('utf-8', 'surrogatepass')).hexdigest()


class ValidationCache:
    """Token → (context, valid until); thread-safe; ``clock`` is wall time (as ``expires_at``)."""

    def __init__(self, ttl: float = DEFAULT_CACHE_TTL,
                 clock: Callable[[], float] = time.time, max_entries: int = MAX_ENTRIES) -> None:
        if not ttl >= 0:
            raise ValueError(f'cache time-to-live must be 0 or more seconds, not {ttl!r}')
        self.ttl = float(ttl)
        self._clock = clock
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[RequestContext, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, token_id: str) -> RequestContext | None:
        """The cached context, or None when absent, lapsed or the token has expired."""
        if not self.enabled:
            return None
        key = _key(token_id)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                del self._entries[key]
                return None
            return entry[0]

    def put(self, token_id: str, context: RequestContext, expires_at: float) -> None:
        """Remember a validation until ``ttl`` from now or ``expires_at``, whichever is first."""
        if not self.enabled:
            return
        now = self._clock()
        until = min(now + self.ttl, expires_at)
        if until <= now:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._evict(now)
            self._entries[_key(token_id)] = (context, until)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _evict(self, now: float) -> None:
        """Drop lapsed entries, then the oldest half if that was not enough; lock held."""
        for key in [k for k, (_, until) in self._entries.items() if now >= until]:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            for key in list(self._entries)[:max(1, len(self._entries) // 2)]:
                del self._entries[key]
