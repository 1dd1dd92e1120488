"""Match a request path against the fake API's routes, and nothing else.

A path is only ever split into segments and compared with fixed names: it is
never joined onto a directory, so traversal attempts are just unknown routes.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ['RESOURCES', 'Route', 'match']

RESOURCES = frozenset({'os-pci', 'os-hypervisors', 'servers'})
_V2, _V21 = 'v2', 'v2.1'


@dataclass(frozen=True)
class Route:
    """What to answer, plus the URL prefix the client used (for links we hand back).

    ``name`` is one of: ``versions``, ``version``, ``pci_index``, ``pci_detail``,
    ``pci_show``, ``hypervisor_index``, ``hypervisor_detail``, ``hypervisor_show``,
    ``hypervisor_search``, ``server_index``, ``server_detail``, ``server_show``.
    """

    name: str
    api: str = ''
    prefix: str = ''
    arg: str | None = None


_COLLECTIONS = {'os-pci': 'pci', 'os-hypervisors': 'hypervisor', 'servers': 'server'}


def _resource_route(rest: list[str], api: str, prefix: str) -> Route | None:
    kind = _COLLECTIONS.get(rest[0])
    if kind is None:
        return None
    if len(rest) == 1:
        return Route(f'{kind}_index', api, prefix)
    if len(rest) == 2:
        if rest[1] == 'detail':
            return Route(f'{kind}_detail', api, prefix)
        return Route(f'{kind}_show', api, prefix, rest[1])
    if len(rest) == 3 and kind == 'hypervisor' and rest[2] == 'search':
        return Route('hypervisor_search', api, prefix, rest[1])
    return None


def match(path: str) -> Route | None:
    """Return the route for a decoded path, or None when Nova's router would 404.

    One trailing slash is tolerated; empty segments anywhere else are not.
    """
    if path in ('', '/'):
        return Route('versions')
    if not path.startswith('/'):
        return None
    body = path[1:]
    if body.endswith('/'):
        body = body[:-1]
    segments = body.split('/')
    if any(segment == '' for segment in segments):
        return None
    api, rest = segments[0], segments[1:]
    if api not in (_V2, _V21):
        return None
    if not rest:
        return Route('version', api, '/' + api)
    if api == _V21 and rest[0] in RESOURCES:
        return _resource_route(rest, api, '/' + api)
    project, rest = rest[0], rest[1:]
    if project in RESOURCES or project in ('.', '..') or not rest:
        return None
    return _resource_route(rest, api, f'/{api}/{project}')
