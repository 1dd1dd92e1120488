"""Decoding a JSON answer strictly: what Python's ``json`` accepts but JSON is not.

``json.loads`` takes ``NaN`` and ``Infinity``, turns ``1e400`` into ``inf`` (which
``-f json`` would then print as ``Infinity``, breaking every consumer of the output),
and raises :class:`RecursionError` on a document nested thousands of levels deep.
Each of those is an answer the client cannot use, so each becomes a ``ValueError``
like any other text that is not JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any


def _constant(name: str) -> Any:
    raise ValueError(f'{name} is not JSON')


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f'the number {text[:40]} is beyond the range of a double')
    return value


def loads(text: str | bytes) -> Any:
    """The JSON document in ``text``; ``ValueError`` for anything else."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError('the document is nested too deeply') from None
