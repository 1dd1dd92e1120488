"""``python3 -m benchmarks.exporter_scale``: ``pci-exporter`` against a large fake cloud:
refresh duration, scrape latency under concurrent scrapers while a refresh runs, memory.

What it does, at each size (``--at``, then ``--hosts``):

1. Starts ``pci-fake-server`` with generated hosts (:mod:`benchmarks.cloud`, password auth).
2. Starts ``pci-exporter --listen 127.0.0.1:0 --interval 1 --deadline 3600``: refreshes
   run back to back (the next starts as the last ends) and none is cut by its deadline.
   Its stderr goes to a file: an unread pipe fills and blocks the exporter's logging and,
   with it, every thread that logs (a harness that pipes stderr "hangs" the exporter).
3. Waits for the first refresh (no scrapers): its duration, the requests it sent.
4. While the second refresh runs, ``--scrapers`` threads (default 20) scrape ``/metrics``
   with ``Accept-Encoding: gzip`` back to back, each on a new connection, as Prometheus
   does; latency is from connect to the last byte. The run stops when the second
   refresh ends.
5. The exporter's peak resident set (``VmHWM`` of ``/proc/PID/status``) and cpu, its
   serving process's and each child's (the refresh process, the resource tracker).

The scrapers run in this process (threads): their latency includes this process's own
GIL waits, so it is an upper bound. Writes a markdown report (default
``benchmarks/results/exporter.md``). Not part of the test run.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cloud import FakeCloud, Shape
from benchmarks.environment import BENCH_DIR, ROOT, machine_info
from benchmarks.placement_runs import say, tool_env

RESULTS = BENCH_DIR / 'results' / 'exporter.md'
PASSWORD = 'exporter-bench-password'
_SUCCESS = re.compile(rb'^pci_exporter_refreshes_total\{result="success"\} (\S+)$', re.M)
_FAILURE = re.compile(rb'^pci_exporter_refreshes_total\{result="failure"\} (\S+)$', re.M)


@dataclass
class Step:
    shape: Shape
    first_refresh: float = float('nan')
    second_refresh: float = float('nan')
    requests: int = 0
    series: int = 0
    page_bytes: int = 0
    gzip_bytes: int = 0
    latencies: list[float] = field(default_factory=list)
    scrape_errors: list[str] = field(default_factory=list)
    peak_rss_mib: float = float('nan')
    cpu_seconds: float = float('nan')
    #: VmHWM of each child (the refresh process, multiprocessing's resource tracker).
    child_rss_mib: list[float] = field(default_factory=list)
    error: str | None = None


class Exporter:
    """``pci-exporter`` on a free loopback port; stderr to a file, stopped by TERM then KILL."""

    def __init__(self, script: str, cloud: FakeCloud, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, 'wb') as err:
            self.proc = subprocess.Popen(
                [script, *cloud.auth_args(), '--listen', '127.0.0.1:0', '--interval', '1',
                 '--deadline', '3600'], stdout=subprocess.PIPE, stderr=err,
                stdin=subprocess.DEVNULL, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith('http://127.0.0.1:'):
            self.stop()
            raise RuntimeError(f'pci-exporter printed {line!r}: {log.read_text()[-300:]}')
        self.host, port = line.removeprefix('http://').split('/', 1)[0].split(':')
        self.port = int(port)

    def get(self, gzipped: bool = False) -> bytes:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request('GET', '/metrics',
                         headers={'Accept-Encoding': 'gzip'} if gzipped else {})
            answer = conn.getresponse()
            body = answer.read()
            if answer.status != 200:
                raise RuntimeError(f'/metrics answered {answer.status}')
            return body
        finally:
            conn.close()

    def refreshes(self) -> int:
        page = self.get()
        done = [float(m.group(1)) for m in (_SUCCESS.search(page), _FAILURE.search(page)) if m]
        if len(done) == 2 and done[1] > 0:
            raise RuntimeError(f'a refresh failed: {self.log.read_text()[-300:]}')
        return int(sum(done))

    def children(self) -> list[int]:
        """The exporter's child processes (its refresh process, multiprocessing's
        resource tracker); none before the refresh ran in a child."""
        pids: list[int] = []
        for task in Path(f'/proc/{self.proc.pid}/task').iterdir():
            pids += [int(p) for p in (task / 'children').read_text().split()]
        return pids

    def status_kib(self, key: str, pid: int | None = None) -> int:
        for line in Path(f'/proc/{pid or self.proc.pid}/status').read_text().splitlines():
            if line.startswith(key + ':'):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """The exporter's cpu and its children's (still running: not in its cutime)."""
        total = 0.0
        for pid in (self.proc.pid, *self.children()):
            fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _wait_refreshes(exporter: Exporter, count: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while exporter.refreshes() < count:
        if exporter.proc.poll() is not None:
            raise RuntimeError(f'pci-exporter exited: {exporter.log.read_text()[-300:]}')
        if time.monotonic() > end:
            raise RuntimeError(f'no refresh #{count} within {timeout:.0f} s')
        time.sleep(0.5)


def _scrape(exporter: Exporter, stop: threading.Event, step: Step) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            exporter.get(gzipped=True)
        except (OSError, RuntimeError, http.client.HTTPException) as error:
            step.scrape_errors.append(f'{type(error).__name__}: {error}')
            continue
        step.latencies.append(time.perf_counter() - started)


def _number(page: bytes, name: str) -> float:
    found = re.search(rb'^' + name.encode() + rb' (\S+)$', page, re.M)
    return float(found.group(1)) if found else float('nan')


def measure(shape: Shape, scrapers: int, exporter_script: str, server_script: str,
            work: Path, timeout: float) -> Step:
    step = Step(shape)
    env = tool_env(work / 'home')
    say(f'{shape.describe()}: starting the fake cloud …')
    with FakeCloud(server_script, shape, PASSWORD, work, env) as cloud:
        exporter = Exporter(exporter_script, cloud, env, work / f'exporter-{shape.hosts}.log')
        try:
            say('   first refresh (no scrapers) …')
            _wait_refreshes(exporter, 1, timeout)
            page = exporter.get()
            step.first_refresh = _number(page, 'pci_exporter_last_refresh_duration_seconds')
            step.requests = int(_number(page, 'pci_exporter_requests_total'))
            step.series = int(_number(page, 'pci_exporter_series'))
            step.page_bytes, step.gzip_bytes = len(page), len(gzip.compress(page, 5))
            say(f'   {step.first_refresh:.1f} s, {step.requests:,} requests; second refresh '
                f'under {scrapers} scrapers …')
            stop = threading.Event()
            threads = [threading.Thread(target=_scrape, args=(exporter, stop, step),
                                        daemon=True) for _ in range(scrapers)]
            for thread in threads:
                thread.start()
            try:
                _wait_refreshes(exporter, 2, timeout)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(120)
            page = exporter.get()
            step.second_refresh = _number(page, 'pci_exporter_last_refresh_duration_seconds')
            step.peak_rss_mib = exporter.status_kib('VmHWM') / 1024
            step.child_rss_mib = [exporter.status_kib('VmHWM', pid) / 1024
                                  for pid in exporter.children()]
            step.cpu_seconds = exporter.cpu_seconds()
        except (RuntimeError, OSError, http.client.HTTPException) as error:
            step.error = str(error)
            say(f'   FAILED: {error}')
        finally:
            exporter.stop()
    return step


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _children(step: Step) -> str:
    """`` + 250 (refresh) + 12 MiB``: the children's peaks, largest first."""
    sizes = sorted(step.child_rss_mib, reverse=True)
    return ''.join(f' + {v:.0f}' + (' (refresh)' if i == 0 else '')
                   for i, v in enumerate(sizes)) + (' MiB' if sizes else '')


def render(info: dict[str, object], steps: list[Step], scrapers: int) -> str:
    lines = [
        '# pci-exporter at scale', '',
        f'Generated by `python3 -m benchmarks.exporter_scale` at commit {info["commit"]}'
        f'{" (uncommitted changes)" if info["dirty"] else ""}, {info["date"]}.',
        f'Machine: {info["cpu"]}, {info["cores"]} cores ({info["usable_cores"]} usable), '
        f'{info["memory_gib"]:.1f} GiB, {info["os"]}. Load average at start '
        f'{"/".join(f"{v:.2f}" for v in info["loadavg"])}, at end '  # type: ignore[attr-defined]
        f'{"/".join(f"{v:.2f}" for v in info["loadavg_end"])}.',  # type: ignore[attr-defined]
        '',
        'The fake cloud (`pci-fake-server`, one process) and the exporter share the machine; '
        'the exporter\'s cpu column shows its own share (serving process and children); '
        'its VmHWM is the serving process\'s peak, then each child\'s. Scrape latency: '
        f'{scrapers} threads scraping `/metrics` (gzip, a new connection each) back to back '
        'while the second refresh runs; connect to last byte.', '',
        '| cloud | devices | first refresh | refresh under scrapers | requests | series '
        '| page (gzip) | scrapes | p50 | p99 | max | errors | exporter VmHWM | cpu |',
        '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ]
    for step in steps:
        lat = [v * 1000 for v in step.latencies]
        shape = step.shape
        lines.append(
            f'| {shape.hosts:,} hosts × {shape.per_host} | {shape.devices:,} '
            f'| {step.first_refresh:.1f} s | {step.second_refresh:.1f} s | {step.requests:,} '
            f'| {step.series:,} | {step.page_bytes / 1024:,.0f} KiB ({step.gzip_bytes / 1024:,.0f}'
            f' KiB) | {len(lat):,} | {_quantile(lat, 0.5):.0f} ms | {_quantile(lat, 0.99):.0f} ms '
            f'| {max(lat, default=float("nan")):.0f} ms | {len(step.scrape_errors)} '
            f'| {step.peak_rss_mib:.0f} MiB{_children(step)} | {step.cpu_seconds:.0f} s |')
        if step.error:
            lines.append(f'\n{shape.describe()}: FAILED: {step.error}\n')
    ok = [s for s in steps if s.error is None and s.first_refresh > 0]
    if len(ok) > 1:
        per_host = [s.first_refresh / s.shape.hosts * 1000 for s in ok]
        lines += ['', 'Refresh time per host: ' + ', '.join(
            f'{s.shape.hosts:,} hosts {v:.0f} ms' for s, v in zip(ok, per_host, strict=True))
            + f' (median {statistics.median(per_host):.0f} ms).']
    lines.append(f'\nElapsed: {info["elapsed"]:.0f} s.')
    return '\n'.join(lines) + '\n'


def run(*, shapes: list[Shape], scrapers: int, exporter_script: str, server_script: str,
        output: Path, timeout: float) -> int:
    started = time.monotonic()
    info = machine_info()
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix='pciclient-exporter-scale-') as tmp:
        for shape in shapes:
            steps.append(measure(shape, scrapers, exporter_script, server_script,
                                 Path(tmp) / str(shape.devices), timeout))
    info['loadavg_end'] = os.getloadavg()
    info['elapsed'] = time.monotonic() - started
    text = render(info, steps, scrapers)
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    say(f'written to {output}')
    return 0 if all(s.error is None and not s.scrape_errors for s in steps) else 1


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _shape(text: str) -> Shape:
    """``HOSTS`` or ``HOSTSxPFSxVFSxGPUS``."""
    parts = [int(p) for p in text.lower().split('x')]
    if len(parts) == 1:
        return Shape(parts[0], 2, 8, 2)
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(f'expected HOSTS or HOSTSxPFSxVFSxGPUS, not {text!r}')
    return Shape(*parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m benchmarks.exporter_scale',
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cloud', type=_shape, action='append', default=[],
                        help='a cloud to measure: HOSTS (2 PFs × 8 VFs + 2 GPUs each) or '
                        'HOSTSxPFSxVFSxGPUS; repeatable (default: 100, 300, 1000 and '
                        '1000x4x24x0, 100,000 devices)')
    parser.add_argument('--scrapers', type=int, default=20,
                        help='concurrent scrapers during the second refresh (default 20)')
    parser.add_argument('--timeout', type=float, default=1800,
                        help='seconds to wait for one refresh (default 1800)')
    venv = ROOT / '.venv' / 'bin'
    parser.add_argument('--exporter', default=str(venv / 'pci-exporter'))
    parser.add_argument('--fake-server', default=str(venv / 'pci-fake-server'))
    parser.add_argument('--output', type=Path, default=RESULTS,
                        help=f'where to write the report (default {RESULTS})')
    args = parser.parse_args(argv)
    shapes = args.cloud or [Shape(100, 2, 8, 2), Shape(300, 2, 8, 2), Shape(1000, 2, 8, 2),
                            Shape(1000, 4, 24, 0)]
    for script in (args.exporter, args.fake_server):
        if not os.access(script, os.X_OK):
            parser.error(f'not executable: {script}')
    if not 1 <= args.scrapers <= 200:
        parser.error('--scrapers must be from 1 to 200')
    signal.signal(signal.SIGTERM, _interrupt)
    return run(shapes=shapes, scrapers=args.scrapers, exporter_script=args.exporter,
               server_script=args.fake_server, output=args.output, timeout=args.timeout)


if __name__ == '__main__':
    sys.exit(main())
