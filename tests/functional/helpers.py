"""What the functional tests share: running installed console scripts (``pci-fake-server``
as a subprocess is :class:`tests.support.fake_cloud.FakeServerProcess`)."""
from __future__ import annotations

import json
import subprocess

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
