"""What the functional tests share: running installed console scripts, and
``pci-fake-server`` as a subprocess."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import clean_env, console_script


class CliResult:
    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def json(self):
        assert self.code == 0, self.err
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f'<exit {self.code} out={self.out[:200]!r} err={self.err[:400]!r}>'


def run_tool(tool: str, *args: str, endpoint: str | None = None,
             env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
    """Run an installed console script; ``endpoint`` adds no-auth options for it."""
    argv = [console_script(tool)]
    if endpoint:
        argv += ['--os-auth-type', 'none', '--os-endpoint', endpoint]
    completed = subprocess.run(argv + list(args), capture_output=True, text=True,
                               env=env or clean_env(), timeout=timeout, stdin=subprocess.DEVNULL)
    return CliResult(completed)


def run_cli(*args: str, **kwargs) -> CliResult:
    """Run ``pci-cli``."""
    return run_tool('pci-cli', *args, **kwargs)


class FakeServerProcess:
    """``pci-fake-server`` in a subprocess; its first stdout line is its endpoint.

    Its log goes to a file, not a pipe nobody reads (a full pipe would stall it).
    """

    def __init__(self, *args: str, log: Path) -> None:
        self.log_path = log
        with open(log, 'ab') as err:
            self.proc = subprocess.Popen(
                [console_script('pci-fake-server'), '--port', '0', *args],
                stdout=subprocess.PIPE, stderr=err, text=True, env=clean_env(),
                stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(('http://', 'https://')):
            self.stop()
            pytest.fail(f'pci-fake-server printed {line!r}: {log.read_text()[-2000:]}')
        self.url = line
        self.compute_url = line
        self.root = line.rsplit('/v2.1', 1)[0]

    def log_text(self) -> str:
        return self.log_path.read_text(errors='replace')

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode
