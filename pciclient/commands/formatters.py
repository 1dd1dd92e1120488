"""cliff's output formatters, chosen from a fixed table instead of an entry-point scan,
each imported only when a command's parser is built (see json_formatter.py for the
fast JSON one)."""
from __future__ import annotations

import importlib
import os
from typing import Any, Sequence


#: (name, "module:Class") of cliff's list and show formatters, in cliff's order.
LIST_FORMATTERS = (
    ('csv', 'cliff.formatters.commaseparated:CSVLister'),
    ('json', 'pciclient.commands.json_formatter:JSONFormatter'),
    ('table', 'pciclient.commands.formatters:TableFormatter'),
    ('value', 'cliff.formatters.value:ValueFormatter'),
    ('yaml', 'cliff.formatters.yaml_format:YAMLFormatter'),
)
SHOW_FORMATTERS = (
    ('json', 'pciclient.commands.json_formatter:JSONFormatter'),
    ('shell', 'cliff.formatters.shell:ShellFormatter'),
    ('table', 'pciclient.commands.formatters:TableFormatter'),
    ('value', 'cliff.formatters.value:ValueFormatter'),
    ('yaml', 'cliff.formatters.yaml_format:YAMLFormatter'),
)


class TableFormatter:
    """cliff's table formatter, imported (with prettytable) only when a table is printed.

    Its options are declared here with cliff's names, defaults and environment
    variables, so that ``-f json`` never pays for prettytable.
    """

    def __init__(self) -> None:
        self._real: Any = None

    def _formatter(self) -> Any:
        if self._real is None:
            from cliff.formatters import table
            self._real = table.TableFormatter()
        return self._real

    def add_argument_group(self, parser: Any) -> None:
        group = parser.add_argument_group('table formatter')
        group.add_argument('--max-width', metavar='<integer>', type=int,
                           default=int(os.environ.get('CLIFF_MAX_TERM_WIDTH', 0)),
                           help='Widest the table may be, <1 for no limit '
                                '(env CLIFF_MAX_TERM_WIDTH; this option wins).')
        group.add_argument('--fit-width', action='store_true',
                           default=bool(int(os.environ.get('CLIFF_FIT_WIDTH', 0))),
                           help='Fit the table to the terminal (implied by --max-width > 0; '
                                'env CLIFF_FIT_WIDTH=1 to always).')
        group.add_argument('--print-empty', action='store_true',
                           help='Print an empty table when there is nothing to show.')

    def emit_list(self, *args: Any, **kwargs: Any) -> Any:
        return self._formatter().emit_list(*args, **kwargs)

    def emit_one(self, *args: Any, **kwargs: Any) -> Any:
        return self._formatter().emit_one(*args, **kwargs)


class _Formatter:
    """What cliff expects of a stevedore extension: ``name`` and ``obj``."""

    def __init__(self, name: str, target: str) -> None:
        module, _, attribute = target.partition(':')
        self.name = name
        self.obj = getattr(importlib.import_module(module), attribute)()


class FormatterTable:
    """A stand-in for the stevedore manager cliff would build (iteration and lookup).

    Formatters are imported when a parser is built, not when a command object is
    made: ``pci-cli --help`` makes every command only to read its description.
    """

    def __init__(self, table: Sequence[tuple[str, str]]) -> None:
        self._table = table
        self._formatters: list[_Formatter] | None = None

    def _loaded(self) -> list[_Formatter]:
        if self._formatters is None:
            self._formatters = [_Formatter(name, target) for name, target in self._table]
        return self._formatters

    def __iter__(self) -> Any:
        return iter(self._loaded())

    def __getitem__(self, name: str) -> _Formatter:
        return next(f for f in self._loaded() if f.name == name)

    def names(self) -> list[str]:
        return [name for name, _ in self._table]
