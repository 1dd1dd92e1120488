"""What pciclient relies on in cliff beyond its documented API, one test per reliance.

pciclient overrides private members of cliff's classes and replaces one argparse hook
on cliff's parsers (see pciclient/commands/common.py, formatters.py and shell.py).
cliff does not promise to keep any of it, so each test checks, through cliff's own
machinery (a bare ``cliff.app.App`` running a tiny command), that the member still
exists with the signature we override and that cliff still calls it and uses what it
returns. When one fails after a cliff upgrade: read cliff's change, adapt the override
named in the test's docstring, then this test. ``requirements.txt`` pins cliff's major
version; ``.ci/run`` runs these tests against the newest cliff as an advisory step.
"""
from __future__ import annotations

import argparse
import inspect
import io
from typing import Any

import pytest
from cliff import app as cliff_app
from cliff import command, commandmanager, display, lister, show
from cliff.formatters import json_format
from cliff.formatters import table as cliff_table

from pciclient import shell
from pciclient.commands import common, registry
from pciclient.commands import formatters as pci_formatters

pytestmark = pytest.mark.cliff_contract


# --- a bare cliff application and two tiny commands built on pciclient's bases --------

class _App(cliff_app.App):
    """cliff's App with nothing of pci-cli's (no global options, no client)."""

    def __init__(self, *commands: tuple[str, type], fixed: bool = True) -> None:
        super().__init__(description='contract', version='0',
                         command_manager=commandmanager.CommandManager(None),
                         stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                         deferred_help=True)
        #: What pci-cli's shell says (pciclient.commands.common._OwnApp reads it).
        self.fixed_command_set = fixed
        for name, cls in commands:
            self.command_manager.add_command(name, cls)

    def configure_logging(self) -> None:
        """Leave the test process's root logger alone."""

    def output(self, *argv: str) -> str:
        assert self.run(list(argv)) == 0, self.stderr.getvalue()
        return self.stdout.getvalue()


class _TinyList(common.Lister):
    """Two columns, two rows."""

    def take_action(self, parsed_args: Any) -> Any:
        return ('A', 'B'), [(1, 'x'), (2, 'y')]


class _TinyShow(common.ShowOne):
    """Two fields."""

    def take_action(self, parsed_args: Any) -> Any:
        return ('a', 'b'), (1, 'x')


#: (our base, the cliff class it extends, the tiny command, its output with -f value
#: when the column/field "B"/"b" alone is selected).
KINDS = [
    pytest.param(common.Lister, lister.Lister, _TinyList, 'x\ny\n', id='lister'),
    pytest.param(common.ShowOne, show.ShowOne, _TinyShow, 'x\n', id='show'),
]


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


class _Recorder:
    """A stand-in for a cliff formatter that says what it was given."""

    def add_argument_group(self, parser: Any) -> None:
        parser.add_argument_group('marker formatter').add_argument(
            '--marker-option', default='unset')

    def emit_list(self, names: Any, data: Any, stdout: Any, parsed_args: Any) -> None:
        stdout.write(f'list {",".join(names)} {parsed_args.marker_option}\n')

    def emit_one(self, names: Any, data: Any, stdout: Any, parsed_args: Any) -> None:
        stdout.write(f'one {",".join(names)} {parsed_args.marker_option}\n')


@pytest.fixture
def no_stevedore(monkeypatch):
    """Any stevedore scan cliff would still make fails the test."""
    def scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f'cliff scanned entry points: {args} {kwargs}')
    monkeypatch.setattr(display.stevedore, 'ExtensionManager', scan)
    monkeypatch.setattr(command.extension, 'ExtensionManager', scan)
    monkeypatch.setattr(commandmanager.stevedore, 'ExtensionManager', scan)


# --- the contract ------------------------------------------------------------------------

@pytest.mark.parametrize('ours, cliffs, tiny, selected', KINDS)
def test_generate_columns_and_selector(monkeypatch, ours, cliffs, tiny, selected):
    """pciclient.commands.common:_StrictColumns._generate_columns_and_selector (every
    -c name must be a column of a show's or pci-list --long's answer) overrides cliff's
    ``DisplayCommandBase._generate_columns_and_selector(parsed_args, column_names)``,
    calls it through super(), and relies on Lister/ShowOne.produce_output calling it
    and filtering their rows with the (columns, selector) it returns."""
    cliff_method = cliffs._generate_columns_and_selector
    assert _parameters(cliff_method) == ['self', 'parsed_args', 'column_names']
    assert _parameters(common._StrictColumns._generate_columns_and_selector) == \
        _parameters(cliff_method)
    assert cliffs in ours.__mro__

    calls = []
    real = common._StrictColumns._generate_columns_and_selector

    def spy(self: Any, parsed_args: Any, column_names: Any) -> Any:
        calls.append(list(column_names))
        real(self, parsed_args, column_names)   # still works through super()
        return [column_names[1]], [False, True]  # what cliff must print: only "B"
    monkeypatch.setattr(common._StrictColumns, '_generate_columns_and_selector', spy)

    assert _App(('tiny', tiny)).output('tiny', '-f', 'value') == selected
    assert len(calls) == 1 and calls[0][0].lower() == 'a'


@pytest.mark.parametrize('ours, cliffs, tiny, selected', KINDS)
def test_load_formatter_plugins(monkeypatch, no_stevedore, ours, cliffs, tiny, selected):
    """pciclient.commands.common:Lister._load_formatter_plugins and
    ShowOne._load_formatter_plugins return a pciclient.commands.formatters:FormatterTable
    instead of the stevedore manager cliff builds. This relies on cliff calling
    ``_load_formatter_plugins()`` (no arguments) when a command is made, and then using
    only ``names()`` (the -f choices), iteration (``.obj.add_argument_group``) and
    ``[name].obj`` (the formatter that prints) of what it returned."""
    assert _parameters(cliffs._load_formatter_plugins) == ['self']
    assert _parameters(ours._load_formatter_plugins) == ['self']

    # Our own tables, with no stevedore scan at all.
    out = _App(('tiny', tiny)).output('tiny', '-f', 'json', '-c', 'b')
    assert 'x' in out and '1' not in out

    # And cliff takes the choices, the options and the printer from the table.
    made = []

    def table(self: Any) -> Any:
        made.append(pci_formatters.FormatterTable((('marker', f'{__name__}:_Recorder'),)))
        return made[-1]
    monkeypatch.setattr(tiny, '_load_formatter_plugins', table)
    out = _App(('tiny', tiny)).output('tiny', '-f', 'marker', '--marker-option', 'seen')
    assert len(made) == 1
    assert out == ('list A,B seen\n' if tiny is _TinyList else 'one a,b seen\n')


def test_load_hooks(monkeypatch, no_stevedore):
    """pciclient.commands.common:_OwnApp._load_hooks skips cliff's search for command
    hooks in pci-cli by setting ``self._hooks = []``. This relies on cliff's
    ``Command.__init__`` calling ``_load_hooks()`` (no arguments), and on ``_hooks`` being
    the one attribute cliff reads hooks from when it builds the parser and runs the
    command (a hook put there is used; nothing else is searched)."""
    assert _parameters(command.Command._load_hooks) == ['self']
    assert 'self._load_hooks()' in inspect.getsource(command.Command.__init__)

    seen = []

    class Hook:
        def get_parser(self, parser: Any) -> None:
            seen.append('get_parser')
            parser.add_argument('--hooked', action='store_true')

        def before(self, parsed_args: Any) -> None:
            seen.append(f'before hooked={parsed_args.hooked}')

        def after(self, parsed_args: Any, data: Any) -> None:
            seen.append('after')

        def get_epilog(self) -> None:
            return None

    class Hooked(_TinyShow):
        def _load_hooks(self) -> None:
            seen.append('_load_hooks')
            super()._load_hooks()           # pciclient's: no search, no hooks
            assert self._hooks == []
            self._hooks.append(type('Extension', (), {'obj': Hook()})())

    assert _App(('tiny', Hooked)).output('tiny', '-f', 'value', '--hooked') == '1\nx\n'
    assert seen == ['_load_hooks', 'get_parser', 'before hooked=True', 'after']


def test_epilog(monkeypatch):
    """pciclient.commands.common:_OwnApp.get_epilog returns ``self._epilog`` in pci-cli
    instead of cliff's epilog (which looks up the distribution of every command). This
    relies on ``_epilog`` still being the class attribute cliff's ``Command.get_epilog``
    starts the epilog with, and on cliff's ``Command.get_parser`` taking the parser's
    epilog from ``self.get_epilog()``."""
    assert '_epilog' in vars(command.Command) and 'get_epilog' in vars(command.Command)
    assert _parameters(command.Command.get_epilog) == ['self']

    class Epilogued(_TinyShow):
        _epilog = 'Said after the options.'

    app = _App(('tiny', Epilogued))
    cmd = Epilogued(app, None, cmd_name='tiny')
    # cliff's own epilog begins with _epilog (then hooks' and the plugin's line).
    assert command.Command.get_epilog(cmd).startswith('Said after the options.')
    # The parser's epilog is whatever get_epilog() says: ours here.
    assert cmd.get_parser('pci-cli tiny').epilog == 'Said after the options.'
    monkeypatch.setattr(Epilogued, 'get_epilog', lambda self: 'from get_epilog')
    assert cmd.get_parser('pci-cli tiny').epilog == 'from get_epilog'


def test_parser_error_is_the_usage_error_hook(capsys):
    """pciclient.commands.common:one_line_errors replaces ``parser.error`` on cliff's
    parsers (a command's, in pciclient/commands/common.py and shell.py's help and
    complete; the app's, in pciclient.shell:PciShell.build_option_parser) to make usage
    errors one line with exit 2. This relies on cliff's parsers being argparse parsers
    whose every parse failure goes through the instance's ``error``: the app's
    ``parse_known_args`` in ``App.run`` and a command's ``parse_args`` in
    ``App.run_subcommand``."""
    class OneLineApp(_App):
        NAME = 'tinyapp'

        def build_option_parser(self, description: Any, version: Any,
                                argparse_kwargs: Any = None) -> Any:
            parser = super().build_option_parser(description, version,
                                                 {'prog': 'tinyapp', **(argparse_kwargs or {})})
            assert isinstance(parser, argparse.ArgumentParser)
            return common.one_line_errors(parser, 'tinyapp --help')

    for argv, complaint in ((['--log-file'], 'tinyapp: error: argument --log-file'),
                            (['tiny', '-f', 'nope'], 'tinyapp tiny: error: argument -f')):
        with pytest.raises(SystemExit) as stop:
            OneLineApp(('tiny', _TinyList)).run(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(complaint) and err.count('\n') == 1, err
        assert err.endswith('(see tinyapp --help)\n') or \
            err.endswith('(see tinyapp tiny --help)\n'), err


def test_command_manager_load_commands(no_stevedore):
    """pciclient.shell:CommandManager.load_commands fills ``self.commands`` (name →
    ``importlib.metadata.EntryPoint``) and ``self.group_list`` itself instead of
    scanning entry points. This relies on cliff's ``CommandManager(namespace)`` calling
    ``load_commands(namespace)``, on ``find_command`` looking names up in ``commands``
    and calling ``.load()`` on what it finds, and on iteration giving its items."""
    assert _parameters(commandmanager.CommandManager.load_commands) == ['self', 'namespace']

    manager = shell.CommandManager('pci.cli')
    names = [name for name, _, _ in registry.COMMANDS]
    assert manager.group_list == ['pci.cli']
    assert [name for name, _ in manager] == names
    factory, name, rest = manager.find_command(['pci-list', '--long'])
    target = dict((name, target) for name, _, target in registry.COMMANDS)['pci-list']
    assert (f'{factory.__module__}:{factory.__name__}', name, rest) == \
        (target, 'pci-list', ['--long'])


def test_interact_is_what_runs_without_a_command():
    """pciclient.shell:PciShell.interact makes "no command" a usage error instead of
    cliff's interactive shell. This relies on cliff's ``App.run`` calling
    ``self.interact()`` (no arguments) when no command is left after the global options."""
    assert _parameters(cliff_app.App.interact) == ['self']
    asked = []

    class NoShell(_App):
        def interact(self) -> None:
            asked.append(True)

    NoShell(('tiny', _TinyList)).run(['--debug'])
    assert asked == [True]


def test_parsed_names_we_read(monkeypatch):
    """pciclient.commands.common (columns_checked_when_parsed, _column_help,
    unknown_columns) reads cliff's -c values as ``parsed_args.columns``, finds -c's action
    by ``dest == 'columns'`` and accepts a -c name only where cliff's selection takes it
    (case-insensitive, ``_`` for a space); pciclient.commands.json_formatter
    reads ``parsed_args.noindent`` from cliff's JSON formatter options; and
    pciclient.commands.formatters:TableFormatter declares cliff's table options itself
    (same flags, dests and defaults) so that cliff's table formatter finds them."""
    cmd = _TinyList(_App(), None)
    columns = ('ID', 'Vendor ID', 'NUMA', 'Extra Info')
    for name in ('Vendor ID', 'vendor_id', ' VENDOR ID ', 'Vendor_ID', 'numa', 'extra_info'):
        assert not common.unknown_columns([name], columns)     # we accept it, so cliff must
        chosen, _ = display.DisplayCommandBase._generate_columns_and_selector(
            cmd, argparse.Namespace(columns=[name]), columns)
        assert len(chosen) == 1 and common._normal(chosen[0]) == common._normal(name)

    parser = cmd.get_parser('tiny')
    [column] = [action for action in parser._actions if '-c' in action.option_strings]
    assert column.dest == 'columns'
    assert parser.parse_args(['-c', 'A', '--noindent']).noindent is True

    def options(formatter: Any) -> dict[str, Any]:
        parser = argparse.ArgumentParser()
        formatter.add_argument_group(parser)
        return {tuple(action.option_strings): (action.dest, action.default, action.nargs,
                                               action.const)
                for action in parser._actions if action.dest != 'help'}

    for variable in ('CLIFF_MAX_TERM_WIDTH', 'CLIFF_FIT_WIDTH'):
        monkeypatch.delenv(variable, raising=False)
    assert options(pci_formatters.TableFormatter()) == options(cliff_table.TableFormatter())
    assert 'noindent' in [dest for dest, *_ in options(json_format.JSONFormatter()).values()]
