"""cliff's table formatter, with ``--max-width`` and ``--fit-width`` that keep their word.

cliff shrinks the widest columns, but never below 8 characters, and prettytable never
wraps a header: ``pci-list --long`` (16 columns, headers such as ``Instance UUID``) came
out 182 characters wide under ``--max-width 80``, and even a 7-column Placement listing
one too wide (``Product ID`` kept its 10). Here a table that does not fit is laid out
again: the narrowest columns keep their natural width and the widest share what is
left (the nested columns, ``Extra Info``, ``Servers``, ``Traits``, are the widest, so
they wrap first, line by line), and headers wrap at their spaces like any cell. Only
when even one character per column cannot fit is the table wider than asked. A table
that fits is cliff's, byte for byte. Imported only when a table is printed.
"""
from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import prettytable
from cliff import utils
from cliff.formatters import table

#: What borders and padding cost: ``| a | b |`` is the cells plus 3 per column plus 1.
_PER_COLUMN = 3


def _width(text: Any) -> int:
    return max((len(line) for line in str(text).split('\n')), default=0)


def column_widths(natural: Sequence[int], limit: int) -> list[int]:
    """Widths for columns of ``natural`` widths in a table at most ``limit`` wide.

    Every column gets ``min(natural, cap)`` for the largest ``cap`` that fits, then what
    is left goes, a character each, to the capped columns from the left: a narrow column
    is never cut while a wider one could give. Never below one character.
    """
    budget = limit - 1 - _PER_COLUMN * len(natural)
    if not natural or sum(natural) <= budget:
        return list(natural)
    cap = 1
    while cap < max(natural) and sum(min(width, cap + 1) for width in natural) <= budget:
        cap += 1
    widths = [min(width, cap) for width in natural]
    spare = budget - sum(widths)
    for i, width in enumerate(natural):
        if spare <= 0:
            break
        if widths[i] < width:
            widths[i] += 1
            spare -= 1
    return widths


def _target(parsed_args: Any) -> int | None:
    """How wide the table may be, as cliff decides it: ``--max-width``, else the terminal
    when fitting (``--fit-width`` or stdout a terminal), else no limit."""
    if int(parsed_args.max_width) > 0:
        return int(parsed_args.max_width)
    if not table._do_fit(parsed_args.fit_width):
        return None
    return utils.terminal_width() or None


class TableFormatter(table.TableFormatter):
    """cliff's table formatter whose lists keep within ``--max-width``/the terminal."""

    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: Any, parsed_args: Any) -> None:
        rows = [list(row) for row in data]
        limit = _target(parsed_args)
        cells = [table._format_row(row) for row in rows]
        natural = [max([len(name)] + [_width(row[i]) for row in cells])
                   for i, name in enumerate(column_names)]
        if limit is None or not rows or \
                sum(natural) + _PER_COLUMN * len(natural) + 1 <= limit:
            super().emit_list(column_names, rows, stdout, parsed_args)
            return
        widths = column_widths(natural, limit)
        x = prettytable.PrettyTable(column_names, header=False)
        x.padding_width = 1
        for value, name in zip(rows[0], column_names, strict=False):
            x.align[name] = self.ALIGNMENTS.get(type(value), 'l')
        # The header as rows of its own, wrapped at spaces to the column's width.
        header = [textwrap.wrap(name, width) or [''] for name, width in
                  zip(column_names, widths, strict=True)]
        depth = max(len(lines) for lines in header)
        for line in range(depth):
            x.add_row([lines[line] if line < len(lines) else '' for lines in header],
                      divider=line == depth - 1)
        for row in cells:
            x.add_row(row)
        for name, width, full in zip(column_names, widths, natural, strict=True):
            if width < full:
                x.max_width[name] = width
        stdout.write(x.get_string())
        stdout.write('\n')
