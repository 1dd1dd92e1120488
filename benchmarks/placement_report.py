"""The markdown report of :mod:`benchmarks.placement_scale`, from what was measured.

Kept apart from the measuring so the wording of the report can change without touching
how anything is run, and the other way round.
"""
from __future__ import annotations

import statistics
from collections import Counter

from benchmarks.placement_osc import OSC_MICROVERSION, OscResult
from benchmarks.placement_population import PROVIDERS_PER_HOST, Population
from benchmarks.placement_runs import Measured


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
