"""The real-Neutron tier: a real Neutron 29.0.0 API (ML2, SR-IOV) on loopback, once per session.

``real_neutron`` builds (once, cached; ``.ci/run`` starts that build early) a venv holding
Neutron, starts ``neutron_harness.py`` in it as a subprocess (our own venv stays free of
Neutron), creates the scenario of ``scenario.py`` through Neutron's API as Nova would
(networks on two physnets, ports bound to SR-IOV VFs and a PF with the binding profile Nova
writes), and yields a :class:`RealNeutron`. If the venv cannot be built, the harness does
not become ready or the scenario is refused, the fixture fails with the log tail; it never
skips. The harness process group is stopped at the end of the session, also after a failure.
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

from tests.realneutron.cloud import RealNeutron, http_session
from tests.realneutron.scenario import create_scenario
from tests.realneutron.venv import neutron_venv
from tests.realservices.process import start_service, stop_service
from tests.realservices.summary import tier_timings
from tests.realservices.venvs import VenvError

HARNESS = Path(__file__).with_name('neutron_harness.py')
READY_TIMEOUT = 240  # seconds; about 10 s on an idle 2-core machine

TIMINGS = tier_timings('real Neutron tier')


def _ready(info_file: Path) -> bool:
    if not info_file.exists():
        return False
    info = json.loads(info_file.read_text())
    with http_session() as session:
        return session.get(info['admin_url'] + '/v2.0/networks', timeout=5).status_code == 200


def _harness_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PYTHON'))}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    return env


@pytest.fixture(scope='session')
def real_neutron(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealNeutron]:
    started = time.monotonic()
    problem = None
    try:
        venv = neutron_venv()
    except (VenvError, subprocess.SubprocessError, OSError) as exc:
        problem = f'could not build the Neutron venv: {exc}'
    if problem:
        pytest.fail(problem, pytrace=False)
    TIMINGS['venv'] = time.monotonic() - started

    workdir = tmp_path_factory.mktemp('realneutron')
    info_file = workdir / 'neutron.json'
    log = workdir / 'neutron.log'
    command = [str(venv / 'bin' / 'python'), str(HARNESS), '--workdir', str(workdir),
               '--info-file', str(info_file)]
    launched = time.monotonic()
    try:
        process = start_service(command, env=_harness_env(), log=log,
                                ready=lambda: _ready(info_file), name='neutron harness',
                                timeout=READY_TIMEOUT)
    except RuntimeError as exc:
        problem = f'the real Neutron harness did not start (log {log}):\n{exc}'
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        TIMINGS['harness_ready'] = time.monotonic() - launched
        info = json.loads(info_file.read_text())
        try:
            scenario = create_scenario(info)
        except (AssertionError, requests.RequestException) as exc:
            tail = log.read_text(errors='replace')[-3000:]
            pytest.fail(f'the real Neutron refused the scenario: {exc}\n{tail}', pytrace=False)
        yield RealNeutron(admin_url=info['admin_url'], member_url=info['member_url'],
                          service_url=info['service_url'], project_id=info['project_id'],
                          scenario=scenario, log=log, info=info)
    finally:
        stop_service(process)
        TIMINGS['tier'] = time.monotonic() - started


@pytest.fixture
def neutron_http(real_neutron: RealNeutron) -> Iterator[requests.Session]:
    """A ``requests`` session for curl-style checks against the real Neutron (no proxy)."""
    with http_session() as session:
        yield session
