"""The identity parts of a scenario that need nothing else of it: a user's roles, and
Keystone's ``[security_compliance]`` account lockout::

    security_compliance:              # optional; without it nobody is ever locked out
      lockout_failure_attempts: 5     # failed password logins before a user is locked
      lockout_duration: 1800          # seconds the lock lasts (Keystone's default: 1800)

The names and defaults are Keystone's options of that section (see ``identity.lockout``).
"""
from __future__ import annotations

import re

import yaml

from pciclient.fakeserver.identity.lockout import DEFAULT_LOCKOUT_DURATION, LockoutPolicy
from pciclient.fakeserver.scenario.yaml_nodes import (
    Problem,
    integer,
    line_of,
    mapping,
    scalar_text,
    sequence,
)

__all__ = ['DEFAULT_ROLES', 'lockout_from', 'roles_from']

DEFAULT_ROLES = ('member', 'reader')
MAX_LOCKOUT_ATTEMPTS = 1_000_000
MAX_LOCKOUT_DURATION = 86400 * 365
_ROLE_RE = re.compile(r'^[A-Za-z0-9_.:-]{1,64}$')
_LOCKOUT_KEYS = ('lockout_failure_attempts', 'lockout_duration')


def roles_from(node: yaml.Node) -> tuple[str, ...]:
    """A user's ``roles:`` list: simple names, each once, in the file's order."""
    names: list[str] = []
    for item in sequence(node, 'roles'):
        role = scalar_text(item, 'a role').strip()
        if not _ROLE_RE.match(role):
            raise Problem(line_of(item), f'role {role!r} is not a simple name')
        if role not in names:
            names.append(role)
    return tuple(names)


def lockout_from(node: yaml.Node) -> LockoutPolicy | None:
    """The ``security_compliance:`` mapping as a lockout policy (None: no lockout).

    Keystone ignores a ``lockout_duration`` without ``lockout_failure_attempts``; a
    scenario that sets one alone most likely forgot the other, so that is a mistake here.
    """
    fields = mapping(node, 'security_compliance', _LOCKOUT_KEYS)
    if 'lockout_failure_attempts' not in fields:
        if 'lockout_duration' in fields:
            raise Problem(line_of(fields['lockout_duration']),
                          'lockout_duration needs lockout_failure_attempts')
        return None
    attempts = integer(fields['lockout_failure_attempts'], 'lockout_failure_attempts', 1,
                       MAX_LOCKOUT_ATTEMPTS)
    duration = float(DEFAULT_LOCKOUT_DURATION)
    if 'lockout_duration' in fields:
        duration = integer(fields['lockout_duration'], 'lockout_duration', 1,
                           MAX_LOCKOUT_DURATION)
    return LockoutPolicy(attempts, duration)
