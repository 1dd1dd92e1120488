"""``python -m benchmarks.placement_scale``: pci-cli's Placement mode against a real
Placement 16 holding a cloud-sized set of PCI providers, before and after a change.

What it does:

1. Starts a real Placement 16.0.0 (gunicorn, one sync worker, SQLite, ``auth_strategy =
   noauth2``) on loopback with the real-Placement test tier's code
   (:func:`tests.realplacement.placement.start_placement`, its cached venv under
   ``~/.cache/pciclient/services``). Benchmarks run from a checkout, so importing
   ``tests.realplacement.*`` and ``tests.realservices.*`` is deliberate here.
2. Fills it through Placement's HTTP API as Nova's report client does, with the calls,
   microversions, devices and traits of :mod:`tests.realplacement.populate` (its
   :class:`~tests.realplacement.populate.PlacementAPI`): ``--hosts`` compute nodes
   (``compute0001`` …) with the 4 PCI providers of ``populate.DEVICES`` each, ``--servers``
   servers each holding a device (claimed through ``GET /allocation_candidates`` and ``PUT
   /allocations``), and one device reserved by the operator. Nothing is cached between runs.
3. Runs ``pci-cli --pci-source placement`` (``admin_token`` auth, token ``admin``, a closed
   compute endpoint, ``--os-placement-endpoint-override``; the flags of
   ``tests/realplacement/test_real_placement_cli.py``) for the commands of
   :func:`~benchmarks.placement_pci_cli.pci_commands`, ``--runs`` times each (interleaved
   over the columns), every output checked. Columns: *before* — pci-cli built from git
   revision ``--rev`` (installed into ``~/.cache/pciclient/bench/venv-placement-before`` by
   :func:`benchmarks.environment.ensure_env`, as ``python -m benchmarks --rev`` does) or the
   pci-cli at ``--before PATH``; *after* — the pci-cli at ``--pci-cli PATH`` (default: the
   checkout's ``.venv/bin/pci-cli``; ``none`` skips it).
4. Measures what an operator would do instead with ``openstack`` + ``osc-placement`` (a
   cached venv ``osc-placement-*`` beside Placement's): ``openstack resource provider
   list --required COMPUTE_MANAGED_PCI_DEVICE`` once, then ``resource provider inventory
   list`` and ``resource provider usage show`` for ``--osc-providers`` providers,
   extrapolated to every PCI provider (one process per call, as a shell loop runs them).

Requests are counted from gunicorn's access log: ``GUNICORN_CMD_ARGS`` (which gunicorn
reads besides its command line; ``start_placement`` passes the environment on) adds
``--access-logfile`` with one line per request (method, path, status, ms). A command's
requests are the lines added between its start and its exit (after the log has stopped
growing). Placement's single sync worker logs each request before it reads the next.

Writes a markdown report (default ``benchmarks/results/placement-scale.md``).

This module is the entry point and the run's order; the parts are: Placement and its
access log (:mod:`benchmarks.placement_service`), filling it
(:mod:`benchmarks.placement_population`), one counted run of a CLI
(:mod:`benchmarks.placement_runs`), the pci-cli columns (:mod:`benchmarks.placement_pci_cli`),
the openstack CLI (:mod:`benchmarks.placement_osc`) and the report
(:mod:`benchmarks.placement_report`).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.environment import BENCH_DIR, ROOT, ensure_env, machine_info
from benchmarks.placement_osc import measure_openstack
from benchmarks.placement_pci_cli import measure_pci_cli
from benchmarks.placement_population import PROVIDERS_PER_HOST, populate
from benchmarks.placement_report import render
from benchmarks.placement_runs import say, tool_env
from benchmarks.placement_service import start

RESULTS = BENCH_DIR / 'results' / 'placement-scale.md'
# Outside the checkout (nothing to ignore), beside the test tiers' service venvs.
BEFORE_VENV = Path.home() / '.cache' / 'pciclient' / 'bench' / 'venv-placement-before'


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(*, hosts: int, servers: int, runs: int, columns: dict[str, str], osc_sample: int,
        output: Path, rev: str | None = None, echo: bool = True) -> int:
    started = time.monotonic()
    info = machine_info(rev)
    with tempfile.TemporaryDirectory(prefix='pciclient-placement-scale-') as tmp:
        work = Path(tmp)
        say(f'starting a real Placement 16 (workdir {work}) …')
        service, access = start(work / 'placement')
        try:
            say(f'filling it: {hosts} hosts × {PROVIDERS_PER_HOST} PCI providers, '
                 f'{servers} servers …')
            pop = populate(service.url, hosts, servers)
            filled = access.settled()
            if filled != pop.requests + 1:   # + the readiness probe GET /
                say(f'   note: access log has {filled} lines for {pop.requests} requests '
                     '(+1 readiness probe)')
            env = tool_env(work / 'home')
            say(f'pci-cli, {runs} rounds over {", ".join(columns) or "no columns"} …')
            measured = measure_pci_cli(columns, pop, service.url, access, runs, env, work)
            osc, osc_note = None, ''
            if osc_sample:
                say(f'openstack CLI, {osc_sample} providers …')
                osc = measure_openstack(pop, service.url, access, osc_sample, work)
                if osc is None:
                    osc_note = 'Skipped: the osc-placement venv could not be built.'
            else:
                osc_note = 'Skipped (`--osc-providers 0`).'
        finally:
            service.stop()
    info['loadavg_end'] = os.getloadavg()
    info['elapsed'] = time.monotonic() - started
    text = render(info, pop, columns, measured, osc, osc_note, runs)
    if echo:
        print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    say(f'written to {output}')
    return 0 if all(m.ok for m in measured) else 1


def suite_part(pci_cli: str, *, quick: bool, rev: str | None) -> str:
    """Part 5 of ``python -m benchmarks``: the benchmark venv's pci-cli (the working tree or
    ``--rev``) at 250 hosts (``--quick``: 25); returns a line for the suite's notes."""
    hosts = 25 if quick else 250
    say(f'5. Placement mode at cloud scale ({hosts} hosts × {PROVIDERS_PER_HOST} PCI '
         'providers, real Placement 16) …')
    code = run(hosts=hosts, servers=min(30, 3 * hosts), runs=3,
               columns={rev or 'working tree': pci_cli}, osc_sample=20, output=RESULTS,
               rev=rev, echo=False)
    state = 'written to' if code == 0 else 'with failures, written to'
    return (f'Placement mode at cloud scale ({hosts * PROVIDERS_PER_HOST:,} PCI providers): '
            f'{state} `{RESULTS.relative_to(ROOT)}`.')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.placement_scale',
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', type=int, default=250,
                        help='compute nodes, 4 PCI providers each (default 250; 25 is quick)')
    parser.add_argument('--servers', type=int, default=30,
                        help='servers holding a device each (default 30)')
    parser.add_argument('--runs', type=int, default=3, help='runs per command (default 3)')
    parser.add_argument('--pci-cli', '--after', dest='after',
                        default=str(ROOT / '.venv' / 'bin' / 'pci-cli'),
                        help='the "after" pci-cli (default: the checkout\'s .venv/bin/pci-cli;'
                        ' "none": no after column)')
    before = parser.add_mutually_exclusive_group()
    before.add_argument('--rev', help='"before" column: pci-cli built from this git revision '
                        f'(installed into {BEFORE_VENV})')
    before.add_argument('--before', help='"before" column: this pci-cli')
    parser.add_argument('--osc-providers', type=int, default=20,
                        help='providers to run the openstack per-provider calls on (default '
                        '20; 0 skips the openstack CLI)')
    parser.add_argument('--output', type=Path, default=RESULTS,
                        help=f'where to write the report (default {RESULTS})')
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 5000:
        parser.error('--hosts must be from 1 to 5000')
    if args.servers > 3 * args.hosts:
        parser.error('--servers: at most 3 per host')
    if not 1 <= args.runs <= 20:
        parser.error('--runs must be from 1 to 20')
    columns: dict[str, str] = {}
    if args.rev:
        bench = ensure_env(BEFORE_VENV, rev=args.rev, say=say)
        columns[f'before ({args.rev})'] = bench.script('pci-cli')
    elif args.before:
        columns['before'] = args.before
    if args.after != 'none':
        columns['after'] = args.after
    for name, path in columns.items():
        if not os.access(path, os.X_OK):
            parser.error(f'{name}: no pci-cli at {path}')
    signal.signal(signal.SIGTERM, _interrupt)
    return run(hosts=args.hosts, servers=args.servers, runs=args.runs, columns=columns,
               osc_sample=args.osc_providers, output=args.output, rev=args.rev)


if __name__ == '__main__':
    sys.exit(main())
