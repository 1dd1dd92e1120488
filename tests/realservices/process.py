"""Start and stop service processes for the test tiers: free ports, readiness, clean stop."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start_service(command: list[str], *, env: dict[str, str], log: Path,
                  ready: Callable[[], bool], name: str, timeout: float = 90) -> subprocess.Popen:
    """Start ``command`` in its own process group, logging to ``log``, and wait for ``ready()``."""
    with open(log, 'ab') as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'{name} exited with {process.returncode}:\n'
                               f'{log.read_text(errors="replace")[-3000:]}')
        try:
            if ready():
                return process
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.2)
    stop_service(process)
    raise RuntimeError(f'{name} did not become ready in {timeout:.0f} s:\n'
                       f'{log.read_text(errors="replace")[-3000:]}')


def stop_service(process: subprocess.Popen) -> None:
    """TERM the whole process group (gunicorn has workers), then KILL what is left."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
