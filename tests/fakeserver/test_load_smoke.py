"""A short load smoke test of the real ``pci-fake-server``: 50 clients, auth on, a few seconds.

Every answer must be a complete 200 with a valid JSON body of the right shape;
no timing is asserted (CI machines vary). The on-demand 30-second run with
latencies and memory lives in ``benchmarks/``.
"""
from __future__ import annotations

import http.client
import json
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakeserver.process_helpers import _env, _login
from tests.support.fake_cloud import FakeServerProcess

CLIENTS = 50
SECONDS = 3.0
PASSWORD = 'smoke-secret'
SCENARIO = """
hosts:
  - hostname: "smoke-{index:02d}"
    count: 4
    generate: {pfs: 2, vfs_per_pf: 8, gpus: 1, numa_nodes: 2}
"""


def _rss_kib(pid: int) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return -1


@pytest.fixture
def fake_cloud(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    scenario = tmp_path / 'scenario.yaml'
    scenario.write_text(SCENARIO)
    server = FakeServerProcess('--scenario', str(scenario), log=tmp_path / 'stderr.log',
                               env=_env(PCI_FAKE_ADMIN_PASSWORD=PASSWORD), start_timeout=30)
    try:
        status, token = _login(server.root, 'admin', PASSWORD, 'admin')
        assert status == 201 and token
        yield server.url, token, server.proc
    finally:
        server.stop()


def _client(port: int, token: str, paths: list[tuple[str, str]], deadline: float,
            seed: int, outcomes: list[str]) -> None:
    """One keep-alive connection asking ``paths`` at random until ``deadline``."""
    chooser = random.Random(seed)
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        while time.monotonic() < deadline:
            path, key = chooser.choice(paths)
            try:
                connection.request('GET', path, headers={'X-Auth-Token': token})
                response = connection.getresponse()
                body = response.read()  # raises IncompleteRead on a short body
                if response.status != 200:
                    outcomes.append(f'{response.status} {path}')
                elif response.getheader('Content-Type') != 'application/json':
                    outcomes.append(f'content type {response.getheader("Content-Type")}')
                elif len(body) != int(response.getheader('Content-Length', '-1')):
                    outcomes.append(f'length {len(body)} {path}')
                elif key not in json.loads(body):
                    outcomes.append(f'no {key!r} in {path}')
                else:
                    outcomes.append('ok')
            except (OSError, http.client.HTTPException, ValueError) as exc:
                outcomes.append(f'{type(exc).__name__}: {exc} ({path})')
                connection.close()  # the next request reconnects
    finally:
        connection.close()


def test_fifty_clients_get_complete_valid_json(
        fake_cloud: tuple[str, str, subprocess.Popen[str]],
        record_property: Any) -> None:
    url, token, process = fake_cloud
    port = int(url.split(':')[2].split('/')[0])
    paths = [('/v2.1/os-pci/detail?limit=100', 'pci_devices'),
             *((f'/v2.1/os-pci/{n}', 'pci_device') for n in range(1, 77)),  # 4 hosts x 19
             *((f'/v2.1/os-hypervisors/{n}', 'hypervisor') for n in range(1, 5)),
             ('/v2.1/servers/detail', 'servers'),
             ('/placement/resource_providers', 'resource_providers')]
    rss_start = _rss_kib(process.pid)
    outcomes: list[list[str]] = [[] for _ in range(CLIENTS)]
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_client, args=(port, token, paths, deadline, n,
                                                      outcomes[n]), daemon=True)
               for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads)
    rss_end = _rss_kib(process.pid)
    record_property('requests', sum(len(o) for o in outcomes))
    record_property('rss_kib', f'{rss_start} -> {rss_end}')
    errors = [outcome for per_client in outcomes for outcome in per_client if outcome != 'ok']
    assert errors == []
    assert all(per_client for per_client in outcomes)  # every client was served
    assert process.poll() is None
