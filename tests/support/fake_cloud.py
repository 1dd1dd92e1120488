"""``pci-fake-server`` as a process: started on port 0, its URL read from the first line of
its stdout within a timeout, its log in a file (an unread pipe would fill and stall it),
and stopped (TERM, then KILL) however the caller ends.

The one launcher of the tests and of ``benchmarks/`` (which adds its scenario, its login
options and the process's RSS and cpu on top). It imports nothing of pytest: a server
that does not start raises :class:`ServerDidNotStart`, which fails a test as any error.
"""
from __future__ import annotations

import ctypes
import os
import selectors
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

from tests.support.cli_process import clean_env, console_script

_PR_SET_PDEATHSIG = 1


class ServerDidNotStart(RuntimeError):
    """pci-fake-server printed no URL in time, or exited: the message ends with its log."""


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when its parent dies (a benchmark killed mid-run)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class FakeServerProcess:
    """``pci-fake-server --port 0 ARGS``; ``url`` is its compute endpoint (``…/v2.1``),
    ``root`` the URL without it, ``proc`` the process.

    ``script`` is the ``pci-fake-server`` to run (default: the one installed beside this
    interpreter); ``die_with_parent`` ties its life to this process.
    """

    def __init__(self, *args: str, log: Path, env: dict[str, str] | None = None,
                 start_timeout: float = 120, script: str | None = None,
                 cwd: Path | None = None, die_with_parent: bool = False) -> None:
        self.log_path = log
        started = time.perf_counter()
        with open(log, 'ab') as err:
            self.proc = subprocess.Popen(
                [script or console_script('pci-fake-server'), '--port', '0', *args],
                stdout=subprocess.PIPE, stderr=err, env=env or clean_env(),
                stdin=subprocess.DEVNULL, cwd=cwd,
                preexec_fn=_die_with_parent if die_with_parent else None)
        try:
            line = self._first_line(start_timeout)
            if not line.startswith(('http://', 'https://')):
                raise ServerDidNotStart(f'pci-fake-server printed {line!r}: {self._tail()}')
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - started
        self.url = line
        self.compute_url = line
        self.root = line.rsplit('/v2.1', 1)[0]
        # The server prints nothing else on stdout; drain it anyway so it can never block.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # type: ignore

    def _first_line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        data = b''
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while b'\n' not in data:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServerDidNotStart(f'pci-fake-server printed no URL in {timeout:.0f} s'
                                            f': {self._tail()}')
                if selector.select(left):
                    chunk = os.read(self.proc.stdout.fileno(), 4096)
                    if not chunk:
                        raise ServerDidNotStart(f'pci-fake-server exited ({self.proc.wait()})'
                                                f': {self._tail()}')
                    data += chunk
        return data.split(b'\n', 1)[0].decode(errors='replace').strip()

    def _tail(self) -> str:
        return self.log_text()[-2000:]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors='replace')
        except OSError as error:
            return f'(no log: {error})'

    def stop(self) -> int:
        """Stop the server (TERM, then KILL after 10 s); its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> FakeServerProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
