"""Validate compute callers' tokens at an external Keystone, as keystonemiddleware does.

``pci-fake-server --keystone-url`` puts this in place of the built-in identity:
each ``X-Auth-Token`` is checked with ``GET /v3/auth/tokens`` under the
server's own service token, and the token document becomes the same
:class:`RequestContext` the built-in identity produces (user, project, role
names), so ``policy.py`` applies unchanged. Only project-scoped tokens are
accepted: the compute API needs a project, and a context without one would
mean "every project" (the no-auth admin).

The service token is fetched on first use, renewed shortly before it expires
and again when Keystone stops accepting it (401, e.g. after a restart with new
keys). A Keystone that cannot be asked raises :class:`IdentityUnavailable`
(the middleware answers 503); a token it does not know gives None (401).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pciclient.fakeserver.identity.external.cache import ValidationCache
from pciclient.fakeserver.identity.external.client import (
    IssuedToken,
    KeystoneClient,
    ServiceCredentials,
    ServiceTokenRejected,
    parse_keystone_time,
)
from pciclient.fakeserver.identity.tokens import fingerprint
from pciclient.fakeserver.identity.validation import IdentityUnavailable
from pciclient.fakeserver.wsgi.context import RequestContext

__all__ = ['KeystoneValidator', 'ServiceToken', 'context_from_token']

LOG = logging.getLogger('pciclient.fakeserver.keystone')

# Keystone's tokens are a few hundred ASCII characters; anything else is refused unasked.
_MAX_TOKEN_LENGTH = 8192
# Renew the service token when this much of its life (at most _RENEW_MARGIN s) remains.
_RENEW_FRACTION = 0.25
_RENEW_MARGIN = 60.0


class ServiceToken:
    """The compute service's own token: fetched lazily, renewed before expiry or on rejection.

    keystoneauth's plugin (``client.service_login``) does the logging in and
    holds the token; this decides when to renew it (by ``clock``, so tests can
    move time) and makes threads waiting for a failed login share its failure.
    """

    def __init__(self, client: KeystoneClient, credentials: ServiceCredentials,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.credentials = credentials
        self.login = client.service_login(credentials)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: IssuedToken | None = None
        self._renew_at = 0.0
        self._failure: tuple[float, IdentityUnavailable] | None = None

    def get(self) -> str:
        """A token Keystone should accept now; one thread renews it while the others wait.

        Threads that waited while the renewal failed get that failure at once
        rather than each trying (and timing out) in turn.
        """
        waiting_since = time.monotonic()
        with self._lock:
            if self._failure is not None and self._failure[0] >= waiting_since:
                raise IdentityUnavailable(str(self._failure[1]))
            self._sync()
            if self._token is None or self._clock() >= self._renew_at:
                self._token = None
                try:
                    token = self.client.issue(self.login)
                except IdentityUnavailable as failure:
                    self._failure = (time.monotonic(), failure)
                    raise
                self._failure = None
                self._adopt(token)
            assert self._token is not None
            return self._token.id

    def sync(self) -> None:
        """Take notice of a token keystoneauth got by itself (after Keystone refused ours)."""
        with self._lock:
            self._sync()

    def invalidate(self, token_id: str) -> None:
        """Forget ``token_id`` (unless another thread already replaced it)."""
        with self._lock:
            self._sync()
            if self._token is not None and self._token.id == token_id:
                LOG.info('the identity service no longer accepts service token %s',
                         fingerprint(token_id))
                self._token = None
                self.login.plugin.invalidate()

    def _sync(self) -> None:
        held = self.client.current(self.login)
        if held is None:
            self._token = None
        elif self._token is None or held.id != self._token.id:
            if self._token is not None:
                LOG.info('the identity service no longer accepts service token %s',
                         fingerprint(self._token.id))
            self._adopt(held)

    def _adopt(self, token: IssuedToken) -> None:
        issued_at = self._clock()
        margin = min(_RENEW_MARGIN, (token.expires_at - issued_at) * _RENEW_FRACTION)
        self._token, self._renew_at = token, token.expires_at - margin
        LOG.info('got a service token %s from %s for user %r, renewing it in %.0f s',
                 fingerprint(token.id), self.client.root, self.credentials.username,
                 max(0.0, self._renew_at - issued_at))


def context_from_token(document: Mapping[str, Any]) -> tuple[RequestContext, float] | None:
    """The caller and the token's expiry from a Keystone token document; None unless
    project-scoped. Role names are lower-cased, as oslo.policy compares them."""
    user, project = document.get('user'), document.get('project')
    if not (isinstance(user, Mapping) and isinstance(project, Mapping)):
        return None
    user_id, project_id = user.get('id'), project.get('id')
    if not (isinstance(user_id, str) and user_id and isinstance(project_id, str) and project_id):
        return None
    try:
        expires_at = parse_keystone_time(document.get('expires_at'))
    except ValueError:
        return None
    roles = document.get('roles')
    names = tuple(role['name'].lower() for role in roles or ()
                  if isinstance(role, Mapping) and isinstance(role.get('name'), str))
    return RequestContext(user_id=user_id, project_id=project_id, roles=names), expires_at


class KeystoneValidator:
    """A :class:`~pciclient.fakeserver.identity.validation.TokenValidator` backed by a real
    Keystone."""

    def __init__(self, client: KeystoneClient, credentials: ServiceCredentials,
                 cache_ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.service_token = ServiceToken(client, credentials, clock)
        self.cache = ValidationCache(cache_ttl, clock)
        self._clock = clock

    @property
    def identity_url(self) -> str:
        """Where clients get tokens (for ``WWW-Authenticate``)."""
        return self.client.root

    def validate(self, token_id: str) -> RequestContext | None:
        if not token_id or len(token_id) > _MAX_TOKEN_LENGTH or not token_id.isascii() \
                or not token_id.isprintable():
            return None
        cached = self.cache.get(token_id)
        if cached is not None:
            return cached
        document = self._ask(token_id)
        if document is None:
            LOG.info('the identity service does not know token %s (invalid, expired or '
                     'revoked)', fingerprint(token_id))
            return None
        found = context_from_token(document)
        if found is None:
            LOG.info('token %s is not scoped to a project; this compute API needs one',
                     fingerprint(token_id))
            return None
        context, expires_at = found
        if expires_at <= self._clock():
            return None
        self.cache.put(token_id, context, expires_at)
        return context

    def _ask(self, token_id: str) -> dict[str, Any] | None:
        """Keystone's document for ``token_id``; keystoneauth logs in again once on a 401."""
        service_token = self.service_token.get()
        try:
            return self.client.validate(self.service_token.login, token_id)
        except ServiceTokenRejected:  # even the token issued after the 401: forget it too
            held = self.client.current(self.service_token.login)
            self.service_token.invalidate(held.id if held else service_token)
            raise IdentityUnavailable(
                f'The identity service at {self.client.root} rejects the service token it has '
                'just issued to this compute service, so it cannot check tokens.') from None
        finally:
            self.service_token.sync()
