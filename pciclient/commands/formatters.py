"""cliff's output formatters, chosen from a fixed table instead of an entry-point scan,
each imported only when a command's parser is built (see json_formatter.py for the
fast JSON one), and each behind :class:`SafeOutput`.
"""
from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from cliff import columns

from pciclient import exceptions as exc
from pciclient.lazy_regex import LazyRegex
from pciclient.text import json_text, printable, printable_lines

#: (name, "module:Class") of cliff's list and show formatters, in cliff's order.
LIST_FORMATTERS = (
    ('csv', 'cliff.formatters.commaseparated:CSVLister'),
    ('json', 'pciclient.commands.json_formatter:JSONFormatter'),
    ('table', 'pciclient.commands.formatters:TableFormatter'),
    ('value', 'cliff.formatters.value:ValueFormatter'),
    ('yaml', 'pciclient.commands.formatters:YAMLFormatter'),
)
SHOW_FORMATTERS = (
    ('json', 'pciclient.commands.json_formatter:JSONFormatter'),
    ('shell', 'cliff.formatters.shell:ShellFormatter'),
    ('table', 'pciclient.commands.formatters:TableFormatter'),
    ('value', 'cliff.formatters.value:ValueFormatter'),
    ('yaml', 'cliff.formatters.yaml_format:YAMLFormatter'),
)


class TableFormatter:
    """cliff's table formatter (whose lists keep within ``--max-width``: see
    :mod:`~pciclient.commands.table_fit`), imported with prettytable only when a table is
    printed.

    Its options are declared here with cliff's names, defaults and environment
    variables, so that ``-f json`` never pays for prettytable.
    """

    def __init__(self) -> None:
        self._real: Any = None

    def _formatter(self) -> Any:
        if self._real is None:
            from pciclient.commands import table_fit
            self._real = table_fit.TableFormatter()
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


class YAMLFormatter:
    """cliff's YAML formatter, whose lists are written a row at a time.

    cliff builds the list of every row, then dumps it: a long listing was held whole.
    A YAML list of mappings is the concatenation of one-item lists, so each row is
    dumped alone, the same bytes as cliff's as long as no two rows share a list or a
    mapping (YAML would then write an anchor and an alias; every row of ours is built
    from its own part of the answer). One object of ``show`` is cliff's.
    """

    def add_argument_group(self, parser: Any) -> None:
        """None: cliff's YAML formatter has no options (a unit test holds cliff to it), and
        importing it only to ask would cost every start-up."""

    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: Any, parsed_args: Any) -> None:
        import yaml  # slow to import: only when YAML is printed

        empty = True
        for row in data:
            item = {name: _machine(value) for name, value in
                    zip(column_names, row, strict=False)}  # cliff zips the same way
            yaml.safe_dump([item], stream=stdout, default_flow_style=False)
            empty = False
        if empty:
            yaml.safe_dump([], stream=stdout, default_flow_style=False)

    def emit_one(self, *args: Any, **kwargs: Any) -> Any:
        from cliff.formatters import yaml_format

        return yaml_format.YAMLFormatter().emit_one(*args, **kwargs)


def _machine(value: Any) -> Any:
    """What a machine format shows of a cell."""
    return value.machine_readable() if isinstance(value, columns.FormattableColumn) else value


class _Text(columns.FormattableColumn):
    """A table cell whose text is already made safe."""

    def human_readable(self) -> str:
        return self._value

    def machine_readable(self) -> str:
        return self._value


#: Bytes of output kept in memory before the buffer moves to a temporary file.
_IN_MEMORY = 4 << 20

_SHELL_SPECIAL = LazyRegex(r'([\\$`])')
_SHELL_NAME = LazyRegex(r'[^A-Za-z0-9_]')


def _text_cell(cell: Any, table: bool) -> Any:
    """What a text format shows of ``cell``: server text with control characters escaped
    (one line, except the lines a table cell is made of), and never a Python repr.

    In a table a nested value is the column's own text (one item per line) and a missing
    one is blank. In ``csv``, ``value`` and ``shell`` every value that is not text is its
    JSON text (``{"driver":"vfio-pci"}``, ``["CUSTOM_A"]``, ``true``), on one line, and
    null is empty: a script reads the same values ``-f json`` holds, not ``{'driver': …}``
    or ``None``."""
    if table:
        if isinstance(cell, columns.FormattableColumn):
            return _Text(printable_lines(cell.human_readable()))
        if cell is None:
            return ''
        return printable(cell) if isinstance(cell, str) else cell
    value = cell.machine_readable() if isinstance(cell, columns.FormattableColumn) else cell
    if value is None:
        return ''
    if isinstance(value, str):
        return printable(value)
    if type(value) is int:
        return value  # csv's nonnumeric quoting leaves numbers bare
    return json_text(value)


def _shell_cell(cell: Any) -> Any:
    """Inside cliff's double quotes, ``$``, backquotes and backslashes must not act: a
    device field ``$(rm -rf ~)`` is text to ``eval "$(pci-cli pci-show -f shell …)"``."""
    cell = _text_cell(cell, table=False)
    return _SHELL_SPECIAL.sub(r'\\\1', cell) if isinstance(cell, str) else cell


def _shell_name(name: str) -> str:
    """A field name the cloud chose, as a shell variable name and nothing more."""
    name = _SHELL_NAME.sub('_', name.lower().replace(' ', '_'))
    return '_' + name if not name or name[0].isdigit() else name


#: Formats that escape what they must themselves (JSON as \uXXXX, YAML in quotes).
_SELF_ESCAPING = ('json', 'yaml')


class SafeOutput:
    """A cliff formatter that prints all of the output or none of it, and only text a
    terminal or a shell shows as text.

    The output is written to a buffer first (in memory up to a few MiB, then a temporary
    file, so that 100,000 devices cost no second copy in memory), so that a failure while
    formatting (a value nested too deeply to encode, a later page failing) never leaves
    half a document on stdout looking complete. Rows pass through one at a time: with
    every format but the table (whose widths need every row) and without
    ``--sort-column``, a listing read page by page is never held whole, however long.
    Text formats escape control characters and lone surrogates from the cloud.
    """

    def __init__(self, name: str, real: Any) -> None:
        self.name = name
        self.real = real

    def add_argument_group(self, parser: Any) -> None:
        self.real.add_argument_group(parser)

    def _names(self, names: Sequence[str]) -> Sequence[str]:
        if self.name in _SELF_ESCAPING:
            return names
        if self.name == 'shell':
            return [_shell_name(name) for name in names]
        return [printable(name) for name in names]

    def _row(self, row: Sequence[Any]) -> Sequence[Any]:
        if self.name in _SELF_ESCAPING:
            return row
        if self.name == 'shell':
            return [_shell_cell(cell) for cell in row]
        return [_text_cell(cell, table=self.name == 'table') for cell in row]

    def _emit(self, method: str, names: Sequence[str], data: Any, stdout: Any,
              parsed_args: Any) -> None:
        with tempfile.SpooledTemporaryFile(_IN_MEMORY, mode='w+', encoding='utf-8',
                                           newline='') as buffer:
            try:
                getattr(self.real, method)(names, data, buffer, parsed_args)
            except RecursionError:
                raise exc.InvalidResponse('The answer holds a value nested too deeply to '
                                          'print; nothing was printed.') from None
            buffer.seek(0)
            shutil.copyfileobj(buffer, stdout, _IN_MEMORY)

    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: Any, parsed_args: Any) -> None:
        rows = data if self.name in _SELF_ESCAPING else (self._row(row) for row in data)
        self._emit('emit_list', self._names(column_names), rows, stdout, parsed_args)

    def emit_one(self, column_names: Sequence[str], data: Sequence[Any], stdout: Any,
                 parsed_args: Any) -> None:
        self._emit('emit_one', self._names(column_names), self._row(data), stdout,
                   parsed_args)


class _Formatter:
    """What cliff expects of a stevedore extension: ``name`` and ``obj``."""

    def __init__(self, name: str, target: str) -> None:
        module, _, attribute = target.partition(':')
        self.name = name
        self.obj = SafeOutput(name, getattr(importlib.import_module(module), attribute)())


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
