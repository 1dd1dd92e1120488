"""Exceptions of the pciclient library, and the one place that maps HTTP answers to them.

Every failure a caller can meet (an HTTP error, an unreachable cloud, an answer
that is not what the API promises) is a :class:`ClientException`, so scripts
and the CLI need a single ``except`` and always get a one-line message.
"""
from __future__ import annotations

import enum
import html
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pciclient import jsondoc
from pciclient.lazy_regex import LazyRegex
from pciclient.text import printable

_TAG = LazyRegex(r'<[^>]+>')
_SPACE = LazyRegex(r'\s+')
_MAX_MESSAGE = 300


class Hint(enum.Enum):
    """Which of the caller's settings would fix a failure (:attr:`ClientException.hint`).

    A message names that setting in the library's terms (:data:`WORDING`: ``Client``
    arguments, the session); a front end with its own names for the same settings (the
    CLI's options) words the very same exception its own way with
    :meth:`ClientException.worded`, instead of parsing or rewriting the text.
    """

    #: Read PCI devices and pools from Placement instead of the compute API.
    PCI_SOURCE_PLACEMENT = 'pci_source_placement'
    #: Say where Placement is (it is not in the catalog).
    PLACEMENT_ENDPOINT = 'placement_endpoint'
    #: Region and interface, or an endpoint for ``hint_args['service']``.
    ENDPOINT = 'endpoint'
    #: How long a request may take.
    TIMEOUT = 'timeout'
    #: Which CA to trust for the cloud's TLS certificate (or no verification).
    CA_CERTIFICATE = 'ca_certificate'
    #: Some way of authenticating at all.
    CREDENTIALS = 'credentials'
    #: The auth plugin's options named in ``hint_args['options']``.
    AUTH_OPTIONS = 'auth_options'
    #: A project for the token to be scoped to.
    PROJECT_SCOPE = 'project_scope'
    #: The URLs a request may be sent to (the endpoint, the identity service's).
    URLS = 'urls'
    #: A header value the caller gave, such as the token.
    HEADER_VALUE = 'header_value'
    #: The Placement microversion asked for (``hint_args['version']``).
    PLACEMENT_API_VERSION = 'placement_api_version'
    #: The identity service's URL (the auth plugin's ``auth_url``).
    AUTH_URL = 'auth_url'
    #: Look among every project's servers, not only the caller's (admins).
    ALL_PROJECTS = 'all_projects'
    #: The endpoint to use instead: ``hint_args['url']``, for ``hint_args['service']``.
    ENDPOINT_URL = 'endpoint_url'
    #: A role the caller lacks for ``hint_args['api']`` (``hint_args['all_projects']``:
    #: for every project's servers), and what a member may read instead.
    ADMIN_ROLE = 'admin_role'


#: How a hint is named: words, or words made from the exception's ``hint_args``.
Words = str | Callable[[Mapping[str, Any]], str]


def _endpoint_override(args: Mapping[str, Any]) -> str:
    service = str(args.get('service') or 'compute')
    return 'endpoint_override' if service == 'compute' else \
        f'{service.replace("-", "_")}_endpoint_override'


def _endpoint_argument(args: Mapping[str, Any]) -> str:
    override = _endpoint_override(args)
    return f'check region_name and interface, or give the endpoint with {override}'


def admin_role(instead: str, all_projects: str) -> Callable[[Mapping[str, Any]], str]:
    """The words of :attr:`Hint.ADMIN_ROLE`: ``instead`` names what a member may read, and
    ``all_projects`` the setting that asks for every project's servers.

    A 403 from a default policy means an admin role (Nova's os-pci, os-hypervisors,
    os-services, os-aggregates, ``all_tenants``; Placement): the fix is a role or another
    command, not a retry, and the server's rule name alone does not say so.
    """
    def words(args: Mapping[str, Any]) -> str:
        if args.get('all_projects'):
            return (f"{all_projects} needs an admin role in this cloud: ask for one, or leave "
                    "it out to see your own project's servers")
        return (f"{args['api']} needs an admin role in this cloud: ask for one, "
                f'or use {instead}')
    return words


#: The library's names for the settings: ``pciclient.client.Client``'s arguments and the
#: keystoneauth session and auth plugin the caller built.
WORDING: dict[Hint, Words] = {
    Hint.PCI_SOURCE_PLACEMENT: "pci_source='placement'",
    Hint.AUTH_URL: "the auth plugin's auth_url",
    Hint.PLACEMENT_ENDPOINT: 'placement_endpoint_override=URL',
    Hint.ENDPOINT: _endpoint_argument,
    Hint.TIMEOUT: 'the timeout argument',
    Hint.CA_CERTIFICATE: (" Give the session the CA that signed the cloud's certificate "
                          '(verify=PATH; verify=False skips verification).'),
    Hint.CREDENTIALS: (': the session has no auth plugin (for a cloud without '
                       'authentication: keystoneauth1.noauth with endpoint_override)'),
    Hint.AUTH_OPTIONS: lambda args: 'the auth plugin options ' + ', '.join(args['options']),
    Hint.PROJECT_SCOPE: 'the auth plugin project_name with project_domain_name, or project_id',
    Hint.URLS: 'endpoint_override, the auth URL',
    Hint.HEADER_VALUE: 'the token',
    Hint.PLACEMENT_API_VERSION: lambda args: f"placement_api_version={args['version']!r}",
    Hint.ALL_PROJECTS: 'all_projects=True',
    Hint.ENDPOINT_URL: lambda args: f"{_endpoint_override(args)}={args['url']!r}",
    Hint.ADMIN_ROLE: admin_role("what a member may read (the project's own servers)",
                                'all_projects=True'),
}


class ClientException(Exception):
    """Base of every error raised by pciclient.

    With a :class:`Hint`, the message is ``message`` (what went wrong, up to where the fix
    is named), the hinted setting's name, then ``then``; ``hint_args`` holds what the
    naming needs (a service type, option names).
    """

    message = 'Unknown error'

    def __init__(self, message: str | None = None, *, hint: Hint | None = None,
                 hint_args: Mapping[str, Any] | None = None, then: str = '') -> None:
        self.hint = hint
        self.hint_args = dict(hint_args or {})
        self._before = message or self.message
        self._then = then
        self.message = self.worded(WORDING)
        super().__init__(self.message)

    def worded(self, wording: Mapping[Hint, Words]) -> str:
        """The message with its hint named in ``wording``'s terms (not yet escaped)."""
        if self.hint is None:
            return self._before
        words = wording[self.hint]
        named = words(self.hint_args) if callable(words) else words
        return f'{self._before}{named}{self._then}'

    def line(self, wording: Mapping[Hint, Words] = WORDING) -> str:
        """``str(self)`` with the hint named in ``wording``'s terms."""
        # Messages echo ids users typed and words servers sent: always one safe line.
        return printable(self._decorated(self.worded(wording)))

    def _decorated(self, message: str) -> str:
        """The message with whatever else one line about this failure tells."""
        return message

    def __str__(self) -> str:
        return printable(self._decorated(self.message))


class CommandError(ClientException):
    """The user asked for something the CLI cannot do as asked."""


class ConfigurationError(ClientException):
    """Nothing (or something contradictory) tells the client where the cloud is."""


class ConnectionError(ClientException):  # noqa: A001 - the name users expect
    """The cloud could not be reached: refused, timed out, TLS or DNS failure."""


class InvalidResponse(ClientException):
    """The server answered, but not with what the API promises (not JSON, wrong shape)."""


class UnsupportedVersion(ClientException):
    """The caller asked for an API version this client does not speak."""


class NoUniqueMatch(ClientException):
    """A name matched more than one resource."""


class HttpError(ClientException):
    """The server answered with an HTTP error status."""

    http_status = 0
    message = 'HTTP error'

    def __init__(self, message: str | None = None, *, http_status: int | None = None,
                 request_id: str | None = None, method: str | None = None,
                 url: str | None = None, hint: Hint | None = None,
                 hint_args: Mapping[str, Any] | None = None, then: str = '') -> None:
        if http_status is not None:
            self.http_status = http_status
        self.request_id = request_id
        self.method = method
        self.url = url
        super().__init__(message, hint=hint, hint_args=hint_args, then=then)

    def _decorated(self, message: str) -> str:
        text = f'{message} (HTTP {self.http_status})'
        if self.request_id:
            text += f' (Request-ID: {self.request_id})'
        return text


class BadRequest(HttpError):
    http_status = 400
    message = 'Bad request'


class Unauthorized(HttpError):
    http_status = 401
    message = 'The cloud did not accept the credentials'


class Forbidden(HttpError):
    http_status = 403
    message = 'Policy does not allow this request'


class NotFound(HttpError):
    http_status = 404
    message = 'Not found'


class ApiNotFound(NotFound):
    """404 from the server's router: the URL itself is unknown (an API this cloud lacks),
    not an unknown object (which Nova answers with an ``itemNotFound`` fault)."""


class NoPciApi(ApiNotFound):
    """The compute API has no ``os-pci`` resources (today's Nova)."""

    message = ("This cloud's compute API has no os-pci API (Nova removed it in Pike; "
               'since Zed Nova reports PCI devices to Placement instead).')


class MethodNotAllowed(HttpError):
    http_status = 405
    message = 'Method not allowed'


class Conflict(HttpError):
    http_status = 409
    message = 'Conflict'


class ServerError(HttpError):
    http_status = 500
    message = 'The server failed to answer the request'


_BY_STATUS: dict[int, type[HttpError]] = {
    cls.http_status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict)
}


def _clean(text: str) -> str:
    """Turn a server's message (possibly HTML, multi-line, huge) into one short line."""
    text = html.unescape(_TAG.sub(' ', text))
    text = _SPACE.sub(' ', text).strip()
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE - 1] + '…'
    return text


def _message_from_json(body: Any) -> str | None:
    """Find the human message in Nova, Keystone, Placement and webob error bodies."""
    if not isinstance(body, dict):
        return None
    # Placement: {"errors": [{"status": 403, "title": "Forbidden", "detail": ...}]}
    errors = body.get('errors')
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        for key in ('detail', 'title'):
            text = errors[0].get(key)
            if isinstance(text, str) and text.strip():
                return text
    # webob / Nova router: {"message": ..., "code": "404 Not Found", "title": ...}
    if isinstance(body.get('message'), str):
        return body['message']
    # Nova: {"itemNotFound": {"message": ..., "code": 404}}; Keystone: {"error": {...}}
    for value in body.values():
        if isinstance(value, dict) and isinstance(value.get('message'), str):
            return value['message']
    return None


def extract_message(content_type: str, text: str) -> str:
    """The server's own explanation of an error, as one clean line ('' when none)."""
    text = text or ''
    if 'json' in content_type or text.lstrip().startswith('{'):
        try:
            message = _message_from_json(jsondoc.loads(text))
        except ValueError:
            message = None
        if message is not None:
            return _clean(message)
    if 'html' in content_type or text.lstrip().lower().startswith('<'):
        match = re.search(r'<title>(.*?)</title>', text, re.IGNORECASE | re.DOTALL)
        body = re.search(r'<body[^>]*>(.*?)</body>', text, re.IGNORECASE | re.DOTALL)
        parts = [m.group(1) for m in (body, match) if m]
        return _clean(parts[0] if parts else text)
    return _clean(text)


def is_fault(text: str) -> bool:
    """Nova's (and Keystone's) error bodies: ``{"itemNotFound": {"code": 404, …}}``."""
    try:
        body = jsondoc.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and len(body) == 1 and all(
        isinstance(value, dict) and 'code' in value for value in body.values())


#: The compute APIs Nova's default policy keeps for admins, and Placement's first path
#: segments (Placement's default policy is admin-only throughout).
ADMIN_APIS = frozenset({'os-pci', 'os-hypervisors', 'os-services', 'os-aggregates'})
PLACEMENT_APIS = frozenset({'resource_providers', 'allocation_candidates', 'allocations',
                            'usages', 'traits', 'resource_classes'})


def version_url(body: Any, endpoint: str) -> str | None:
    """The current API version's URL in a version root's document (``{"versions": […]}``,
    what Nova answers at ``http://host:8774``), when that is not ``endpoint`` itself:
    then ``endpoint`` lacks its version path. None for anything else (Placement's root,
    whose ``self`` link is empty, is its API)."""
    versions = body.get('versions') if isinstance(body, dict) else None
    if not isinstance(versions, list):
        return None
    entries = sorted((v for v in versions if isinstance(v, dict)),
                     key=lambda v: v.get('status') != 'CURRENT')
    for entry in entries:
        for link in entry.get('links') or ():
            href = link.get('href') if isinstance(link, dict) else None
            if (link.get('rel') == 'self' and isinstance(href, str)
                    and href.startswith(('http://', 'https://'))):
                url = href.rstrip('/')
                return None if url == endpoint.rstrip('/') else url
    return None


def admin_hint(path: str, params: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """:func:`from_response`'s hint for a 403 to ``path`` (relative to the endpoint)
    with query ``params``, when a default policy keeps that API for admins."""
    api = path.strip('/').split('/', 1)[0]
    args: dict[str, Any] | None = None
    if api in ADMIN_APIS:
        args = {'api': api}
    elif api in PLACEMENT_APIS:
        args = {'api': 'Placement'}
    elif api == 'servers' and any(key == 'all_tenants' and str(value).lower() not in
                                  ('0', 'false', '') for key, value in params):
        args = {'api': api, 'all_projects': True}
    return {} if args is None else {'hint': Hint.ADMIN_ROLE, 'hint_args': args}


def from_response(response: Any, method: str, url: str, *, hint: Hint | None = None,
                  hint_args: Mapping[str, Any] | None = None) -> HttpError:
    """Map an HTTP error answer to the exception for its status, keeping the server's words.

    ``response`` is a :class:`requests.Response` (or anything with ``status_code``,
    ``headers`` and ``text``). A ``hint`` follows the server's words as a sentence of
    its own (what the caller can do about it).
    """
    status = response.status_code
    headers = response.headers or {}
    request_id = headers.get('x-openstack-request-id') or headers.get('x-compute-request-id')
    message = extract_message(headers.get('content-type', ''), response.text)
    if status >= 500:
        cls: type[HttpError] = ServerError
    elif status == 404 and not is_fault(response.text):
        cls = ApiNotFound
    else:
        cls = _BY_STATUS.get(status, HttpError)
    if not message:
        message = cls.message if cls is not HttpError else f'{method} {url} failed'
    if hint is None:
        return cls(message, http_status=status, request_id=request_id, method=method, url=url)
    sentence = message if message.endswith(('.', '!', '?')) else message + '.'
    return cls(sentence + ' ', http_status=status, request_id=request_id, method=method,
               url=url, hint=hint, hint_args=hint_args, then='.')
