"""Find users, projects and domains the ways Keystone v3 lets a client name them.

Clients name a user or project by id, or by name plus a domain given by id or
by name; ``Default`` is the domain whose id is ``default``, as in every
Keystone. Lookups answer None for anything not found or ambiguous, so the
identity endpoint can answer every failure with the same 401 and never tell a
caller which part was wrong.

A directory also keeps each user's failed logins for Keystone's account lockout
(:mod:`.lockout`), off unless the scenario sets a policy.
"""
from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pciclient.fakeserver.identity.accounts import DEFAULT_DOMAIN, Project, User, stable_id
from pciclient.fakeserver.identity.lockout import LockoutPolicy, Lockouts

__all__ = ['DEFAULT_DOMAIN_ID', 'Directory', 'domain_id']

DEFAULT_DOMAIN_ID = 'default'

_Named = TypeVar('_Named', Project, User)


def domain_id(name: str) -> str:
    """Keystone's default domain has the fixed id ``default``; others get a stable hex id."""
    return DEFAULT_DOMAIN_ID if name == DEFAULT_DOMAIN else stable_id('domain', name)


class Directory:
    """The accounts of one fake cloud, indexed for authentication."""

    def __init__(self, projects: Iterable[Project], users: Iterable[User],
                 lockout: LockoutPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.projects = tuple(projects)
        self.users = tuple(users)
        self.lockouts = Lockouts(lockout, clock)
        self._domains = {domain_id(name): name
                         for name in {DEFAULT_DOMAIN, *(p.domain for p in self.projects),
                                      *(u.domain for u in self.users)}}

    def domain_name(self, ref: Any) -> str | None:
        """``{"id": …}`` or ``{"name": …}`` to a domain name; None when unknown or malformed."""
        if not isinstance(ref, Mapping):
            return None
        if isinstance(ref.get('id'), str):
            return self._domains.get(ref['id'])
        if isinstance(ref.get('name'), str) and ref['name'] in self._domains.values():
            return ref['name']
        return None

    def find_user(self, ref: Mapping[str, Any]) -> User | None:
        """A user named by ``id``, or by ``name`` and ``domain``."""
        return _find(self.users, ref, self.domain_name)

    def find_project(self, ref: Mapping[str, Any]) -> Project | None:
        """A project named by ``id``, or by ``name`` and ``domain``."""
        return _find(self.projects, ref, self.domain_name)

    def home_project(self, user: User) -> Project | None:
        """The one project a user has roles on (``User.project`` is a name).

        A name used in several domains resolves to the one in the user's own
        domain; an unresolvable name means the user can scope to nothing.
        """
        named = [p for p in self.projects if p.name == user.project]
        if len(named) > 1:
            named = [p for p in named if p.domain == user.domain]
        return named[0] if len(named) == 1 else None

    @staticmethod
    def password_matches(user: User, password: str) -> bool:
        """Constant-time comparison, so response times say nothing about the password."""
        return hmac.compare_digest(user.password.encode('utf-8'), password.encode('utf-8'))


def _find(items: tuple[_Named, ...], ref: Mapping[str, Any],
          domain_name: Callable[[Any], str | None]) -> _Named | None:
    if isinstance(ref.get('id'), str):
        found = [item for item in items if item.id == ref['id']]
    elif isinstance(ref.get('name'), str):
        domain = domain_name(ref.get('domain'))
        if domain is None:
            return None
        found = [item for item in items if item.name == ref['name'] and item.domain == domain]
    else:
        return None
    return found[0] if len(found) == 1 else None
