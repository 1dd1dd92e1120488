"""A real Placement (``openstack-placement`` from PyPI) on a free loopback port, with SQLite.

Facts this relies on (read from the installed 16.0.0):

- gunicorn serves ``placement.wsgi.api:application``; that module builds the app at
  import time through ``placement.wsgi.init_application()``, which parses an *empty*
  argument list (gunicorn's own arguments never reach oslo.config, so no wrapper module
  is needed) and reads ``$OS_PLACEMENT_CONFIG_DIR/placement.conf``.
- ``placement-manage --config-file FILE db sync`` creates the schema.
- ``[api] auth_strategy = noauth2`` replaces keystonemiddleware by placement's
  ``NoAuthMiddleware``: no ``X-Auth-Token`` is a 401; the token is ``user[:project]``
  and only the user ``admin`` gets the admin role, so every request here sends
  ``X-Auth-Token: admin`` (any other token is a 403 from policy). ``GET /`` needs none.
- One gunicorn worker, ``--no-control-socket``: SQLite locks under parallel writers.
"""
from __future__ import annotations

import os
import subprocess
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.realservices.process import free_port, start_service, stop_service
from tests.realservices.venvs import ensure_venv

PLACEMENT_REQUIREMENTS = ['openstack-placement==16.0.0', 'gunicorn==27.0.1']
WSGI_APP = 'placement.wsgi.api:application'
TOKEN = 'admin'
READY_TIMEOUT = 120  # seconds; about 2 s on an idle 2-core machine

TIMINGS: dict[str, float] = {}


@dataclass
class Placement:
    url: str                # http://127.0.0.1:PORT (Placement has no path prefix)
    workdir: Path
    process: subprocess.Popen
    token: str = TOKEN
    log: Path = field(default=Path())

    def stop(self) -> None:
        stop_service(self.process)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors='replace')[-chars:]
        except OSError as exc:
            return f'(no log: {exc})'


def placement_venv() -> Path:
    """The cached venv with Placement and gunicorn (built on first use, ~15 s)."""
    started = time.monotonic()
    venv = ensure_venv('placement', PLACEMENT_REQUIREMENTS)
    TIMINGS.setdefault('venv', time.monotonic() - started)
    return venv


def _config(workdir: Path) -> Path:
    conf = workdir / 'placement.conf'
    conf.write_text(textwrap.dedent(f'''\
        [DEFAULT]
        use_stderr = true
        [api]
        auth_strategy = noauth2
        [placement_database]
        connection = sqlite:///{workdir}/placement.sqlite
        '''))
    return conf


def _ready(url: str) -> bool:
    with requests.Session() as session:
        session.trust_env = False  # loopback only, never through a proxy
        answer = session.get(url + '/', timeout=2)
        return answer.status_code == 200 and 'versions' in answer.json()


def start_placement(workdir: Path, venv: Path | None = None) -> Placement:
    """Configure, sync the database and start Placement; returns once ``GET /`` answers."""
    venv = venv or placement_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = _config(workdir)
    log = workdir / 'placement.log'
    started = time.monotonic()
    manage = [str(venv / 'bin' / 'placement-manage'), '--config-file', str(conf), 'db', 'sync']
    done = subprocess.run(manage, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f'placement-manage db sync failed ({done.returncode}):\n'
                           f'{(done.stderr or done.stdout)[-3000:]}')
    port = free_port()
    url = f'http://127.0.0.1:{port}'
    env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=str(workdir))
    env.pop('OS_PLACEMENT_DATABASE__CONNECTION', None)
    command = [str(venv / 'bin' / 'gunicorn'), '--no-control-socket', '--workers', '1',
               '--bind', f'127.0.0.1:{port}', '--chdir', str(workdir),
               '--timeout', '120', WSGI_APP]
    process = start_service(command, env=env, log=log, ready=lambda: _ready(url),
                            name='placement', timeout=READY_TIMEOUT)
    TIMINGS['start'] = time.monotonic() - started
    return Placement(url=url, workdir=workdir, process=process, log=log)
