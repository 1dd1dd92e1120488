"""The capacity scenario of the real-Nova tier: a second harness (``nova_harness.py
--capacity``) with flavors made for counting, and a driver that boots servers until Nova
says *No valid host was found*.

The scenario (issue 13, "the decision"): two computes, each with 2 vCPUs at
``cpu_allocation_ratio`` 4.0, 8192 MiB of RAM of which 512 reserved, 1028 GiB of disk,
two type-PCI GPUs (``CUSTOM_PCI_10DE_1EB8``, one provider each) and four VFs
(``CUSTOM_PCI_8086_1515``: one provider with 1 VF, one with 3). :data:`FLAVORS` are sized
so that a handful of servers fit per host, each limited by a different thing.

:func:`start_capacity_nova` starts the harness in its own process and yields a
:class:`CapacityCloud`; the process group is stopped when the context ends, also after a
failure. Nothing here imports pciclient: the cloud is driven through its HTTP APIs.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.realnova.conftest import (
    HARNESS,
    NOVA_REQUIREMENTS,
    READY_TIMEOUT,
    _harness_env,
    _ready,
)
from tests.realservices.process import start_service, stop_service
from tests.realservices.summary import tier_timings
from tests.realservices.venvs import VenvError, ensure_venv

# 2.37+ for networks "none"; admins see OS-EXT-SRV-ATTR:hypervisor_hostname and faults.
COMPUTE_VERSION = {'OpenStack-API-Version': 'compute 2.74', 'X-OpenStack-Nova-API-Version': '2.74'}
PLACEMENT_VERSION = '1.36'
# Bounds, not expectations: a boot settles in well under a second on an idle machine.
SETTLE_TIMEOUT = 90.0
POLL_INTERVAL = 0.1
MAX_SERVERS_PER_FLAVOR = 30  # far above what fits: a loop that never ends is a bug
NO_VALID_HOST = 'No valid host was found'
# Placement's request log line for the query a scheduler sent (in-process, via
# wsgi-intercept, so only this log sees it).
_QUERY_LINE = re.compile(r'"GET /placement/allocation_candidates\?(\S+)" status: (\d+)')

TIMINGS = tier_timings('real Nova capacity scenario')


@dataclass(frozen=True)
class FlavorDef:
    name: str
    vcpus: int
    ram: int
    disk: int
    extra_specs: dict[str, str]


#: The flavors the fixture creates; the counts they allow are worked out in
#: test_real_nova_capacity.py from the numbers in the module docstring.
FLAVORS = (
    # Limited by PCI: one GPU each, two GPUs per host.
    FlavorDef('cap.gpu', vcpus=1, ram=1024, disk=1,
              extra_specs={'pci_passthrough:alias': 'gpu:1'}),
    # Two VFs each (two request groups, group_policy defaulted to none by Nova).
    FlavorDef('cap.vf2', vcpus=1, ram=1024, disk=1,
              extra_specs={'pci_passthrough:alias': 'vf:2'}),
    # Two VFs each from two different providers: the 1-VF provider runs out first.
    FlavorDef('cap.vf2.isolate', vcpus=1, ram=1024, disk=1,
              extra_specs={'pci_passthrough:alias': 'vf:2', 'group_policy': 'isolate'}),
    # Limited by RAM before PCI: 2048 MiB and one VF each.
    FlavorDef('cap.ram', vcpus=2, ram=2048, disk=1,
              extra_specs={'pci_passthrough:alias': 'vf:1'}),
)


def _session(token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only, never through a proxy
    if token:
        session.headers['X-Auth-Token'] = token
    return session


@dataclass
class CapacityCloud:
    """The running scenario: endpoints, the alias file for ``pci-cli --pci-alias``, the
    flavors by name, and the means to fill it."""
    url: str                       # compute endpoint, http://127.0.0.1:PORT/v2.1
    placement_url: str             # http://127.0.0.1:PORT2/placement
    placement_token: str
    project_id: str
    hypervisors: list[dict]        # [{'id': UUID, 'hypervisor_hostname': ...}]
    alias_file: Path               # a nova.conf fragment: [pci] alias = {...} lines
    alias_lines: list[str]
    flavors: dict[str, str]        # name -> id
    image_id: str
    log: Path
    info: dict = field(repr=False)
    #: the fault message of the last server that ended in ERROR (boot_until_full)
    last_fault: str | None = None
    _compute: requests.Session = field(default_factory=_session, repr=False)

    def close(self) -> None:
        self._compute.close()

    @property
    def hostnames(self) -> list[str]:
        return sorted(h['hypervisor_hostname'] for h in self.hypervisors)

    # -- HTTP ---------------------------------------------------------------------------

    def compute(self, method: str, path: str, body: dict | None = None,
                ok: tuple[int, ...] = (200, 201, 202, 204)) -> requests.Response:
        answer = self._compute.request(method, self.url + path, json=body, timeout=60,
                                       headers=COMPUTE_VERSION)
        if answer.status_code not in ok:
            raise AssertionError(f'{method} {path}: {answer.status_code} {answer.text}')
        return answer

    def placement(self, path: str, version: str = PLACEMENT_VERSION) -> dict:
        with _session(self.placement_token) as session:
            answer = session.get(self.placement_url + path, timeout=60,
                                 headers={'OpenStack-API-Version': f'placement {version}'})
        if answer.status_code != 200:
            raise AssertionError(f'GET {path}: {answer.status_code} {answer.text}')
        return answer.json()

    # -- servers ------------------------------------------------------------------------

    def _settled(self, server_id: str) -> dict:
        """The server once ACTIVE, or ERROR with its fault (the fault is written after
        the state)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            server = self.compute('GET', f'/servers/{server_id}').json()['server']
            if server['status'] == 'ACTIVE' or (server['status'] == 'ERROR'
                                                and server.get('fault')):
                return server
            if time.monotonic() > deadline:
                raise AssertionError(f'server {server_id} did not settle: {server}')
            time.sleep(POLL_INTERVAL)

    def boot(self, flavor: str, name: str) -> dict:
        """Boot one server of ``flavor`` (a name of :data:`FLAVORS` or an id) and wait
        until it is ACTIVE or in ERROR."""
        body = {'server': {'name': name, 'imageRef': self.image_id, 'networks': 'none',
                           'flavorRef': self.flavors.get(flavor, flavor)}}
        server = self.compute('POST', '/servers', body).json()['server']
        return self._settled(server['id'])

    def delete_servers(self) -> None:
        """Delete every server and wait until each is gone (the compute frees its
        allocations and PCI devices before the server disappears).

        The DELETEs go out at once, from threads of their own (each takes Nova's API
        most of a second; one after the other they cost a few seconds per flavor)."""
        servers = self.compute('GET', '/servers?all_tenants=1').json()['servers']

        def delete(server: dict) -> None:
            with _session() as session:
                answer = session.delete(f'{self.url}/servers/{server["id"]}', timeout=60,
                                        headers=COMPUTE_VERSION)
            if answer.status_code not in (204, 404):
                raise AssertionError(f'DELETE /servers/{server["id"]}: '
                                     f'{answer.status_code} {answer.text}')

        with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
            list(pool.map(delete, servers))   # re-raises the first failure
        deadline = time.monotonic() + SETTLE_TIMEOUT
        for server in servers:
            while self.compute('GET', f'/servers/{server["id"]}',
                               ok=(200, 404)).status_code != 404:
                if time.monotonic() > deadline:
                    raise AssertionError(f'server {server["id"]} was not deleted')
                time.sleep(POLL_INTERVAL)

    def boot_until_full(self, flavor: str, *, keep: bool = False) -> dict[str, int]:
        """Boot servers of ``flavor`` one at a time until one ends in ERROR with
        NoValidHost; the ACTIVE ones per hypervisor hostname (every host, 0 included).

        A server in ERROR for any other reason fails. Unless ``keep``, every server is
        deleted afterwards, so the next flavor starts from an empty cloud.
        """
        counts = dict.fromkeys(self.hostnames, 0)
        try:
            for number in range(MAX_SERVERS_PER_FLAVOR):
                server = self.boot(flavor, f'{flavor}-{number}')
                if server['status'] == 'ERROR':
                    self.last_fault = server['fault'].get('message', '')
                    if NO_VALID_HOST not in self.last_fault:
                        raise AssertionError(f'{flavor}: server in ERROR but not for '
                                             f'NoValidHost: {server["fault"]}')
                    return counts
                counts[server['OS-EXT-SRV-ATTR:hypervisor_hostname']] += 1
            raise AssertionError(f'{flavor}: {MAX_SERVERS_PER_FLAVOR} servers and no '
                                 f'NoValidHost yet: {counts}')
        finally:
            if not keep:
                self.delete_servers()

    # -- what Nova sent Placement ------------------------------------------------------

    def log_size(self) -> int:
        return self.log.stat().st_size

    def allocation_candidate_queries(self, since: int = 0) -> list[str]:
        """The query strings of ``GET /allocation_candidates`` Nova's scheduler sent
        (from Placement's request log), decoded, after byte ``since`` of the log."""
        with open(self.log, 'rb') as log:
            log.seek(since)
            text = log.read().decode(errors='replace')
        return [urllib.parse.unquote(match.group(1)) for match in _QUERY_LINE.finditer(text)]


def _alias_fragment(lines: list[str]) -> str:
    return '[pci]\n' + ''.join(f'alias = {line}\n' for line in lines)


def _create_flavors(cloud: CapacityCloud) -> None:
    for flavor in FLAVORS:
        body = {'flavor': {'name': flavor.name, 'vcpus': flavor.vcpus, 'ram': flavor.ram,
                           'disk': flavor.disk}}
        flavor_id = cloud.compute('POST', '/flavors', body).json()['flavor']['id']
        cloud.compute('POST', f'/flavors/{flavor_id}/os-extra_specs',
                      {'extra_specs': flavor.extra_specs})
        cloud.flavors[flavor.name] = flavor_id


def _image_id(url: str) -> str:
    """The first image of the harness's Glance fixture (the image proxy ends at 2.35)."""
    with _session() as session:
        answer = session.get(url + '/images', timeout=60,
                             headers={'OpenStack-API-Version': 'compute 2.35',
                                      'X-OpenStack-Nova-API-Version': '2.35'})
    answer.raise_for_status()
    return answer.json()['images'][0]['id']


@contextmanager
def start_capacity_nova(workdir: Path) -> Iterator[CapacityCloud]:
    """The capacity harness as a process of its own, ready, with :data:`FLAVORS` created;
    stopped when the context ends. Fails (never skips) when it cannot start."""
    started = time.monotonic()
    problem = None
    try:
        venv = ensure_venv('nova', NOVA_REQUIREMENTS)
    except (VenvError, subprocess.SubprocessError, OSError) as exc:
        problem = f'could not build the Nova venv: {exc}'
    if problem:
        pytest.fail(problem, pytrace=False)
    info_file = workdir / 'nova-capacity.json'
    log = workdir / 'nova-capacity.log'
    command = [str(venv / 'bin' / 'python'), str(HARNESS), '--capacity', '--port', '0',
               '--placement-port', '0', '--info-file', str(info_file)]
    try:
        process = start_service(command, env=_harness_env(), log=log,
                                ready=lambda: _ready(info_file), name='nova capacity harness',
                                timeout=READY_TIMEOUT)
    except RuntimeError as exc:
        problem = f'the capacity Nova harness did not start (log {log}):\n{exc}'
    if problem:
        pytest.fail(problem, pytrace=False)
    cloud: CapacityCloud | None = None
    try:
        TIMINGS['harness_ready'] = time.monotonic() - started
        info = json.loads(info_file.read_text())
        alias_file = workdir / 'pci-alias.conf'
        alias_file.write_text(_alias_fragment(info['pci_alias_lines']))
        cloud = CapacityCloud(
            url=info['url'], placement_url=info['placement_url'],
            placement_token=info['placement_token'], project_id=info['project_id'],
            hypervisors=info['hypervisors'], alias_file=alias_file,
            alias_lines=info['pci_alias_lines'], flavors={}, image_id=_image_id(info['url']),
            log=log, info=info)
        _create_flavors(cloud)
        yield cloud
    finally:
        stop_service(process)
        if cloud is not None:
            cloud.close()
        TIMINGS['scenario'] = time.monotonic() - started
