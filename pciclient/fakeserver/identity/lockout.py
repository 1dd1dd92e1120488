"""Keystone's account lockout: after N failed password logins a user is refused for a while.

Keystone's ``[security_compliance] lockout_failure_attempts`` and ``lockout_duration``
(keystone/identity/backends/sql.py ``authenticate``), off by default as there, and set by a
scenario's ``security_compliance:`` mapping here. As in Keystone:

* only password logins of an existing user count; a wrong user name counts for nobody;
* the lock is checked before the password, so a locked user is refused even with the right
  one, and guesses made meanwhile neither count nor cost a comparison;
* the lock lasts ``duration`` seconds from the last failure, then the count starts again
  from zero; a successful login resets it;
* a locked account is answered as every failed login is: the same 401 (Keystone raises
  ``AccountLocked`` and its notification wrapper turns it into a plain ``Unauthorized``, so a
  caller cannot tell a lock from a wrong password). Only the log says "locked".

The counts live in memory, one entry per user of the scenario at most.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ['DEFAULT_LOCKOUT_DURATION', 'LockoutPolicy', 'Lockouts']

# Keystone's default for [security_compliance] lockout_duration, in seconds.
DEFAULT_LOCKOUT_DURATION = 1800.0


@dataclass(frozen=True)
class LockoutPolicy:
    """Lock a user after ``failure_attempts`` failed logins, for ``duration`` seconds."""

    failure_attempts: int
    duration: float = DEFAULT_LOCKOUT_DURATION

    def __post_init__(self) -> None:
        if self.failure_attempts < 1:
            raise ValueError('lockout_failure_attempts must be at least 1')
        if not self.duration > 0:
            raise ValueError('lockout_duration must be positive')


@dataclass
class _Failures:
    count: int
    last: float


class Lockouts:
    """Failed-login counts by user id under one policy (None: never lock, count nothing)."""

    def __init__(self, policy: LockoutPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}

    def locked_until(self, user_id: str) -> float | None:
        """When the user's lock ends, or None when the user may try a password now.

        An expired lock is forgotten here, as Keystone resets the count when it finds one.
        """
        if self.policy is None:
            return None
        with self._lock:
            failures = self._failures.get(user_id)
            if failures is None or failures.count < self.policy.failure_attempts:
                return None
            until = failures.last + self.policy.duration
            if until > self._clock():
                return until
            del self._failures[user_id]
            return None

    def failed(self, user_id: str) -> bool:
        """Count a wrong password; True when this failure locks the user."""
        if self.policy is None:
            return False
        with self._lock:
            failures = self._failures.setdefault(user_id, _Failures(0, 0.0))
            failures.count += 1
            failures.last = self._clock()
            return failures.count == self.policy.failure_attempts

    def succeeded(self, user_id: str) -> None:
        """A right password: the count starts again."""
        if self.policy is not None:
            with self._lock:
                self._failures.pop(user_id, None)
