"""The real-Nova tier: a real Nova 34.0.0 compute API and its Placement on loopback ports,
once per session.

``real_nova`` builds (once, cached) a venv with Nova and its functional-test harness,
starts ``nova_harness.py`` in it as a subprocess (our own venv stays free of Nova), and
yields a :class:`RealNova` describing what it serves: the compute endpoint, the Placement
endpoint Nova reported its PCI devices to (``[pci] report_in_placement``), and what
Nova's database says about those devices. :meth:`RealNova.expected_providers` derives,
from Nova's database alone, the PCI providers Placement must hold. If the venv cannot be
built or the harness does not become ready, the fixture fails with the log tail; it
never skips. The harness process group is stopped at the end of the session, also after
a failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.realnova.cloud import RealNova
from tests.realservices.process import start_service, stop_service
from tests.realservices.summary import tier_timings
from tests.realservices.venvs import VenvError, ensure_venv

# Nova, Placement (the harness runs it in-process) and what Nova's test harness imports.
NOVA_REQUIREMENTS = [
    'nova==34.0.0',
    'openstack-placement==16.0.0',
    'fixtures==4.3.2',
    'testtools==2.9.1',
    'oslotest==6.1.1',
    'wsgi-intercept==1.13.1',
    'requests-mock==1.12.1',
    'testscenarios==0.7.0',
    'testresources==2.1.2',
    'ddt==1.7.2',
]
HARNESS = Path(__file__).with_name('nova_harness.py')
READY_TIMEOUT = 240  # seconds; about 5 s on an idle 2-core machine

TIMINGS = tier_timings('real Nova tier')


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only, never through a proxy
    return session


def _ready(info_file: Path) -> bool:
    if not info_file.exists():
        return False
    info = json.loads(info_file.read_text())
    with _session() as session:
        return (session.get(info['url'] + '/', timeout=5).status_code == 200
                and session.get(info['placement_url'] + '/', timeout=5).status_code == 200)


def _harness_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PYTHON'))}
    env['OS_NOVA_DISABLE_EVENTLET_PATCHING'] = '1'
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    return env


@pytest.fixture(scope='session')
def real_nova(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealNova]:
    started = time.monotonic()
    try:
        venv = ensure_venv('nova', NOVA_REQUIREMENTS)
    except (VenvError, subprocess.SubprocessError, OSError) as exc:
        problem = f'could not build the Nova venv: {exc}'
    else:
        problem = None
    if problem:
        pytest.fail(problem, pytrace=False)
    TIMINGS['venv'] = time.monotonic() - started

    workdir = tmp_path_factory.mktemp('realnova')
    info_file = workdir / 'nova.json'
    log = workdir / 'nova.log'
    command = [str(venv / 'bin' / 'python'), str(HARNESS), '--port', '0',
               '--placement-port', '0', '--info-file', str(info_file)]
    launched = time.monotonic()
    try:
        process = start_service(command, env=_harness_env(), log=log,
                                ready=lambda: _ready(info_file), name='nova harness',
                                timeout=READY_TIMEOUT)
    except RuntimeError as exc:
        problem = f'the real Nova harness did not start (log {log}):\n{exc}'
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        TIMINGS['harness_ready'] = time.monotonic() - launched
        info = json.loads(info_file.read_text())
        yield RealNova(url=info['url'], placement_url=info['placement_url'],
                       placement_token=info['placement_token'],
                       project_id=info['project_id'],
                       server_id=info['server_id'], server_name=info['server_name'],
                       server_host=info['server_host'],
                       server_holds_pci_device=info['server_holds_pci_device'],
                       server_pci_devices=info['server_pci_devices'],
                       pci_devices=info['pci_devices'],
                       hypervisors=info['hypervisors'], log=log, info=info)
    finally:
        stop_service(process)
        TIMINGS['tier'] = time.monotonic() - started


@pytest.fixture
def nova_http(real_nova: RealNova) -> Iterator[requests.Session]:
    """A ``requests`` session for curl-style checks against the real Nova (no proxy)."""
    with _session() as session:
        yield session


@pytest.fixture
def placement_http(real_nova: RealNova) -> Iterator[requests.Session]:
    """A ``requests`` session for curl-style checks against Nova's Placement (no proxy,
    the admin token; add the microversion)."""
    with _session() as session:
        session.headers['X-Auth-Token'] = real_nova.placement_token
        yield session


