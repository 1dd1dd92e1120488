"""The two calls the fake compute server makes to an external Keystone, over plain HTTP.

``POST /v3/auth/tokens`` gets the server its own (service) token, ``GET
/v3/auth/tokens`` with ``X-Subject-Token`` validates a caller's token, as
keystonemiddleware does in front of Nova. Only the standard library is used
(``http.client``): the server stays import-light, follows no redirects, goes
through no proxy (it is a local test tool talking to a Keystone it can reach)
and every call has a socket timeout, so an unreachable or silent Keystone costs
one bounded wait and becomes :class:`IdentityUnavailable`, never a hang.
Passwords and tokens are never put into messages or logs.
"""
from __future__ import annotations

import datetime
import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pciclient.fakeserver.identity.validation import IdentityUnavailable

__all__ = ['DEFAULT_TIMEOUT', 'KeystoneClient', 'ServiceCredentials', 'ServiceTokenRejected',
           'IssuedToken', 'keystone_root', 'parse_keystone_time']

DEFAULT_TIMEOUT = 5.0
# A token document without its catalog is a few kilobytes; anything far larger is not one.
_MAX_BODY = 1024 * 1024
_TOKENS = '/v3/auth/tokens'


class ServiceTokenRejected(Exception):
    """Keystone refused the service token itself (401): get a new one and ask again."""


@dataclass(frozen=True)
class ServiceCredentials:
    """Who the compute server is to Keystone: a user with a role that may validate tokens."""

    username: str
    password: str
    project: str = 'admin'
    domain: str = 'Default'

    def __repr__(self) -> str:  # the password stays out of every repr and log line
        return (f'ServiceCredentials(username={self.username!r}, project={self.project!r}, '
                f'domain={self.domain!r})')


@dataclass(frozen=True)
class IssuedToken:
    id: str
    expires_at: float  # seconds since the epoch

    def __repr__(self) -> str:
        return f'IssuedToken(expires_at={self.expires_at!r})'


def keystone_root(url: str) -> str:
    """``http://h:5000/v3/`` → ``http://h:5000``: operators pass either form, as for clients."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError(f'not an http(s) URL: {url!r}')
    if parts.query or parts.fragment:
        raise ValueError(f'a Keystone URL has no query or fragment: {url!r}')
    path = parts.path.rstrip('/')
    if path.endswith('/v3'):
        path = path[:-len('/v3')]
    return f'{parts.scheme}://{parts.netloc}{path}'


def parse_keystone_time(text: Any) -> float:
    """Keystone's ``2026-11-25T16:41:03.000000Z`` as epoch seconds; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f'not a timestamp: {text!r}')
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:  # Keystone means UTC even where it omits the Z
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _reason(error: BaseException) -> str:
    """A short, secret-free cause: 'connection refused', 'no answer in 5 s', …"""
    if isinstance(error, (socket.timeout, TimeoutError)):
        return 'no answer in time'
    if isinstance(error, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(error, socket.gaierror):
        return f'unknown host ({error.strerror or error})'
    if isinstance(error, ssl.SSLError):
        return f'TLS error ({error.reason or error})'
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return error.__class__.__name__


class KeystoneClient:
    """Issue the service token and validate tokens at one Keystone (``url`` in either form)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.root = keystone_root(url)
        self.timeout = timeout
        parts = urlsplit(self.root)
        self._https = parts.scheme == 'https'
        self._host = parts.hostname or ''
        self._port = parts.port
        self._tokens_path = parts.path + _TOKENS

    def _request(self, method: str, headers: dict[str, str], body: bytes | None = None,
                 query: str = '') -> tuple[int, dict[str, str], bytes]:
        """One HTTP exchange within ``timeout`` per socket operation; IdentityUnavailable if none."""
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout,
                context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        path = self._tokens_path + (f'?{query}' if query else '')
        try:
            connection.request(method, path, body=body, headers={
                'Accept': 'application/json', 'User-Agent': 'pci-fake-server', **headers})
            response = connection.getresponse()
            payload = response.read(_MAX_BODY + 1)
            answer_headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, answer_headers, payload
        except (OSError, http.client.HTTPException) as error:
            raise IdentityUnavailable(
                f'The identity service at {self.root} is unreachable ({_reason(error)}), so '
                'this compute API cannot check tokens; try again later.') from None
        finally:
            connection.close()

    def _unavailable(self, what: str, status: int) -> IdentityUnavailable:
        return IdentityUnavailable(
            f'The identity service at {self.root} answered HTTP {status} when {what}, so this '
            'compute API cannot check tokens; try again later.')

    def issue(self, credentials: ServiceCredentials) -> IssuedToken:
        """A project-scoped token for the service user (without catalog: it is not needed)."""
        domain = {'name': credentials.domain}
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': credentials.username, 'domain': domain,
                'password': credentials.password}}},
            'scope': {'project': {'name': credentials.project, 'domain': domain}},
        }}
        status, headers, payload = self._request(
            'POST', {'Content-Type': 'application/json'}, json.dumps(body).encode('utf-8'),
            query='nocatalog')
        if status in (401, 403):
            raise IdentityUnavailable(
                f'The identity service at {self.root} refused this compute service\'s own '
                f'credentials (user {credentials.username!r}, project {credentials.project!r}, '
                f'domain {credentials.domain!r}), so it cannot check tokens.')
        if status != 201:
            raise self._unavailable('asked for the compute service\'s token', status)
        token_id = headers.get('x-subject-token', '')
        document = _token_document(payload)
        try:
            expires_at = parse_keystone_time(document['expires_at']) if document else None
        except (KeyError, ValueError):
            expires_at = None
        if not token_id or expires_at is None:
            raise IdentityUnavailable(
                f'The identity service at {self.root} issued no usable token to this compute '
                'service (no X-Subject-Token or expiry).')
        return IssuedToken(token_id, expires_at)

    def validate(self, service_token: str, subject: str) -> dict[str, Any] | None:
        """The ``token`` document of ``subject``, or None when Keystone does not know it (404).

        Raises :class:`ServiceTokenRejected` on 401 (our token expired or was
        revoked) and :class:`IdentityUnavailable` on anything else unexpected.
        """
        status, _, payload = self._request(
            'GET', {'X-Auth-Token': service_token, 'X-Subject-Token': subject},
            query='nocatalog')
        if status == 404:
            return None
        if status == 401:
            raise ServiceTokenRejected()
        if status == 403:
            raise IdentityUnavailable(
                f'The identity service at {self.root} does not let this compute service '
                'validate tokens (HTTP 403: its user needs the admin or service role).')
        if status != 200:
            raise self._unavailable('asked to validate a token', status)
        document = _token_document(payload)
        if document is None:
            raise IdentityUnavailable(
                f'The identity service at {self.root} answered a token validation with '
                'something that is not a token document.')
        return document


def _token_document(payload: bytes) -> dict[str, Any] | None:
    if len(payload) > _MAX_BODY:
        return None
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    token = body.get('token') if isinstance(body, dict) else None
    return token if isinstance(token, dict) else None
