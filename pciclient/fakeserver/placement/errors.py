"""Placement's error bodies, so clients exercise the error paths of a real Placement.

Placement answers every error as ``{"errors": [{"status", "title", "detail",
"code", "request_id"}]}`` (API-WG style): ``detail`` is webob's explanation and
the specific message, ``code`` appears from microversion 1.23 on, and a 406
for an unacceptable microversion adds the supported range.
"""
from __future__ import annotations

from typing import Any

__all__ = ['UNDEFINED_CODE', 'PlacementBadRequest', 'PlacementError', 'PlacementForbidden',
           'PlacementMethodNotAllowed', 'PlacementNotAcceptable', 'PlacementNotFound',
           'PlacementServerError']

UNDEFINED_CODE = 'placement.undefined_code'
# The first microversion whose error bodies carry ``code``.
_CODE_MINOR = 23


class PlacementError(Exception):
    """An answer other than 200, raised deep in a handler and rendered once by the app."""

    status = '500 Internal Server Error'
    title = 'Internal Server Error'
    explanation = ''

    def __init__(self, detail: str = '', *, headers: tuple[tuple[str, str], ...] = (),
                 code: str = UNDEFINED_CODE) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.code = code

    @property
    def status_code(self) -> int:
        return int(self.status.split(' ', 1)[0])

    def detail_text(self) -> str:
        """webob's plain-text body as Placement's JSON formatter leaves it."""
        return f'{self.explanation}\n\n {self.detail}  '

    def body(self, request_id: str, minor: int | None) -> dict[str, Any]:
        """The error document; ``minor`` is the request's 1.x microversion, if it had one."""
        error: dict[str, Any] = {'status': self.status_code, 'title': self.title,
                                 'detail': self.detail_text()}
        if minor is not None and minor >= _CODE_MINOR:
            error['code'] = self.code
        error['request_id'] = request_id
        return {'errors': [error]}


class PlacementBadRequest(PlacementError):
    status = '400 Bad Request'
    title = 'Bad Request'
    explanation = ('The server could not comply with the request since it is either '
                   'malformed or otherwise incorrect.')


class PlacementForbidden(PlacementError):
    """A policy check failed; Placement names the rule."""

    status = '403 Forbidden'
    title = 'Forbidden'
    explanation = 'Access was denied to this resource.'

    @classmethod
    def for_rule(cls, rule: str) -> PlacementForbidden:
        return cls(f'Policy does not allow {rule} to be performed.')


class PlacementNotFound(PlacementError):
    status = '404 Not Found'
    title = 'Not Found'
    explanation = 'The resource could not be found.'


class PlacementMethodNotAllowed(PlacementError):
    """This Placement is read-only: every route answers GET only."""

    status = '405 Method Not Allowed'
    title = 'Method Not Allowed'

    def __init__(self, method: str, allowed: tuple[str, ...] = ('GET',)) -> None:
        super().__init__('The method specified is not allowed for this resource.',
                         headers=(('Allow', ', '.join(allowed)),))
        self.method = method

    def detail_text(self) -> str:
        return f'The method {self.method} is not allowed for this resource. \n\n {self.detail}'


class PlacementNotAcceptable(PlacementError):
    """An unsupported microversion; the body says which ones are."""

    status = '406 Not Acceptable'
    title = 'Not Acceptable'
    explanation = ('The resource could not be generated that was acceptable to your '
                   'browser (content of type application/json.')

    def __init__(self, detail: str, *, min_version: str, max_version: str) -> None:
        super().__init__(detail)
        self.min_version = min_version
        self.max_version = max_version

    def detail_text(self) -> str:
        return f'{self.explanation} \n\n {self.detail}'

    def body(self, request_id: str, minor: int | None) -> dict[str, Any]:
        document = super().body(request_id, minor)
        document['errors'][0].update(max_version=self.max_version,
                                     min_version=self.min_version)
        return document


class PlacementServerError(PlacementError):
    """A bug in the fake: generic on purpose, the traceback goes to the log."""

    explanation = ('The server has either erred or is incapable of performing the requested '
                   'operation.')
