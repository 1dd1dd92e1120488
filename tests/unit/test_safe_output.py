"""What reaches stdout and stderr: all of a document or none, text a terminal shows as
text, shell output that ``eval`` cannot be made to run, strict JSON from the decoder."""
from __future__ import annotations

import io
import subprocess
import types

import pytest

from pciclient import exceptions as exc
from pciclient import jsondoc
from pciclient.commands.columns import StructuredColumn, format_value
from pciclient.commands.formatters import SafeOutput
from pciclient.commands.json_formatter import JSONFormatter
from pciclient.text import printable, printable_lines


@pytest.mark.parametrize('text, shown', [
    ('plain é 💥', 'plain é 💥'),
    ('a\nb\rc\td', 'a\\nb\\rc\\td'),
    ('\x1b]0;owned\x07', '\\x1b]0;owned\\x07'),
    ('\x7f\x85', '\\x7f\\x85'),
    ('\ud800x', '\\ud800x'),
])
def test_printable_escapes_what_a_terminal_would_act_on(text, shown):
    assert printable(text) == shown


def test_printable_lines_keeps_line_breaks_only():
    assert printable_lines('a\nb\x1b') == 'a\nb\\x1b'


@pytest.mark.parametrize('text', ['1e400', '-1E999', '[1e309]', 'NaN', '[Infinity]',
                                  '[' * 100_000 + ']' * 100_000, '{"a": 1', ''])
def test_jsondoc_rejects_what_is_not_usable_json(text):
    with pytest.raises(ValueError):
        jsondoc.loads(text)


def test_jsondoc_reads_ordinary_json():
    assert jsondoc.loads('{"a": [1.5, 10000000000000000000000, "\\ud800", null]}') == {
        'a': [1.5, 10**22, '\ud800', None]}


def test_an_error_message_is_always_one_safe_line():
    error = exc.NotFound('No PCI device with ID 1\n2\x1b[2J', request_id='req-\x07')
    assert str(error) == 'No PCI device with ID 1\\n2\\x1b[2J (HTTP 404) (Request-ID: req-\\x07)'
    assert str(exc.CommandError('a\rb')) == 'a\\rb'


def args(**kwargs):
    defaults = dict(noindent=False, max_width=0, fit_width=False, print_empty=False,
                    prefix='', variables=[], quote_mode='nonnumeric')
    return types.SimpleNamespace(**{**defaults, **kwargs})


def test_nothing_is_printed_when_formatting_fails_half_way():
    def rows():
        yield (1, 'first')
        raise exc.InvalidResponse('the second page failed')

    out = io.StringIO()
    with pytest.raises(exc.InvalidResponse):
        SafeOutput('json', JSONFormatter()).emit_list(('ID', 'Name'), rows(), out, args())
    assert out.getvalue() == ''


def test_a_value_nested_too_deeply_to_encode_is_an_invalid_response():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    out = io.StringIO()
    with pytest.raises(exc.InvalidResponse, match='nested too deeply'):
        SafeOutput('json', JSONFormatter()).emit_list(
            ('ID', 'Extra'), [(1, StructuredColumn([])), (2, StructuredColumn(deep))], out,
            args())
    assert out.getvalue() == ''


def test_text_formats_escape_cloud_text():
    from cliff.formatters.value import ValueFormatter
    out = io.StringIO()
    SafeOutput('value', ValueFormatter()).emit_list(
        ('ID', 'Address'), [(1, '\x1b[2J\ud800\n')], out, args())
    assert out.getvalue() == '1 \\x1b[2J\\ud800\\n\n'


def test_a_table_cell_keeps_its_lines_but_escapes_the_rest():
    from pciclient.commands.formatters import TableFormatter
    out = io.StringIO()
    SafeOutput('table', TableFormatter()).emit_list(
        ('ID', 'Extra Info'), [(1, StructuredColumn({'a': 'x\x1b', 'b': 'y\nz'}))], out, args())
    assert 'a=x\\x1b' in out.getvalue() and 'b=y\\nz' in out.getvalue()
    assert out.getvalue().count('\n') == 6  # border, header, border, two lines, border


def test_shell_output_cannot_run_commands(tmp_path):
    from cliff.formatters.shell import ShellFormatter
    marker = tmp_path / 'ran'
    hostile = f'$(touch {marker})`touch {marker}`\\"; touch {marker}; "'
    out = io.StringIO()
    SafeOutput('shell', ShellFormatter()).emit_one(
        ('address', f'x=$(touch {marker});y', '1st'), (hostile, 'v', 'w'), out, args())
    script = out.getvalue() + 'printf %s "$address"'
    result = subprocess.run(['sh', '-c', 'eval "$(cat)"; printf %s "$address"'],
                            input=out.getvalue(), capture_output=True, text=True, check=True)
    assert not marker.exists(), script
    assert result.stdout == hostile
    assert '\nx___touch_' in out.getvalue() and '\n_1st="w"' in out.getvalue()


@pytest.mark.parametrize('field, value', [('pci_devices', 5), ('pci_stats', ['x']),
                                          ('pci_stats', 'text')])
def test_a_field_named_like_a_special_column_but_of_another_shape(field, value):
    cell = format_value(field, value)
    assert not hasattr(cell, 'human_readable') or cell.human_readable() is not None
    if hasattr(cell, 'human_readable'):
        assert isinstance(cell, StructuredColumn)
