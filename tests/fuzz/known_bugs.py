"""Client bugs the fuzzers found that are not fixed yet.

Each has deterministic ``xfail(strict=True)`` reproducers in ``test_regressions.py``
(named in ``tests``). While a bug is listed here, the property tests let an outcome with
exactly its signature pass, counted as a hypothesis event (``--hypothesis-show-statistics``
shows how often each was met), so that they keep guarding everything else.

When a bug is fixed: drop the xfail markers of its reproducers and its entry here.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import event

from tests.fuzz.harness import plain


def raised_in(error: BaseException | None, filename: str, function: str | None = None) -> bool:
    """Whether the innermost pciclient frame of ``error``'s traceback is in ``filename``
    (and, when given, ``function`` is among its pciclient frames)."""
    if error is None or error.__traceback__ is None:
        return False
    frames = [f for f in traceback.extract_tb(error.__traceback__) if '/pciclient/' in f.filename]
    if not frames or not frames[-1].filename.endswith(filename):
        return False
    return function is None or any(frame.name == function for frame in frames)


@dataclass(frozen=True)
class KnownBug:
    tests: tuple[str, ...]
    #: (exit code, stdout, stderr, error, fmt) of a CLI run → whether it is this bug
    cli: Callable[[int, str, str, BaseException | None, str], bool]
    #: (result, error) of a library call → whether it is this bug
    library: Callable[[Any, BaseException | None], bool] = lambda result, error: False


KNOWN: dict[str, KnownBug] = {}


def tolerated(outcome: Any, fmt: str) -> bool:
    """Whether a CLI ``outcome`` shows a known, unfixed bug (recorded as an event)."""
    for name, bug in KNOWN.items():
        if bug.cli(outcome.code, outcome.out, outcome.err, outcome.error, fmt):
            event(f'known bug: {name}')
            return True
    return False


def library_tolerated(result: Any, error: BaseException | None) -> bool:
    """Whether a library call's ``(result, error)`` shows a known, unfixed bug."""
    for name, bug in KNOWN.items():
        if bug.library(plain(result) if error is None else None, error):
            event(f'known bug: {name}')
            return True
    return False
