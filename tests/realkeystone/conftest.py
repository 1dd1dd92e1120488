"""The real-Keystone tier: Keystone 30 from PyPI on loopback, fake computes behind it.

One fixture for this package's tests, :func:`cloud`, starts a real Keystone (its own cached venv,
SQLite, fernet tokens; ``tests/realservices/keystone.py``), creates through
Keystone's API what an operator would (a ``demo`` project with a ``member``
user, a second region, the ``compute`` and ``placement`` services with
public/internal/admin endpoints in both regions, application credentials), and
starts one ``pci-fake-server --keystone-url`` per region, whose scenarios name
those projects' ids. RegionOne's server validates every request
(``--token-cache-ttl 0``) and has the os-pci API; RegionTwo's caches for the
default 60 s and plays a modern Nova (``os_pci: false``: PCI devices only in
Placement). If Keystone cannot be installed
or started the fixture fails with the reason; it never skips. Every process
is stopped after the tier's last test, also after a failure.

Tests drive the installed ``pci-cli`` as a subprocess with a clean environment
(no ``OS_*``, ``HOME`` and the working directory in empty temp directories, so
no clouds.yaml of the machine is read).
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.realkeystone.cloud import (
    INTERFACE_PATHS,
    MEMBER,
    MEMBER_PASSWORD,
    PLACEMENT_PATH,
    SHORT_LIVED_SECONDS,
    RealCloud,
    Region,
)
from tests.realkeystone.fake_compute import FakeCompute
from tests.realkeystone.keystone_admin import (
    KeystoneAdmin,
    application_credential_token,
    create_application_credential,
)
from tests.realservices.keystone import Keystone, start_keystone
from tests.realservices.scripts import pci_cli_path
from tests.realservices.summary import tier_timings
from tests.realservices.venvs import VenvError
from tests.support.sysfs_tree import build_standard_tree

TIMINGS = tier_timings('real Keystone tier')

SCENARIO = """\
rescan_interval: 0
os_pci: {os_pci}
projects:
  - {{name: admin, id: {admin_project}}}
  - {{name: demo, id: {demo_project}}}
hosts:
  - {{hostname: {prefix}-compute1, sysfs_root: {sysfs}}}
servers:
  - {{name: {prefix}-demo-vm, project: demo, host: {prefix}-compute1, devices: ["0000:04:10.0"]}}
  - {{name: {prefix}-admin-vm, project: admin, host: {prefix}-compute1}}
"""


def _keystone_time(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def _start_region(name: str, prefix: str, keystone: Keystone, admin: KeystoneAdmin,
                  demo_project_id: str, workdir: Path, os_pci: bool, *extra: str) -> Region:
    sysfs = build_standard_tree(workdir / f'{prefix}-sys')
    scenario = workdir / f'{prefix}-scenario.yaml'
    scenario.write_text(SCENARIO.format(admin_project=admin.project_id,
                                        demo_project=demo_project_id, prefix=prefix,
                                        sysfs=sysfs, os_pci=str(os_pci).lower()))
    compute = FakeCompute(name, scenario, keystone.url, keystone.admin_password,
                          workdir / f'{prefix}-fake-server.log', *extra)
    return Region(name, compute, f'{prefix}-compute1')


def _build(keystone: Keystone, workdir: Path, started: list[Any]) -> RealCloud:
    admin = KeystoneAdmin(keystone.url, keystone.admin_password)
    started.append(admin)
    # A short-lived credential first, so it has expired by the time a test needs that.
    expires_at = int(time.time()) + SHORT_LIVED_SECONDS
    short_id, short_secret = create_application_credential(
        keystone.url, admin.token, admin.user_id, 'short-lived', _keystone_time(expires_at))
    expiring_token, document = application_credential_token(keystone.url, short_id,
                                                            short_secret)
    app_credential = create_application_credential(keystone.url, admin.token, admin.user_id,
                                                   'pci-cli-tests')
    demo = admin.create_project('demo')
    member_id = admin.create_user(MEMBER, MEMBER_PASSWORD, demo, 'member')
    admin.create_region('RegionTwo')
    compute = admin.create_service('compute', 'nova')
    placement = admin.create_service('placement', 'placement')
    regions = {}
    for name, prefix, os_pci, extra in (('RegionOne', 'r1', True, ('--token-cache-ttl', '0')),
                                        ('RegionTwo', 'r2', False, ())):
        region = _start_region(name, prefix, keystone, admin, demo, workdir, os_pci, *extra)
        started.append(region.compute)
        regions[name] = region
        for interface, path in INTERFACE_PATHS.items():
            admin.create_endpoint(compute, name, interface, region.compute.root + path)
            admin.create_endpoint(placement, name, interface,
                                  region.compute.root + PLACEMENT_PATH)
    return RealCloud(keystone=keystone, admin=admin, demo_project_id=demo, member_id=member_id,
                     regions=regions, app_credential=app_credential,
                     expiring_token=expiring_token,
                     expiring_token_expires_at=datetime.datetime.fromisoformat(
                         document['expires_at']).timestamp(),
                     workdir=workdir)


@pytest.fixture(scope='package')
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCloud]:
    started_at = time.monotonic()
    workdir = tmp_path_factory.mktemp('realkeystone')
    try:
        keystone = start_keystone(workdir / 'keystone')
    except (VenvError, RuntimeError, subprocess.SubprocessError, OSError) as error:
        problem = f'the real Keystone could not be installed or started: {error}'
    else:
        problem = None
    if problem:
        pytest.fail(problem, pytrace=False)
    TIMINGS['keystone_ready'] = time.monotonic() - started_at
    started: list[Any] = [keystone]
    try:
        try:
            built = _build(keystone, workdir, started)
        except (AssertionError, RuntimeError, OSError) as error:
            problem = f'setting up the real Keystone failed: {error}'
        if problem:
            pytest.fail(problem, pytrace=False)
        TIMINGS['cloud_ready'] = time.monotonic() - started_at
        yield built
    finally:
        for thing in reversed(started):
            (thing.close if isinstance(thing, KeystoneAdmin) else thing.stop)()
        TIMINGS['tier'] = time.monotonic() - started_at



# --- running pci-cli ------------------------------------------------------------------------



@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def run_cli(tmp_path: Path) -> Any:
    """``run_cli(*args, env=…, home=…, cwd=…)``: pci-cli in a clean environment."""
    empty_home = tmp_path / 'home'
    empty_home.mkdir()

    def run(*args: str, env: dict[str, str] | None = None, home: Path | None = None,
            cwd: Path | None = None) -> CliResult:
        clean = {key: value for key, value in os.environ.items()
                 if not key.startswith(('OS_', 'PCI_CLI_', 'XDG_CONFIG'))
                 and key.lower() not in ('http_proxy', 'https_proxy', 'all_proxy')}
        clean.update(HOME=str(home or empty_home), NO_PROXY='127.0.0.1', no_proxy='127.0.0.1')
        clean.update(env or {})
        done = subprocess.run([pci_cli_path(), *args], capture_output=True, text=True,
                              env=clean, cwd=cwd or empty_home, timeout=120,
                              stdin=subprocess.DEVNULL)
        return CliResult(done.returncode, done.stdout, done.stderr)
    return run
