"""``pci-fake-server``: serve this machine's PCI devices as a read-only fake compute API.

Scripts start it with ``--port 0`` and read the endpoint from the first stdout
line, so stdout carries that URL and nothing else; everything else is logged
to stderr.
"""
from __future__ import annotations

import argparse
import errno
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence

from pciclient.fakeserver.app import FakeComputeApp
from pciclient.fakeserver.inventory import Inventory
from pciclient.fakeserver.server import RunningServer, make_server
from pciclient.fakeserver.shapes import BLUEPRINT, SHAPES
from pciclient.fakeserver.sysfs import read_functions

__all__ = ['main', 'build_parser']

PROG = 'pci-fake-server'
LOG = logging.getLogger('pciclient.fakeserver')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Serve the PCI devices found in a sysfs tree as a read-only fake '
                    'OpenStack Compute API (os-pci, os-hypervisors, servers).')
    parser.add_argument('--bind', default='127.0.0.1', metavar='ADDRESS',
                        help='address to listen on (default: %(default)s)')
    parser.add_argument('--port', type=int, default=8774,
                        help='TCP port; 0 picks a free one (default: %(default)s)')
    parser.add_argument('--sysfs-root', default='/sys', metavar='DIR',
                        help='sysfs tree to read bus/pci/devices from (default: %(default)s)')
    parser.add_argument('--hostname', default=None,
                        help='hypervisor hostname to report (default: this machine\'s hostname)')
    parser.add_argument('--shapes', choices=SHAPES, default=BLUEPRINT,
                        help='JSON dialect: the blueprint\'s or the merged Nova API\'s '
                             '(default: %(default)s)')
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


class _StopRequested:
    """Set by signal handlers; a plain flag so a handler never waits on a lock."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        self.signum = signum


def _serve_until_signalled(running: RunningServer) -> int:
    stop = _StopRequested()
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, stop)
        except ValueError:  # not the main thread: the caller owns signals
            break
    try:
        while stop.signum is None:
            if not running.running:
                LOG.error('server thread died unexpectedly')
                return 1
            time.sleep(0.1)
        LOG.info('received %s, stopping', signal.Signals(stop.signum).name)
        return 0
    finally:
        running.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGTERM/Ctrl-C (exit 0); exit 1 when the port cannot be bound."""
    args = build_parser().parse_args(argv)
    undo_logging = _configure_logging(args.verbose)
    try:
        hostname = args.hostname or socket.gethostname()
        scan = read_functions(args.sysfs_root)
        for where, reason in scan.problems:
            LOG.warning('sysfs: skipped %s: %s', where, reason)
        inventory = Inventory.from_hosts([(hostname, scan.functions)])
        app = FakeComputeApp(inventory, args.shapes)
        try:
            httpd = make_server(app, args.bind, args.port)
        except OSError as exc:
            print(_bind_error(args.bind, args.port, exc), file=sys.stderr, flush=True)
            return 1
        except OverflowError:
            print(f'{PROG}: invalid port {args.port}', file=sys.stderr, flush=True)
            return 1
        running = RunningServer(httpd).start()
        print(running.compute_url, flush=True)
        LOG.info('serving %d PCI devices of host %s at %s (%s shapes)',
                 len(inventory.devices), hostname, running.compute_url, args.shapes)
        return _serve_until_signalled(running)
    finally:
        undo_logging()


if __name__ == '__main__':
    sys.exit(main())
