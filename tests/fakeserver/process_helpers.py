"""The real ``pci-fake-server`` process for the fake cloud's tests: finding it, starting it
with its stdout and stderr as pipes, reading them, and plain HTTP calls to it."""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def _command() -> list[str]:
    script = shutil.which('pci-fake-server')
    if script is None:
        candidate = Path(sys.executable).with_name('pci-fake-server')
        script = str(candidate) if candidate.exists() else None
    return [script] if script else [sys.executable, '-m', 'pciclient.fakeserver.cli']


def _readline(stream: Any, timeout: float = 30) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, 'pci-fake-server printed nothing in time'
    return str(stream.readline())


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ('PCI_FAKE_ADMIN_PASSWORD', 'XDG_RUNTIME_DIR')}
    env.update(extra)
    return env


class _Server:
    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env or _env(), stdin=subprocess.DEVNULL)
        self.url = _readline(self.process.stdout).strip()
        self.root = self.url[:-len('/v2.1')]
        self._err = b''

    def wait_for_log(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Read stderr (raw, so nothing is left buffered) until ``pattern`` appears."""
        deadline = time.monotonic() + timeout
        fd = self.process.stderr.fileno()  # type: ignore[union-attr]
        while True:
            found = re.search(pattern, self._err.decode('utf-8', 'replace'))
            if found:
                return found
            remaining = deadline - time.monotonic()
            assert remaining > 0, f'{pattern!r} not logged; stderr so far: {self._err!r}'
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f'stderr closed before {pattern!r}: {self._err!r}'
                self._err += chunk

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, self._err.decode('utf-8', 'replace') + err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=30)


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={'X-Auth-Token': token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers['Content-Type'] == 'application/json'
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def _get_json(url: str, token: str | None = None) -> Any:
    status, body = _get(url, token)
    assert status == 200, body
    return body


def _login(root: str, username: str, password: str, project: str) -> tuple[int, str | None]:
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': username, 'domain': {'name': 'Default'}, 'password': password}}},
        'scope': {'project': {'name': project, 'domain': {'name': 'Default'}}}}}
    request = urllib.request.Request(root + '/identity/v3/auth/tokens', method='POST',
                                     data=json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers['X-Subject-Token']
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, None


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / 'scenario.yaml'
    path.write_text(text)
    return path
