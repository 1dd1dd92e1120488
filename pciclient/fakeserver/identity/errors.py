"""Keystone's (and keystonemiddleware's) error bodies: ``{"error": {code, title, message}}``."""
from __future__ import annotations

from typing import Any

from pciclient.fakeserver.wsgi.errors import ApiError

__all__ = ['UNAUTHORIZED_MESSAGE', 'IdentityError', 'internal_error', 'unauthorized']


class IdentityError(ApiError):
    """Keystone's (and keystonemiddleware's) error shape: ``{"error": {code, title, message}}``."""

    def __init__(self, code: int, title: str, message: str,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.title = title
        self.message = message
        self.status = f'{code} {title}'
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {'error': {'code': self.code, 'title': self.title, 'message': self.message}}


UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.'


def unauthorized(www_authenticate_uri: str, message: str = UNAUTHORIZED_MESSAGE) -> IdentityError:
    """A 401 that tells the client where to get a token, as Keystone and its middleware do."""
    return IdentityError(401, 'Unauthorized', message,
                         (('WWW-Authenticate', f'Keystone uri="{www_authenticate_uri}"'),))


def internal_error() -> IdentityError:
    """A bug on our side: said generically, as Keystone's 500 is; the traceback is logged."""
    return IdentityError(500, 'Internal Server Error',
                         'An unexpected error prevented the server from fulfilling your request.')
