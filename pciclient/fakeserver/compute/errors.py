"""Nova's error bodies, so clients exercise the error paths of a real compute API."""
from __future__ import annotations

from typing import Any

from pciclient.fakeserver.wsgi.errors import ApiError

__all__ = ['ApiError', 'BadRequest', 'Forbidden', 'ItemNotFound', 'MethodNotAllowed',
           'NotImplementedFault', 'RouteNotFound', 'compute_fault']


class _FaultError(ApiError):
    """Nova's controller errors wrap ``code`` and ``message`` in a named fault."""

    fault = ''
    code = 0

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {self.fault: {'code': self.code, 'message': self.message}}


class ItemNotFound(_FaultError):
    status = '404 Not Found'
    fault = 'itemNotFound'
    code = 404


class BadRequest(_FaultError):
    status = '400 Bad Request'
    fault = 'badRequest'
    code = 400


class NotImplementedFault(_FaultError):
    """What Nova answers when its virt driver cannot do something (``os-hypervisors/{id}/uptime``
    on the fake driver of the Nova 34 reference capture)."""

    status = '501 Not Implemented'
    fault = 'notImplemented'
    code = 501

    def __init__(self) -> None:
        super().__init__('The requested functionality is not supported.')


class RouteNotFound(ApiError):
    """No route at all: Nova's router answers in webob's shape, not as a fault."""

    status = '404 Not Found'

    def body(self) -> dict[str, Any]:
        return {
            'message': 'The resource could not be found.<br /><br />\n\n\n',
            'code': '404 Not Found',
            'title': 'Not Found',
        }


class MethodNotAllowed(ApiError):
    """The API is read-only; say so in the router's shape and advertise what works."""

    status = '405 Method Not Allowed'

    def __init__(self, method: str, allowed: tuple[str, ...] = ('GET', 'HEAD')) -> None:
        super().__init__(method)
        self.method = method
        self.headers = (('Allow', ', '.join(allowed)),)

    def body(self) -> dict[str, Any]:
        return {
            'message': (f'The method {self.method!r} is not allowed for this resource: '
                        'this fake compute API is read-only (GET, HEAD).<br /><br />\n\n\n'),
            'code': '405 Method Not Allowed',
            'title': 'Method Not Allowed',
        }


def compute_fault() -> dict[str, Any]:
    """Body for a bug in the server: generic on purpose, the traceback goes to the log."""
    return {'computeFault': {
        'code': 500,
        'message': ('The server has either erred or is incapable of performing '
                    'the requested operation.'),
    }}


class Forbidden(_FaultError):
    """A policy check failed: Nova names the rule, so operators know what was refused."""

    status = '403 Forbidden'
    fault = 'forbidden'
    code = 403

    @classmethod
    def for_rule(cls, rule: str) -> Forbidden:
        return cls(f"Policy doesn't allow {rule} to be performed.")
