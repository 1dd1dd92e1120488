"""How the fault tests run ``pci-cli``: as a subprocess, or in this process."""
from __future__ import annotations

import contextlib
import io
import subprocess
import time
from dataclasses import dataclass

from tests.support.cli_process import clean_env, console_script


@dataclass
class Result:
    code: int
    out: str
    err: str
    elapsed: float

    def one_line_error(self) -> str:
        """The contract for failures: exit 1, one line on stderr, nothing on stdout."""
        assert self.code == 1, self
        assert 'Traceback' not in self.err, self
        assert self.err.endswith('\n') and self.err.count('\n') == 1, self
        assert self.out == '', self
        return self.err.strip()


def pci_cli(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> Result:
    """``pci-cli ARGS`` as a subprocess (killed after ``timeout`` seconds)."""
    started = time.monotonic()
    completed = subprocess.run([console_script('pci-cli'), *args], capture_output=True,
                               text=True, env=env or clean_env(), timeout=timeout,
                               stdin=subprocess.DEVNULL)
    return Result(completed.returncode, completed.stdout, completed.stderr,
                  time.monotonic() - started)


def pci_cli_here(*args: str) -> Result:
    """``pci-cli ARGS`` in this process (real sockets still: nothing is mocked)."""
    from pciclient import shell

    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = shell.main(list(args))
    return Result(code, out.getvalue(), err.getvalue(), time.monotonic() - started)


def noauth(url: str) -> list[str]:
    return ['--os-auth-type', 'none', '--os-endpoint', url]
