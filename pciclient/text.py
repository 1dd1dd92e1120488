"""Text from a cloud (or typed by a user) made safe to show on a terminal.

A server controls device fields, error messages and ids; echoed as they are, a line
break splits a one-line error in two, an escape sequence can clear the screen or set
the terminal's title, and a lone surrogate cannot even be encoded as UTF-8. Such
characters are shown as Python-style escapes (``\\n``, ``\\x1b``, ``\\ud800``): the
text stays readable. (A backslash the cloud sent stays as it is, so ``-f json`` is the
format that tells a real ``\\x1b`` apart from those four characters.)
"""
from __future__ import annotations

import re

from pciclient.lazy_regex import LazyRegex

#: C0 and C1 control characters, DEL, the surrogate code points (never valid alone), the
#: line and paragraph separators and the bidirectional controls (which reorder what a
#: terminal shows: "Trojan Source").
_OTHERS = '\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff'
_UNPRINTABLE = LazyRegex(f'[\x00-\x1f{_OTHERS}]')
_UNPRINTABLE_BUT_NEWLINE = LazyRegex(f'[\x00-\x09\x0b-\x1f{_OTHERS}]')


def _escape(match: re.Match[str]) -> str:
    return ascii(match.group())[1:-1]


def printable(text: str) -> str:
    """``text`` on one line, with every control character and lone surrogate escaped."""
    if text.isprintable():   # the usual case, checked in C: nothing to escape
        return text
    return _UNPRINTABLE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """As :func:`printable`, but line breaks stay (a table cell of several lines)."""
    if text.isprintable():
        return text
    return _UNPRINTABLE_BUT_NEWLINE.sub(_escape, text)


def to_wire(text: str) -> bytes:
    """``text`` as UTF-8 for a URL: bytes that were not UTF-8 on the command line (which
    Python holds as surrogates) go as they were typed, and any other lone surrogate (from
    a cloud's answer) as its backslash escape; UTF-8 cannot carry surrogates."""
    try:
        return text.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        return text.encode('utf-8', 'backslashreplace')


def json_text(value: object) -> str:
    """``value`` (a nested value from a cloud's answer) as one line of compact JSON that a
    terminal shows as text: what ``-f csv|value|shell`` print where Python would print
    its repr. Non-ASCII text stays readable; the characters :func:`printable` escapes are
    written as JSON ``\\uXXXX`` escapes, so the text still parses as JSON."""
    import json  # already imported by every run that prints a nested value

    text = json.dumps(value, ensure_ascii=False, separators=(',', ':'))
    if text.isprintable():
        return text
    return _UNPRINTABLE.sub(lambda match: f'\\u{ord(match.group()):04x}', text)
