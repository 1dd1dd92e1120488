"""Our JSON list formatter writes exactly the bytes cliff's json.dump(indent=2) writes."""
from __future__ import annotations

import io
import json
import types

import pytest

from pciclient.commands.columns import PoolsColumn, StructuredColumn
from pciclient.commands.json_formatter import JSONFormatter, write_rows

NAMES = ('ID', 'Address', 'Extra Info', 'Tags', 'Count', 'Ratio', 'Flag', 'Nothing', 'Ünï')
ROWS = [
    (1, '0000:04:10.0', StructuredColumn({'phys_function': '0000:04:00.0', 'k': [1, {'a': None}]}),
     StructuredColumn([]), 0, 1.5, True, None, 'ñ \u2603 "quoted" \\ \n'),
    (2, None, StructuredColumn({}), StructuredColumn(['x', 'y']), -7, float('nan'), False, None,
     ''),
    (3, '', PoolsColumn(None), PoolsColumn([{'count': 1, 'tags': {}}]), 10**20, 1e-7, None,
     None, '\x00'),
]


def cliff_output(names, rows, indent):
    items = [{n: (v.machine_readable() if hasattr(v, 'machine_readable') else v)
              for n, v in zip(names, row, strict=True)} for row in rows]
    out = io.StringIO()
    json.dump(items, out, indent=2 if indent else None)
    out.write('\n')
    return out.getvalue()


@pytest.mark.parametrize('indent', [True, False])
@pytest.mark.parametrize('rows', [ROWS, ROWS[:1], []], ids=['three', 'one', 'none'])
def test_byte_identical_to_cliff(rows, indent):
    out = io.StringIO()
    write_rows(NAMES, rows, out, indent)
    assert out.getvalue() == cliff_output(NAMES, rows, indent)


def test_formatter_uses_it_and_keeps_noindent():
    out = io.StringIO()
    JSONFormatter().emit_list(NAMES, iter(ROWS), out, types.SimpleNamespace(noindent=True))
    assert out.getvalue() == cliff_output(NAMES, ROWS, False)


def test_nested_odd_values_fall_back_to_json():
    names = ('A', 'B', 'C')
    rows = [(StructuredColumn({1: 'int key', 'x': (1, 2)}),
             StructuredColumn([[[]], [{}], {'n': 2.5}]),
             StructuredColumn({'deep': {'deeper': {'deepest': [True, None]}}}))]
    out = io.StringIO()
    write_rows(names, rows, out, True)
    assert out.getvalue() == cliff_output(names, rows, True)
