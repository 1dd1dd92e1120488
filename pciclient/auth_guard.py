"""A guard on keystoneauth's login where it would otherwise wait for itself forever.

In the library (``v2.Client`` applies it to its session's auth plugin) so that the CLI,
the ``openstack`` plugin and library callers all get one line instead of a hang.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pciclient import exceptions as exc


def not_keystone(auth_url: str) -> exc.ConfigurationError:
    """The auth URL is some other service behind keystonemiddleware (compute, Placement)."""
    return exc.ConfigurationError(
        f'The auth URL {auth_url} answered 401 to version discovery: is it Keystone\'s URL? (',
        hint=exc.Hint.AUTH_URL, then=')')


def fail_reentered_login(auth: Any) -> None:
    """Make ``auth`` raise :func:`not_keystone` where keystoneauth would deadlock.

    keystoneauth's identity plugins log in under a plain (not re-entrant) lock in
    ``get_access``. The generic plugins first discover the auth URL's versions, and when
    that GET is answered 401 keystoneauth asks again *with a token*: it calls
    ``get_access`` on the same plugin, in the same thread, under the lock it holds, and
    waits forever (``--timeout`` never applies: no request is pending). A second
    ``get_access`` in the same thread while the first is running can only be that, so it
    fails at once instead; other threads still wait for the first login, as they should.
    """
    get_access: Callable[..., Any] | None = getattr(auth, 'get_access', None)
    if get_access is None or getattr(get_access, 'guarded_by_pciclient', False):
        return
    inside = threading.local()

    def guarded(session: Any, **kwargs: Any) -> Any:
        if getattr(inside, 'active', False):
            raise not_keystone(str(getattr(auth, 'auth_url', None) or 'given'))
        inside.active = True
        try:
            return get_access(session, **kwargs)
        finally:
            inside.active = False
    guarded.guarded_by_pciclient = True  # type: ignore[attr-defined]
    auth.get_access = guarded
