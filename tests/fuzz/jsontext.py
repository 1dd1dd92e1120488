"""JSON values and the text a server might send for them, including what JSON allows
but Python decodes badly (``1e400``, lone surrogates, very deep nesting).

Hypothesis builds Python values; :class:`Raw` marks a fragment written into the body
verbatim, which :func:`encode` splices in where the value would go.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """A literal piece of body text (possibly not valid JSON)."""

    text: str

    def __repr__(self) -> str:  # keeps falsifying examples short
        shown = self.text if len(self.text) <= 40 else f'{self.text[:20]}…({len(self.text)})'
        return f'Raw({shown!r})'


def encode(value: Any) -> str:
    """``value`` as JSON text, with every :class:`Raw` written as it is."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return '{' + ', '.join(f'{json.dumps(str(key))}: {encode(item)}'
                               for key, item in value.items()) + '}'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(encode(item) for item in value) + ']'
    return json.dumps(value)


def nested(depth: int, kind: str = '[') -> Raw:
    """A valid document nested ``depth`` levels deep."""
    if kind == '[':
        return Raw('[' * depth + ']' * depth)
    return Raw('{"a": ' * depth + '1' + '}' * depth)


#: Strings that have broken parsers, formatters and terminals before.
ODD_STRINGS = (
    '', ' ', '\n', 'a\nb', 'a\r\nb', '\r', '\t', '\x00', '\x1b[31mred\x1b[0m', '\u2028', '\x85',
    '<b>bold</b>', '<html><title>t</title><body>b</body></html>', '&amp;&lt;', '"', "'",
    '\\', '%', '%s', '{}', '[]', '{"a": 1}', 'null', 'true', 'NaN', 'Infinity', '1e400',
    '..', '../..', '/', '?a=b', '#frag', '%2F', 'é', 'ß', '💥', '\u202eevil', 'Ω' * 3,
    '0', '-1', '007', '1.5', '1e3', '0x8086', '0X10DE', '8086', '10de', 'ZZZZ', 'type-PF',
    'type-VF', 'type-PCI', 'vdpa', 'pf', 'available', 'allocated', 'removed',
    '0000:04:00.0', '0000:04:10.1', 'compute1', 'compute1_0000:04:00.0',
    'CUSTOM_PCI_8086_1520', 'CUSTOM_PCI_10DE_', 'COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA',
    '69ba1044-0766-4ec0-b60d-09595de034a1', '69ba104407664ec0b60d09595de034a1',
    'x' * 301, 'word ' * 80,
)

#: Numbers at the edges of what JSON and Python agree on.
ODD_NUMBERS = (0, -1, 1, 2**31, -(2**63), 2**64, 10**30, 0.5, -0.0, 1e308, 5e-324, True, False)

#: Fragments only a hand-written body can hold.
RAW_FRAGMENTS = (
    Raw('1e400'), Raw('-1e400'), Raw('1E999'), Raw('NaN'), Raw('Infinity'), Raw('-Infinity'),
    Raw('"\\ud800"'), Raw('"x\\udfffy"'), Raw('"\\u0000"'), Raw('"\\u001b[2J"'),
    Raw('1' * 5000), Raw('0.1e-400'), Raw('-0'), Raw('1.0'), Raw('2E2'),
    nested(40), nested(40, '{'), nested(600), nested(600, '{'), nested(100_000),
)


#: Long values, and values of many lines (a table of a very wide and a very tall cell is
#: their product: see test_regressions.py, so the tall ones stay moderate here).
HUGE_STRINGS = st.one_of(
    st.builds(lambda unit, size: unit * size, st.sampled_from(['x', 'é', '💥', '<a>', ' ']),
              st.sampled_from([1_000, 5_000])),
    st.sampled_from(['\n' * 100, 'line\n' * 50]))
_TEXTS = st.one_of(st.text(max_size=12), st.sampled_from(ODD_STRINGS), HUGE_STRINGS)
_RAW = st.sampled_from(RAW_FRAGMENTS)


def texts() -> st.SearchStrategy[str]:
    """Any text: hypothesis' own (all of Unicode but surrogates), odd ones, huge ones."""
    return _TEXTS


@functools.cache
def scalars(raw: bool = True) -> st.SearchStrategy[Any]:
    options = [st.none(), st.booleans(), st.integers(), st.sampled_from(ODD_NUMBERS),
               st.floats(allow_nan=False, allow_infinity=False), _TEXTS]
    if raw:
        options.append(_RAW)
    return st.one_of(*options)


@functools.cache
def values(raw: bool = True, max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON value (arrays and objects of anything), with raw fragments when ``raw``."""
    return st.recursive(
        scalars(raw),
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(_TEXTS, inner, max_size=4)),
        max_leaves=max_leaves)


@functools.cache
def wrong_values() -> st.SearchStrategy[Any]:
    """What a field may wrongly hold: often a raw fragment or a scalar of another type."""
    return st.one_of(_RAW, scalars(True), values(True, 6))


#: Bodies that are not JSON at all.
NOT_JSON = (
    '', ' ', '\n', 'null ', 'OK', '<html><head><title>502 Bad Gateway</title></head><body>'
    '<h1>Bad Gateway</h1>nginx</body></html>', '<!DOCTYPE html><p>maintenance', '{', '[',
    '{"a": 1', '{"a": 1}}', '{"a": 1} {"b": 2}', "{'a': 1}", '{"a": undefined}',
    '\ufeff{}', '{"a": 01}', '{"a": .5}', '{"a": +1}', '{"a": "\\x41"}', '[1,]',
    '{"a":1,}', '/* c */ {}', 'callback({})', '\x00\x01\x02', 'Internal Server Error',
)


_NOT_JSON = st.one_of(st.sampled_from(NOT_JSON), _TEXTS)
_BODY_KINDS = st.sampled_from(['shaped'] * 4 + ['json', 'truncated', 'text', 'bytes'])
_FREE_BODY_KINDS = st.sampled_from(['json', 'json', 'truncated', 'text', 'bytes'])
_ENCODINGS = st.sampled_from(['utf-8'] * 8 + ['utf-16', 'latin-1'])
_BINARY = st.binary(max_size=64)


@st.composite
def body_bytes(draw, document: Any = None) -> bytes:
    """A body for ``document`` (shaped JSON), or something else a server might send:
    any JSON value, a truncated document, text that is not JSON, or raw bytes."""
    kind = draw(_BODY_KINDS if document is not None else _FREE_BODY_KINDS)
    if kind == 'shaped':
        text = encode(document)
    elif kind == 'json':
        text = encode(draw(values()))
    elif kind == 'truncated':
        whole = encode(document if document is not None else draw(values(raw=False)))
        text = whole[:draw(st.integers(0, max(len(whole) - 1, 0)))]
    elif kind == 'text':
        text = draw(_NOT_JSON)
    else:
        return draw(_BINARY)
    encoding = draw(_ENCODINGS)
    return text.encode(encoding, errors='surrogatepass' if encoding == 'utf-8' else 'replace')


CONTENT_TYPES = ('application/json', 'application/json; charset=UTF-8', 'text/html',
                 'text/plain', 'text/html; charset=iso-8859-1', 'application/octet-stream',
                 'application/problem+json', '')

SUCCESS = (200, 200, 200, 200, 200, 201, 203)
ERRORS = (400, 401, 403, 404, 405, 406, 409, 413, 418, 429, 500, 501, 502, 503, 504)
