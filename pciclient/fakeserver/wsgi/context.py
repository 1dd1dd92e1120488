"""Who is asking: the caller's identity as the compute API sees it after authentication.

The auth middleware puts a :class:`RequestContext` into the WSGI environ under
:data:`ENVIRON_KEY`; the compute app reads it back. An app called without one
(``--noauth``, ``pci-cli --local``, in-process tests) acts for :data:`NOAUTH`,
an admin bound to no project, which is exactly the behaviour before identity
existed. Plain data only, so every layer may import it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ['ANONYMOUS', 'ENVIRON_KEY', 'NOAUTH', 'RequestContext', 'context_from_environ']

ENVIRON_KEY = 'pciclient.context'


@dataclass(frozen=True)
class RequestContext:
    """The facts Nova's policy looks at: user, project, roles and whether that means admin.

    ``project_id`` None means "not bound to a project": only the no-auth
    context has that, and it then sees every project's servers.
    """

    user_id: str | None
    project_id: str | None
    roles: tuple[str, ...] = ()
    authenticated: bool = True

    @property
    def is_admin(self) -> bool:
        """Nova's ``context_is_admin`` rule: the ``admin`` role, nothing else."""
        return 'admin' in self.roles


NOAUTH = RequestContext(user_id=None, project_id=None, roles=('admin',))
ANONYMOUS = RequestContext(user_id=None, project_id=None, roles=(), authenticated=False)


def context_from_environ(environ: Mapping[str, Any]) -> RequestContext:
    """The context the middleware stored, else the no-auth admin (nobody checked tokens)."""
    context = environ.get(ENVIRON_KEY)
    return context if isinstance(context, RequestContext) else NOAUTH
