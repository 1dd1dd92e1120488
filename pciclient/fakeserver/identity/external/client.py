"""The two calls the fake compute server makes to an external Keystone, over keystoneauth.

``POST /v3/auth/tokens`` gets the server its own (service) token, ``GET
/v3/auth/tokens`` with ``X-Subject-Token`` validates a caller's token, as
keystonemiddleware does in front of Nova, and with the same library: a
keystoneauth ``Session`` with a ``v3.Password`` plugin, which builds the login,
reads the token, sends it as ``X-Auth-Token`` and logs in again once when
Keystone answers 401 to it. keystoneauth is imported only when a
:class:`KeystoneClient` is first used (``--keystone-url``), so the server's
start-up and ``pci-cli --local`` do not pay for it.

Deliberately: no proxy or ``.netrc`` from the environment (a local test tool
talking to a Keystone it can reach), no redirect followed (the password and
the tokens never go to another host), and a timeout on every socket operation,
so an unreachable or silent Keystone costs one bounded wait and becomes
:class:`IdentityUnavailable`, never a hang. Passwords and tokens are never put
into messages or logs.
"""
from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pciclient.fakeserver.identity.validation import IdentityUnavailable

if TYPE_CHECKING:  # imported for real only on first use: see KeystoneClient.session
    from keystoneauth1.identity.v3 import Password
    from keystoneauth1.session import Session

__all__ = ['DEFAULT_TIMEOUT', 'KeystoneClient', 'ServiceCredentials', 'ServiceLogin',
           'ServiceTokenRejected', 'IssuedToken', 'keystone_root', 'parse_keystone_time']

DEFAULT_TIMEOUT = 5.0
# A token document without its catalog is a few kilobytes; anything far larger is not one.
_MAX_BODY = 1024 * 1024
_TOKENS = '/v3/auth/tokens'
# Connections kept to Keystone: one per cheroot worker thread that may be validating.
_POOL_SIZE = 32


def _system_cas() -> str | bool:
    """The system's CA certificates, as Python's own TLS trusts them (requests would
    otherwise trust only its bundled list, and a Keystone with a site CA would fail)."""
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.capath):
        if path and Path(path).exists():
            return path
    return True


class ServiceTokenRejected(Exception):
    """Keystone refused the service token, even the one issued again after its first 401."""


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
class ServiceLogin:
    """The credentials and the keystoneauth plugin that logs in with them (and holds the token)."""

    credentials: ServiceCredentials
    plugin: Password = field(repr=False)


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
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _socket_reason(error: BaseException) -> str | None:
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
    return None


def _reason(error: BaseException) -> str:
    """A short, secret-free cause: 'connection refused', 'no answer in time', …

    keystoneauth wraps requests' exception, which wraps urllib3's, which wraps
    the socket's: the cause is the socket error at the bottom of that chain.
    """
    from keystoneauth1 import exceptions

    if isinstance(error, exceptions.ConnectTimeout):  # requests' connect and read timeouts
        return 'no answer in time'
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        reason = _socket_reason(cause)
        if reason:
            return reason
        cause = cause.__cause__ or cause.__context__ or getattr(cause, 'reason', None)
        if not isinstance(cause, BaseException):
            cause = None
    if isinstance(error, exceptions.SSLError):
        return 'TLS error'
    return error.__class__.__name__


class KeystoneClient:
    """Issue the service token and validate tokens at one Keystone (``url`` in either form)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.root = keystone_root(url)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The keystoneauth Session every call goes through (built, and imported, on first use)."""
        with self._lock:
            if self._session is None:
                import requests
                from keystoneauth1 import session

                transport = requests.Session()
                transport.trust_env = False  # no proxy, .netrc or CA bundle from the environment
                adapter = requests.adapters.HTTPAdapter(pool_maxsize=_POOL_SIZE)
                for scheme in ('http://', 'https://'):
                    transport.mount(scheme, adapter)
                # redirect=False: a 3xx is an answer, never followed with the password or a
                # token (keystoneauth would resend the same headers to any Location).
                self._session = session.Session(session=transport, timeout=self.timeout,
                                                redirect=False, user_agent='pci-fake-server',
                                                verify=_system_cas())
            return self._session

    def service_login(self, credentials: ServiceCredentials) -> ServiceLogin:
        """A plugin that logs in as ``credentials``, project-scoped, without the catalog.

        It never renews the token by itself (``reauthenticate=False``): the
        caller decides when (:meth:`issue`), and the session logs in again only
        when Keystone refuses the token (401).
        """
        from keystoneauth1.identity import v3

        plugin = v3.Password(
            auth_url=self.root + '/v3', username=credentials.username,
            password=credentials.password, user_domain_name=credentials.domain,
            project_name=credentials.project, project_domain_name=credentials.domain,
            include_catalog=False, reauthenticate=False)
        return ServiceLogin(credentials, plugin)

    def _unreachable(self, error: BaseException) -> IdentityUnavailable:
        return IdentityUnavailable(
            f'The identity service at {self.root} is unreachable ({_reason(error)}), so '
            'this compute API cannot check tokens; try again later.')

    def _unavailable(self, what: str, status: int) -> IdentityUnavailable:
        return IdentityUnavailable(
            f'The identity service at {self.root} answered HTTP {status} when {what}, so this '
            'compute API cannot check tokens; try again later.')

    def _login_failure(self, login: ServiceLogin, error: Exception) -> IdentityUnavailable:
        """What a failed ``POST /v3/auth/tokens`` (keystoneauth's exception) means here."""
        from keystoneauth1 import exceptions

        credentials = login.credentials
        if isinstance(error, exceptions.HttpError) and error.http_status in (401, 403):
            return IdentityUnavailable(
                f'The identity service at {self.root} refused this compute service\'s own '
                f'credentials (user {credentials.username!r}, project {credentials.project!r}, '
                f'domain {credentials.domain!r}), so it cannot check tokens.')
        if isinstance(error, exceptions.HttpError):
            return self._unavailable('asked for the compute service\'s token', error.http_status)
        if isinstance(error, exceptions.InvalidResponse):  # not a token document: a 3xx, …
            status = getattr(error.response, 'status_code', 0)
            if status != 201:
                return self._unavailable('asked for the compute service\'s token', status)
        elif isinstance(error, exceptions.ConnectionError):
            return self._unreachable(error)
        return IdentityUnavailable(
            f'The identity service at {self.root} issued no usable token to this compute '
            'service (no X-Subject-Token or expiry).')

    def _access(self, login: ServiceLogin) -> IssuedToken:
        """The plugin's token, logging in if it has none; IdentityUnavailable if it cannot."""
        from keystoneauth1 import exceptions

        try:
            access = login.plugin.get_access(self.session)
            token_id, expires = access.auth_token, access.expires
        except (exceptions.ClientException, KeyError, TypeError, ValueError) as error:
            # KeyError: a 201 without X-Subject-Token or expires_at; Type/ValueError: a bad date.
            login.plugin.invalidate()
            raise self._login_failure(login, error) from None
        if not token_id or expires is None:
            login.plugin.invalidate()
            raise self._login_failure(login, KeyError('X-Subject-Token' if not token_id
                                                      else 'expires_at'))
        return IssuedToken(token_id, expires.timestamp())

    def issue(self, login: ServiceLogin) -> IssuedToken:
        """A new project-scoped token for the service user, now (the old one is forgotten)."""
        login.plugin.invalidate()
        return self._access(login)

    def current(self, login: ServiceLogin) -> IssuedToken | None:
        """The token the plugin holds now (perhaps re-issued after a 401), without asking."""
        access = login.plugin.auth_ref
        if access is None or not access.auth_token or access.expires is None:
            return None
        try:
            return IssuedToken(access.auth_token, access.expires.timestamp())
        except (KeyError, TypeError, ValueError):
            return None

    def validate(self, login: ServiceLogin, subject: str) -> dict[str, Any] | None:
        """The ``token`` document of ``subject``, or None when Keystone does not know it (404).

        Sent under the plugin's token; on a 401 keystoneauth logs in once more
        and asks again. Raises :class:`ServiceTokenRejected` if that is refused
        too, and :class:`IdentityUnavailable` on anything else unexpected.
        """
        from keystoneauth1 import exceptions
        from urllib3.exceptions import HTTPError as BrokenBody

        try:
            response = self.session.get(
                self.root + _TOKENS + '?nocatalog', auth=login.plugin, authenticated=True,
                headers={'X-Subject-Token': subject, 'Accept': 'application/json'},
                raise_exc=False, log=False, stream=True)
            try:
                status = response.status_code
                payload = response.raw.read(_MAX_BODY + 1, decode_content=True) \
                    if status == 200 else b''
            finally:
                response.close()
        except exceptions.ConnectionError as error:
            raise self._unreachable(error) from None
        except (exceptions.ClientException, KeyError, TypeError, ValueError) as error:
            # The new login after a 401 failed (as in _access).
            login.plugin.invalidate()
            raise self._login_failure(login, error) from None
        except (OSError, BrokenBody) as error:  # the body broke off or stalled while being read
            raise self._unreachable(error) from None
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
