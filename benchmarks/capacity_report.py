"""What :mod:`benchmarks.capacity_scale` measured (its records) and its markdown report.

Kept apart from the measuring so the wording can change without touching how anything
is run. The conclusions it draws (flavors add no request, one host costs the same at
every size, what dominates the time) are computed from the figures, so a rerun that
contradicts them says so.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.capacity_checks import traits_named
from benchmarks.capacity_compute import FLAVORS
from benchmarks.capacity_population import (
    DISABLED_HOST,
    PROVIDERS_PER_HOST,
    RESERVED_HOST,
    ROOT_INVENTORY,
)

ALL = [row[1] for row in FLAVORS]
ONE = 'vf.2'          # the flavor of the one-flavor commands (two PCI groups each)
ON_HOST = 'gpu.1'     # the flavor asked on one host
SERIAL = (1, 2)       # --placement-concurrency values compared with the default


@dataclass
class Result:
    size: int
    label: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    requests: int = 0
    kinds: Counter = field(default_factory=Counter)
    busy_ms: int = 0
    #: Milliseconds of each ``GET /resource_providers`` listing, in the order made.
    listing_ms: list[int] = field(default_factory=list)
    compute: Counter = field(default_factory=Counter)
    error: str | None = None

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float('nan')

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float('nan')


@dataclass
class Step:
    size: int
    fill_seconds: float
    fill_requests: int
    servers: int
    results: list[Result]
    fit_us: dict[str, float]
    totals: dict[str, tuple[int, int]]




def _f(value: float, digits: int = 1) -> str:
    return '–' if value != value else f'{value:,.{digits}f}'


def _by(step: Step, start: str) -> Result | None:
    return next((r for r in step.results if r.label.startswith(start)), None)


def _table(steps: list[Step]) -> list[str]:
    lines = ['| Hosts | `pci-cli …` | Placement requests | per host | compute requests | '
             'wall s | client cpu s | Placement busy s |',
             '|---:|---|---:|---:|---:|---:|---:|---:|']
    for step in steps:
        for r in step.results:
            if r.error:
                lines.append(f'| {step.size:,} | `{r.label}` | failed: '
                             f'{r.error[:90].replace("|", "/")} | | | | | |')
                continue
            lines.append(f'| {step.size:,} | `{r.label}` | {r.requests:,} | '
                         f'{r.requests / step.size:.2f} | {sum(r.compute.values())} | '
                         f'{_f(r.wall)} | {_f(r.cpu)} | {_f(r.busy_ms / 1000)} |')
    return lines


def _kinds(result: Result) -> str:
    return ', '.join(f'{n:,} × `{kind}`' for kind, n in result.kinds.most_common())


def _findings(steps: list[Step]) -> list[str]:
    out = []
    for step in steps:
        every, one = _by(step, 'capacity (every'), _by(step, f'capacity --flavor {ONE}')
        if every and one and not (every.error or one.error):
            per_provider = {k: n for k, n in every.kinds.items() if '{uuid}' in k}
            same = per_provider == {k: n for k, n in one.kinds.items() if '{uuid}' in k}
            listings = every.requests - one.requests
            traits = sorted(set().union(*(traits_named(f) for f in ALL)) - traits_named(ONE))
            out.append(f'- **Flavors add no per-provider request** ({step.size:,} hosts): '
                       f'{len(ALL)} flavors {every.requests:,} requests, 1 flavor ({ONE}) '
                       f'{one.requests:,}; the per-provider reads are '
                       f'{"the same" if same else "NOT the same"}, the {listings} more '
                       f'listing(s) are the `?required=` listings of the traits only the '
                       f'other flavors name ({", ".join(traits) or "none"}). Client cpu '
                       f'{_f(every.cpu)} s against {_f(one.cpu)} s, wall {_f(every.wall)} s '
                       f'against {_f(one.wall)} s.')
    hosts = [(s.size, _by(s, f'capacity --flavor {ON_HOST} --host')) for s in steps]
    counts = {size: r.requests for size, r in hosts if r and not r.error}
    if counts:
        verdict = 'the same at every size' if len(set(counts.values())) == 1 else \
            'NOT constant'
        out.append('- **One host** (`--host`, the middle host of the cloud): ' + ', '.join(
            f'{n} requests at {size:,} hosts' for size, n in counts.items()) + f': {verdict}.')
    for step in steps:
        every = _by(step, 'capacity (every')
        if every and not every.error:
            providers = step.size * PROVIDERS_PER_HOST
            listings = len(every.listing_ms)
            listed_s = sum(every.listing_ms) / 1000
            busy = every.busy_ms / 1000
            each = 1000 * (busy - listed_s) / max(1, every.requests - listings)
            out.append(
                f'- **Whole cloud, {step.size:,} hosts** ({providers:,} providers): '
                f'{every.requests:,} requests = 2 per provider (inventories, usages) + '
                f'{listings} listings, {every.requests / step.size:.2f} per host. '
                f'Placement was busy {_f(busy)} s of the {_f(every.wall)} s wall '
                f'({100 * busy / every.wall:.0f} %): {_f(busy - listed_s)} s on the '
                f'per-provider reads ({each:.1f} ms each), {_f(listed_s, 2)} s on the listings '
                f'({", ".join(str(ms) for ms in every.listing_ms)} ms). The client used '
                f'{_f(every.cpu)} s cpu ({1000 * every.cpu / every.requests:.1f} ms per '
                f'request); of that the fit of every host × {len(ALL)} flavors is '
                f'{_f(step.fit_us["all"], 2)} s (in-process).')
        runs = [(n, _by(step, f'--placement-concurrency {n} ')) for n in SERIAL]
        shown = [f'{n} in flight {_f(r.wall)} s wall (Placement busy {_f(r.busy_ms / 1000)}'
                 f' s, client cpu {_f(r.cpu)} s)' for n, r in runs if r and not r.error]
        if every and shown and not every.error:
            out.append(f'- **Tree reads\' concurrency** ({step.size:,} hosts, every flavor): '
                       + '; '.join(shown) + f'; the default 8 in flight {_f(every.wall)} s '
                       f'(busy {_f(every.busy_ms / 1000)} s, client cpu {_f(every.cpu)} s).')
    for step in steps:
        host = _by(step, f'capacity --flavor {ON_HOST} --host')
        if host and not host.error and host.listing_ms:
            out.append(f'- **One host, {step.size:,} hosts**: {host.requests} requests, '
                       f'Placement busy {host.busy_ms} ms, of which listings '
                       f'{", ".join(str(ms) for ms in host.listing_ms)} ms; '
                       f'{_f(host.wall)} s wall.')
    for step in steps:
        verify = _by(step, f'capacity --flavor {ONE} --verify')
        one = _by(step, f'capacity --flavor {ONE}')
        if verify and one and not (verify.error or one.error):
            extra = verify.requests - one.requests
            out.append(f'- **`--verify`** ({step.size:,} hosts): {extra:,} more requests '
                       f'than without ({extra / step.size:.2f} per host: one `GET '
                       f'/allocation_candidates` per row), {_f(verify.wall - one.wall)} s '
                       'more wall; every row agreed with Placement.')
    return out


def render(info: dict[str, Any], steps: list[Step], pci_cli: str) -> str:
    last = steps[-1]
    ok = all(r.error is None for s in steps for r in s.results)
    flavors = '; '.join(
        f'`{name}` {vcpus} vCPU, {ram} MiB, {disk} GB' + (f' + {eph} GB ephemeral' if eph
                                                        else '')
        + (f' + {swap} MiB swap' if swap else '')
        + (f', `{specs["pci_passthrough:alias"]}`' if specs else '')
        for _, name, vcpus, ram, disk, eph, swap, specs in FLAVORS)
    root = ', '.join(f'{rc} {inv["total"]:,} (reserved {inv["reserved"]}, ratio '
                     f'{inv["allocation_ratio"]})' for rc, inv in ROOT_INVENTORY.items())
    lines = [
        '# `pci-cli capacity` at cloud scale',
        '',
        f'{info["date"]}, commit {info["commit"]}{" (dirty)" if info["dirty"] else ""}; '
        f'{info["cpu"]}, {info["usable_cores"]} usable cores, {info["memory_gib"]:.1f} GiB, '
        f'{info["os"]}; load average {info["loadavg"][0]:.2f} at the start, '
        f'{info["loadavg_end"][0]:.2f} at the end (a machine shared with other work: walls '
        f'are noisy, requests are not). Elapsed {info["elapsed"] / 60:.1f} min.',
        '',
        f'Real Placement 16.0.0 (gunicorn, one sync worker, SQLite on {info["storage"]}, '
        'noauth2) filled '
        'through its API as Nova 34 does, grown to ' + ', then '.join(
            f'{s.size:,} compute nodes' for s in steps) + f'; {PROVIDERS_PER_HOST} providers '
        f'per node: the root ({root}) and the real-Placement tier\'s four PCI devices (a '
        'GPU, a PF with 4 VFs, a whole PF, a "gold" GPU with its own class and trait). '
        f'Servers on every fifth host ({last.servers:,} at {last.size:,} hosts), '
        f'`{DISABLED_HOST}` disabled (`COMPUTE_STATUS_DISABLED`, service disabled), 2 VFs of '
        f'`{RESERVED_HOST}` reserved. Filling took {last.fill_requests:,} requests and '
        f'{last.fill_seconds / 60:.1f} min in all.',
        '',
        f'Compute API: a stand-in (`benchmarks/capacity_compute.py`) serving {len(FLAVORS)} '
        f'flavors — {flavors} — and the services (all up). `pci-cli` is `{pci_cli}`.',
        '',
        'Placement requests: lines gunicorn\'s access log gained while the command ran; '
        '*Placement busy*: the sum of their milliseconds (one sync worker, so how long it '
        'worked for the command). Compute requests: counted by the stand-in. Client cpu: '
        'user + sys of the `pci-cli` process. Every output was checked against the '
        'population before it counted (rows = hosts × flavors, each Fits, Limited By and '
        'Free as the population says, the disabled host 0, the summary\'s sums, `--verify` '
        + ('all true): **all passed**.' if ok else 'all true): **some FAILED**, see the table.'),
        '',
        *_table(steps),
        '',
        '## What the figures say',
        '',
        *_findings(steps),
        '',
        '## Requests by kind',
        '',
    ]
    for step in steps:
        for r in step.results:
            if not r.error:
                compute = ', '.join(f'{n} × `{k}`' for k, n in sorted(r.compute.items()))
                lines.append(f'- {step.size:,} hosts, `{r.label}`: {_kinds(r)}; compute: '
                             f'{compute}; listings took '
                             f'{", ".join(str(ms) for ms in r.listing_ms)} ms.')
    lines += ['', f'## The fit alone (in-process, µs per host, {last.size:,} hosts)', '',
              '| ' + ' | '.join(ALL) + ' |', '|' + '---:|' * len(ALL),
              '| ' + ' | '.join(_f(last.fit_us[name], 0) for name in ALL) + ' |', '',
              f'## Capacity of the cloud at {last.size:,} hosts (as printed and as expected)',
              '', '| Flavor | Fits | Hosts that fit one |', '|---|---:|---:|']
    lines += [f'| `{name}` | {fits:,} | {hosts:,} |' for name, (fits, hosts)
              in last.totals.items()]
    lines += ['', '## Reproduce', '', 'From a checkout with `.venv` (`pip install -e '
              "'.[test]'`); the real-Placement tier's venv is built on first use:", '',
              '```', 'python3 -m benchmarks.capacity_scale --hosts 1000   # 100, then 1,000 '
              'hosts', 'python3 -m benchmarks.capacity_scale --hosts 100 --at ""   # quick',
              '```', '']
    return '\n'.join(lines)
