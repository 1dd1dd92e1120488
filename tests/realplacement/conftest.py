"""The real-Placement tier: a real Placement 16.0.0 on a loopback port, once per session.

``real_placement`` builds (once, cached) a venv with ``openstack-placement`` and gunicorn,
starts Placement with SQLite and ``noauth2`` (token ``admin``), fills it through its HTTP
API as Nova 34 would (:mod:`tests.realplacement.populate`) and yields a
:class:`RealPlacement`. If anything of that fails, the fixture fails with the reason and
the log tail; it never skips. Placement is stopped at the end of the session, also after
a failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.realplacement.placement import Placement, placement_venv, start_placement
from tests.realplacement.populate import Population, populate
from tests.realservices.process import free_port, start_service, stop_service
from tests.realservices.scripts import installed_script
from tests.realservices.summary import tier_timings
from tests.realservices.venvs import VenvError

TIMINGS = tier_timings('real Placement tier')


@dataclass
class RealPlacement:
    placement: Placement
    population: Population
    workdir: Path

    @property
    def url(self) -> str:
        return self.placement.url

    @property
    def token(self) -> str:
        return self.placement.token

    @property
    def log(self) -> Path:
        return self.placement.log


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only, never through a proxy
    return session


@pytest.fixture(scope='session')
def real_placement(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPlacement]:
    started = time.monotonic()
    try:
        venv = placement_venv()
    except (VenvError, subprocess.SubprocessError, OSError) as exc:
        pytest.fail(f'could not build the Placement venv: {exc}', pytrace=False)
    TIMINGS['venv'] = time.monotonic() - started

    workdir = tmp_path_factory.mktemp('realplacement')
    launched = time.monotonic()
    try:
        service = start_placement(workdir, venv)
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        pytest.fail(f'the real Placement did not start (workdir {workdir}):\n{exc}',
                    pytrace=False)
    try:
        TIMINGS['start_to_ready'] = time.monotonic() - launched
        try:
            population = populate(service.url, service.token)
        except Exception as exc:  # noqa: BLE001 - any failure here must fail loudly
            pytest.fail(f'could not populate the real Placement: {exc}\n'
                        f'--- {service.log} (tail) ---\n{service.log_tail()}', pytrace=False)
        TIMINGS['populate'] = population.seconds
        (workdir / 'population.json').write_text(
            json.dumps(population.to_dict(), indent=2, sort_keys=True))
        yield RealPlacement(placement=service, population=population, workdir=workdir)
    finally:
        service.stop()
        TIMINGS['tier'] = time.monotonic() - started


@pytest.fixture
def placement_http(real_placement: RealPlacement) -> Iterator[requests.Session]:
    """A ``requests`` session with the admin token (no proxy); add the microversion."""
    with _session() as session:
        session.headers['X-Auth-Token'] = real_placement.token
        yield session


@dataclass
class FakeCompute:
    url: str            # http://127.0.0.1:PORT/v2.1
    no_os_pci: bool     # started with --no-os-pci (servers without os-pci:pci_devices)
    log: Path


def _scenario(population: Population) -> str:
    """The compute side of the population: the two hosts (no os-pci devices) and the
    consumers as servers with the same UUIDs."""
    lines = ['projects:', '  - name: admin', 'hosts:']
    for host in population.roots:
        lines.append(f'  - {{hostname: {host}, generate: {{pfs: 0, vfs_per_pf: 0, gpus: 0}}}}')
    lines.append('servers:')
    for consumer in population.consumers.values():
        lines.append(f'  - {{name: {consumer.name}, id: "{consumer.uuid}", project: admin, '
                     f'host: {consumer.host}, devices: []}}')
    return '\n'.join(lines) + '\n'


@pytest.fixture(scope='session')
def fake_compute(real_placement: RealPlacement) -> Iterator[FakeCompute]:
    """``pci-fake-server --noauth`` serving the population's hosts and servers: the compute
    endpoint ``pci-cli`` needs next to Placement (``server-show``). With
    ``--no-os-pci`` when the installed fake server has it."""
    workdir = real_placement.workdir
    scenario = workdir / 'compute-scenario.yaml'
    scenario.write_text(_scenario(real_placement.population))
    server = installed_script('pci-fake-server')
    helped = subprocess.run([server, '--help'], capture_output=True, text=True, timeout=60)
    no_os_pci = '--no-os-pci' in helped.stdout
    port = free_port()
    url = f'http://127.0.0.1:{port}/v2.1'
    command = [server, '--noauth', '--port', str(port), '--scenario', str(scenario)]
    if no_os_pci:
        command.append('--no-os-pci')
    log = workdir / 'fake-compute.log'

    def ready() -> bool:
        with _session() as session:
            return session.get(url, timeout=2).status_code == 200

    try:
        process = start_service(command, env=dict(os.environ), log=log, ready=ready,
                                name='pci-fake-server', timeout=60)
    except RuntimeError as exc:
        pytest.fail(f'the fake compute server did not start:\n{exc}', pytrace=False)
    try:
        yield FakeCompute(url=url, no_os_pci=no_os_pci, log=log)
    finally:
        stop_service(process)
