"""Functional tests: the real ``pci-cli`` entry point, as a subprocess, against fake servers.

``pci-fake-server`` runs as a subprocess on a free 127.0.0.1 port over a sysfs tree the
tests build; scenarios the CLI cannot set up (servers holding devices, broken servers)
run in a thread of the test process. Every process and thread started is stopped.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.cli_process import clean_env, console_script  # noqa: F401 - re-exported
from tests.sysfs_tree import build_standard_tree


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


@pytest.fixture(scope='session')
def sysfs_root(tmp_path_factory) -> Path:
    return build_standard_tree(tmp_path_factory.mktemp('sysfs'))


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


@pytest.fixture(scope='session', params=['blueprint', 'merged-nova'])
def fake_server(request, sysfs_root) -> Iterator[FakeServerProcess]:
    server = FakeServerProcess('--noauth', '--sysfs-root', str(sysfs_root),
                               '--hostname', 'compute1', '--shapes', request.param,
                               log=sysfs_root.parent / f'fake-server-{request.param}.log')
    server.shapes = request.param
    yield server
    server.stop()
