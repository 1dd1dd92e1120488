"""``python3 -m benchmarks.capacity_scale``: ``pci-cli capacity`` against a real Placement 16
holding a cloud of 100, then 1,000 compute nodes: wall time, requests, and what they cost.

What it does:

1. Starts a real Placement 16.0.0 with an access log (:mod:`benchmarks.placement_service`,
   the real-Placement test tier's venv and code; run from a checkout) and a stand-in
   compute API (:mod:`benchmarks.capacity_compute`: five flavors, the compute services,
   no hypervisors), both on free loopback ports, both stopped at the end.
2. Grows the cloud step by step (``--at``, then ``--hosts``) through Placement's API as
   Nova 34 does (:mod:`benchmarks.capacity_population`): per compute node a root with
   VCPU/MEMORY_MB/DISK_GB (ratios and reserved as Nova's defaults) and the four PCI
   providers of the test tier, servers holding root resources and devices on every
   fifth host, one disabled host, two VFs reserved on another.
3. At every size runs ``pci-cli capacity`` (``admin_token`` auth, the stand-in as compute
   endpoint, ``--os-placement-endpoint-override``, ``--pci-alias`` with the aliases of
   the devices): every flavor, ``--summary`` and one flavor on one host; up to
   ``--full-up-to`` hosts also one flavor (to compare with every flavor), ``--verify``,
   and every flavor with ``--placement-concurrency`` 1 and 2 (the default is 8).
   Each output is checked against what the population says
   (:mod:`benchmarks.capacity_checks`) before it counts.
4. Times the client's fit arithmetic alone, in-process (:mod:`benchmarks.capacity_fit_timing`).

Requests to Placement are the lines gunicorn's access log gained while the command ran
(one line per request, with its milliseconds: their sum is how long Placement's single
worker was busy); requests to the compute API are counted by the stand-in itself.

Writes a markdown report (default ``benchmarks/results/capacity-scale.md``). Not part of
the test run.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.capacity_checks import Validator, rows_check, summary_check, totals
from benchmarks.capacity_compute import PCI_ALIASES, ComputeStandIn
from benchmarks.capacity_fit_timing import time_fit
from benchmarks.capacity_population import DISABLED_HOST, Cloud, grow, measured_host
from benchmarks.capacity_report import ALL, ON_HOST, ONE, SERIAL, Result, Step, render
from benchmarks.environment import BENCH_DIR, ROOT, machine_info
from benchmarks.placement_runs import run_counted, say, tool_env
from benchmarks.placement_service import AccessLog, request_kind, start

RESULTS = BENCH_DIR / 'results' / 'capacity-scale.md'


def commands(cloud: Cloud, full: bool) -> list[tuple[str, list[str], list[str], Validator]]:
    """(label, pci-cli options, capacity arguments, output check) at the cloud's size;
    ``full`` adds the comparisons (one flavor, ``--verify``, one request at a time)."""
    host = measured_host(len(cloud.hosts))
    listed: list[tuple[str, list[str], list[str], Validator]] = [
        ('capacity (every flavor)', [], [], rows_check(cloud, ALL)),
        ('capacity --summary', [], ['--summary'], summary_check(cloud, ALL)),
        (f'capacity --flavor {ON_HOST} --host {host}', [], ['--flavor', ON_HOST, '--host', host],
         rows_check(cloud, [ON_HOST], host=host)),
    ]
    if full:
        listed[1:1] = [(f'capacity --flavor {ONE}', [], ['--flavor', ONE],
                        rows_check(cloud, [ONE]))]
        listed += [
            (f'capacity --flavor {ONE} --verify', [], ['--flavor', ONE, '--verify'],
             rows_check(cloud, [ONE], verified=True)),
        ]
        listed += [(f'--placement-concurrency {n} capacity (every flavor)',
                    ['--placement-concurrency', str(n)], [], rows_check(cloud, ALL))
                   for n in SERIAL]
    return listed


def measure(cloud: Cloud, compute: ComputeStandIn, access: AccessLog, pci_cli: str,
            alias_file: Path, runs: int, full: bool, env: dict[str, str],
            work: Path) -> list[Result]:
    size = len(cloud.hosts)
    listed = commands(cloud, full)
    results = [Result(size, label) for label, _, _, _ in listed]
    for round_no in range(1, runs + 1):
        for result, (label, options, args, check) in zip(results, listed, strict=True):
            if result.error:
                continue
            argv = [pci_cli, *options, '--os-auth-type', 'admin_token', '--os-token', 'admin',
                    '--os-endpoint', compute.url, '--os-placement-endpoint-override',
                    cloud.url, 'capacity', *args, '--pci-alias', str(alias_file),
                    '-f', 'json']
            before = access.settled()
            asked = Counter(compute.requests)
            try:
                run = run_counted(argv, access, env, work, check, timeout=1800)
            except (RuntimeError, OSError) as exc:
                result.error = str(exc)
                say(f'   {size} hosts: {label}: FAILED ({exc})')
                continue
            lines = access.lines()[before:]
            result.walls.append(run.sample.wall)
            result.cpus.append(run.sample.cpu)
            result.requests, result.kinds = run.requests, run.kinds
            result.busy_ms = sum(_ms(line) for line in lines)
            result.listing_ms = [_ms(line) for line in lines
                                 if request_kind(line) == 'GET /resource_providers']
            result.compute = Counter(compute.requests) - asked
            if compute.unexpected:
                result.error = f'unexpected compute requests: {compute.unexpected[:3]}'
            say(f'   {size} hosts, round {round_no}/{runs}: {label}: {run.requests:,} '
                f'Placement requests, {sum(result.compute.values())} compute, '
                f'{run.sample.wall:.1f} s wall, {run.sample.cpu:.1f} s cpu')
    return results


def _ms(line: str) -> int:
    last = line.rsplit(' ', 1)[-1]
    return int(last) if last.isdigit() else 0


def run(*, hosts: int, at: list[int], runs: int, full_up_to: int, pci_cli: str,
        output: Path, workroot: str | None, echo: bool = True) -> int:
    started = time.monotonic()
    info = machine_info()
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix='pciclient-capacity-scale-', dir=workroot) as tmp:
        work = Path(tmp)
        alias_file = work / 'pci-alias.conf'
        alias_file.write_text(PCI_ALIASES)
        say(f'starting a real Placement 16 (workdir {work}) and the stand-in compute API …')
        service, access = start(work / 'placement')
        compute = ComputeStandIn(disabled={DISABLED_HOST}).start()
        try:
            cloud = Cloud(service.url)
            env = tool_env(work / 'home')
            for size in [*sorted(s for s in at if s < hosts), hosts]:
                say(f'growing the cloud to {size:,} hosts …')
                grow(cloud, size, say)
                compute.hosts = list(cloud.hosts)
                say(f'pci-cli capacity at {size:,} hosts, {runs} round(s) …')
                results = measure(cloud, compute, access, pci_cli, alias_file, runs,
                                  size <= full_up_to, env, work)
                say('   the fit alone, in-process …')
                steps.append(Step(size, cloud.seconds, cloud.requests, cloud.servers, results,
                                  time_fit(cloud), totals(cloud)))
        finally:
            compute.stop()
            service.stop()
    info['loadavg_end'] = os.getloadavg()
    info['elapsed'] = time.monotonic() - started
    info['storage'] = 'tmpfs' if workroot == '/dev/shm' else 'disk'
    shown = Path(pci_cli)
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else Path(shown.name)
    text = render(info, steps, str(shown))
    if echo:
        print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    say(f'written to {output}')
    return 0 if all(r.error is None for s in steps for r in s.results) else 1


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m benchmarks.capacity_scale',
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', type=int, default=1000,
                        help='compute nodes at the last step (default 1000)')
    parser.add_argument('--at', default='100', help='smaller sizes measured on the way, '
                        'comma-separated (default 100; "" for none)')
    parser.add_argument('--runs', type=int, default=1,
                        help='runs per command and size (default 1; medians reported)')
    parser.add_argument('--full-up-to', type=int, default=100,
                        help='at sizes up to this many hosts also run one flavor, --verify '
                        'and --placement-concurrency 1 and 2 (default 100)')
    parser.add_argument('--pci-cli', default=str(ROOT / '.venv' / 'bin' / 'pci-cli'),
                        help='the pci-cli measured (default: the checkout\'s .venv)')
    parser.add_argument('--workdir', default='/dev/shm' if os.path.isdir('/dev/shm') else None,
                        help='where Placement\'s SQLite file lives (default /dev/shm when '
                        'there is one: filling is about 15 %% faster on tmpfs)')
    parser.add_argument('--output', type=Path, default=RESULTS,
                        help=f'where to write the report (default {RESULTS})')
    args = parser.parse_args(argv)
    try:
        at = [int(s) for s in args.at.split(',') if s.strip()]
    except ValueError:
        parser.error('--at: comma-separated numbers of hosts')
    if not 10 <= args.hosts <= 5000 or any(not 10 <= s <= args.hosts for s in at):
        parser.error('--hosts and --at: from 10 to 5000 hosts, --at at most --hosts')
    if not 1 <= args.runs <= 10:
        parser.error('--runs must be from 1 to 10')
    if not os.access(args.pci_cli, os.X_OK):
        parser.error(f'no pci-cli at {args.pci_cli}')
    signal.signal(signal.SIGTERM, _interrupt)
    return run(hosts=args.hosts, at=at, runs=args.runs, full_up_to=args.full_up_to,
               pci_cli=args.pci_cli, output=args.output, workroot=args.workdir)


if __name__ == '__main__':
    sys.exit(main())
