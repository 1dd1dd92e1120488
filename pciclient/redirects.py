"""Which redirects may be followed: only to the same host and port (or from http to https
on the same host), because keystoneauth follows a redirect with the very same headers
and body, ``X-Auth-Token`` and a login's password included, to wherever ``Location``
points.

:func:`checked_location` is asked about every redirect before keystoneauth sees it (see
:mod:`pciclient.transport`): it refuses the others in one line naming both URLs, and
turns a relative ``Location`` into the absolute URL keystoneauth needs to follow it.
"""
from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit

from pciclient import exceptions as exc

#: The statuses keystoneauth follows (``Session._REDIRECT_STATUSES``).
REDIRECT_STATUSES = frozenset({301, 302, 303, 305, 307, 308})

_DEFAULT_PORTS = {'http': 80, 'https': 443}
#: How much of a URL a message shows: a Location header may be kilobytes long.
_SHOWN = 200


class RedirectRefused(exc.ClientException):
    """A server redirected a request to another host or port (or from https to http)."""


def _port(parts: SplitResult) -> int | None:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme)


def same_origin(source: str, target: str) -> bool:
    """Whether a request to ``source`` may be sent again to ``target`` (absolute URLs):
    the same scheme, host and port, or http upgraded to https on the same host (on the
    same port, or from 80 to 443). Anything unreadable is not."""
    try:
        old, new = urlsplit(source), urlsplit(target)
        old_port, new_port = _port(old), _port(new)
    except ValueError:   # a port that is no number, a bracket left open
        return False
    if new.scheme not in _DEFAULT_PORTS or not new.hostname or new.username is not None:
        return False
    if (new.hostname or '').lower() != (old.hostname or '').lower():
        return False
    if new.scheme == old.scheme:
        return new_port == old_port
    return (old.scheme, new.scheme) == ('http', 'https') and (
        new_port == old_port or (old_port, new_port) == (80, 443))


def _shown(url: str) -> str:
    return url if len(url) <= _SHOWN else url[:_SHOWN] + '…'


def checked_location(source: str, location: str) -> str:
    """The absolute URL ``source``'s redirect to ``location`` may be followed to;
    :class:`RedirectRefused` when it goes to another host or port."""
    try:
        target = urljoin(source, location.strip())
    except ValueError:
        target = location
    if not same_origin(source, target):
        raise RedirectRefused(f'{_shown(source)} redirected to {_shown(target)}, another '
                              'host or port: not followed, so that no token or password '
                              'goes there.')
    return target
