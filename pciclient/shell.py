"""``pci-cli``: the cliff application.

It only wires things together: global options (:mod:`pciclient.options`),
the client built on first use (:mod:`pciclient.clientmanager`) and the
command classes of :mod:`pciclient.commands`, which the ``openstack`` plugin
uses too.
"""
from __future__ import annotations

import logging
import sys
from typing import Any

from cliff import app, commandmanager

from pciclient import __version__, options

LOG = logging.getLogger(__name__)


class CommandManager(commandmanager.CommandManager):
    """Commands from :mod:`pciclient.commands.registry`, imported only when run.

    cliff's own manager scans the entry points of every installed distribution and
    imports every command module at start-up; pci-cli knows its commands already.
    """

    def load_commands(self, namespace: str) -> None:
        from importlib.metadata import EntryPoint

        from pciclient.commands.registry import COMMANDS

        self.group_list.append(namespace)
        for name, _, target in COMMANDS:
            self.commands[name] = EntryPoint(name=name, value=target, group=namespace)


class PciShell(app.App):
    """The application object: options, logging and clean-up around each command."""

    NAME = 'pci-cli'
    #: Every command is pci-cli's own (see pciclient.commands.common._OwnApp).
    fixed_command_set = True

    def __init__(self) -> None:
        super().__init__(
            description='Which PCI devices and SR-IOV VFs a cloud has, which are free, '
                        'and which server holds which.',
            version=__version__,
            command_manager=CommandManager('pci.cli'),
            deferred_help=True)
        self.client_manager: Any = None

    def build_option_parser(self, description: str, version: str,
                            argparse_kwargs: dict[str, Any] | None = None) -> Any:
        from pciclient.commands.common import one_line_errors

        parser = super().build_option_parser(description, version, argparse_kwargs)
        options.register(parser)
        return one_line_errors(parser, f'{self.NAME} --help')

    #: Handlers an earlier run in this process put on the root logger (tests and
    #: fuzzers call main() many times; each run must log to its own stderr only).
    _root_handlers: list[logging.Handler] = []

    def configure_logging(self) -> None:
        """stderr shows warnings by default, info with -v, and everything with -vv or --debug
        (keystoneauth hashes tokens and does not log authentication bodies)."""
        root = logging.getLogger('')
        for handler in PciShell._root_handlers:
            root.removeHandler(handler)
        before = set(root.handlers)
        super().configure_logging()
        PciShell._root_handlers = [h for h in root.handlers if h not in before]
        verbosity = 3 if self.options.debug else self.options.verbose_level
        level = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO}.get(verbosity, logging.DEBUG)
        for handler in PciShell._root_handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.setLevel(level)
        if verbosity <= 1:
            # Their warnings ("could not load plugin", "failed to discover versions")
            # come before our own one-line explanation of the same failure.
            for name in ('keystoneauth', 'stevedore'):
                logging.getLogger(name).setLevel(logging.ERROR)

    def initialize_app(self, argv: list[str]) -> None:
        from pciclient.clientmanager import ClientManager

        if getattr(self.options, 'insecure', False):
            # One line of our own instead of urllib3's warning (with a source line) per request.
            import warnings

            from urllib3.exceptions import InsecureRequestWarning
            warnings.simplefilter('ignore', InsecureRequestWarning)
            LOG.warning('Warning: --insecure: the TLS certificates of the cloud are not '
                        'verified, so anyone on the path can read or change the answers.')
        self.client_manager = ClientManager(self.options)

    def clean_up(self, cmd: Any, result: int, err: BaseException | None) -> None:
        if self.client_manager is not None:
            self.client_manager.close()


def main(argv: list[str] | None = None) -> int:
    """Run ``pci-cli``; returns the exit code (0 ok, 1 API or connection error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return PciShell().run(argv)
    except SystemExit as stop:  # argparse's usage errors (2), --help and --version (None/0)
        if stop.code is None:
            return 0
        return stop.code if isinstance(stop.code, int) else 1


if __name__ == '__main__':
    sys.exit(main())
