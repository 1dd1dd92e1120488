"""What went wrong on the wire, told by the TYPES of the exceptions involved.

keystoneauth turns every transport failure into one of a few exceptions whose text
nests urllib3's and requests' reprs; the exceptions underneath survive as causes,
contexts, ``original`` (keystoneauth), ``reason`` (urllib3's ``MaxRetryError``) and
``args`` (urllib3's ``ProtocolError``, requests' ``ConnectionError``). Walking that
chain by type does not depend on how any of those libraries words its messages, and
a URL that happens to contain "timeout" is no timeout.
"""
from __future__ import annotations

import http.client
import ssl

import requests
import urllib3.exceptions
from keystoneauth1 import exceptions as ksa_exc

from pciclient import exceptions as exc

#: How deep a chain is followed: a safe bound for a cycle the seen-set would not catch.
MAX_CHAIN = 64

#: Exceptions that mean "no answer in time". urllib3's NewConnectionError (refused, no
#: route, DNS) derives from ConnectTimeoutError for old callers' sake: it is excluded.
_TIMEOUTS = (ksa_exc.ConnectTimeout, requests.exceptions.Timeout,
             urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError,
             TimeoutError)   # socket.timeout is TimeoutError
_NOT_TIMEOUTS = (urllib3.exceptions.NewConnectionError,)

#: Exceptions that mean "an answer started (or was awaited on an open connection) and
#: broke off": urllib3's "Connection aborted."/"Connection broken: …", a short body,
#: requests' wrapper of a broken chunked body, the server hanging up before a status line.
_BROKEN = (urllib3.exceptions.ProtocolError, http.client.IncompleteRead,
           requests.exceptions.ChunkedEncodingError, http.client.RemoteDisconnected)

#: TLS failures: their ``errno``/``strerror`` are OpenSSL's, not the system's.
_TLS = (ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError,
        ksa_exc.SSLError)


def chain(error: BaseException) -> list[BaseException]:
    """``error`` and every exception it wraps, outermost first, each once."""
    found: list[BaseException] = []
    seen: set[int] = set()
    todo = [error]
    while todo and len(found) < MAX_CHAIN:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        linked = (current.__cause__, current.__context__, getattr(current, 'original', None),
                  getattr(current, 'reason', None), *current.args)
        todo += [item for item in linked if isinstance(item, BaseException)]
    return found


def timed_out(errors: list[BaseException]) -> bool:
    return any(isinstance(e, _TIMEOUTS) and not isinstance(e, _NOT_TIMEOUTS) for e in errors)


def broke_off(errors: list[BaseException]) -> bool:
    return any(isinstance(e, _BROKEN) for e in errors)


def system_error(errors: list[BaseException]) -> str | None:
    """The innermost error the operating system reported ("Connection refused", "Name or
    service not known"), as it words it; None when there is none."""
    for error in reversed(errors):
        if isinstance(error, OSError) and not isinstance(error, _TLS) \
                and error.errno is not None and isinstance(error.strerror, str):
            return error.strerror.strip()
    return None


def _incomplete(errors: list[BaseException]) -> tuple[int, int] | None:
    """(bytes that arrived, bytes still announced) of a body shorter than announced."""
    for error in errors:
        if isinstance(error, http.client.IncompleteRead) \
                and not isinstance(error, urllib3.exceptions.InvalidChunkLength) \
                and error.expected is not None:
            partial = error.partial
            arrived = len(partial) if isinstance(partial, (bytes, bytearray)) else partial
            if isinstance(arrived, int) and isinstance(error.expected, int) \
                    and arrived >= 0 and error.expected >= 0:
                return arrived, error.expected
    return None


def _reset(errors: list[BaseException]) -> bool:
    # http.client's RemoteDisconnected is a ConnectionResetError too, but it is the server
    # hanging up (FIN) before any status line, not a reset.
    return any(isinstance(e, ConnectionResetError)
               and not isinstance(e, http.client.RemoteDisconnected) for e in errors)


def _describe(error: BaseException) -> str:
    return str(error).strip() or error.__class__.__name__


def root_cause(error: BaseException) -> str:
    """"Connection refused" rather than urllib3's three nested exception reprs."""
    errors = chain(error)
    cause = system_error(errors)
    if cause:
        return cause
    if timed_out(errors):
        return 'no answer in time'
    return _describe(error)


def _unsent(error: BaseException) -> tuple[str, exc.Hint, str] | None:
    """Why a request could not even be sent (a URL or a header value requests refuses),
    as the words before the setting to check, that setting, and the words after it; or
    None. The header itself is never echoed: it may be the token."""
    original = getattr(error, 'original', None)
    if isinstance(original, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                             requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)):
        return 'the URL is not valid (check ', exc.Hint.URLS, ' or the catalog)'
    if isinstance(original, requests.exceptions.InvalidHeader):
        return ('a header value (such as ', exc.Hint.HEADER_VALUE,
                ') holds characters HTTP does not allow in a header')
    return None


def unsendable(error: BaseException) -> bool:
    """Whether the request could not even be sent (asking again would not help)."""
    return _unsent(error) is not None


def connection_failure(error: BaseException, url: str) -> exc.ConnectionError:
    """One plain sentence for "nobody answers", "no answer in time", "the answer broke
    off" and "the request could not be sent", instead of urllib3's nested reprs."""
    unsent = _unsent(error)
    if unsent:
        before, hint, after = unsent
        return exc.ConnectionError(f'Could not send a request to {url}: {before}', hint=hint,
                                   then=f'{after}.')
    errors = chain(error)
    if timed_out(errors):
        return exc.ConnectionError(f'Timed out talking to {url}: no answer in time (see ',
                                   hint=exc.Hint.TIMEOUT, then=').')
    if broke_off(errors):
        incomplete = _incomplete(errors)
        if incomplete:
            cause = f'{incomplete[0]} bytes arrived and {incomplete[1]} more were announced'
        elif _reset(errors):
            cause = 'the connection was reset'
        else:
            cause = 'the server closed the connection'
        return exc.ConnectionError(f'The answer from {url} broke off: {cause}.')
    if isinstance(error, ksa_exc.UnknownConnectionError):
        return exc.ConnectionError(f'The request to {url} failed: {root_cause(error)}')
    return exc.ConnectionError(f'Could not connect to {url}: {root_cause(error)}')


def unreachable(error: BaseException) -> bool:
    """Whether a failure (such as keystoneauth's failed discovery) means the service could
    not be reached: nothing answered in time, or the system refused the connection (no
    listener, no route, no such host). An answer that began and broke off is not that."""
    errors = chain(error)
    return timed_out(errors) or (system_error(errors) is not None and not broke_off(errors))
