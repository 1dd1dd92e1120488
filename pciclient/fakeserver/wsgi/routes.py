"""One declarative route table per service: path template, method, handler, policy rule.

As Placement's own ``handler.py`` declares its routes, each fake service lists
its routes once, as data; matching, the 405 with its ``Allow`` header and the
names of the policy rules all come from the same rows, so they cannot disagree.

A path is only ever split into segments and compared with the templates: it is
never joined onto a directory, so traversal attempts are just unknown routes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ['Match', 'MethodNotAllowed', 'NoRoute', 'Route', 'RouteTable', 'read_routes']

H = TypeVar('H')
# Rows are immutable, so a row of a precise handler type is a row of a wider one.
H_co = TypeVar('H_co', covariant=True)


@dataclass(frozen=True)
class Route(Generic[H_co]):
    """One row: ``template`` is ``/segment/{name}/…`` (a ``{name}`` takes one segment).

    ``policy`` names the rule checked before ``handler`` runs (None: open to all);
    ``since`` is the first microversion (minor) that has the route, for services
    whose routes appear with microversions (older requests get the service's 404).
    """

    template: str
    method: str
    handler: H_co
    policy: str | None
    since: int = 0
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'segments', _split(self.template) or ())

    def bind(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        """The template's ``{names}`` bound to ``segments``, or None if the path is not this one."""
        if len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(self.segments, segments, strict=True):
            if pattern.startswith('{') and pattern.endswith('}'):
                params[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return params


def read_routes(template: str, handler: H, policy: str | None, since: int = 0) -> list[Route[H]]:
    """The GET and HEAD rows of a read-only resource (HEAD answers as GET, without the body)."""
    return [Route(template, 'GET', handler, policy, since),
            Route(template, 'HEAD', handler, policy, since)]


@dataclass(frozen=True)
class Match(Generic[H_co]):
    """The row that answers, and the values its template took from the path."""

    route: Route[H_co]
    params: Mapping[str, str]


class NoRoute(LookupError):
    """No row has this path (at this microversion): the service's 404."""


class MethodNotAllowed(LookupError):
    """Rows have this path, none this method: the service's 405, ``Allow`` naming theirs."""

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(method)
        self.method = method
        self.allowed = allowed

    @property
    def allow_header(self) -> tuple[str, str]:
        return 'Allow', ', '.join(self.allowed)


def _split(path: str, trailing_slash: bool = False) -> tuple[str, ...] | None:
    """A path's segments; None for a path no template can have (empty segments)."""
    if path in ('', '/'):
        return ()
    if not path.startswith('/'):
        return None
    body = path[1:]
    if trailing_slash and body.endswith('/'):
        body = body[:-1]
    segments = tuple(body.split('/'))
    return None if any(segment == '' for segment in segments) else segments


class RouteTable(Generic[H]):
    """Rows in order: where a literal and a ``{name}`` both fit a segment, list the literal first.

    ``trailing_slash`` tolerates one trailing slash (Nova's router does; Placement's
    does not).
    """

    def __init__(self, routes: Iterable[Route[H]], *, trailing_slash: bool = False) -> None:
        self.routes = tuple(routes)
        self.trailing_slash = trailing_slash

    def match(self, path: str, method: str, version: int | None = None) -> Match[H]:
        """The row answering ``method`` on ``path``; raises :class:`NoRoute` or
        :class:`MethodNotAllowed`. ``version`` hides rows newer than it."""
        segments = _split(path, self.trailing_slash)
        if segments is None:
            raise NoRoute(path)
        template: str | None = None
        allowed: list[str] = []
        for route in self.routes:
            if version is not None and route.since > version:
                continue
            if template is None:
                params = route.bind(segments)
                if params is None:
                    continue
                template = route.template
            elif route.template != template:
                continue
            else:
                params = route.bind(segments) or {}
            if route.method == method:
                return Match(route, params)
            allowed.append(route.method)
        if template is None:
            raise NoRoute(path)
        raise MethodNotAllowed(method, tuple(dict.fromkeys(allowed)))

    def policies(self) -> tuple[str, ...]:
        """Every policy rule the table checks, once each, in table order."""
        return tuple(dict.fromkeys(r.policy for r in self.routes if r.policy is not None))
