"""A Keystone v3 subset: version discovery and project-scoped tokens, as a WSGI app.

Enough for keystoneauth's ``password`` and ``token`` plugins (and so for
``pci-cli``, ``openstack`` and ``nova``) to log in to the fake cloud:

- ``GET /`` (300, the version list) and ``GET /v3`` (the v3 document);
- ``POST /v3/auth/tokens`` with the ``password`` or ``token`` method and a
  project scope (by id, or by name and domain): 201, the token id in
  ``X-Subject-Token``, the token with its catalog in the body;
- ``GET``/``HEAD /v3/auth/tokens``: validate the ``X-Subject-Token`` (200/404),
  for its own user or an admin presenting ``X-Auth-Token``.

Paths are relative to where the dispatcher mounts the app (``/identity``).
Every failure to authenticate is the same 401, whatever was wrong, as in
Keystone, a locked account (``security_compliance`` in a scenario) included.
Passwords and tokens never reach the log (token fingerprints do).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pciclient.fakeserver.identity.accounts import Project, User
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.documents import (
    ServiceUrls,
    token_document,
    version_document,
    versions_document,
)
from pciclient.fakeserver.identity.errors import IdentityError, internal_error, unauthorized
from pciclient.fakeserver.identity.tokens import Token, TokenStore, fingerprint, keystone_time
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import StartResponse, respond_json
from pciclient.fakeserver.wsgi.routes import (
    MethodNotAllowed,
    NoRoute,
    Route,
    RouteTable,
    read_routes,
)

__all__ = ['IdentityApp', 'MAX_BODY_BYTES']

LOG = logging.getLogger('pciclient.fakeserver.identity.app')

# Keystone's default max_request_body_size.
MAX_BODY_BYTES = 114688
_VALIDATE_TOKEN = 'identity:validate_token'
_SUPPORTED_METHODS = ('password', 'token')


class _AuthFailed(Exception):
    """Why a login was refused: logged for the operator, never sent to the client."""


def _bad_request(message: str) -> IdentityError:
    return IdentityError(400, 'Bad Request', message)


def _not_found(message: str = 'The resource could not be found.') -> IdentityError:
    return IdentityError(404, 'Not Found', message)


def _method_not_allowed(allowed: str) -> IdentityError:
    return IdentityError(405, 'Method Not Allowed',
                         'The method is not allowed for the requested URL.',
                         (('Allow', allowed),))


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    """Keystone validates the request schema first and answers 400 naming the field."""
    if not isinstance(value, Mapping):
        raise _bad_request(f"Invalid input for field '{where}': expected an object.")
    return value


class IdentityApp:
    """WSGI app issuing and validating tokens for the accounts of one :class:`Directory`."""

    def __init__(self, directory: Directory, tokens: TokenStore,
                 compute_path: str = '/v2.1', placement_path: str = '/placement',
                 network_path: str | None = None) -> None:
        self.directory = directory
        self.tokens = tokens
        self.compute_path = compute_path
        self.placement_path = placement_path
        self.network_path = network_path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        try:
            status, body, headers = self._answer(request, environ)
        except IdentityError as error:
            status, body, headers = error.status, error.body(), error.headers
        except Exception:  # a bug must cost one request, never the server
            LOG.exception('unhandled error serving %s %s', request.method, request.path)
            fault = internal_error()
            status, body, headers = fault.status, fault.body(), ()
        return respond_json(start_response, status, body, (('Vary', 'X-Auth-Token'), *headers),
                            request.method, request.request_id)

    # Routing: the rows of ROUTES, below

    def _answer(self, request: Request, environ: Mapping[str, Any]) -> Answer:
        try:
            found = ROUTES.match(request.path, request.method)
        except NoRoute:
            raise _not_found() from None
        except MethodNotAllowed as wrong:
            raise _method_not_allowed(', '.join(wrong.allowed)) from None
        return found.route.handler(self, request, environ)

    def versions(self, request: Request, environ: Mapping[str, Any]) -> Answer:
        return '300 Multiple Choices', versions_document(request.url_for('/v3')), ()

    def version(self, request: Request, environ: Mapping[str, Any]) -> Answer:
        return '200 OK', version_document(request.url_for('/v3')), ()

    # POST /v3/auth/tokens

    def issue(self, request: Request, environ: Mapping[str, Any]) -> Answer:
        auth = _mapping(_read_json(environ).get('auth'), 'auth')
        identity = _mapping(auth.get('identity'), 'identity')
        methods = identity.get('methods')
        if (not isinstance(methods, list) or not methods
                or not all(isinstance(m, str) for m in methods)):
            raise _bad_request("Invalid input for field 'identity/methods': "
                               'expected a non-empty list of method names.')
        try:
            token = self._authenticate(tuple(methods), identity, auth.get('scope'))
        except _AuthFailed as failure:
            LOG.info('authentication refused (%s): %s', ', '.join(map(repr, methods)), failure)
            raise unauthorized(self._identity_url(request)) from None
        LOG.info('issued token %s by %s to user %r in project %r, expires %s',
                 fingerprint(token.id), '+'.join(token.methods), token.user_name,
                 token.project.name, keystone_time(token.expires_at))
        body = token_document(token, self._urls(request), with_catalog=not _no_catalog(request))
        return '201 Created', body, (('X-Subject-Token', token.id),)

    def _authenticate(self, methods: tuple[str, ...], identity: Mapping[str, Any],
                      scope: Any) -> Token:
        if len(methods) != 1 or methods[0] not in _SUPPORTED_METHODS:
            raise _AuthFailed('unsupported method; this identity service knows password '
                              'or token, one at a time')
        method = methods[0]
        parent: Token | None = None
        if method == 'password':
            user = self._password_user(_mapping(identity.get('password'), 'password'))
        else:
            parent = self._parent_token(_mapping(identity.get('token'), 'token'))
            user = parent.user
        project = self._scoped_project(user, scope)
        return self.tokens.issue(user, project, (method,), parent=parent)

    def _password_user(self, password: Mapping[str, Any]) -> User:
        user_ref = _mapping(password.get('user'), 'password/user')
        secret = user_ref.get('password')
        if not isinstance(secret, str):
            raise _bad_request("Invalid input for field 'password/user/password': "
                               'expected a string.')
        if 'id' not in user_ref and 'domain' not in user_ref:
            raise _bad_request('Expecting to find domain in user. The server could not comply '
                               'with the request since it is either malformed or otherwise '
                               'incorrect. The client is assumed to be in error.')
        user = self.directory.find_user(user_ref)
        if user is None:
            raise _AuthFailed(f'no such user {_describe(user_ref)}')
        lockouts = self.directory.lockouts
        until = lockouts.locked_until(user.id)
        if until is not None:  # checked first, as Keystone does: no guess counts meanwhile
            raise _AuthFailed(f'user {user.name!r} is locked out until {keystone_time(until)}')
        if not self.directory.password_matches(user, secret):
            if lockouts.failed(user.id):
                LOG.warning('user %r locked out after %d failed logins', user.name,
                            lockouts.policy.failure_attempts if lockouts.policy else 0)
            raise _AuthFailed(f'wrong password for user {user.name!r}')
        lockouts.succeeded(user.id)
        return user

    def _parent_token(self, token_ref: Mapping[str, Any]) -> Token:
        token_id = token_ref.get('id')
        if not isinstance(token_id, str):
            raise _bad_request("Invalid input for field 'token/id': expected a string.")
        parent = self.tokens.get(token_id)
        if parent is None:
            raise _AuthFailed(f'token {fingerprint(token_id)} is unknown or expired')
        return parent

    def _scoped_project(self, user: User, scope: Any) -> Project:
        if scope is None or scope == 'unscoped':
            raise _AuthFailed(f'user {user.name!r} asked for an unscoped token; '
                              'this identity service issues project-scoped tokens only')
        scope = _mapping(scope, 'scope')
        if 'project' not in scope:
            raise _AuthFailed(f'user {user.name!r} asked for a scope other than a project '
                              f'({", ".join(sorted(map(str, scope)))})')
        project_ref = _mapping(scope['project'], 'scope/project')
        project = self.directory.find_project(project_ref)
        if project is None:
            raise _AuthFailed(f'no such project {_describe(project_ref)}')
        if project != self.directory.home_project(user):
            raise _AuthFailed(f'user {user.name!r} has no role on project {project.name!r}')
        return project

    # GET/HEAD /v3/auth/tokens

    def validate(self, request: Request, environ: Mapping[str, Any]) -> Answer:
        caller = self.tokens.get(environ.get('HTTP_X_AUTH_TOKEN'))
        if caller is None:
            raise unauthorized(self._identity_url(request))
        subject_id = environ.get('HTTP_X_SUBJECT_TOKEN')
        if not subject_id:
            raise _bad_request('Expecting to find X-Subject-Token in the request headers.')
        subject = self.tokens.get(subject_id)
        if subject is None:
            raise _not_found('Could not find token.')
        if not ('admin' in caller.roles or caller.user.id == subject.user.id):
            raise IdentityError(403, 'Forbidden', 'You are not authorized to perform the '
                                f'requested action: {_VALIDATE_TOKEN}.')
        body = token_document(subject, self._urls(request), with_catalog=not _no_catalog(request))
        return '200 OK', body, (('X-Subject-Token', subject_id),)

    # URLs, as the client addressed us

    def _identity_url(self, request: Request) -> str:
        return request.url_for('')

    def _urls(self, request: Request) -> ServiceUrls:
        return ServiceUrls(compute=request.host_url + self.compute_path,
                           identity=request.url_for('/v3'),
                           placement=request.host_url + self.placement_path,
                           network=(request.host_url + self.network_path
                                    if self.network_path is not None else None))


def _no_catalog(request: Request) -> bool:
    """Keystone omits the catalog when ``nocatalog`` is in the query, whatever its value."""
    return request.has('nocatalog')


def _describe(ref: Mapping[str, Any]) -> str:
    """Name a user or project reference for the log (ids and names only, quoted)."""
    if 'id' in ref:
        return f"id {str(ref['id'])[:64]!r}"
    domain = ref.get('domain')
    domain_text = repr(dict(domain))[:80] if isinstance(domain, Mapping) else 'no domain'
    return f"{str(ref.get('name'))[:64]!r} in domain {domain_text}"


def _read_json(environ: Mapping[str, Any]) -> Mapping[str, Any]:
    """The request body as a JSON object; Keystone's 400/413 for anything else."""
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        raise _bad_request('Invalid Content-Length.') from None
    if length > MAX_BODY_BYTES:
        raise IdentityError(413, 'Request Entity Too Large', 'Request is too large.')
    raw = environ['wsgi.input'].read(length) if length > 0 else b''
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad_request('Malformed request body: expected a JSON object.') from None
    return _mapping(document, 'request body')


Answer = tuple[str, Any, tuple[tuple[str, str], ...]]
Handler = Callable[[IdentityApp, Request, Mapping[str, Any]], Answer]

# Keystone's routes, as this subset serves them: the version list and document are
# open; issuing a token is the login itself; validating one is a policy of its own
# (an admin, or the token's own user, as the check in ``validate`` decides).
ROUTES: RouteTable[Handler] = RouteTable([
    *read_routes('/', IdentityApp.versions, None),
    *read_routes('/v3', IdentityApp.version, None),
    *read_routes('/v3/auth/tokens', IdentityApp.validate, _VALIDATE_TOKEN),
    Route('/v3/auth/tokens', 'POST', IdentityApp.issue, None),
], trailing_slash=True)
