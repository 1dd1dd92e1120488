"""``pci-fake-server --keystone-url`` as a subprocess: its URL from stdout, its log in a file.

Started in its own session so the process is stopped (TERM, then KILL) even when
a test fails; its stderr goes to a file nobody has to drain.
"""
from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

from tests.realservices.process import stop_service
from tests.realservices.scripts import installed_script

__all__ = ['FakeCompute', 'PASSWORD_ENV', 'fake_server_path']

PASSWORD_ENV = 'PCI_FAKE_KEYSTONE_ADMIN_PASSWORD'


def fake_server_path() -> str:
    return installed_script('pci-fake-server')


class FakeCompute:
    """One fake compute server validating tokens at ``keystone_url``."""

    def __init__(self, name: str, scenario: Path, keystone_url: str, admin_password: str,
                 log: Path, *extra: str) -> None:
        self.name = name
        self.log = log
        env = {key: value for key, value in os.environ.items() if not key.startswith('OS_')}
        env[PASSWORD_ENV] = admin_password
        command = [fake_server_path(), '--port', '0', '--scenario', str(scenario),
                   '--keystone-url', keystone_url, *extra]
        with open(log, 'ab') as err:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err,
                                            text=True, env=env, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline().strip() if ready else ''  # type: ignore[union-attr]
        if not line.startswith('http://127.0.0.1:'):
            self.stop()
            raise RuntimeError(f'pci-fake-server ({name}) printed {line!r}:\n{self.log_text()}')
        self.url = line                       # http://127.0.0.1:PORT/v2.1
        self.root = line.rsplit('/v2.1', 1)[0]

    def log_text(self) -> str:
        return self.log.read_text(errors='replace')

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_service(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()
