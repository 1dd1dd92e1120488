"""A real Placement 16 for :mod:`benchmarks.placement_scale`, with an access log to count requests.

Gunicorn reads ``GUNICORN_CMD_ARGS`` besides its command line and
:func:`tests.realplacement.placement.start_placement` passes the environment on, so
setting it adds ``--access-logfile`` without touching the test tier's code: one line per
request (method, path, status, ms). Placement's single sync worker logs each request
before it reads the next, so a command's requests are the lines added between its start
and its exit, once the log has stopped growing (:meth:`AccessLog.settled`).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path


class AccessLog:
    """Gunicorn's access log: one line per request, ``METHOD PATH STATUS MS``."""

    FORMAT = '%(m)s %(U)s %(s)s %(M)s'

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[str]:
        try:
            return self.path.read_text(errors='replace').splitlines()
        except FileNotFoundError:
            return []

    def settled(self, quiet: float = 0.3, limit: float = 10.0) -> int:
        """The number of lines once the log has not grown for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        size = -1
        while True:
            now = self.path.stat().st_size if self.path.exists() else 0
            if now == size or time.monotonic() > deadline:
                return len(self.lines())
            size = now
            time.sleep(quiet)


_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def request_kind(line: str) -> str:
    """``GET /resource_providers/{uuid}/usages`` from an access-log line."""
    parts = line.split()
    if len(parts) < 2:
        return line
    return f'{parts[0]} {_UUID.sub("{uuid}", parts[1])}'


def start(workdir: Path):
    """Placement with an access log; returns (Placement, AccessLog)."""
    from tests.realplacement.placement import placement_venv, start_placement

    access = workdir / 'access.log'
    saved = os.environ.get('GUNICORN_CMD_ARGS')
    os.environ['GUNICORN_CMD_ARGS'] = (f'--access-logfile {access} '
                                       f"--access-logformat '{AccessLog.FORMAT}'")
    try:
        service = start_placement(workdir, placement_venv())
    finally:
        if saved is None:
            os.environ.pop('GUNICORN_CMD_ARGS', None)
        else:
            os.environ['GUNICORN_CMD_ARGS'] = saved
    return service, AccessLog(access)
