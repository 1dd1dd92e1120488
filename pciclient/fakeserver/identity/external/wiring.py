"""``pci-fake-server --keystone-url``: the compute API behind a real Keystone.

The options, their checks and the wiring live here so that ``cli.py`` stays
about running a server. With an external Keystone the built-in ``/identity``
is not served and a scenario's users are ignored (Keystone owns the users);
its projects still matter, because servers belong to project ids: give the
scenario the ids of projects that exist in that Keystone.
"""
from __future__ import annotations

import argparse
import logging
import os

from pciclient.fakeserver.identity.external.cache import DEFAULT_CACHE_TTL
from pciclient.fakeserver.identity.external.client import (
    DEFAULT_TIMEOUT,
    KeystoneClient,
    ServiceCredentials,
    keystone_root,
)
from pciclient.fakeserver.identity.external.validator import KeystoneValidator
from pciclient.fakeserver.identity.validation import IdentityUnavailable

__all__ = ['KEYSTONE_PASSWORD_ENV', 'add_arguments', 'check_arguments', 'keystone_validator',
           'log_service_token']

LOG = logging.getLogger('pciclient.fakeserver')
KEYSTONE_PASSWORD_ENV = 'PCI_FAKE_KEYSTONE_ADMIN_PASSWORD'


def _url(text: str) -> str:
    try:
        keystone_root(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _seconds(text: str, *, zero_ok: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}') from None
    if not (0 <= value if zero_ok else 0 < value) or value == float('inf'):
        kind = '0 or more' if zero_ok else 'a positive number of'
        raise argparse.ArgumentTypeError(f'must be {kind} seconds: {text!r}')
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``external identity`` option group."""
    group = parser.add_argument_group(
        'external identity',
        'validate tokens at a real Keystone instead of serving /identity')
    group.add_argument('--keystone-url', type=_url, metavar='URL',
                       help='Keystone to validate X-Auth-Token at (http://HOST:5000 or '
                            '…/v3), as keystonemiddleware does for Nova')
    group.add_argument('--keystone-admin-user', default='admin', metavar='NAME',
                       help='user this server authenticates as to validate tokens; needs the '
                            'admin or service role (default: %(default)s)')
    group.add_argument('--keystone-admin-password', default=None, metavar='PASSWORD',
                       help=f'its password (default: ${KEYSTONE_PASSWORD_ENV}; prefer the '
                            'variable, as other local users can read command lines)')
    group.add_argument('--keystone-admin-project', default='admin', metavar='NAME',
                       help='project of its token (default: %(default)s)')
    group.add_argument('--keystone-admin-domain', default='Default', metavar='NAME',
                       help='domain of that user and project (default: %(default)s)')
    group.add_argument('--keystone-timeout', type=lambda t: _seconds(t, zero_ok=False),
                       default=DEFAULT_TIMEOUT, metavar='SECONDS',
                       help='give up on a Keystone call after this long and answer 503 '
                            '(default: %(default)g)')
    group.add_argument('--token-cache-ttl', type=lambda t: _seconds(t, zero_ok=True),
                       default=DEFAULT_CACHE_TTL, metavar='SECONDS',
                       help='reuse a validation this long, never past the token\'s expiry; '
                            '0 asks Keystone on every request, so revocation is seen at once '
                            '(default: %(default)g)')


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for combinations that cannot mean what the operator wants."""
    if not args.keystone_url:
        return
    if args.noauth:
        parser.error('--noauth and --keystone-url contradict each other: choose one')
    if args.admin_password:
        parser.error('--admin-password sets the built-in identity\'s admin; with '
                     '--keystone-url give --keystone-admin-password')
    args.keystone_admin_password = (args.keystone_admin_password
                                    or os.environ.get(KEYSTONE_PASSWORD_ENV))
    if not args.keystone_admin_password:
        parser.error(f'--keystone-url needs the password of --keystone-admin-user: '
                     f'--keystone-admin-password or ${KEYSTONE_PASSWORD_ENV}')


def keystone_validator(args: argparse.Namespace) -> KeystoneValidator:
    """What checks callers' tokens at ``--keystone-url``, logged in as the options say."""
    client = KeystoneClient(args.keystone_url, timeout=args.keystone_timeout)
    credentials = ServiceCredentials(args.keystone_admin_user, args.keystone_admin_password,
                                     args.keystone_admin_project, args.keystone_admin_domain)
    return KeystoneValidator(client, credentials, cache_ttl=args.token_cache_ttl)


def log_service_token(validator: KeystoneValidator, args: argparse.Namespace) -> None:
    """Tell the operator now, not at the first request, whether Keystone accepts us.

    A failure is only a warning: the server keeps serving (503 until Keystone
    answers), as a compute API does while its identity service is down.
    """
    cache = (f'validations cached {args.token_cache_ttl:g} s' if args.token_cache_ttl
             else 'no validation cache')
    LOG.info('tokens are validated at %s (%s); /identity is not served',
             validator.identity_url, cache)
    try:
        validator.service_token.get()
    except IdentityUnavailable as problem:
        LOG.warning('%s Compute requests get 503 until that is fixed.', problem)
