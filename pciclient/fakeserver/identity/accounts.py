"""Who may talk to the fake cloud: projects and users with roles (a Keystone v3 subset).

Plain data shared by the scenario loader (which reads them from YAML) and the
identity endpoint (which checks passwords and issues tokens against them).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

__all__ = ['DEFAULT_DOMAIN', 'Project', 'User', 'stable_id']

DEFAULT_DOMAIN = 'Default'
_NAMESPACE = uuid.UUID('6f1b3a52-1d4e-4c1e-9a59-3f5d2b7c8e90')


def stable_id(kind: str, name: str, domain: str = DEFAULT_DOMAIN) -> str:
    """A 32-hex-digit id (as Keystone's) that is the same on every start for the same name."""
    return uuid.uuid5(_NAMESPACE, f'{kind}:{domain}:{name}').hex


@dataclass(frozen=True)
class Project:
    name: str
    id: str = ''
    domain: str = DEFAULT_DOMAIN

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, 'id', stable_id('project', self.name, self.domain))


@dataclass(frozen=True)
class User:
    """A user with a password and roles on exactly one project (enough for this fake)."""

    name: str
    password: str
    project: str
    roles: tuple[str, ...] = ('member', 'reader')
    domain: str = DEFAULT_DOMAIN
    id: str = field(default='')

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, 'id', stable_id('user', self.name, self.domain))

    @property
    def is_admin(self) -> bool:
        return 'admin' in self.roles
