"""Global ``pci-cli`` options: keystoneauth's own argument helpers, plus ours.

Every auth plugin a user is likely to name gets its options registered up
front (not only the chosen one's, as keystoneauth's helper does), so ``--help``
lists them all and the auth type can be inferred from what was given.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

from keystoneauth1 import loading

from pciclient.commands import pci_source

#: Plugins whose options ``pci-cli`` offers; any other keystoneauth plugin
#: still works through --os-auth-type, with these options.
AUTH_PLUGINS = ('password', 'token', 'v3applicationcredential', 'admin_token', 'none')


def _plugin_loaders() -> list[Any]:
    """The loaders of AUTH_PLUGINS, imported directly: asking stevedore by name scans
    every installed distribution's entry points, the biggest cost of starting pci-cli."""
    try:
        from keystoneauth1.loading._plugins import admin_token, noauth
        from keystoneauth1.loading._plugins.identity import generic, v3
        return [generic.Password(), generic.Token(), v3.ApplicationCredential(),
                admin_token.AdminToken(), noauth.NoAuth()]
    except (ImportError, AttributeError):  # a keystoneauth that moved them
        return [loading.get_plugin_loader(name) for name in AUTH_PLUGINS]


def plugin_loader(name: str) -> Any:
    """The loader of auth type ``name``: ours directly, any other through keystoneauth."""
    if name in AUTH_PLUGINS:
        return _plugin_loaders()[AUTH_PLUGINS.index(name)]
    return loading.get_plugin_loader(name)


def register(parser: argparse.ArgumentParser) -> None:
    """Add the auth, session, adapter and ``pci-cli`` options to ``parser``."""
    cloud = parser.add_argument_group('Cloud selection')
    cloud.add_argument('--os-cloud', metavar='<name>', default=os.environ.get('OS_CLOUD'),
                       help='Cloud from clouds.yaml to use (env OS_CLOUD).')
    cloud.add_argument('--local', action='store_true',
                       help='Run against a fake cloud started inside pci-cli, serving the '
                            'PCI devices of this machine (no credentials needed).')
    cloud.add_argument('--local-sysfs-root', metavar='<dir>',
                       default=os.environ.get('PCI_CLI_SYSFS_ROOT'),
                       help='With --local: the directory that plays /sys '
                            '(env PCI_CLI_SYSFS_ROOT; default /sys).')

    auth = parser.add_argument_group(
        'Authentication', 'Credentials for Keystone, or --os-auth-type none with --os-endpoint.')
    auth.add_argument('--os-auth-type', '--os-auth-plugin', metavar='<name>',
                      default=os.environ.get('OS_AUTH_TYPE', os.environ.get('OS_AUTH_PLUGIN')),
                      help='Authentication type: password, token, v3applicationcredential, '
                           'admin_token, none, or any keystoneauth plugin (env OS_AUTH_TYPE; '
                           'default: none when only --os-endpoint is given, token when '
                           '--os-token is given, else password).')
    seen: set[str] = set()
    for loader in _plugin_loaders():
        for opt in loader.get_options():
            if opt.dest in seen:
                continue
            seen.add(opt.dest)
            flags = list(opt.argparse_args)
            flags += [flag.replace('_', '-') for flag in flags if '_' in flag]
            help_text = opt.help
            if opt.dest == 'endpoint':
                help_text = ('Compute endpoint URL: with --os-auth-type none, the whole cloud; '
                             'with Keystone auth, overrides the catalog (env OS_ENDPOINT).')
            auth.add_argument(*flags, default=opt.argparse_default, metavar=opt.metavar,
                              help=help_text, dest=f'os_{opt.dest}')

    loading.register_session_argparse_arguments(parser)
    parser.add_argument(
        '--os-retries', metavar='<n>', type=_retries,
        default=_retries(os.environ.get('OS_RETRIES', '0')),
        help='Retry each request up to N times, with exponential back-off, when the '
             'connection fails or the cloud answers 429, 500, 502, 503 or 504 (all of '
             "pci-cli's requests are idempotent GETs; env OS_RETRIES; default 0).")
    parser.add_argument(
        '--deadline', metavar='<seconds>', type=deadline_seconds,
        default=os.environ.get('PCI_CLI_DEADLINE', str(DEFAULT_DEADLINE)),
        help='Give up on the whole command after this many seconds, however many requests '
             'it makes and whatever a server does (--timeout bounds each request; env '
             f'PCI_CLI_DEADLINE; default {DEFAULT_DEADLINE}).')
    parser.add_argument(
        '--max-answer-size', metavar='<bytes>', type=answer_size,
        default=os.environ.get('PCI_CLI_MAX_ANSWER_SIZE', DEFAULT_MAX_ANSWER_SIZE),
        help='Refuse an answer (after decompression) larger than this: a number of bytes, '
             'or with a K, M or G suffix (powers of 1024; env PCI_CLI_MAX_ANSWER_SIZE; '
             f'default {DEFAULT_MAX_ANSWER_SIZE}).')
    loading.register_adapter_argparse_arguments(parser, service_type='compute')
    loading.register_service_adapter_argparse_arguments(parser, service_type='compute')
    loading.register_service_adapter_argparse_arguments(parser, service_type='placement')
    # Neutron, for the devices of SR-IOV ports: --os-network-endpoint-override and friends.
    loading.register_service_adapter_argparse_arguments(parser, service_type='network')
    pci_source.register(parser)
    # The interface is left unset so that clouds.yaml can choose it; 'public' applies last.
    parser.set_defaults(os_interface=os.environ.get('OS_INTERFACE'))


#: Seconds a whole command may take (``--deadline``): a script must never hang forever,
#: even where no single request times out (a login that loops, a slow trickle of pages).
DEFAULT_DEADLINE = 300
#: The largest answer read (``--max-answer-size``), as typed.
DEFAULT_MAX_ANSWER_SIZE = '256M'
_UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}


def deadline_seconds(text: str) -> float:
    """``--deadline``: a positive, finite number of seconds (``1e400``/``nan`` are not)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 10 ** 9:
        raise argparse.ArgumentTypeError(f'expected a positive number of seconds, not {text!r}')
    return seconds


def answer_size(text: str) -> int:
    """``--max-answer-size``: bytes, or K/M/G (KiB, MiB, GiB; ``256M``, ``1.5G``, ``4KiB``)."""
    number = str(text).strip().upper().removesuffix('B').removesuffix('I')
    unit = number[-1:] if number[-1:] in _UNITS else ''
    try:
        size = int(float(number.removesuffix(unit)) * _UNITS[unit]) if unit else int(number)
    except (ValueError, OverflowError):
        size = 0
    if not 0 < size < 2 ** 63:
        raise argparse.ArgumentTypeError(
            f'expected a positive number of bytes, optionally with K, M or G, not {text!r}')
    return size


def _retries(text: str) -> int:
    if not str(text).isdigit() or int(text) > 10:
        raise argparse.ArgumentTypeError(f'expected a whole number from 0 to 10, not {text!r}')
    return int(text)


def auth_type(args: Any) -> str:
    """The auth type asked for, or the one that fits what was given."""
    if args.os_auth_type:
        return str(args.os_auth_type)
    if args.os_endpoint and not args.os_auth_url:
        return 'admin_token' if args.os_token else 'none'
    if args.os_token:
        return 'token'
    return 'password'
