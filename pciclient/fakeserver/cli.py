"""``pci-fake-server``: one process serving a fake cloud: identity, read-only Compute, Placement.

Scripts start it with ``--port 0`` and read the compute endpoint from the first
stdout line, so stdout carries that URL and nothing else; everything else
(the identity URL included) is logged to stderr. Without ``--noauth`` every
compute call needs a token from ``/identity/v3``; the accounts come from the
scenario file, or are a single ``admin`` whose password is given or generated.
With ``--keystone-url`` the tokens come from that Keystone instead
(:mod:`external_identity`). Placement is served at ``/placement`` in every
mode; ``--no-os-pci`` (or ``os_pci: false`` in the scenario) takes the PCI API
out of compute, as in every Nova since Pike.
"""
from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from pciclient.fakeserver.cloud import (
    IDENTITY_PATH,
    PLACEMENT_PATH,
    FakeCloud,
    ServiceApis,
    service_apis,
    token_auth,
)
from pciclient.fakeserver.compute.shapes import BLUEPRINT, SHAPES
from pciclient.fakeserver.identity.accounts import DEFAULT_DOMAIN
from pciclient.fakeserver.identity.bootstrap import ADMIN_PASSWORD_ENV, AdminAccount, admin_account
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.external import wiring as external_identity
from pciclient.fakeserver.identity.tokens import DEFAULT_TTL, TokenStore
from pciclient.fakeserver.scenario.loader import (
    Scenario,
    ScenarioError,
    load_scenario,
    single_host_scenario,
)
from pciclient.fakeserver.scenario.reload import ScenarioReloader
from pciclient.fakeserver.wsgi.limits import (
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    ConnectionLimits,
)
from pciclient.fakeserver.wsgi.server import RunningServer, make_server
from pciclient.fakeserver.wsgi.tls import TlsError, TlsFiles, tls_context

__all__ = ['main', 'build_parser']

PROG = 'pci-fake-server'
DEFAULT_SYSFS_ROOT = '/sys'
LOG = logging.getLogger('pciclient.fakeserver')


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}') from None
    if not 0 < value < float('inf'):
        raise argparse.ArgumentTypeError(f'must be a positive number of seconds: {text!r}')
    return value


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a whole number: {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1: {text!r}')
    return value


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        'connections', 'A connection waits without a thread until its whole request has come. '
        'Past a limit of open connections, the longest-waiting idle or incomplete one is '
        'closed to make room; when every one is busy with a request, a new one gets a 503.')
    group.add_argument('--max-connections', type=_positive_count, default=MAX_CONNECTIONS,
                       metavar='N', help='open connections at once (default: %(default)s)')
    group.add_argument('--max-connections-per-address', type=_positive_count,
                       default=MAX_CONNECTIONS_PER_ADDRESS, metavar='N',
                       help='open connections at once from one client address '
                            '(default: %(default)s)')
    group.add_argument('--header-timeout', type=_positive_seconds, default=HEADER_TIMEOUT,
                       metavar='SECONDS',
                       help='time from the connect (from the first byte of a next request on a '
                            'kept-alive connection) to the last header; past it, 408 and '
                            'closed (default: %(default)g)')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Serve the PCI devices found in a sysfs tree (or described by a scenario '
                    'file) as a read-only fake OpenStack Compute API (os-pci, os-hypervisors, '
                    'servers) and Placement at /placement (resource providers as Nova reports '
                    'PCI devices), with a Keystone v3 subset at /identity to log in to.')
    parser.add_argument('--bind', default='127.0.0.1', metavar='ADDRESS',
                        help='address to listen on (default: %(default)s)')
    parser.add_argument('--port', type=int, default=8774,
                        help='TCP port; 0 picks a free one (default: %(default)s)')
    tls = parser.add_argument_group('HTTPS')
    tls.add_argument('--cert', metavar='FILE',
                     help='serve HTTPS with this PEM certificate (the server\'s own first, then '
                          'any intermediates); without --key the key must follow it in FILE')
    tls.add_argument('--key', metavar='FILE',
                     help='the unencrypted PEM private key of --cert')
    source = parser.add_argument_group('what to serve')
    source.add_argument('--scenario', metavar='FILE',
                        help='YAML scenario: hosts, servers, projects and users '
                             '(instead of --sysfs-root/--hostname)')
    source.add_argument('--sysfs-root', default=None, metavar='DIR',
                        help=f'sysfs tree to read bus/pci/devices from (default: '
                             f'{DEFAULT_SYSFS_ROOT})')
    source.add_argument('--hostname', default=None,
                        help='hypervisor hostname to report (default: this machine\'s hostname)')
    parser.add_argument('--shapes', choices=SHAPES, default=BLUEPRINT,
                        help='JSON dialect: the blueprint\'s or the merged Nova API\'s '
                             '(default: %(default)s)')
    parser.add_argument('--no-os-pci', action='store_true',
                        help='play a modern Nova: no os-pci API (404), no pci_stats on '
                             'hypervisors, no os-pci:pci_devices on servers; Placement still '
                             'reports the devices (also: os_pci: false in the scenario)')
    auth = parser.add_argument_group('authentication')
    auth.add_argument('--noauth', action='store_true',
                      help='serve compute without identity: no token needed, every caller '
                           'is an admin of every project')
    auth.add_argument('--admin-password', metavar='PASSWORD', default=None,
                      help='password of the "admin" user when the scenario defines no users '
                           f'(default: ${ADMIN_PASSWORD_ENV}, else generated and written to '
                           'a private file whose path is logged); prefer the environment '
                           'variable, as other local users can read command lines')
    auth.add_argument('--token-ttl', type=_positive_seconds, default=DEFAULT_TTL,
                      metavar='SECONDS', help='lifetime of issued tokens (default: %(default)g)')
    external_identity.add_arguments(parser)
    _add_connection_options(parser)
    parser.add_argument('--verbose', action='store_true', help='log debug details')
    return parser


def _configure_logging(verbose: bool) -> Callable[[], None]:
    """Log to stderr for this run only; the undo restores the logger for in-process callers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
    saved_level, saved_propagate = LOG.level, LOG.propagate
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG if verbose else logging.INFO)
    LOG.propagate = False

    def undo() -> None:
        LOG.removeHandler(handler)
        LOG.setLevel(saved_level)
        LOG.propagate = saved_propagate
        handler.close()
    return undo


def _bind_error(bind: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        reason = 'address already in use'
    elif isinstance(exc, socket.gaierror):
        reason = f'unknown address ({exc.strerror or exc})'
    else:
        reason = (exc.strerror or str(exc)).lower()
    return f'{PROG}: cannot listen on {bind}:{port}: {reason}'


def _tls_files(args: argparse.Namespace) -> TlsFiles | None:
    """The HTTPS files, checked now so a bad one is one line before anything starts."""
    if not args.cert:
        return None
    tls = TlsFiles(args.cert, args.key)
    tls_context(tls)  # raises TlsError
    return tls


def _tls_options(args: argparse.Namespace) -> str:
    return f'--cert {args.cert}' + (f' --key {args.key}' if args.key else '')


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name resolved here) reaches this machine only."""
    try:
        return ipaddress.ip_address(host.strip('[]').split('%')[0]).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split('%')[0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def _load_scenario(args: argparse.Namespace) -> Scenario:
    """The scenario file, else this machine (or ``--sysfs-root``) as one host."""
    if args.scenario:
        return load_scenario(args.scenario)
    return single_host_scenario(args.sysfs_root or DEFAULT_SYSFS_ROOT,
                                args.hostname or socket.gethostname())


class _Authenticated:
    """The identity side of a run: the app, and the generated password file to clean up."""

    def __init__(self, app: FakeCloud, admin: AdminAccount | None) -> None:
        self.app = app
        self.admin = admin

    def close(self) -> None:
        if self.admin is not None and self.admin.password_file is not None:
            self.admin.password_file.remove()


def _with_identity(compute: ServiceApis, scenario: Scenario,
                   args: argparse.Namespace) -> _Authenticated:
    """Put the compute app behind tokens for the scenario's users, or a lone admin."""
    projects, users = list(scenario.projects), list(scenario.users)
    admin = None
    if users:
        if args.admin_password:
            LOG.warning('--admin-password is ignored: the scenario file defines the users')
    else:
        admin = admin_account(args.admin_password or os.environ.get(ADMIN_PASSWORD_ENV))
        users = [admin.user]
        if not any(p.name == admin.project.name and p.domain == DEFAULT_DOMAIN
                   for p in projects):
            projects.append(admin.project)
    tokens = TokenStore(ttl=args.token_ttl)
    directory = Directory(projects, users, lockout=scenario.lockout)
    return _Authenticated(FakeCloud(compute, directory, tokens), admin)


class _Signals:
    """SIGTERM/SIGINT ask to stop, SIGHUP to reload (or rescan); the main loop acts on the flags.

    Handlers only set plain attributes, so one never waits on a lock the code it
    interrupted might hold. They are installed before the URL is printed: a
    caller that signals as soon as it has read the URL gets a clean exit.
    """

    def __init__(self) -> None:
        self.stop: int | None = None
        self.rescan = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        handlers = {signal.SIGTERM: self._on_stop, signal.SIGINT: self._on_stop,
                    signal.SIGHUP: self._on_hangup}
        for signum, handler in handlers.items():
            try:
                self._previous[signum] = signal.signal(signum, handler)
            except ValueError:  # not the main thread: the caller owns signals
                break
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop = signum

    def _on_hangup(self, signum: int, frame: object) -> None:
        self.rescan = True


def _serve_until_signalled(running: RunningServer, scenario: Scenario, signals: _Signals) -> int:
    """SIGTERM/SIGINT stop (exit 0); SIGHUP reloads the scenario file, else rescans sysfs."""
    reloader = ScenarioReloader(scenario) if scenario.path else None
    try:
        while signals.stop is None:
            if not running.running:
                LOG.error('server thread died unexpectedly')
                return 1
            if signals.rescan:
                signals.rescan = False
                _rescan(scenario, reloader)
            time.sleep(0.1)
        LOG.info('received %s, stopping', signal.Signals(signals.stop).name)
        return 0
    finally:
        running.stop()
        if reloader is not None:
            reloader.stop()


def _rescan(scenario: Scenario, reloader: ScenarioReloader | None) -> None:
    """Hand the work to a thread, so a slow tree or file never delays a SIGTERM."""
    if reloader is not None:
        LOG.info('received SIGHUP, reloading %s', scenario.path)
        reloader.request()
        return
    LOG.info('received SIGHUP, rescanning')
    scenario.store.request_rescan()


def _os_pci(scenario: Scenario, args: argparse.Namespace) -> bool:
    """The PCI API is on unless the command line or the scenario turns it off."""
    return scenario.os_pci and not args.no_os_pci


def _describe(scenario: Scenario) -> str:
    inventory = scenario.store.current
    hosts = [h.hostname for h in inventory.hypervisors]
    where = f'host {hosts[0]}' if len(hosts) == 1 else f'{len(hosts)} hosts'
    return (f'{len(inventory.devices)} PCI devices of {where}, '
            f'{len(inventory.servers)} servers')


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGTERM/Ctrl-C (exit 0); exit 1 for a bad scenario or an unusable port."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.scenario and (args.sysfs_root or args.hostname):
        parser.error('--scenario describes the hosts: drop --sysfs-root and --hostname')
    if args.key and not args.cert:
        parser.error('--key needs --cert')
    external_identity.check_arguments(parser, args)
    undo_logging = _configure_logging(args.verbose)
    try:
        try:
            args.tls = _tls_files(args)
        except TlsError as exc:
            print(f'{PROG}: cannot serve HTTPS with {_tls_options(args)}: {exc}',
                  file=sys.stderr, flush=True)
            return 1
        try:
            scenario = _load_scenario(args)
        except ScenarioError as exc:
            print(f'{PROG}: {exc}', file=sys.stderr, flush=True)
            return 1
        try:
            return _run(scenario, args)
        finally:
            scenario.store.stop()
    finally:
        undo_logging()


def _run(scenario: Scenario, args: argparse.Namespace) -> int:
    compute = service_apis(scenario.store, args.shapes, os_pci=_os_pci(scenario, args))
    if args.keystone_url:
        if scenario.users:
            LOG.warning('the scenario\'s users are ignored: %s owns the users',
                        args.keystone_url)
        validator = external_identity.keystone_validator(args)
        auth = token_auth(compute, validator, lambda request: validator.identity_url)
        with _Signals() as signals:
            return _serve(scenario, args, auth, signals,
                          lambda running: external_identity.log_service_token(validator, args))
    identity = None if args.noauth else _with_identity(compute, scenario, args)
    with _Signals() as signals:
        try:
            return _serve(scenario, args, identity.app if identity else compute, signals,
                          lambda running: _log_identity(running, identity, args))
        finally:
            if identity is not None:
                identity.close()


def _serve(scenario: Scenario, args: argparse.Namespace, app: Callable[..., Any],
           signals: _Signals, announce: Callable[[RunningServer], None]) -> int:
    """Bind, print the endpoint on stdout, ``announce`` identity details, serve until stopped."""
    if args.noauth and not is_loopback(args.bind):
        LOG.warning('--noauth on %s, which is not a loopback address: anyone who can reach '
                    'this port is an admin of this fake cloud', args.bind)
    try:
        limits = ConnectionLimits(args.max_connections, args.max_connections_per_address,
                                  args.header_timeout)
        httpd = make_server(app, args.bind, args.port, tls=args.tls, connection_limits=limits)
    except OSError as exc:
        print(_bind_error(args.bind, args.port, exc), file=sys.stderr, flush=True)
        return 1
    except OverflowError:
        print(f'{PROG}: invalid port {args.port}', file=sys.stderr, flush=True)
        return 1
    running = RunningServer(httpd).start()
    print(running.compute_url, flush=True)
    LOG.info('serving %s at %s (%s shapes%s)', _describe(scenario), running.compute_url,
             args.shapes, '' if _os_pci(scenario, args) else ', no os-pci API')
    LOG.info('Placement at %s%s', running.url, PLACEMENT_PATH)
    announce(running)
    if scenario.rescan_interval and scenario.store.rescannable:
        scenario.store.start_rescanner(scenario.rescan_interval)
        LOG.info('rescanning sysfs every %g s (and on SIGHUP)', scenario.rescan_interval)
    return _serve_until_signalled(running, scenario, signals)


def _log_identity(running: RunningServer, identity: _Authenticated | None,
                  args: argparse.Namespace) -> None:
    if identity is None:
        LOG.warning('--noauth: no identity service, every caller is an admin')
        return
    LOG.info('identity (Keystone v3) at %s%s/v3; tokens last %g s',
             running.url, IDENTITY_PATH, args.token_ttl)
    admin = identity.admin
    if admin is not None:
        LOG.info("log in as user 'admin', project 'admin', domain 'Default'")
        if admin.password_file is not None:
            LOG.info('the generated admin password is in %s', admin.password_file.path)


if __name__ == '__main__':
    sys.exit(main())
