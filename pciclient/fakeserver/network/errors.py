"""Neutron's error bodies: ``{"NeutronError": {"type", "message", "detail"}}``.

Neutron's exception translation hook (``neutron/api/api_common.py``,
``convert_exception_to_http_exc``) names the exception class in ``type``, puts
its text in ``message`` and always leaves ``detail`` empty. Exceptions of
neutron-lib (``PortNotFound``, ``BadRequest``, ``InvalidInput``) keep their
class names; webob's own (``HTTPBadRequest``, ``HTTPNotFound``,
``HTTPMethodNotAllowed``) carry webob's texts.
"""
from __future__ import annotations

from typing import Any

from pciclient.fakeserver.wsgi.errors import ApiError

__all__ = ['NeutronError', 'bad_filter', 'bad_limit', 'invalid_boolean', 'method_not_allowed',
           'not_found', 'policy_not_authorized', 'port_not_found', 'server_error']

# webob's explanations (webob/exc.py), which is what str() of a bare webob error gives.
_CLIENT_ERROR = ('The server could not comply with the request since it is either malformed '
                 'or otherwise incorrect.')
_NOT_FOUND = 'The resource could not be found.'


class NeutronError(ApiError):
    """An answer other than 200 in Neutron's words."""

    def __init__(self, status: str, error_type: str, message: str,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {'NeutronError': {'type': self.error_type, 'message': self.message,
                                 'detail': ''}}


def not_found() -> NeutronError:
    """An unknown path (pecan's 404, translated)."""
    return NeutronError('404 Not Found', 'HTTPNotFound', _NOT_FOUND)


def port_not_found(port_id: str) -> NeutronError:
    """neutron-lib's ``PortNotFound``: also for a port the caller's project cannot see."""
    return NeutronError('404 Not Found', 'PortNotFound', f'Port {port_id} could not be found.')


def method_not_allowed(allowed: tuple[str, ...]) -> NeutronError:
    """``pecan.abort(405)``: webob's client-error text (this fake also names what is allowed)."""
    return NeutronError('405 Method Not Allowed', 'HTTPMethodNotAllowed', _CLIENT_ERROR,
                        (('Allow', ', '.join(allowed)),))


def policy_not_authorized(action: str, attribute: str) -> NeutronError:
    """oslo.policy's refusal of an attribute's rule, as Neutron words it."""
    return NeutronError('403 Forbidden', 'PolicyNotAuthorized',
                        f'(rule:{action} and rule:{action}:{attribute}) is disallowed by policy')


def bad_filter(keys: list[str]) -> NeutronError:
    """``get_filters_from_dict`` with filter validation on: the keys as a Python list."""
    return NeutronError('400 Bad Request', 'HTTPBadRequest',
                        f'{keys!r} is invalid attribute for filtering')


def bad_limit(value: str) -> NeutronError:
    """``_get_limit_param``: neutron-lib's ``BadRequest`` for ``resource='limit'``."""
    return NeutronError('400 Bad Request', 'BadRequest',
                        f"Bad limit request: Limit must be an integer 0 or greater and not "
                        f"'{value}'.")


def invalid_boolean(value: str) -> NeutronError:
    """``convert_to_boolean`` on a filter value that is no boolean word."""
    return NeutronError('400 Bad Request', 'InvalidInput',
                        f"Invalid input for operation: '{value}' cannot be converted to "
                        'boolean.')


def server_error() -> NeutronError:
    """A bug in the fake: generic on purpose, the traceback goes to the log."""
    return NeutronError('500 Internal Server Error', 'HTTPInternalServerError',
                        'The server has either erred or is incapable of performing the '
                        'requested operation.')
