"""A JSON formatter that writes the same bytes as cliff's, many times faster, row by row.

cliff's JSON formatter hands every row to ``json.dump(..., indent=2)``, which runs the
pure-Python encoder: 100,000 devices took over five seconds. Rows are flat objects,
so scalars go through the C string encoder and nested values through a small
recursive encoder; anything unusual falls back to ``json.dumps``.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from cliff import columns
from cliff.formatters import json_format

_encode_string = json.encoder.encode_basestring_ascii


def _plain(value: Any) -> Any:
    return value.machine_readable() if isinstance(value, columns.FormattableColumn) else value


def _encode(value: Any, indent: str) -> str:
    """``value`` exactly as ``json.dump(..., indent=2)`` writes it at depth ``indent``."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if type(value) is int:
        return int.__repr__(value)
    inner = indent + '  '
    if type(value) is dict and all(type(key) is str for key in value):
        if not value:
            return '{}'
        return ('{\n' + inner + (',\n' + inner).join(
            _encode_string(key) + ': ' + _encode(item, inner) for key, item in value.items())
            + '\n' + indent + '}')
    if type(value) is list:
        if not value:
            return '[]'
        return ('[\n' + inner + (',\n' + inner).join(_encode(item, inner) for item in value)
                + '\n' + indent + ']')
    text = json.dumps(value, indent=2)  # floats, odd keys, subclasses: the slow, sure way
    return text.replace('\n', '\n' + indent) if '\n' in text else text


def write_rows(names: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO,
               indent: bool) -> None:
    """A JSON list of objects, one per row, byte-identical to cliff's output, written as
    the rows come (cliff builds the whole list first): a long listing is never held."""
    if not indent:
        # json.dumps(list) is '[' + ', '.join(each item) + ']' without an indent.
        separator = '['
        for row in rows:
            out.write(separator)
            out.write(json.dumps({n: _plain(v) for n, v in zip(names, row, strict=True)}))
            separator = ', '
        out.write('[]\n' if separator == '[' else ']\n')
        return
    keys = [_encode_string(name) + ': ' for name in names]
    first = True
    for row in rows:
        # Strings, most cells, straight to the C encoder.
        body = ',\n    '.join([key + (_encode_string(value) if type(value) is str
                                      else _encode(_plain(value), '    '))
                                for key, value in zip(keys, row, strict=True)])
        out.write(('[\n  {\n    ' if first else ',\n  {\n    ') + body + '\n  }')
        first = False
    out.write('[]\n' if first else '\n]\n')


class JSONFormatter(json_format.JSONFormatter):
    """cliff's JSON formatter with a fast list path; same options, same bytes."""

    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: TextIO, parsed_args: Any) -> None:
        write_rows(column_names, data, stdout, indent=not parsed_args.noindent)
