"""``pci-cli``: the cliff application.

It only wires things together: global options (:mod:`pciclient.options`),
the client built on first use (:mod:`pciclient.clientmanager`) and the
command classes of :mod:`pciclient.commands`, which the ``openstack`` plugin
uses too.
"""
from __future__ import annotations

import gc
import itertools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from cliff import app, commandmanager
from cliff import help as cliff_help

from pciclient import __version__, exceptions, options
from pciclient.text import printable, printable_lines

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

    def add_lazy_command(self, name: str, target: str) -> None:
        """``name`` runs ``target`` (``module:Class``), imported only when it runs or
        ``--help`` lists the commands."""
        from importlib.metadata import EntryPoint

        self.commands[name] = EntryPoint(name=name, value=target, group=self.namespace or '')


def _either(names: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return names[0] if len(names) == 1 else f'{", ".join(names[:-1])} or {names[-1]}'


def _closest(word: str, names: list[str]) -> list[str]:
    """The names spelled most like ``word`` (as alike as each other), if any is alike."""
    import difflib  # only for a mistyped command: every run imports this module

    ratio = {name: difflib.SequenceMatcher(None, word, name).ratio() for name in names}
    best = max(ratio.values(), default=0.0)
    return [name for name in names if ratio[name] >= max(0.6, best - 0.05)]


def _suggestion(word: str, names: list[str]) -> str:
    """What a mistyped command probably meant: the commands it begins (cliff takes a
    prefix of one command, so ``pci-`` is several) or the closest spellings; else the
    list of commands, which is short."""
    close = [name for name in names if word and name.startswith(word)] or _closest(word, names)
    if close:
        return f'did you mean {_either(close)}?'
    return f'the commands are: {", ".join(names)}'


class HelpCommand(cliff_help.HelpCommand):
    """Print the help of pci-cli or of one of its commands."""

    # cliff's help, with a usage error (one line, exit 2) for a command that does not
    # exist, where cliff prints several lines on stdout or fails with exit 1.

    app: PciShell

    def _load_hooks(self) -> None:
        # No command hooks in pci-cli: cliff would scan every distribution's entry points.
        self._hooks = []

    def get_parser(self, prog_name: str) -> Any:
        from pciclient.commands.common import one_line_errors

        parser = one_line_errors(super().get_parser(prog_name), f'{prog_name} --help')
        parse_args = parser.parse_args

        def command_words(args: Any = None, namespace: Any = None) -> Any:
            # cliff turns "pci-cli pci-list --long --help" into "help pci-list --long":
            # the options after the command's name are that command's, not help's.
            args = list(sys.argv[1:] if args is None else args)
            if args and not args[0].startswith('-'):
                args = list(itertools.takewhile(lambda arg: not arg.startswith('-'), args))
            return parse_args(args, namespace)
        parser.parse_args = command_words
        return parser

    def take_action(self, parsed_args: Any) -> int:
        if parsed_args.cmd:
            self.app.require_command(parsed_args.cmd)
        return super().take_action(parsed_args)


class DeadlineExceeded(exceptions.ClientException):
    """The command's ``--deadline`` passed: raised in the main thread by :class:`Watchdog`."""


def deadline_message(seconds: float) -> str:
    return (f'The command did not finish within its deadline of {seconds:g} s '
            '(--deadline, PCI_CLI_DEADLINE).')


class Watchdog:
    """Ends the command at its deadline, whatever it is doing.

    At ``at`` (``time.monotonic()``) it sends SIGALRM to the main thread, whose handler
    raises :class:`DeadlineExceeded`: a blocking system call (a socket read, a sleep, a
    lock keystoneauth never releases) is interrupted, the command fails with its one
    line and cleans up (``--local``'s server stops). Code that never returns to the
    interpreter (a C loop, a worker thread the main thread joins, an exception handler
    that swallows everything) cannot be interrupted so: :data:`GRACE` seconds later the
    watchdog writes the same line itself and ends the process with ``os._exit(1)``: no
    clean-up runs, buffered output is dropped (commands write theirs only once complete).
    In a thread other than the main one (an embedding program) only that backstop applies.
    """

    #: Seconds the main thread has to end cleanly after the deadline.
    GRACE = 1.0

    def __init__(self, at: float, seconds: float, stderr: TextIO) -> None:
        self.at = at
        self.message = deadline_message(seconds)
        self._stderr = stderr
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._main: int | None = None
        self._previous: Any = None
        self._thread = threading.Thread(target=self._watch, name='pci-cli deadline',
                                        daemon=True)

    def start(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._main = threading.get_ident()
            self._previous = signal.signal(signal.SIGALRM, self._interrupt)
        self._thread.start()

    def stop(self) -> None:
        """No signal and no exit after this returns (the command is over)."""
        with self._lock:
            self._done.set()
        if self._main is not None:
            signal.signal(signal.SIGALRM, self._previous)
            self._main = None

    def _interrupt(self, signum: int, frame: Any) -> None:
        if not self._done.is_set():
            raise DeadlineExceeded(self.message)
        if callable(self._previous):   # someone else's alarm, after ours
            self._previous(signum, frame)

    def _watch(self) -> None:
        if self._done.wait(max(0.0, self.at - time.monotonic())):
            return
        with self._lock:
            if self._done.is_set():
                return
            if self._main is not None:
                signal.pthread_kill(self._main, signal.SIGALRM)
        if self._done.wait(self.GRACE):
            return
        self._exit()

    def _exit(self) -> None:
        line = f'{self.message}\n'
        try:   # the file descriptor itself: the main thread may hold the stream's lock
            os.write(self._stderr.fileno(), line.encode())
        except (OSError, ValueError, AttributeError):   # not a file (tests)
            self._stderr.write(line)
            self._stderr.flush()
        os._exit(1)


#: Option names (after ``os_``) whose values are secrets, whatever the auth plugin.
_SECRET_SUFFIXES = ('password', 'token', 'secret', 'passcode')
_REDACTED = '***'


class SafeFormatter(logging.Formatter):
    """Every log line as normal output is shown, and without secrets.

    keystoneauth logs (with ``-vv``/``--debug``) the headers and bodies of answers as
    the server sent them: an escape sequence, BEL, a C1 control or a bidi override in an
    ``x-openstack-request-id`` or a body would reach the terminal. Each formatted record
    (traceback included) is escaped as :func:`pciclient.text.printable_lines` does; its
    line breaks stay. Before that, each secret (a password, a token given on the command
    line or in clouds.yaml) is replaced, also as Python would quote it (``repr``, as an
    exception message does): keystoneauth hashes the tokens it sends, but a token that is
    no valid header value reaches the log in the exception that refused it.
    """

    def __init__(self, inner: logging.Formatter, secrets: set[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return printable_lines(self.redact(self._inner.format(record)))

    def redact(self, text: str) -> str:
        forms = {form for secret in self._secrets if secret
                 for form in (secret, repr(secret)[1:-1], ascii(secret)[1:-1],
                              printable(secret)) if form}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, _REDACTED)
        return text


def option_secrets(parsed: Any) -> set[str]:
    """The secrets given as options (or their environment variables)."""
    return {value for name, value in vars(parsed).items()
            if name.startswith('os_') and name.endswith(_SECRET_SUFFIXES)
            and isinstance(value, str) and value}


def _one_line_failures(cmd: Any, debug: bool) -> Callable[[Any], Any]:
    """``cmd.run``, with a line for the failures whose message is empty.

    A MemoryError (an answer or an output too big for the memory this process may use)
    has no message: cliff would log an empty line. By the time it is worded here, the
    frames that held the memory are gone (without ``--debug``, which keeps them for the
    traceback) so that the line can be written."""
    run = cmd.run
    name = getattr(cmd, 'cmd_name', None) or 'the command'

    def guarded(parsed_args: Any) -> Any:
        try:
            return run(parsed_args)
        except MemoryError as error:
            if debug:
                raise exceptions.CommandError(_out_of_memory(name)) from error
        except Exception as error:
            if str(error).strip():
                raise
            raise exceptions.CommandError(
                f'{type(error).__name__} while running {name}.') from error
        # Only after a MemoryError without --debug: its traceback and frames are freed.
        raise exceptions.CommandError(_out_of_memory(name))
    return guarded


def _out_of_memory(name: str) -> str:
    return (f'Out of memory while running {name}: the answers (or the output) need more '
            'memory than this process may use; --max-answer-size bounds each answer.')


class PciShell(app.App):
    """The application object: options, logging and clean-up around each command."""

    NAME = 'pci-cli'
    #: Every command is pci-cli's own (see pciclient.commands.common._OwnApp).
    fixed_command_set = True

    def __init__(self, started: float | None = None, resume_gc: bool = False) -> None:
        #: When the command started (``time.monotonic()``): its deadline counts from here.
        self.started = time.monotonic() if started is None else started
        #: Whether the garbage collector was paused for start-up (see :mod:`pciclient.main`).
        self._gc_paused = resume_gc
        self.watchdog: Watchdog | None = None
        #: Secrets no log line shows (see :class:`SafeFormatter`); clouds.yaml adds its own.
        self.secrets: set[str] = set()
        manager = CommandManager('pci.cli')
        super().__init__(
            description='Which PCI devices and SR-IOV VFs a cloud has, which are free, '
                        'and which server holds which.',
            version=__version__,
            command_manager=manager,
            deferred_help=True)
        self.command_manager.add_command('help', HelpCommand)
        # Ours, not cliff's: it needs no bash-completion package, and completes choices.
        manager.add_lazy_command('complete', 'pciclient.completion:CompleteCommand')
        self.client_manager: Any = None

    def build_option_parser(self, description: str | None, version: str | None,
                            argparse_kwargs: dict[str, Any] | None = None) -> Any:
        from pciclient.commands.common import one_line_errors

        # Named pci-cli in its errors however it was started (argparse takes argv[0]).
        argparse_kwargs = {'prog': self.NAME, **(argparse_kwargs or {})}
        parser = super().build_option_parser(description, version, argparse_kwargs)
        options.register(parser)
        return one_line_errors(parser, f'{self.NAME} --help')

    def command_names(self) -> list[str]:
        """Every command, pci-cli's own first (the registry's order), then help, complete."""
        return [name for name, _ in self.command_manager]

    def require_command(self, argv: list[str]) -> None:
        """A usage error (one line, exit 2) unless ``argv`` starts with a command.

        cliff would start its interactive shell without a command (which runs each global
        option as a command), and for an unknown command or option prints several lines
        on stdout: neither is what a script can handle.
        """
        if not argv:
            self.parser.error('no command given; the commands are: '
                              + ', '.join(self.command_names()))
        stray = list(itertools.takewhile(lambda arg: arg.startswith('-'), argv))
        if stray:   # global options the parser does not know come first in argv
            self.parser.error(f'unrecognized arguments: {" ".join(stray)}')
        try:
            self.command_manager.find_command(argv)
        except ValueError:
            self.parser.error(f'{argv[0]!r} is not a {self.NAME} command; '
                              + _suggestion(argv[0], self.command_names()))

    def interact(self) -> None:
        """Never cliff's interactive shell: no command is a usage error."""
        self.require_command([])

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
        self.secrets.update(option_secrets(self.options))
        for handler in PciShell._root_handlers:
            handler.setFormatter(SafeFormatter(handler.formatter or logging.Formatter(),
                                               self.secrets))
        verbosity = 3 if self.options.debug else self.options.verbose_level
        levels = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO}
        level = levels.get(verbosity, logging.DEBUG)
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

        if argv or not self.options.deferred_help:   # plain --help lists the commands
            # Before anything else happens, so that the usage error is the only line.
            self.require_command(argv)
        seconds = self.options.deadline
        self.watchdog = Watchdog(self.started + seconds, seconds, self.stderr)
        self.watchdog.start()
        if getattr(self.options, 'insecure', False):
            # One line of our own instead of urllib3's warning (with a source line) per request.
            import warnings

            from urllib3.exceptions import InsecureRequestWarning
            warnings.simplefilter('ignore', InsecureRequestWarning)
            LOG.warning('Warning: --insecure: the TLS certificates of the cloud are not '
                        'verified, so anyone on the path can read or change the answers.')
        self.client_manager = ClientManager(self.options, deadline=self.started + seconds,
                                            secrets=self.secrets)

    def prepare_to_run_command(self, cmd: Any) -> None:
        self.resume_gc()
        cmd.run = _one_line_failures(cmd, bool(self.options.debug))

    def resume_gc(self) -> None:
        """Once, if start-up paused the garbage collector: freeze what start-up made (it
        lives as long as the process) and collect again (see :mod:`pciclient.main`)."""
        if self._gc_paused:
            self._gc_paused = False
            gc.freeze()
            gc.enable()

    def stop_watchdog(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()

    def clean_up(self, cmd: Any, result: int, err: BaseException | None) -> None:
        if self.client_manager is not None:
            self.client_manager.close()


def main(argv: list[str] | None = None, resume_gc: bool = False) -> int:
    """Run ``pci-cli``; returns the exit code (0 ok, 1 API or connection error, 2 usage).

    ``resume_gc``: the caller paused the garbage collector for start-up; it is resumed
    before the command runs, or at the end if no command ran."""
    started = time.monotonic()
    argv = sys.argv[1:] if argv is None else list(argv)
    shell = PciShell(started, resume_gc=resume_gc)
    try:
        return shell.run(argv)
    except SystemExit as stop:  # argparse's usage errors (2), --help and --version (None/0)
        if stop.code is None:
            return 0
        return stop.code if isinstance(stop.code, int) else 1
    except DeadlineExceeded as error:   # past cliff's own handling (while it logged)
        shell.stderr.write(f'{error}\n')
        return 1
    finally:
        shell.stop_watchdog()
        shell.resume_gc()


if __name__ == '__main__':
    sys.exit(main())
