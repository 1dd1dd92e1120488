"""Bearer tokens issued by the fake identity service and checked by the compute API.

One in-memory table shared by every request thread of the process (behind a
lock), so a token issued on one connection works on the next. Tokens are
random (never derived from a password), expire after a fixed time-to-live,
and are never written to a log: :func:`fingerprint` gives a short hash for that.

The table holds at most :data:`DEFAULT_MAX_TOKENS` live tokens (about 6 MiB): past that the
oldest is forgotten, so a flood of logins (or of re-scopings of one token) cannot grow the
process for a whole time-to-live. A client whose token was forgotten gets a 401 and logs in
again, as keystoneauth does by itself.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from pciclient.fakeserver.identity.accounts import Project, User

__all__ = ['DEFAULT_MAX_TOKENS', 'DEFAULT_TTL', 'Token', 'TokenStore', 'fingerprint',
           'keystone_time']

DEFAULT_TTL = 3600.0
# Live tokens kept at most (oldest forgotten first): ~550 bytes each, so ~6 MiB in all; far
# more than the clients of a test cloud hold at once.
DEFAULT_MAX_TOKENS = 10_000
# Expired entries are swept when the table has grown by this many since the last sweep,
# so memory stays bounded without a background thread.
_SWEEP_EVERY = 256


def keystone_time(timestamp: float) -> str:
    """Keystone's timestamp form (UTC, microseconds, ``Z``), which keystoneauth parses."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def fingerprint(token_id: str) -> str:
    """What may be logged about a token: enough to correlate lines, useless to an attacker."""
    return hashlib.sha256(token_id.encode('utf-8')).hexdigest()[:8]


def _token_id() -> str:
    """43 URL-safe characters, like a Keystone UUID-less token, never starting with ``-``:
    ``--os-token -abc…`` would read as an option (one token in 64 did, failing scripts
    and tests at random)."""
    while True:
        token_id = secrets.token_urlsafe(32)
        if not token_id.startswith('-'):
            return token_id


def _audit_id() -> str:
    """Keystone's audit id form: 16 random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode('ascii').rstrip('=')


@dataclass(frozen=True)
class Token:
    """A project-scoped token; ``id`` is the secret and is kept out of ``repr``."""

    id: str = field(repr=False)
    user: User = field(repr=False)
    project: Project
    methods: tuple[str, ...]
    audit_ids: tuple[str, ...]
    issued_at: float
    expires_at: float

    @property
    def roles(self) -> tuple[str, ...]:
        return self.user.roles

    @property
    def user_name(self) -> str:
        return self.user.name


class TokenStore:
    """Issue and look up tokens; ``clock`` is injectable so tests can move time.

    At most ``max_tokens`` are kept, in issue order (an ``OrderedDict``: forgetting the
    oldest is O(1), where a plain dict's first key is found by skipping deleted slots).
    """

    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.time,
                 max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        if not ttl > 0:
            raise ValueError(f'token time-to-live must be positive, not {ttl!r}')
        if max_tokens < 1:
            raise ValueError(f'the token table must hold at least one token, not {max_tokens}')
        self.ttl = float(ttl)
        self.max_tokens = max_tokens
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, Token] = OrderedDict()
        self._size_at_last_sweep = 0

    def issue(self, user: User, project: Project, methods: tuple[str, ...],
              parent: Token | None = None) -> Token:
        """A new token; one derived from ``parent`` (re-scoping) never outlives it.

        Like Keystone, a derived token carries its parent's first audit id as
        its second one, so a whole chain can be traced back to one login.
        """
        now = self._clock()
        expires_at = now + self.ttl
        audit_ids: tuple[str, ...] = (_audit_id(),)
        if parent is not None:
            expires_at = min(expires_at, parent.expires_at)
            audit_ids += parent.audit_ids[:1]
        token = Token(id=_token_id(), user=user, project=project,
                      methods=methods, audit_ids=audit_ids, issued_at=now,
                      expires_at=expires_at)
        with self._lock:
            self._tokens[token.id] = token
            if len(self._tokens) - self._size_at_last_sweep >= _SWEEP_EVERY:
                self._sweep(now)
            while len(self._tokens) > self.max_tokens:
                self._tokens.popitem(last=False)
        return token

    def get(self, token_id: str | None) -> Token | None:
        """The token if it exists and has not expired; an expired one is forgotten."""
        if not token_id:
            return None
        now = self._clock()
        with self._lock:
            token = self._tokens.get(token_id)
            if token is None:
                return None
            if now >= token.expires_at:
                del self._tokens[token_id]
                return None
            return token

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)

    def _sweep(self, now: float) -> None:
        """Drop expired tokens; the caller holds the lock."""
        for token_id in [key for key, token in self._tokens.items() if now >= token.expires_at]:
            del self._tokens[token_id]
        self._size_at_last_sweep = len(self._tokens)
