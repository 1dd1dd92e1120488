"""The refresh in a child process, so that scrapes stay fast while it runs.

A refresh is CPU-bound Python (parsing answers, matching devices, rendering the page);
in the serving process it held the GIL against the threads answering ``/metrics`` (at
1,000 hosts, 20 scrapers saw p50 179 ms, p99 514 ms during a refresh). So the serving
process only serves: one child (``spawn``: nothing of the parent's threads or sockets is
inherited) builds its own client from the same command line, keeps its own
:class:`~pciclient.exporter.refresh.Refresher`, and for each refresh sends back the
rendered page, its gzip and a snapshot of its state through a pipe.

The library's deadline ends a slow refresh in the child (the last good data stays). A
child that is still busy :data:`GRACE_SECONDS` after the deadline (stuck in Python, not
in a request), or that died, is killed and replaced; the replacement goes on from the
last snapshot (the last good samples, the counters), the refresh counts as failed and
every source as stale, and the page served meanwhile is the last complete one.
"""
from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from pciclient import exceptions as exc
from pciclient.exporter.refresh import Page

LOG = logging.getLogger('pciclient.exporter')

#: Seconds past the deadline before a busy refresh process is killed.
GRACE_SECONDS = 10.0
#: Seconds a new refresh process may take to start (imports, clouds.yaml, the PCI ids).
START_SECONDS = 120.0


def _child(conn: Connection, factory: Callable[[], Any], snapshot: bytes | None,
           killed_after: float | None) -> None:
    """The child's main: build the refresher, then one refresh per ``'refresh'`` asked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    try:
        refresher = factory()
        if snapshot is not None:
            refresher.restore(snapshot, killed_after)
    except exc.ClientException as error:
        from pciclient.commands.hints import CLI_WORDING

        conn.send(('error', error.line(CLI_WORDING)))
        return
    conn.send(_answer(refresher, True))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):   # the parent is gone
            return
        if request != 'refresh':
            return
        ok = refresher.refresh()
        try:
            conn.send(_answer(refresher, ok))
        except OSError:
            return


def _answer(refresher: Any, ok: bool) -> tuple[Any, ...]:
    page = refresher.page()
    return ('page', ok, page.text, page.gzipped, page.up, refresher.last_duration,
            refresher.snapshot())


class ProcessRefresher:
    """What the serving process holds instead of a Refresher: the same ``page()``,
    ``refresh()`` and ``last_duration``, the work done by a child process.

    ``factory`` (picklable: a module-level function or a partial of one) builds the
    child's Refresher; a :class:`~pciclient.exceptions.ClientException` it raises is
    raised here as a CommandError with the same line.
    """

    def __init__(self, factory: Callable[[], Any], *, deadline: float,
                 grace: float = GRACE_SECONDS) -> None:
        self._factory = factory
        self.deadline = deadline
        self.grace = grace
        self._context = multiprocessing.get_context('spawn')
        self._lock = threading.Lock()
        self._page = Page(b'', b'', False)
        self._snapshot: bytes | None = None
        self._killed = False   # logged once until a refresh succeeds again
        self._closed = False
        self.last_duration = 0.0
        self._process: Any = None
        self._conn: Connection | None = None
        self._start(None)

    @property
    def pid(self) -> int | None:
        """The refresh process's id (tests, and ``ps``)."""
        return self._process.pid if self._process is not None else None

    def page(self) -> Page:
        with self._lock:
            return self._page

    def _start(self, killed_after: float | None) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_child, args=(child, self._factory, self._snapshot, killed_after),
            name='pci-exporter refresh', daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(START_SECONDS):
            self._stop_process()
            raise exc.CommandError(f'The refresh process did not start in {START_SECONDS:g} s.')
        try:
            answer = parent.recv()
        except (EOFError, OSError):
            self._stop_process()
            raise exc.CommandError('The refresh process ended before it started '
                                   f'(exit code {process.exitcode}).') from None
        if answer[0] == 'error':
            self._stop_process()
            raise exc.CommandError(answer[1])
        self._take(answer)

    def _take(self, answer: tuple[Any, ...]) -> bool:
        _, ok, text, gzipped, up, duration, snapshot = answer
        with self._lock:
            self._page = Page(text, gzipped, up)
        self.last_duration, self._snapshot = duration, snapshot
        return bool(ok)

    def refresh(self) -> bool:
        """One refresh in the child; True if every source succeeded. Never raises: a
        child past its deadline, or dead, is replaced (the last page stays served)."""
        if self._closed or self._conn is None:
            return False
        started = time.monotonic()
        try:
            self._conn.send('refresh')
            if self._conn.poll(self.deadline + self.grace):
                ok = self._take(self._conn.recv())
                if self._killed and ok:
                    LOG.warning('The refresh process refreshes again.')
                    self._killed = False
                return ok
            why = f'still busy {self.grace:g} s past the deadline ({self.deadline:g} s)'
        except (EOFError, OSError):
            if self._closed:
                return False
            why = f'ended (exit code {getattr(self._process, "exitcode", None)})'
        if self._closed:
            return False
        elapsed = time.monotonic() - started
        if not self._killed:
            LOG.error('The refresh process %s: killed and replaced, keeping the last good '
                      'data.', why)
            self._killed = True
        self._stop_process()
        try:
            self._start(elapsed)
        except exc.ClientException as error:
            LOG.error('%s', error)
        return False

    def _stop_process(self) -> None:
        process, conn = self._process, self._conn
        if conn is not None:
            conn.close()
        if process is not None and process.is_alive():
            process.kill()
        if process is not None:
            process.join(10)
        self._process = self._conn = None

    def close(self) -> None:
        """Stop the child (at once: a refresh in progress is abandoned)."""
        self._closed = True
        self._stop_process()
