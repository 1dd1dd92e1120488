"""Progress of long work (many pages, many providers) on a terminal's stderr.

The library only reports ``(what, done, total)``; this is the CLI's way of showing it.
Nothing is written unless stderr is a terminal, so pipes, logs and ``-f json``
output never see it; the line is cleared before the command prints its answer.
"""
from __future__ import annotations

import time
from typing import TextIO

#: Seconds of work before anything is shown (fast commands stay silent).
DELAY = 0.5
#: Seconds between two redraws.
INTERVAL = 0.1


class TerminalProgress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._started: float | None = None
        self._drawn = 0.0
        self._visible = False

    def update(self, what: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if now - self._started < DELAY or now - self._drawn < INTERVAL:
            return
        self._drawn = now
        count = f'{done}/{total}' if total else f'{done}'
        self.stream.write(f'\r\x1b[K{what}: {count}')
        self.stream.flush()
        self._visible = True

    def finish(self) -> None:
        """Clear the line; the next long operation starts its own delay."""
        if self._visible:
            self.stream.write('\r\x1b[K')
            self.stream.flush()
        self._visible = False
        self._started = None
