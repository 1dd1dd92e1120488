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
   :func:`pci_commands`, ``--runs`` times each (interleaved over the columns), every output
   checked. Columns: *before* — pci-cli built from git revision ``--rev`` (installed into
   ``~/.cache/pciclient/bench/venv-placement-before`` by
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
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.environment import BENCH_DIR, ROOT, ensure_env, machine_info
from benchmarks.measure import Sample, run_once

RESULTS = BENCH_DIR / 'results' / 'placement-scale.md'
# Outside the checkout (nothing to ignore), beside the test tiers' service venvs.
BEFORE_VENV = Path.home() / '.cache' / 'pciclient' / 'bench' / 'venv-placement-before'
OSC_REQUIREMENTS = ['python-openstackclient==10.5.0', 'osc-placement==4.9.1']
OSC_MICROVERSION = '1.18'     # --required on resource provider list
PROVIDERS_PER_HOST = 4        # len(populate.DEVICES)
DEAD_COMPUTE = 'http://127.0.0.1:1/v2.1'   # the Placement-only commands must not need it

Validator = Callable[[Any], 'str | None']


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def hostname(i: int) -> str:
    return f'compute{i:04d}'


def measured_index(hosts: int) -> int:
    """The host the targeted commands ask about: compute0100 when there are 100 or more."""
    return min(99, hosts - 1)


# --- Placement and its access log -------------------------------------------------------------

class AccessLog:
    """Gunicorn's access log: one line per request, ``METHOD PATH STATUS MS``."""

    FORMAT = '%(m)s %(U)s %(s)s %(M)s'

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[str]:
        try:
            return self.path.read_text(errors='replace').splitlines()
        except FileNotFoundError:
            return []

    def settled(self, quiet: float = 0.3, limit: float = 10.0) -> int:
        """The number of lines once the log has not grown for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        size = -1
        while True:
            now = self.path.stat().st_size if self.path.exists() else 0
            if now == size or time.monotonic() > deadline:
                return len(self.lines())
            size = now
            time.sleep(quiet)


_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def request_kind(line: str) -> str:
    """``GET /resource_providers/{uuid}/usages`` from an access-log line."""
    parts = line.split()
    if len(parts) < 2:
        return line
    return f'{parts[0]} {_UUID.sub("{uuid}", parts[1])}'


def start(workdir: Path):
    """Placement with an access log; returns (Placement, AccessLog)."""
    from tests.realplacement.placement import placement_venv, start_placement

    access = workdir / 'access.log'
    saved = os.environ.get('GUNICORN_CMD_ARGS')
    os.environ['GUNICORN_CMD_ARGS'] = (f'--access-logfile {access} '
                                       f"--access-logformat '{AccessLog.FORMAT}'")
    try:
        service = start_placement(workdir, placement_venv())
    finally:
        if saved is None:
            os.environ.pop('GUNICORN_CMD_ARGS', None)
        else:
            os.environ['GUNICORN_CMD_ARGS'] = saved
    return service, AccessLog(access)


# --- population --------------------------------------------------------------------------------

@dataclass
class Population:
    hosts: list[str]
    providers: dict[tuple[str, str], dict]     # (host, device key) -> provider
    servers: list[str] = field(default_factory=list)
    reserved: tuple[str, str] = ('', '')
    seconds: float = 0.0
    requests: int = 0

    @property
    def pci_providers(self) -> int:
        return len(self.providers)


def populate(url: str, hosts: int, servers: int, say=_say) -> Population:
    """``hosts`` compute nodes with the test tier's 4 PCI providers each, ``servers`` servers
    holding one device each (spread over the hosts) and one device reserved: the calls of
    :mod:`tests.realplacement.populate`, at scale."""
    from tests.realplacement import populate as nova

    started = time.monotonic()
    api = nova.PlacementAPI(url, 'admin')
    names = [hostname(i) for i in range(1, hosts + 1)]
    pop = Population(hosts=names, providers={})
    roots: dict[str, str] = {}
    try:
        for done, host in enumerate(names, start=1):
            root = api.create_provider(host)
            api.set_inventory(root, nova.ROOT_INVENTORY)
            api.set_traits(root, set(nova.ROOT_TRAITS))
            roots[host] = root['uuid']
            for spec in nova.DEVICES:
                child = api.create_provider(nova.provider_name(host, spec.address),
                                            parent=root['uuid'])
                total = spec.vfs or 1
                api.set_inventory(child, {nova.resource_class(spec): {'total': total,
                                                                      'max_unit': total}})
                api.set_traits(child, set(nova.PCI_TRAITS) | set(spec.traits))
                pop.providers[(host, spec.key)] = child
            if done % max(1, hosts // 10) == 0 or done == hosts:
                elapsed = time.monotonic() - started
                say(f'   {done}/{hosts} hosts, {len(pop.providers)} PCI providers, '
                    f'{api.count} requests, {elapsed:.0f} s')
        specs = {s.key: s for s in nova.DEVICES}
        # One device reserved by the operator, on the last host (not a measured host).
        pop.reserved = (names[-1], 'pf')
        api.reserve(pop.providers[pop.reserved], nova.resource_class(specs['pf']), 1)
        # Servers: a GPU, two VFs or a gold GPU each; three per host, the measured host
        # first, the others spread over the cloud.
        kinds = [('gpu', 1), ('sriov', 2), ('gold', 1)]
        spread = max(1, hosts // max(1, -(-servers // len(kinds))))
        for i in range(servers):
            key, count = kinds[i % len(kinds)]
            host = names[(measured_index(hosts) + (i // len(kinds)) * spread) % hosts]
            consumer = str(uuid.uuid4())
            api.claim(consumer, roots[host], nova.FLAVOR, nova.resource_class(specs[key]),
                      count, required=specs[key].traits)
            pop.servers.append(consumer)
        say(f'   {servers} servers claimed, 1 device reserved ({api.count} requests)')
    finally:
        api.close()
    pop.seconds = time.monotonic() - started
    pop.requests = api.count
    return pop


# --- commands ------------------------------------------------------------------------------------

@dataclass
class Run:
    sample: Sample
    requests: int
    kinds: Counter


@dataclass
class Measured:
    label: str
    column: str
    runs: list[Run] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    def wall(self) -> float:
        return statistics.median(r.sample.wall for r in self.runs) if self.ok else float('nan')

    def cpu(self) -> float:
        return statistics.median(r.sample.cpu for r in self.runs) if self.ok else float('nan')

    def requests(self) -> int | None:
        return int(statistics.median(r.requests for r in self.runs)) if self.ok else None

    def spread(self) -> tuple[float, float]:
        walls = [r.sample.wall for r in self.runs] or [float('nan')]
        return min(walls), max(walls)


def _json_list(count: int | None = None, host: str | None = None) -> Validator:
    def check(data: Any) -> str | None:
        if not isinstance(data, list):
            return 'not a JSON list'
        if count is not None and len(data) != count:
            return f'expected {count} rows, got {len(data)}'
        if host and {row.get('Host') for row in data} != {host}:
            return f'rows of other hosts than {host}'
        if not data:
            return 'no rows'
        return None
    return check


def _nonempty_list(data: Any) -> str | None:
    return None if isinstance(data, list) and data else 'empty or not a list'


def _json_show(ident: str) -> Validator:
    def check(data: Any) -> str | None:
        if not isinstance(data, dict):
            return 'not a JSON object'
        shown = f'{data.get("host")}_{data.get("address")}'
        return None if shown == ident else f'showed {shown}, not {ident}'
    return check


def pci_commands(pop: Population) -> list[tuple[str, list[str], Validator]]:
    """(label, pci-cli arguments, output check): what the issue measured, and the pools."""
    from tests.realplacement.populate import DEVICES

    host = pop.hosts[measured_index(len(pop.hosts))]
    device = f'{host}_{DEVICES[0].address}'
    total = pop.pci_providers
    return [
        ('pci-list -f json', ['pci-list'], _json_list(total)),
        (f'pci-list --host {host} -f json', ['pci-list', '--host', host],
         _json_list(PROVIDERS_PER_HOST, host)),
        (f'pci-show {device} -f json', ['pci-show', device], _json_show(device)),
        ('pci-pool-list -f json', ['pci-pool-list'], _json_list()),
        (f'pci-pool-list --host {host} -f json', ['pci-pool-list', '--host', host],
         _json_list(host=host)),
    ]


def tool_env(home: Path, path_dir: Path | None = None) -> dict[str, str]:
    """No OS_* variables, no proxies, an empty HOME (no clouds.yaml)."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ('LANG', 'LC_ALL', 'TZ', 'TERM')}
    path = f'{path_dir}:/usr/bin:/bin' if path_dir else '/usr/bin:/bin'
    return {**keep, 'HOME': str(home), 'PATH': path, 'PYTHONIOENCODING': 'utf-8',
            'NO_PROXY': '127.0.0.1,localhost', 'no_proxy': '127.0.0.1,localhost',
            'LANG': keep.get('LANG', 'C.UTF-8')}


def run_counted(argv: list[str], access: AccessLog, env: dict[str, str], work: Path,
                validate: Validator | None, timeout: float) -> Run:
    """Run once; raises RuntimeError with the reason when it fails or its output is wrong."""
    before = access.settled()
    out, err = work / 'stdout', work / 'stderr'
    sample, code = run_once(argv, env, work, out, err, timeout)
    access.settled()
    new = access.lines()[before:]
    if code != 0:
        tail = ' | '.join(err.read_text(errors='replace').strip().splitlines()[-3:])
        raise RuntimeError(f'exit {code}: {tail[-300:]}')
    if validate:
        try:
            data = json.loads(out.read_bytes())
        except ValueError:
            raise RuntimeError('stdout is not JSON') from None
        problem = validate(data)
        if problem:
            raise RuntimeError(problem)
    return Run(sample, len(new), Counter(request_kind(line) for line in new))


def measure_pci_cli(columns: dict[str, str], pop: Population, url: str, access: AccessLog,
                    runs: int, env: dict[str, str], work: Path) -> list[Measured]:
    commands = pci_commands(pop)
    results = {(label, column): Measured(label, column)
               for label, _, _ in commands for column in columns}
    for round_no in range(1, runs + 1):
        for label, args, validate in commands:
            for column, cli in columns.items():
                measured = results[(label, column)]
                if measured.error:
                    continue
                argv = [cli, '--os-auth-type', 'admin_token', '--os-token', 'admin',
                        '--os-endpoint', DEAD_COMPUTE, '--os-placement-endpoint-override', url,
                        '--pci-source', 'placement', *args, '-f', 'json']
                try:
                    run = run_counted(argv, access, env, work, validate, timeout=900)
                except (RuntimeError, OSError) as exc:
                    measured.error = str(exc)
                    _say(f'   {column}: {label}: FAILED ({exc})')
                    continue
                measured.runs.append(run)
                _say(f'   round {round_no}/{runs} {column}: {label}: {run.requests} requests, '
                     f'{run.sample.wall:.1f} s')
    return list(results.values())


# --- the openstack CLI -------------------------------------------------------------------------

@dataclass
class OscResult:
    listing: Measured
    per_provider: dict[str, Measured]      # label -> runs over the sampled providers
    sampled: int
    providers: int                         # PCI providers in the cloud
    error: str | None = None

    def extrapolated(self) -> tuple[float, float]:
        """(requests, wall s) for the listing plus every call on every PCI provider."""
        requests = float(self.listing.requests() or 0)
        wall = self.listing.wall()
        for measured in self.per_provider.values():
            requests += statistics.mean(r.requests for r in measured.runs) * self.providers
            wall += statistics.mean(r.sample.wall for r in measured.runs) * self.providers
        return requests, wall


def measure_openstack(pop: Population, url: str, access: AccessLog, sample: int,
                      work: Path) -> OscResult | None:
    from tests.realservices.venvs import VenvError, ensure_venv

    _say(f'   openstack + osc-placement venv ({", ".join(OSC_REQUIREMENTS)}) …')
    try:
        venv = ensure_venv('osc-placement', OSC_REQUIREMENTS)
    except (VenvError, OSError) as exc:
        _say(f'   skipped: {exc}')
        return None
    env = tool_env(work / 'home-osc', venv / 'bin')
    base = [str(venv / 'bin' / 'openstack'), '--os-auth-type', 'admin_token',
            '--os-token', 'admin', '--os-endpoint', url,
            '--os-placement-api-version', OSC_MICROVERSION]
    listing = Measured('openstack resource provider list --required '
                       'COMPUTE_MANAGED_PCI_DEVICE -f json', 'openstack')
    providers: list[dict] = []
    for _ in range(3):
        argv = [*base, 'resource', 'provider', 'list', '--required',
                'COMPUTE_MANAGED_PCI_DEVICE', '-f', 'json']
        try:
            listing.runs.append(run_counted(argv, access, env, work,
                                            _json_list(pop.pci_providers), timeout=600))
        except (RuntimeError, OSError) as exc:
            listing.error = str(exc)
            _say(f'   openstack resource provider list: FAILED ({exc})')
            return OscResult(listing, {}, 0, pop.pci_providers, error=str(exc))
        providers = json.loads((work / 'stdout').read_bytes())
    _say(f'   openstack resource provider list: {listing.requests()} requests, '
         f'{listing.wall():.1f} s')
    step = max(1, len(providers) // sample)
    chosen = [p['uuid'] for p in providers[::step]][:sample]
    calls = {
        'openstack resource provider inventory list UUID -f json':
            ['resource', 'provider', 'inventory', 'list'],
        'openstack resource provider usage show UUID -f json':
            ['resource', 'provider', 'usage', 'show'],
    }
    per_provider = {label: Measured(label, 'openstack') for label in calls}
    for provider in chosen:
        for label, args in calls.items():
            measured = per_provider[label]
            if measured.error:
                continue
            try:
                measured.runs.append(run_counted([*base, *args, provider, '-f', 'json'],
                                                 access, env, work, _nonempty_list,
                                                 timeout=120))
            except (RuntimeError, OSError) as exc:
                measured.error = str(exc)
                _say(f'   {label}: FAILED ({exc})')
    for label, measured in per_provider.items():
        if measured.ok:
            _say(f'   {label}: {statistics.mean(r.sample.wall for r in measured.runs):.2f} s '
                 f'and {statistics.mean(r.requests for r in measured.runs):.1f} requests each '
                 f'over {len(measured.runs)} providers')
    return OscResult(listing, per_provider, len(chosen), pop.pci_providers)


# --- report --------------------------------------------------------------------------------------

def _fmt(value: float, digits: int = 1) -> str:
    return '–' if value != value else f'{value:,.{digits}f}'


def _cell(measured: Measured | None) -> tuple[str, str]:
    if measured is None:
        return '', ''
    if not measured.ok:
        return 'failed', (measured.error or 'failed')[:80].replace('|', '/')
    low, high = measured.spread()
    requests = sorted({r.requests for r in measured.runs})
    shown = f'{requests[0]:,}' if len(requests) == 1 else \
        f'{measured.requests():,} ({requests[0]:,}–{requests[-1]:,})'
    return shown, f'{measured.wall():.1f} ({low:.1f}–{high:.1f})'


def render(info: dict, pop: Population, columns: dict[str, str], measured: list[Measured],
           osc: OscResult | None, osc_note: str, runs: int) -> str:
    names = list(columns)
    lines = [
        '# pci-cli Placement mode at cloud scale',
        '',
        f'{info["date"]}; {info["cpu"]}, {info["usable_cores"]} usable cores, '
        f'{info["memory_gib"]:.1f} GiB, {info["os"]}; load average at the start '
        f'{info["loadavg"][0]:.2f}, at the end {info["loadavg_end"][0]:.2f} (a shared '
        'machine: walls are noisy, requests are not). Elapsed '
        f'{info["elapsed"] / 60:.1f} min.',
        '',
        f'Real Placement 16.0.0 (gunicorn, one sync worker, SQLite, noauth2) on loopback, '
        f'filled through its API as Nova 34 does: **{len(pop.hosts):,} compute nodes, '
        f'{pop.pci_providers:,} PCI providers** ({PROVIDERS_PER_HOST} per node), '
        f'{len(pop.servers)} servers holding devices, 1 device reserved '
        f'({pop.requests:,} requests, {pop.seconds:.0f} s to fill).',
        '',
        'Columns: ' + '; '.join(f'*{name}*: `{cli}`' for name, cli in columns.items()) + '.',
        '',
        f'Requests: lines gunicorn wrote to its access log while the command ran (median of '
        f'{runs}; a range when they differed). Wall: seconds, median of {runs} (min–max).',
        '',
    ]
    head = ['Command'] + [f'{n} {what}' for n in names for what in ('requests', 'wall s')]
    lines += ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    by_key = {(m.label, m.column): m for m in measured}
    for label in dict.fromkeys(m.label for m in measured):
        cells = [f'`pci-cli {label}`']
        for name in names:
            cells += list(_cell(by_key.get((label, name))))
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines += ['', '## Where the requests go', '']
    for name in names:
        for label in dict.fromkeys(m.label for m in measured):
            m = by_key.get((label, name))
            if not m or not m.ok:
                continue
            kinds = m.runs[-1].kinds
            top = ', '.join(f'`{k}` ×{v:,}' for k, v in kinds.most_common(6))
            lines.append(f'- {name}, `{label}`: {top}')
    if osc is not None and not osc.error:
        for m in [osc.listing, *osc.per_provider.values()]:
            if m.ok:
                kinds = sum((r.kinds for r in m.runs), Counter())
                top = ', '.join(f'`{k}` ×{v / len(m.runs):g}' for k, v in kinds.most_common(4))
                lines.append(f'- `{m.label}` (per call): {top}')
    lines += ['', '## The openstack CLI instead', '']
    if osc is None:
        lines.append(osc_note)
    elif osc.error:
        lines.append(f'`openstack resource provider list` failed: {osc.error}')
    else:
        requests, wall = osc.extrapolated()
        lines += [
            f'python-openstackclient 10.5.0 + osc-placement 4.9.1 (placement microversion '
            f'{OSC_MICROVERSION}), `--os-auth-type admin_token`, one process per call. The '
            f'per-provider calls were run on {osc.sampled} providers spread over the listing '
            f'and extrapolated to all {osc.providers:,}.',
            '',
            '| Command | requests | wall s |', '|---|---|---|',
        ]
        r, w = _cell(osc.listing)
        lines.append(f'| `{osc.listing.label}` | {r} | {w} |')
        for label, m in osc.per_provider.items():
            if m.ok:
                each = statistics.mean(x.sample.wall for x in m.runs)
                reqs = statistics.mean(x.requests for x in m.runs)
                lines.append(f'| `{label}` (mean of {len(m.runs)}) | {reqs:.1f} | {each:.2f} |')
                lines.append(f'| … × {osc.providers:,} providers | {reqs * osc.providers:,.0f} | '
                             f'{each * osc.providers:,.0f} |')
            else:
                lines.append(f'| `{label}` | failed | {m.error} |')
        lines.append(f'| **total: listing + inventory and usages of every PCI provider** | '
                     f'**{requests:,.0f}** | **{wall:,.0f}** (≈ {wall / 60:.0f} min) |')
        lines += ['', 'Not counted: `resource provider trait list` per provider (pci-cli '
                  'also reads the traits) and whatever maps providers to servers '
                  '(`resource provider show --allocations`).']
    lines.append('')
    return '\n'.join(lines)


# --- main ----------------------------------------------------------------------------------------

def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(*, hosts: int, servers: int, runs: int, columns: dict[str, str], osc_sample: int,
        output: Path, rev: str | None = None, echo: bool = True) -> int:
    started = time.monotonic()
    info = machine_info(rev)
    with tempfile.TemporaryDirectory(prefix='pciclient-placement-scale-') as tmp:
        work = Path(tmp)
        _say(f'starting a real Placement 16 (workdir {work}) …')
        service, access = start(work / 'placement')
        try:
            _say(f'filling it: {hosts} hosts × {PROVIDERS_PER_HOST} PCI providers, '
                 f'{servers} servers …')
            pop = populate(service.url, hosts, servers)
            filled = access.settled()
            if filled != pop.requests + 1:   # + the readiness probe GET /
                _say(f'   note: access log has {filled} lines for {pop.requests} requests '
                     '(+1 readiness probe)')
            env = tool_env(work / 'home')
            _say(f'pci-cli, {runs} rounds over {", ".join(columns) or "no columns"} …')
            measured = measure_pci_cli(columns, pop, service.url, access, runs, env, work)
            osc, osc_note = None, ''
            if osc_sample:
                _say(f'openstack CLI, {osc_sample} providers …')
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
    _say(f'written to {output}')
    return 0 if all(m.ok for m in measured) else 1


def suite_part(pci_cli: str, *, quick: bool, rev: str | None) -> str:
    """Part 5 of ``python -m benchmarks``: the benchmark venv's pci-cli (the working tree or
    ``--rev``) at 250 hosts (``--quick``: 25); returns a line for the suite's notes."""
    hosts = 25 if quick else 250
    _say(f'5. Placement mode at cloud scale ({hosts} hosts × {PROVIDERS_PER_HOST} PCI '
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
        bench = ensure_env(BEFORE_VENV, rev=args.rev, say=_say)
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
