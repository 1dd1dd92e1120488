"""Text from a cloud (or typed by a user) made safe to show on a terminal.

A server controls device fields, error messages and ids; echoed as they are, a line
break splits a one-line error in two, an escape sequence can clear the screen or set
the terminal's title, and a lone surrogate cannot even be encoded as UTF-8. Such
characters are shown as Python-style escapes (``\\n``, ``\\x1b``, ``\\ud800``): the
text stays readable and nothing is lost.
"""
from __future__ import annotations

import re

#: C0 and C1 control characters, DEL and the surrogate code points (never valid alone).
_UNPRINTABLE = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff]')
_UNPRINTABLE_BUT_NEWLINE = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]')


def _escape(match: re.Match[str]) -> str:
    return ascii(match.group())[1:-1]


def printable(text: str) -> str:
    """``text`` on one line, with every control character and lone surrogate escaped."""
    return _UNPRINTABLE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """As :func:`printable`, but line breaks stay (a table cell of several lines)."""
    return _UNPRINTABLE_BUT_NEWLINE.sub(_escape, text)
