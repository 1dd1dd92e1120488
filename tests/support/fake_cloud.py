"""``pci-fake-server`` as a process for the tests: started on port 0, its URL read from the
first line of its stdout, its log in a file (an unread pipe would fill and stall it), and
stopped (TERM, then KILL) however the test ends.

The benchmarks have their own launcher (``benchmarks/cloud.py``): they must not import the
tests, and the tests do not depend on the benchmark tool.
"""
from __future__ import annotations

import select
import subprocess
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.cli_process import clean_env, console_script


class FakeServerProcess:
    """``pci-fake-server --port 0 ARGS``; ``url`` is its compute endpoint (``…/v2.1``),
    ``root`` the URL without it, ``proc`` the process."""

    def __init__(self, *args: str, log: Path, env: dict[str, str] | None = None,
                 start_timeout: float = 120) -> None:
        self.log_path = log
        with open(log, 'ab') as err:
            self.proc = subprocess.Popen(
                [console_script('pci-fake-server'), '--port', '0', *args],
                stdout=subprocess.PIPE, stderr=err, text=True, env=env or clean_env(),
                stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], start_timeout)
        line = self.proc.stdout.readline().strip() if ready else ''  # type: ignore[union-attr]
        if not line.startswith(('http://', 'https://')):
            self.stop()
            pytest.fail(f'pci-fake-server printed {line!r}: {self.log_text()[-2000:]}')
        self.url = line
        self.compute_url = line
        self.root = line.rsplit('/v2.1', 1)[0]

    def log_text(self) -> str:
        return self.log_path.read_text(errors='replace')

    def stop(self) -> int:
        """Stop the server (TERM, then KILL after 10 s); its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> FakeServerProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
