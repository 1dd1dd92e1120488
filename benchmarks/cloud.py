"""The fake cloud the benchmarks run against: ``pci-fake-server`` on a free loopback port.

Scenarios are generated hosts only (``generate: {pfs, vfs_per_pf, gpus, numa_nodes}``
with ``count``), with Keystone password auth on: one admin user in project ``admin``.
The server is started by the tests' one launcher (``tests/support/fake_cloud.py``; the
benchmarks run from a checkout): a child process that dies with the benchmark
(``PR_SET_PDEATHSIG``) and is always stopped by :meth:`FakeCloud.stop` (SIGTERM, then
SIGKILL after 10 s).
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.fake_cloud import FakeServerProcess

ADMIN = 'admin'
PROJECT = 'admin'


@dataclass(frozen=True)
class Shape:
    """Generated hosts: ``hosts`` of ``pfs * (1 + vfs_per_pf) + gpus`` devices each."""

    hosts: int
    pfs: int
    vfs_per_pf: int
    gpus: int
    numa_nodes: int = 2

    @property
    def per_host(self) -> int:
        return self.pfs * (1 + self.vfs_per_pf) + self.gpus

    @property
    def devices(self) -> int:
        return self.hosts * self.per_host

    def describe(self) -> str:
        return (f'{self.hosts} hosts × {self.per_host} devices ({self.pfs} PFs × '
                f'{self.vfs_per_pf} VFs + {self.gpus} GPUs) = {self.devices:,} devices')


def hostname(index: int) -> str:
    return f'compute-{index:04d}'


def scenario_text(shape: Shape, password: str) -> str:
    return (
        '# Written by the pciclient benchmarks (benchmarks/cloud.py).\n'
        'rescan_interval: 0\n'
        f'projects:\n  - {{name: {PROJECT}}}\n'
        f'users:\n  - {{name: {ADMIN}, password: "{password}", project: {PROJECT}, '
        'roles: [admin, member, reader]}\n'
        'hosts:\n'
        '  - hostname: "compute-{index:04d}"\n'
        f'    count: {shape.hosts}\n'
        f'    generate: {{pfs: {shape.pfs}, vfs_per_pf: {shape.vfs_per_pf}, '
        f'gpus: {shape.gpus}, numa_nodes: {shape.numa_nodes}}}\n')


def listen_overflows() -> int:
    """This machine's count of TCP connections dropped because a listen queue was full
    (``TcpExt: ListenOverflows`` of /proc/net/netstat); -1 when unknown."""
    try:
        lines = Path('/proc/net/netstat').read_text().splitlines()
    except OSError:
        return -1
    for names, values in itertools.pairwise(lines):
        if names.startswith('TcpExt:') and values.startswith('TcpExt:'):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table.get('ListenOverflows', -1))
    return -1


class FakeCloud:
    """``pci-fake-server --port 0 --scenario FILE`` (auth on) started from ``server_script``,
    through the tests' one launcher (:class:`tests.support.fake_cloud.FakeServerProcess`)."""

    def __init__(self, server_script: str, shape: Shape, password: str, workdir: Path,
                 env: dict[str, str], start_timeout: float = 120.0) -> None:
        self.shape = shape
        self.password = password
        workdir.mkdir(parents=True, exist_ok=True)
        scenario = workdir / f'cloud-{shape.devices}.yaml'
        scenario.write_text(scenario_text(shape, password))
        scenario.chmod(0o600)
        self.log = workdir / f'server-{shape.devices}.log'
        self.server = FakeServerProcess('--scenario', str(scenario), log=self.log, env=env,
                                        start_timeout=start_timeout, script=server_script,
                                        cwd=workdir, die_with_parent=True)
        self.proc = self.server.proc
        self.url = self.server.url
        self.start_seconds = self.server.start_seconds
        if not self.url.startswith('http://127.0.0.1:') or not self.url.endswith('/v2.1'):
            self.stop()
            raise RuntimeError(f'unexpected endpoint from pci-fake-server: {self.url!r}')
        self.root = self.server.root
        self.auth_url = self.root + '/identity'

    def auth_args(self) -> list[str]:
        """Password-auth options every tool accepts, for this cloud's admin."""
        return ['--os-auth-url', self.auth_url, '--os-username', ADMIN,
                '--os-password', self.password, '--os-project-name', PROJECT,
                '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']

    # --- the server process as seen from /proc --------------------------------------------

    def rss_mib(self) -> float:
        """Current resident set of the server process, MiB."""
        return self._status_kib('VmRSS') / 1024

    def peak_rss_mib(self) -> float:
        return self._status_kib('VmHWM') / 1024

    def _status_kib(self, key: str) -> int:
        for line in Path(f'/proc/{self.proc.pid}/status').read_text().splitlines():
            if line.startswith(key + ':'):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """user + sys cpu the server has used so far."""
        fields = Path(f'/proc/{self.proc.pid}/stat').read_text().rsplit(')', 1)[1].split()
        ticks = os.sysconf('SC_CLK_TCK')
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeCloud:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
