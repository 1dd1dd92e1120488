"""The HTTP layer: one keystoneauth Adapter, JSON in, our exceptions out.

keystoneauth already does the hard parts (catalog lookup, token handling,
microversion headers and redaction of secrets in its debug log); this module turns its
answers and failures into decoded JSON or a :class:`~pciclient.exceptions.ClientException`
with a message an operator can act on, asks again as :mod:`pciclient.retry_policy` says,
and bounds every request of its client, keystoneauth's own included, with
:mod:`pciclient.transport` (answer size, deadline, redirects).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from keystoneauth1 import exceptions as ksa_exc

from pciclient import connection_failures as failures
from pciclient import exceptions as exc
from pciclient import jsondoc, retry_policy, transport
from pciclient.answers import Limits
from pciclient.lazy_regex import LazyRegex
from pciclient.retry_policy import MAX_RETRY_DELAY, RETRIABLE_STATUS_CODES
from pciclient.text import to_wire

__all__ = ['DEFAULT_MAX_ANSWER_SIZE', 'DEFAULT_TIMEOUT', 'HTTPClient', 'MAX_PAGES',
           'MAX_RETRY_DELAY', 'RETRIABLE_STATUS_CODES', 'expect_list', 'expect_object',
           'parse_microversion']

#: Seconds a single request may take before the client gives up, unless the
#: session or the caller says otherwise: a script must never hang forever.
DEFAULT_TIMEOUT = 30.0

#: The largest answer read (bytes on the wire, and once inflated) unless the caller says
#: otherwise: a server sending gigabytes must not grow the client by gigabytes.
DEFAULT_MAX_ANSWER_SIZE = 256 * 1024 * 1024

#: The most pages a listing may follow: a server that keeps answering "next"
#: must not keep a script busy forever.
MAX_PAGES = 10_000


_FAILED_URL = LazyRegex(r'(?:connection to|connecting to|Request to|exception for) (\S+?):? ')


def _describe(error: Exception) -> str:
    return str(error).strip() or error.__class__.__name__


def _failed_url(error: Exception, default: str) -> str:
    match = _FAILED_URL.search(_describe(error))
    return match.group(1) if match else default


def _translate(error: ksa_exc.ClientException, url: str,
               service: str = 'compute', identity_url: str | None = None,
               ) -> exc.ClientException:
    """Map keystoneauth's failures (raised before any compute answer exists) to ours."""
    identity = f' at {identity_url}' if identity_url else ''
    if isinstance(error, ksa_exc.SSLError):
        return exc.ConnectionError(
            f'TLS error talking to {_failed_url(error, url)}: {_describe(error)}.',
            hint=exc.Hint.CA_CERTIFICATE)
    if isinstance(error, (ksa_exc.ConnectionError, ksa_exc.UnknownConnectionError)):
        return failures.connection_failure(error, _failed_url(error, url))
    if isinstance(error, ksa_exc.EndpointNotFound):
        return exc.ConfigurationError(
            f'The service catalog has no {service} endpoint for this region and interface; ',
            hint=exc.Hint.ENDPOINT, hint_args={'service': service}, then='.')
    if isinstance(error, ksa_exc.MissingAuthPlugin):
        return exc.ConfigurationError('No credentials', hint=exc.Hint.CREDENTIALS, then='.')
    if isinstance(error, ksa_exc.MissingRequiredOptions):
        return exc.ConfigurationError(
            'Authentication needs ', hint=exc.Hint.AUTH_OPTIONS,
            hint_args={'options': tuple(opt.dest for opt in error.options)}, then='.')
    if isinstance(error, ksa_exc.InvalidResponse):
        # Only authentication reads bodies inside keystoneauth: a login answered with
        # something that is not JSON.
        return exc.InvalidResponse(f'The identity service{identity} answered the login with '
                                   'something that is not a token document.')
    if isinstance(error, ksa_exc.HttpError):
        # An identity answer (wrong password, unknown project, Keystone down). Keystone
        # answers 404 to a login with an expired, revoked or unknown token.
        response = getattr(error, 'response', None)
        status = error.http_status or 0
        message = exc.extract_message(response.headers.get('content-type', ''), response.text) \
            if response is not None else ''
        refused = status in (401, 403, 404)
        prefix = 'Authentication failed' if refused else 'Identity service error'
        cls = exc.Unauthorized if status in (401, 404) else (
            exc.Forbidden if status == 403 else exc.ServerError if status >= 500 else exc.HttpError)
        return cls(f'{prefix}: {message or _describe(error)}', http_status=status,
                   request_id=getattr(error, 'request_id', None))
    if isinstance(error, ksa_exc.AuthorizationFailure):
        return exc.Unauthorized(f'Authentication failed: {_describe(error)}')
    if isinstance(error, ksa_exc.DiscoveryFailure):
        if failures.unreachable(error):
            return failures.connection_failure(error, _failed_url(error, 'the identity service'))
        return exc.ConnectionError(f'Could not discover the identity service: {_describe(error)}')
    return exc.ClientException(_describe(error))


#: What keystoneauth raises, unwrapped, when a token document lacks a key or holds the
#: wrong type (it reads ``expires_at``, dates and the catalog without checking them).
UNREADABLE_LOGIN = (KeyError, TypeError, ValueError, AttributeError)


def _auth_plugin(adapter: Any) -> Any:
    """The adapter's own auth plugin, else its session's (None: no authentication)."""
    return getattr(adapter, 'auth', None) or getattr(adapter.session, 'auth', None)


def _identity_url(adapter: Any) -> str | None:
    url = getattr(_auth_plugin(adapter), 'auth_url', None)
    return url if isinstance(url, str) else None


def _unreadable_login(adapter: Any, error: Exception) -> Exception:
    """The identity service's token document could not be read: say so, and where.

    Only when an identity plugin is in use; anything else is re-raised as it is (a bug
    to show with ``--debug``, not to disguise)."""
    auth_url = _identity_url(adapter)
    if not auth_url:
        return error
    detail = f'no "{error.args[0]}"' if isinstance(error, KeyError) and error.args else \
        _describe(error)
    return exc.InvalidResponse(f'The identity service at {auth_url} sent a token document '
                               f'pci-cli cannot read ({detail[:200]}).')


def _unsendable_header() -> exc.ConfigurationError:
    """A token (or other header value) with characters outside ISO-8859-1; never echoed."""
    return exc.ConfigurationError('A header value (such as ', hint=exc.Hint.HEADER_VALUE,
                                  then=') holds characters HTTP headers cannot carry.')


def _unscoped_token() -> exc.ConfigurationError:
    """A project-less token's catalog is empty: the fix is a project, not an endpoint."""
    return exc.ConfigurationError('Keystone issued a token scoped to no project, and such a '
                                  'token lists no services: give ',
                                  hint=exc.Hint.PROJECT_SCOPE, then='.')


def _unscoped(adapter: Any) -> bool:
    """Whether the caller's Keystone token is scoped to nothing (so its catalog is empty).

    Only asked after a catalog lookup failed, to tell "you gave no project" apart from
    "this region/interface has no such endpoint"; any doubt answers False.
    """
    get_access = getattr(_auth_plugin(adapter), 'get_access', None)
    if get_access is None:
        return False
    try:
        access = get_access(adapter.session)
        return not (access.project_scoped or access.domain_scoped or access.system_scoped)
    except Exception:  # noqa: BLE001 - only used to word a message
        return False


#: A path naming an API version (``/v2.1``, ``/v2/{tenant}``, ``/v1``): an endpoint with one
#: is not a version root.
_VERSIONED_PATH = LazyRegex(r'/v\d+(?:\.\d+)?(?:/|$)')


def parse_microversion(text: str) -> tuple[int, int]:
    """``"2.53"`` → ``(2, 53)``; ValueError for anything else."""
    major, dot, minor = str(text).strip().partition('.')
    if not (major.isdigit() and dot and minor.isdigit()):
        raise ValueError(f'{text!r} is not a microversion like 2.53')
    return int(major), int(minor)


class HTTPClient:
    """GETs JSON documents from the compute API through a keystoneauth Adapter.

    ``api_version`` is the compute microversion: ``None`` sends no header (Nova
    answers as 2.1), ``"2.N"`` sends it, ``"latest"`` asks the endpoint's version
    document for its maximum once, before the first request.

    ``max_answer_size`` bounds each answer (bytes on the wire and once inflated);
    ``deadline`` (a :func:`time.monotonic` value) is when no request may start any
    more and no read continue. Both bound keystoneauth's own requests made for this
    client too (its login, discovery), through :mod:`pciclient.transport`, which this
    client installs on the adapter's session.

    ``version_root`` (compute's case): the endpoint is an API version under a root that
    lists the versions, so a failure of an endpoint given without its version path
    (``…:8774``) is told as such, after one more GET (:meth:`_version_root_suspected`).
    """

    def __init__(self, adapter: Any, timeout: float | None = None,
                 api_version: str | None = None, retries: int = 0, *,
                 max_answer_size: int = DEFAULT_MAX_ANSWER_SIZE,
                 deadline: float | None = None, version_root: bool = True) -> None:
        self.adapter = adapter
        self.retries = retries
        self.limits = Limits.from_now(max_answer_size, deadline)
        transport.install(getattr(adapter, 'session', None))
        session_timeout = getattr(adapter.session, 'timeout', None)
        self.timeout = timeout or session_timeout or DEFAULT_TIMEOUT
        self._requested_version = api_version
        #: Told of each page fetched; see :mod:`pciclient.commands.progress`.
        self.progress: Any = None
        self._negotiated = api_version != 'latest'
        #: Whether the endpoint was (or needs no) checking for being a version root;
        #: ``version_root=False`` for an API that is its own root (Placement).
        self._root_checked = not version_root
        if api_version and api_version != 'latest':
            parse_microversion(api_version)
            adapter.default_microversion = api_version

    @property
    def requested_version(self) -> str | None:
        """The microversion the caller asked for (``None``, ``"N.M"`` or ``"latest"``)."""
        return self._requested_version

    @property
    def microversion(self) -> tuple[int, int]:
        """The microversion requests are made at ((2, 1) when no header is sent)."""
        self._negotiate()
        version = self.adapter.default_microversion
        return parse_microversion(version) if version else (2, 1)

    def _negotiate(self) -> None:
        if self._negotiated:
            return
        self._negotiated = True
        self.adapter.default_microversion = None
        try:
            body = self._get('', None)
        except exc.HttpError:
            body = None  # no version document here (a legacy /v2/{tenant} endpoint)
        self._root_checked = True
        wrong = self._wrong_endpoint(body)
        if wrong is not None:
            raise wrong
        document = body.get('version') if isinstance(body, dict) else None
        latest = document.get('version') if isinstance(document, dict) else None
        if isinstance(latest, str) and latest:
            try:
                parse_microversion(latest)
            except ValueError:
                raise exc.InvalidResponse(
                    f'The compute version document names {latest!r} as its newest '
                    'microversion.') from None
            self.adapter.default_microversion = latest

    def endpoint(self) -> str:
        """The compute endpoint requests go to (from the catalog or the override)."""
        with transport.applied(self.limits), self._login_failures('the identity service'):
            endpoint = self.adapter.get_endpoint()
        if not endpoint:
            raise exc.ConfigurationError(
                'The service catalog has no compute endpoint for this region and interface.')
        return endpoint

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
            *, microversion: str | None = None) -> Any:
        """GET ``path`` (relative to the compute endpoint) and return its decoded JSON body.
        ``microversion`` overrides the client's for this one request (a read that needs a
        newer document than the rest, e.g. flavors' extra specs from 2.61)."""
        self._negotiate()
        return self._get(path, params, microversion)

    @staticmethod
    def _sendable(params: Any) -> Any:
        """Query values UTF-8 can carry (see :func:`pciclient.text.to_wire`): an option
        typed with odd bytes, or a "next" link with a lone surrogate, is no crash."""
        items = _items(params)
        if all(not isinstance(value, str) or value.isascii() for _, value in items):
            return params
        return [(key, to_wire(value) if isinstance(value, str) else value)
                for key, value in items]

    def _get(self, path: str, params: Any, microversion: str | None = None) -> Any:
        """One GET, asked again as :class:`pciclient.retry_policy.Retries` says (up to
        ``retries`` times, waits never longer than :data:`MAX_RETRY_DELAY` nor past the
        deadline) when logging in or the request fails to connect, times out or breaks
        off mid-body, or the answer is a retriable status."""
        params = self._sendable(params)
        tries = retry_policy.Retries(self.retries, self.limits.time_left)
        with transport.applied(self.limits):
            while True:
                self.limits.check_start(self._where(path))
                try:
                    self._log_in(path)
                    response = self._send(path, params, microversion)
                except ksa_exc.ClientException as error:
                    if retry_policy.retriable_failure(error) and tries.wait():
                        continue
                    raise self._translate(error, self._where(path)) from error
                if response.status_code in RETRIABLE_STATUS_CODES and tries.wait(response):
                    continue
                break
        shown = response.url or path
        if self._version_root_suspected(response):
            wrong = self._wrong_endpoint(self._probe_root())
            if wrong is not None:
                raise wrong
        if response.status_code >= 400:
            hint = exc.admin_hint(path, _items(params)) if response.status_code == 403 else {}
            raise exc.from_response(response, 'GET', shown, **hint)
        return self._decode(response, shown)

    def _version_root_suspected(self, response: Any) -> bool:
        """Whether a failed answer may come from a version root (``…:8774``, not
        ``…:8774/v2.1``): Nova answers any path under it 300 with its "choices", other
        servers 404 without a Nova fault or Placement error. Asked once per client, and
        only of an endpoint without a version in its path."""
        status = response.status_code
        if self._root_checked or status not in (300, 404):
            return False
        if status == 404 and (exc.is_fault(response.text) or '"errors"' in response.text):
            return False
        self._root_checked = True
        endpoint = self._endpoint_or_none()
        return endpoint is not None and not _VERSIONED_PATH.search(urlsplit(endpoint).path)

    def _endpoint_or_none(self) -> str | None:
        try:   # the catalog was read for the request just made: asks nothing
            endpoint = self.adapter.get_endpoint()
        except Exception:  # noqa: BLE001 - only used to word a message
            return None
        return endpoint if isinstance(endpoint, str) else None

    def _probe_root(self) -> Any:
        """The endpoint's own answer (one GET, after a failure), or None."""
        try:
            with transport.applied(self.limits):
                self.limits.check_start(self._where(''))
                return jsondoc.loads(self._send('', None, None).text)
        except Exception:  # noqa: BLE001 - only asked to word the failure already met
            return None

    def _wrong_endpoint(self, body: Any) -> exc.ConfigurationError | None:
        """The endpoint is a version root when ``body`` (its answer) lists versions."""
        endpoint = self._endpoint_or_none()
        url = exc.version_url(body, endpoint) if endpoint else None
        if url is None:
            return None
        service = getattr(self.adapter, 'service_type', None) or 'compute'
        return exc.ConfigurationError(
            f'The {service} endpoint {endpoint} lists the API versions and is not an API: '
            'did you mean ', hint=exc.Hint.ENDPOINT_URL,
            hint_args={'url': url, 'service': service}, then='?')

    def _send(self, path: str, params: Any, microversion: str | None) -> Any:
        """The GET itself; keystoneauth's failures as it raises them."""
        version = {'microversion': microversion} if microversion else {}
        try:
            return self.adapter.get(path, params=params, raise_exc=False, timeout=self.timeout,
                                    headers={'Accept': 'application/json'}, **version)
        except UnicodeEncodeError:
            raise _unsendable_header() from None

    def _log_in(self, path: str) -> None:
        """Get a token and the endpoint (keystoneauth keeps both) before the request, apart
        from it: only here can a ValueError or KeyError mean the identity service's token
        document (its expiry, its catalog)."""
        if _auth_plugin(self.adapter) is None:
            return   # no authentication at all (an endpoint that needs no token)
        with self._login_failures(self._where(path), retriable=True):
            self.adapter.get_token()
            self.adapter.get_endpoint()

    @contextlib.contextmanager
    def _login_failures(self, where: str, retriable: bool = False) -> Iterator[None]:
        """Failures of logging in or reading the catalog, as our exceptions; with
        ``retriable``, those worth asking again as keystoneauth raised them (for the
        caller's retry policy to decide)."""
        try:
            yield
        except ksa_exc.ClientException as error:
            if retriable and retry_policy.retriable_failure(error):
                raise
            raise self._translate(error, where) from error
        except UnicodeEncodeError:   # our own token or password, not Keystone's answer
            raise _unsendable_header() from None
        except UNREADABLE_LOGIN as error:
            raise _unreadable_login(self.adapter, error) from error

    def _translate(self, error: ksa_exc.ClientException, url: str) -> exc.ClientException:
        if isinstance(error, ksa_exc.EndpointNotFound) and _unscoped(self.adapter):
            return _unscoped_token()
        return _translate(error, url, getattr(self.adapter, 'service_type', None) or 'compute',
                          _identity_url(self.adapter))

    def _where(self, path: str) -> str:
        """Where a request went, for a message: never by asking the catalog again, which
        would log in a second time after a failed login (the failure's own text names
        the URL, see ``_failed_url``)."""
        return getattr(self.adapter, 'endpoint_override', None) or path

    @staticmethod
    def _decode(response: Any, url: str) -> Any:
        content_type = response.headers.get('content-type', '')
        text = response.text
        try:
            return jsondoc.loads(text)
        except ValueError:
            shown = exc.extract_message(content_type, text) or 'an empty body'
            raise exc.InvalidResponse(
                f'The server at {url} answered HTTP {response.status_code} with something '
                f'that is not JSON ({content_type or "no content type"}): {shown}') from None

    def get_list(self, path: str, key: str,
                 params: dict[str, Any] | list[tuple[str, Any]] | None = None,
                 *, microversion: str | None = None) -> list[dict[str, Any]]:
        """Every item of a listing, all pages of it (see :meth:`iter_list`)."""
        return list(self.iter_list(path, key, params, microversion=microversion))

    def iter_list(self, path: str, key: str,
                  params: dict[str, Any] | list[tuple[str, Any]] | None = None,
                  *, microversion: str | None = None) -> Iterator[dict[str, Any]]:
        """Items of a listing, fetching each further page its ``<key>_links`` announce
        only when the caller gets that far (so a capped listing stops early).

        The next page is asked for at the same relative path with the query of the
        "next" link, never at the link's host: a misconfigured or hostile server
        must not be able to send our token elsewhere.
        """
        base = _items(params)
        query = base
        seen_markers: set[str] = set()
        fetched = 0
        for _page in range(MAX_PAGES):
            body = self.get(path, query, microversion=microversion)
            page = expect_list(body, key, path)
            fetched += len(page)
            next_query = _next_query(body, key)
            if self.progress is not None:
                if next_query is None or not page:
                    self.progress.finish()
                else:
                    self.progress.update(f'Reading {key}', fetched)
            yield from page
            if next_query is None or not page:
                return
            marker = dict(next_query).get('marker', '')
            if marker in seen_markers:
                raise exc.InvalidResponse(
                    f'The server repeats the page after marker {marker!r} of {path}.')
            seen_markers.add(marker)
            # The link's parameters win; the caller's filters stay when the link omits them.
            linked = {name for name, _ in next_query}
            query = [item for item in base if item[0] not in linked] + next_query
        raise exc.InvalidResponse(f'{path} announced more than {MAX_PAGES} pages.')


def _items(params: dict[str, Any] | list[tuple[str, Any]] | None) -> list[tuple[str, Any]]:
    """Query parameters as a list of pairs, whichever way the caller gave them."""
    return list(params.items()) if isinstance(params, dict) else list(params or [])


def expect_object(body: Any, key: str, path: str) -> dict[str, Any]:
    """``body[key]`` when it is a JSON object, else :class:`InvalidResponse`."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise exc.InvalidResponse(f'The answer to {path} has no "{key}" object.')
    return value


def expect_list(body: Any, key: str, path: str) -> list[dict[str, Any]]:
    """``body[key]`` when it is a list of JSON objects, else :class:`InvalidResponse`."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise exc.InvalidResponse(f'The answer to {path} has no "{key}" list of objects.')
    return value


def _next_query(body: dict[str, Any], key: str) -> list[tuple[str, str]] | None:
    links = body.get(f'{key}_links')
    if not isinstance(links, list):
        return None
    for link in links:
        if (isinstance(link, dict) and link.get('rel') == 'next'
                and isinstance(link.get('href'), str)):
            return parse_qsl(urlsplit(link['href']).query, keep_blank_values=True)
    return None
