"""``pci-exporter`` (also ``python -m pciclient.exporter``): PCI capacity for Prometheus.

It logs in exactly as ``pci-cli`` does (the same options, environment variables and
clouds.yaml, registered by :mod:`pciclient.options` and turned into a client by
:class:`pciclient.clientmanager.ClientManager`), refreshes in the background every
``--interval`` seconds (in a child process: :mod:`pciclient.exporter.worker`) and serves
the last complete refresh on ``/metrics``; ``--once``
prints one refresh on stdout and exits (1 if any source failed).

Exit codes as ``pci-cli``'s: 2 for a usage error, 1 for the rest, each one line on stderr
(a traceback only with ``--debug``).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, NoReturn

from pciclient import exceptions as exc
from pciclient import options

LOG = logging.getLogger('pciclient.exporter')
PROG = 'pci-exporter'
DEFAULT_LISTEN = '127.0.0.1:9181'
DEFAULT_INTERVAL = 60.0
_PCI_IN_PLACEMENT = ('auto', 'yes', 'no')


def _interval(text: str) -> float:
    seconds = options.deadline_seconds(text)
    if seconds < 1:
        raise argparse.ArgumentTypeError(f'expected at least 1 second, not {text!r}')
    return seconds


def _listen(text: str) -> tuple[str, int]:
    from pciclient.exporter.server import parse_listen

    try:
        return parse_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """``pci-cli``'s global options (auth, session, Placement, --pci-source, --pci-ids,
    --deadline…) and the exporter's own."""
    parser = argparse.ArgumentParser(
        prog=PROG, description='Serve the PCI devices, holders and per-flavor capacity of '
        'an OpenStack cloud as Prometheus metrics, refreshed in the background.')
    options.register(parser)
    parser.add_argument('--debug', action='store_true',
                        help='Log every request, and tracebacks with errors.')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='Log each refresh and each scrape.')
    own = parser.add_argument_group('exporter')
    own.add_argument('--listen', metavar='<host:port>', type=_listen,
                     default=os.environ.get('PCI_EXPORTER_LISTEN', DEFAULT_LISTEN),
                     help='Where to serve /metrics and /healthz (env PCI_EXPORTER_LISTEN; '
                          f'default {DEFAULT_LISTEN}; port 0: any free port, printed).')
    own.add_argument('--interval', metavar='<seconds>', type=_interval,
                     default=str(DEFAULT_INTERVAL),
                     help='Seconds between the starts of two refreshes (default 60); a '
                          'scrape never reaches the cloud.')
    own.add_argument('--once', action='store_true',
                     help='Print one refresh in the Prometheus text format on stdout and exit '
                          '(1 if a source failed): for node_exporter\'s textfile collector.')
    own.add_argument('--per-device', action='store_true',
                     help='Also one series per device or device provider, and one per '
                          '(server, device) held (default: per host and resource class).')
    own.add_argument('--flavor', metavar='<name-or-id>', action='append', default=[],
                     help='Flavor whose capacity to export (repeatable; default: every '
                          'flavor that asks for PCI devices or VGPUs).')
    own.add_argument('--pci-alias', metavar='<file>', default=os.environ.get('PCI_ALIAS'),
                     help="nova.conf's PCI aliases, as for pci-cli capacity (env PCI_ALIAS).")
    own.add_argument('--pci-in-placement', choices=_PCI_IN_PLACEMENT, default='auto',
                     help='As for pci-cli capacity (default auto).')
    own.add_argument('--cert', metavar='<file>',
                     help='Serve HTTPS with this certificate (PEM; TLS 1.2 or later).')
    own.add_argument('--key', metavar='<file>',
                     help='The key of --cert (default: after the certificate in its file).')
    # One refresh's deadline: by default the interval (a refresh never overlaps the next).
    parser.set_defaults(deadline=None)
    for action in parser._actions:
        if action.dest == 'deadline':
            action.help = ('Give up on one refresh after this many seconds (env '
                           'PCI_CLI_DEADLINE; default: --interval); the last good data stays.')

    def error(message: str) -> NoReturn:
        from pciclient.text import printable

        parser.exit(2, f'{PROG}: error: {printable(message)} (see {PROG} --help)\n')
    parser.error = error  # type: ignore[method-assign]
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.deadline is None:
        env = os.environ.get('PCI_CLI_DEADLINE')
        try:
            args.deadline = options.deadline_seconds(env) if env else args.interval
        except argparse.ArgumentTypeError as error:
            parser.error(f'PCI_CLI_DEADLINE: {error}')
    if args.key and not args.cert:
        parser.error('--key needs --cert')
    if args.once and args.cert:
        parser.error('--once serves nothing: --cert does not go with it')
    return args


def _configure_logging(args: argparse.Namespace, secrets: set[str]) -> None:
    from pciclient.shell import SafeFormatter

    handler = logging.StreamHandler(sys.stderr)
    inner = logging.Formatter('%(message)s' if args.once
                              else '%(asctime)s %(levelname)s %(message)s')
    handler.setFormatter(SafeFormatter(inner, secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if args.debug else logging.WARNING)
    LOG.setLevel(logging.DEBUG if args.debug or args.verbose else logging.INFO)
    if not args.debug:
        for name in ('keystoneauth', 'stevedore', 'urllib3'):
            logging.getLogger(name).setLevel(logging.ERROR)


def _aliases_text(args: argparse.Namespace, manager: Any) -> str | None:
    if not args.pci_alias:
        aliases: str | None = manager.local_pci_aliases
        return aliases
    try:
        with open(args.pci_alias, encoding='utf-8') as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, 'strerror', None) or str(error)
        raise exc.CommandError(f'Cannot read --pci-alias {args.pci_alias}: {reason}') from None


def _refresher(args: argparse.Namespace, manager: Any) -> Any:
    from pciclient.commands.hints import CLI_WORDING
    from pciclient.commands.pciids import PciNames, find_database
    from pciclient.exporter.refresh import Refresher
    from pciclient.exporter.sources import Context, Settings

    client = manager.pci
    for http in (client.http, client.placement.http):   # no progress lines in a daemon
        if http is not None:
            http.progress = None
    aliases = _aliases_text(args, manager)
    if aliases:
        from pciclient.v2.capacity.aliases import load_aliases
        load_aliases(aliases)   # a broken file is an error now, not at each refresh
    settings = Settings(per_device=args.per_device, flavors=list(args.flavor),
                        aliases_text=aliases, pci_in_placement=args.pci_in_placement)
    names = PciNames(find_database(args.pci_ids), LOG.warning)
    return Refresher(client, lambda c: Context(c, settings, names), deadline=args.deadline,
                     max_answer_size=args.max_answer_size, wording=CLI_WORDING,
                     debug=args.debug)


def child_refresher(argv: list[str]) -> Any:
    """The refresh process's Refresher (:mod:`pciclient.exporter.worker`): the same
    command line parsed again, its own logging (with the same secrets hidden) and client."""
    from pciclient.clientmanager import ClientManager
    from pciclient.shell import option_secrets

    args = _parse(argv)
    secrets = option_secrets(args)
    _configure_logging(args, secrets)
    _insecure(args, warn=False)
    return _refresher(args, ClientManager(args, secrets=secrets))


def _serve(args: argparse.Namespace, argv: list[str]) -> int:
    from functools import partial

    from pciclient.exporter.server import tls_context
    from pciclient.exporter.worker import ProcessRefresher

    tls = None
    if args.cert:
        try:
            tls = tls_context(args.cert, args.key)
        except (OSError, ValueError) as error:   # ssl.SSLError is an OSError
            raise exc.ConfigurationError(f'--cert/--key: cannot use them ({error}).') from None
    # The refresh runs in a child process: this one only serves (no GIL shared with it).
    refresher = ProcessRefresher(partial(child_refresher, argv), deadline=args.deadline)
    try:
        return _serve_with(args, refresher, tls)
    finally:
        refresher.close()


def _serve_with(args: argparse.Namespace, refresher: Any, tls: Any) -> int:
    from pciclient.exporter.server import ExporterServer

    stop = threading.Event()
    loop = threading.Thread(target=_loop, args=(refresher, args.interval, stop),
                            name='pci-exporter refresh', daemon=True)
    try:
        server = ExporterServer(args.listen, refresher.page, loop.is_alive, tls)
    except OSError as error:
        raise exc.ConfigurationError(f'--listen {args.listen[0]}:{args.listen[1]}: '
                                     f'{error.strerror or error}') from None
    print(server.url, flush=True)
    LOG.info('Serving %s; refreshing every %g s.', server.url, args.interval)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    loop.start()
    server.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


def _loop(refresher: Any, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        refresher.refresh()
        LOG.debug('Refreshed in %.2f s.', refresher.last_duration)
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def main(argv: list[str] | None = None) -> int:
    """Run ``pci-exporter``; the exit code (0 ok, 1 error, 2 usage)."""
    try:
        args = _parse(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
    from pciclient.clientmanager import ClientManager
    from pciclient.shell import option_secrets

    secrets = option_secrets(args)
    _configure_logging(args, secrets)
    _insecure(args, warn=True)
    manager = None
    try:
        if not args.once:
            return _serve(args, sys.argv[1:] if argv is None else list(argv))
        manager = ClientManager(args, secrets=secrets)
        refresher = _refresher(args, manager)
        ok = refresher.refresh()
        sys.stdout.buffer.write(refresher.page().text)
        sys.stdout.flush()
        return 0 if ok else 1
    except exc.ClientException as error:
        from pciclient.commands.hints import CLI_WORDING

        LOG.error('%s', error.line(CLI_WORDING), exc_info=args.debug)
        return 1
    finally:
        if manager is not None:
            manager.close()


def _insecure(args: argparse.Namespace, warn: bool) -> None:
    if getattr(args, 'insecure', False):
        import warnings

        from urllib3.exceptions import InsecureRequestWarning
        warnings.simplefilter('ignore', InsecureRequestWarning)
        if warn:
            LOG.warning('--insecure: the TLS certificates of the cloud are not verified.')


if __name__ == '__main__':
    sys.exit(main())
