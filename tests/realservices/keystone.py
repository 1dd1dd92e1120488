"""A real Keystone (from PyPI) on a free loopback port, with SQLite and fernet tokens.

Facts this relies on: keystone has no ``keystone-wsgi-public`` script any more, so
gunicorn serves ``keystone.server.wsgi.initialize_public_application()`` from a
tiny module that first clears ``sys.argv`` (oslo.config would parse gunicorn's
arguments and exit); ``keystone-manage`` wants ``--keystone-user/--keystone-group``
when run as root; ``password_hash_rounds = 4`` keeps each password check cheap.

Cost (the real tiers run on 2 cores): each ``keystone-manage`` run spends ~2.5 s
importing Keystone, so ``db_sync``, ``fernet_setup`` and ``credential_setup`` (which
touch different things: the database, the two key repositories) run at once, and only
``bootstrap`` waits for them. Keystone caches in memory (``[cache] dogpile.cache.memory``,
as a deployment caches in memcached): without it every token validation rebuilds the
token's roles and catalog from SQLite, about 1 s each on a loaded machine, and every
pci-cli call of the tier validates several tokens. One gunicorn worker keeps that cache
coherent (a revoked token is dropped from it by Keystone itself).
"""
from __future__ import annotations

import getpass
import grp
import os
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.realservices.process import free_port, start_service, stop_service
from tests.realservices.venvs import ensure_venv

KEYSTONE_REQUIREMENTS = ['keystone==30.0.0', 'gunicorn==27.0.1']
REGION = 'RegionOne'

_WSGI_MODULE = '''\
import sys
sys.argv = sys.argv[:1]  # oslo.config must not see gunicorn's arguments
from keystone.server.wsgi import initialize_public_application
application = initialize_public_application()
'''


@dataclass
class Keystone:
    url: str            # e.g. http://127.0.0.1:PORT/v3
    admin_password: str
    workdir: Path
    process: subprocess.Popen

    @property
    def root(self) -> str:
        return self.url.rsplit('/v3', 1)[0]

    def stop(self) -> None:
        stop_service(self.process)


def _config(workdir: Path) -> Path:
    conf = workdir / 'keystone.conf'
    conf.write_text(textwrap.dedent(f'''\
        [DEFAULT]
        use_stderr = true
        [database]
        connection = sqlite:///{workdir}/keystone.db
        [token]
        provider = fernet
        expiration = 3600
        [fernet_tokens]
        key_repository = {workdir}/fernet-keys
        [credential]
        key_repository = {workdir}/credential-keys
        [identity]
        password_hash_rounds = 4
        max_password_length = 72
        [cache]
        enabled = true
        backend = dogpile.cache.memory
        '''))
    for name in ('fernet-keys', 'credential-keys'):
        (workdir / name).mkdir(mode=0o700, exist_ok=True)
    return conf


def _manage_command(venv: Path, conf: Path, *args: str) -> list[str]:
    return [str(venv / 'bin' / 'keystone-manage'), '--config-file', str(conf), *args]


def _manage(venv: Path, conf: Path, *args: str) -> None:
    _manage_all(venv, conf, [list(args)])


def _manage_all(venv: Path, conf: Path, commands: list[list[str]]) -> None:
    """Run ``keystone-manage`` once per argument list, all at once; fail with the stderr
    of the first that failed (each has its own stderr file: pipes that nobody drains
    while the others run could fill up)."""
    with tempfile.TemporaryDirectory(prefix='keystone-manage-') as errors:
        running = []
        for number, args in enumerate(commands):
            err = open(Path(errors) / f'{number}.err', 'w+b')  # closed below
            running.append((args, err, subprocess.Popen(
                _manage_command(venv, conf, *args), stdout=subprocess.DEVNULL, stderr=err,
                stdin=subprocess.DEVNULL)))
        problem = None
        for args, err, process in running:
            try:
                code = process.wait(timeout=300)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            err.seek(0)
            text = err.read().decode(errors='replace')
            err.close()
            if code != 0 and problem is None:
                problem = f'keystone-manage {args[0]} failed:\n{text[-2000:]}'
        if problem:
            raise RuntimeError(problem)


def start_keystone(workdir: Path, admin_password: str = 'keystone-admin-pw') -> Keystone:
    """Install (cached), configure, bootstrap and start Keystone; returns once it answers."""
    venv = ensure_venv('keystone', KEYSTONE_REQUIREMENTS)
    workdir.mkdir(parents=True, exist_ok=True)
    conf = _config(workdir)
    port = free_port()
    url = f'http://127.0.0.1:{port}/v3'
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    _manage_all(venv, conf, [
        ['db_sync'],
        ['fernet_setup', '--keystone-user', user, '--keystone-group', group],
        ['credential_setup', '--keystone-user', user, '--keystone-group', group]])
    _manage(venv, conf, 'bootstrap', '--bootstrap-password', admin_password,
            '--bootstrap-admin-url', url, '--bootstrap-public-url', url,
            '--bootstrap-internal-url', url, '--bootstrap-region-id', REGION)
    (workdir / 'keystone_wsgi.py').write_text(_WSGI_MODULE)
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(conf))
    command = [str(venv / 'bin' / 'gunicorn'), '--no-control-socket', '--workers', '1',
               '--bind', f'127.0.0.1:{port}', '--chdir', str(workdir),
               '--timeout', '120', 'keystone_wsgi:application']
    process = start_service(command, env=env, log=workdir / 'keystone.log',
                            ready=lambda: requests.get(url, timeout=2).status_code == 200,
                            name='keystone')
    return Keystone(url=url, admin_password=admin_password, workdir=workdir, process=process)
