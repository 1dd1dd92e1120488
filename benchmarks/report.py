"""The benchmark report: one Markdown document, with the targets of the issue checked."""
from __future__ import annotations

import itertools
import math
import statistics
from typing import TYPE_CHECKING

from benchmarks import memory_maps
from benchmarks.measure import Command, ImportAudit

if TYPE_CHECKING:
    from benchmarks.suite import Results

# Imports a pci-cli command should not make, per audited command: what it does not use.
# clouds.yaml machinery (osc_lib, openstacksdk) only with --os-cloud; YAML only for -f
# yaml; the table formatter (prettytable) only for tables; the fake server only for
# --local; the pci.ids parser only for --long and show.
_NOT_FOR_ANY = ['osc_lib', 'openstack', 'os_client_config', 'openstackclient', 'novaclient',
                'pciclient.fakeserver']
UNEXPECTED = {
    'pci-cli --version': _NOT_FOR_ANY + ['cliff', 'keystoneauth1', 'requests', 'stevedore',
                                         'prettytable', 'yaml'],
    # cliff's Lister and ShowOne, which describe the commands, stand on
    # cliff.formatters.base; no formatter itself is needed.
    'pci-cli --help': _NOT_FOR_ANY + ['prettytable', 'cliff.formatters.table',
                                      'cliff.formatters.json_format',
                                      'cliff.formatters.yaml_format',
                                      'cliff.formatters.commaseparated',
                                      'cliff.formatters.value', 'cliff.formatters.shell',
                                      'yaml', 'pciclient.commands.pciids'],
    'pci-cli pci-list -f json': _NOT_FOR_ANY + ['prettytable', 'cliff.formatters.table',
                                                'cliff.formatters.yaml_format', 'yaml',
                                                'pciclient.commands.pciids'],
    'pci-cli hypervisor-list': _NOT_FOR_ANY + ['cliff.formatters.yaml_format', 'yaml',
                                               'pciclient.commands.pciids'],
    'pci-cli pci-list -f yaml': _NOT_FOR_ANY + ['prettytable', 'cliff.formatters.table',
                                                'pciclient.commands.pciids'],
}


def _f(value: float, digits: int = 3) -> str:
    return '–' if math.isnan(value) else f'{value:.{digits}f}'


def _ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs and not math.isnan(ours) and not math.isnan(theirs) \
        else math.nan


def paired_ratio(ours: Command, theirs: Command, what: str = 'cpu') -> float:
    """The median over rounds of ours ÷ theirs within each round.

    The commands of a group run interleaved, round after round (see
    :func:`benchmarks.measure.measure_group`): a burst of other work on the machine slows
    both runs of one round alike, so the ratio within a round varies much less than
    either command's own figures."""
    if not (ours.ok and theirs.ok) or len(ours.samples) != len(theirs.samples):
        return math.nan
    return statistics.median(getattr(a, what) / getattr(b, what)
                             for a, b in zip(ours.samples, theirs.samples, strict=True))


def _command_table(commands: list[Command], first: str = 'command',
                   extra: tuple[str, list[str]] | None = None) -> list[str]:
    head, cells = extra if extra else ('', [])
    lines = [f'| {first} | cpu s | cpu min–max | wall s | peak RSS MiB | '
             f'{head + " | " if head else ""}runs |',
             '| --- | ---: | ---: | ---: | ---: | ' + ('---: | ' if head else '') + '---: |']
    for i, c in enumerate(commands):
        more = f'{cells[i]} | ' if head else ''
        if not c.ok:
            lines.append(f'| `{c.label}` | FAILED: {c.error} | | | | {more}|')
            continue
        low, high = c.spread('cpu')
        lines.append(f'| `{c.label}` | {_f(c.median("cpu"))} | {_f(low, 2)}–{_f(high, 2)} | '
                     f'{_f(c.median("wall"))} | {_f(c.median("rss"), 1)} | {more}'
                     f'{len(c.samples)} |')
    return lines


def unexpected_imports(audit: ImportAudit) -> list[str]:
    return [m for m in UNEXPECTED.get(audit.label, []) if audit.imported(m)]


def _from_site_packages(audit: ImportAudit, installed: frozenset[str]) -> list[str]:
    return sorted(p for p in audit.packages if p in installed)


class _Targets:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, bool | None]] = []

    def add(self, target: str, measured: str, met: bool | None) -> None:
        self.rows.append((target, measured, met))

    def lines(self) -> list[str]:
        out = ['| target | measured | |', '| --- | --- | --- |']
        for target, measured, met in self.rows:
            mark = 'not measured' if met is None else ('**met**' if met else '**MISSED**')
            out.append(f'| {target} | {measured} | {mark} |')
        return out


def render(res: Results) -> str:
    m, v = res.machine, res.versions
    out = ['# pciclient benchmarks', '',
           f'- Machine: {m["cpu"]}, {m["cores"]} cores ({m["usable_cores"]} usable), '
           f'{m["memory_gib"]:.0f} GiB, {m["os"]}; load average '
           f'{m["loadavg"][0]:.2f} at the start, {m["loadavg_end"][0]:.2f} at the end.',
           f'- Measured: pciclient {v["pciclient"]} at commit {m["commit"]}'
           f'{" with uncommitted changes" if m["dirty"] else ""}, {m["date"]}; '
           f'{m["elapsed"]:.0f} s for the whole run.',
           f'- Compared against, in the same venv (Python {v["python"]}): '
           f'python-openstackclient {v["python-openstackclient"]}, python-novaclient '
           f'{v["python-novaclient"]} (openstacksdk {v["openstacksdk"]}, osc-lib '
           f'{v["osc-lib"]}, keystoneauth1 {v["keystoneauth1"]}, cliff {v["cliff"]}).',
           f'- Other work on the machine during parts {", ".join(res.background)}: '
           f'{", ".join(f"{busy:.2f}" for busy, _ in res.background.values())} cores busy '
           f'on average (steal {", ".join(f"{st:.2f}" for _, st in res.background.values())}); '
           f'wall times suffer first when this is high.',
           f'- Each command is a subprocess started by a small launcher (benchmarks/launcher.py, '
           f'so that its peak RSS is its own): cpu = user+sys of the process (os.wait4), wall, '
           f'peak RSS (ru_maxrss); median of {res.runs} runs after one warm-up, the commands '
           f'of a section interleaved; every run\'s output is checked.', '']
    targets = _Targets()

    if res.startup:
        out += ['## 1. Start-up', ''] + _command_table(res.startup) + ['']
    if res.small:
        from benchmarks.suite import SMALL
        out += ['## 2. One small call through Keystone password auth', '',
                f'Same fake cloud and credentials for every tool: {SMALL.describe()}, '
                f'`pci-fake-server --scenario` with its Keystone at `/identity`; every run '
                f'logs in (password → token → catalog) and makes its call.', '']
        out += _command_table(res.small) + ['']
    ratio_pairs = [('pci-cli --version', 'openstack --version'),
                   ('pci-cli --version', 'nova --version'),
                   ('pci-cli hypervisor-list', 'openstack hypervisor list'),
                   ('pci-cli hypervisor-list', 'nova hypervisor-list'),
                   ('pci-cli pci-list -f json', 'openstack hypervisor list'),
                   ('pci-cli pci-list -f json', 'nova hypervisor-list')]
    ratio_lines = []
    for ours, theirs in ratio_pairs:
        a, b = res.command(ours), res.command(theirs)
        if a is None or b is None:
            continue
        cells = [_f(_ratio(a.median(k), b.median(k)), 2) for k in ('cpu', 'wall', 'rss')]
        paired = _f(paired_ratio(a, b), 2)
        ratio_lines.append(f'| `{ours}` ÷ `{theirs}` | {paired} | {" | ".join(cells)} |')
    if ratio_lines:
        out += ['### Ratios, ours ÷ theirs (same run)', '',
                'Paired cpu: the median of the ratios within each round; the other columns '
                'are ratios of the medians.', '',
                '| ratio | paired cpu | cpu | wall | peak RSS |',
                '| --- | ---: | ---: | ---: | ---: |']
        out += ratio_lines + ['']

    if res.imports:
        out += ['### What pci-cli imports (`python -X importtime`)', '',
                'Unexpected = a module the command does not use: clouds.yaml machinery '
                '(osc_lib, openstacksdk) without `--os-cloud`, YAML without `-f yaml`, the '
                'table formatter without a table, the fake server, pci.ids parsing without '
                '`--long`. Import time is the sum of every module\'s own time (under '
                '`-X importtime`, so inflated).', '',
                '| command | modules | import ms | unexpected | packages from site-packages |',
                '| --- | ---: | ---: | --- | --- |']
        for audit in res.imports:
            bad = unexpected_imports(audit)
            out.append(f'| `{audit.label}`{" (FAILED: " + audit.error + ")" if audit.error else ""}'
                       f' | {len(audit.modules)} | {audit.self_us / 1000:.0f} | '
                       f'{", ".join(bad) if bad else "none"} | '
                       f'{", ".join(_from_site_packages(audit, res.packages))} |')
        out.append('')
    out += memory_maps.report_lines(res.maps)

    if res.scale:
        out += ['## 3. Scale: `pci-cli pci-list --long -f json`', '',
                'Password auth through the fake Keystone; generated hosts of 100 devices '
                '(2 PFs × 48 VFs + 2 GPUs), pages of 1,000 devices as Nova sends them.', '']
        server = [_f(res.scale_server_cpu.get(shape.devices, math.nan))
                  for shape, _ in res.scale]
        out += _command_table([c for _, c in res.scale], 'command',
                              ('server cpu s', server))
        out += ['', 'Server cpu is what the fake server spent answering one listing (its pages '
                    'and the login). Client and server work in turn, so on an otherwise idle '
                    'machine wall ≈ cpu + server cpu; more means the two waited for a core.']
        out.append('')
        out += ['| growth | cpu × | wall × | peak RSS × |', '| --- | ---: | ---: | ---: |']
        for (s1, c1), (s2, c2) in itertools.pairwise(res.scale):
            cells = [_f(_ratio(c2.median(k), c1.median(k)), 2) for k in ('cpu', 'wall', 'rss')]
            out.append(f'| {s1.devices:,} → {s2.devices:,} | {" | ".join(cells)} |')
        out.append('')

    if res.load_steps:
        info = res.load_info
        out += ['## 4. The fake server under load', '',
                f'`benchmarks/load.py`: open loop at a fixed offered rate over '
                f'{info["connections"]} connections for {info["seconds"]:.0f} s per step, '
                f'requests in turn `os-pci/detail?limit=100`, `os-pci/{{id}}`, '
                f'`os-hypervisors/{{id}}` (random ids) with a Keystone token; latency from '
                f'when a request was due; every response must be a complete 200 with the '
                f'expected JSON. Cloud: {info["shape"]}.', '',
                '| offered req/s | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | '
                'errors | TCP connects | listen queue overflows | server cpu % | '
                'load-tool cpu % |',
                '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |']
        for step in res.load_steps:
            r = step.result
            kinds = ', '.join(f'{k}: {n}' for k, n in r.error_kinds.items())
            errors = str(r.errors) + (f' ({kinds})' if r.error_kinds else '')
            if r.stale_retries:
                errors += f'; {r.stale_retries} resent after a kept-alive connection closed'
            out.append(f'| {r.offered_rate:.0f}{" (refine)" if step.refine else ""} | '
                       f'{r.achieved_rate:.0f} | {_f(r.p50, 1)} | {_f(r.p90, 1)} | '
                       f'{_f(r.p99, 1)} | {_f(r.max, 1)} | {errors} | {r.tcp_connects} | '
                       f'{step.listen_overflows if step.listen_overflows >= 0 else "–"} | '
                       f'{100 * step.server_cpu / r.seconds:.0f} | '
                       f'{100 * r.client_cpu / r.seconds:.0f} |')
        best, first_bad = info.get('best_rate'), info.get('first_bad_rate')
        best_text = f'{best:.0f} req/s' if best else 'none of the rates tried'
        bad_text = (f' (not at {first_bad:.0f} req/s)' if first_bad
                    else ' (the highest rate tried)')
        if any(s.result.client_cpu >= 0.9 * s.result.seconds for s in res.load_steps):
            out += ['', '**The load tool used ≥ 90 % of a core in some steps: there it, not '
                        'the server, may be the limit.**']
        closes = all(s.result.tcp_connects >= s.result.count for s in res.load_steps)
        out += ['', 'Server cpu is the fake server process\'s share of one core during the '
                    'step. ' + ('The server closed the connection after every response (as many '
                                'TCP connects as requests). ' if closes else '') +
                    'Listen queue overflows (`TcpExt: ListenOverflows`, machine-wide) are '
                    'connections the kernel dropped because the accept queue of a listening '
                    'socket was full; the client\'s SYN is retried after 1 s, then 3 s.']
        out += ['', f'Server RSS: {info["rss_start"]:.1f} MiB at the start of the load, '
                    f'{info["rss_end"]:.1f} MiB at the end (peak {info["rss_peak"]:.1f} MiB). '
                    f'Highest offered rate with p99 ≤ 50 ms, no errors and the rate '
                    f'delivered: {best_text}{bad_text if best else ""}.', '']

    # --- targets ---
    pci_json, osc, nova = (res.command('pci-cli pci-list -f json'),
                           res.command('openstack hypervisor list'),
                           res.command('nova hypervisor-list'))
    # Issue 15: the cpu of a small command through Keystone, as the median of paired runs.
    for theirs, limit in ((osc, 0.2), (nova, 0.5)):
        if pci_json and theirs:
            r = paired_ratio(pci_json, theirs)
            targets.add(f'`pci-cli pci-list -f json` cpu ≤ {limit} × `{theirs.label}` '
                        '(median of paired runs)',
                        f'{_f(r, 2)} (medians: {_f(pci_json.median("cpu"))} s ÷ '
                        f'{_f(theirs.median("cpu"))} s)', None if math.isnan(r) else r <= limit)
    version = res.command('pci-cli --version')
    if version:
        targets.add('`pci-cli --version` ≤ 0.15 cpu s', f'{_f(version.median("cpu"))} s',
                    version.ok and version.median('cpu') <= 0.15)
    if res.imports:
        bad = {a.label: unexpected_imports(a) for a in res.imports}
        bad = {k: b for k, b in bad.items() if b}
        targets.add('nothing imported at start-up that the command does not use',
                    '; '.join(f'`{k}`: {", ".join(b)}' for k, b in bad.items()) or
                    'nothing unexpected', not bad)
    if res.scale:
        shape, big = res.scale[-1]
        if shape.devices == 100_000:
            busy = big.median('cpu') + res.scale_server_cpu.get(shape.devices, math.nan)
            targets.add('100,000 devices: `pci-list --long -f json` ≤ 3 s wall',
                        f'{_f(big.median("wall"), 2)} s (client cpu + server cpu: '
                        f'{_f(busy, 2)} s)', big.ok and big.median('wall') <= 3)
            targets.add('100,000 devices: ≤ 300 MiB peak RSS', f'{_f(big.median("rss"), 0)} MiB',
                        big.ok and big.median('rss') <= 300)
        if len(res.scale) >= 2 and res.scale[-2][0].devices * 10 == shape.devices:
            mid = res.scale[-2][1]
            for key, name in (('wall', 'time (wall)'), ('cpu', 'time (cpu)'),
                              ('rss', 'memory (peak RSS)')):
                g = _ratio(big.median(key), mid.median(key))
                targets.add(f'growth {res.scale[-2][0].devices:,} → {shape.devices:,}: '
                            f'{name} ≤ 11×', f'{_f(g, 2)}×',
                            None if math.isnan(g) else g <= 11)
    if res.load_steps:
        errors = sum(s.result.errors for s in res.load_steps)
        targets.add('fake server: 0 errors at every offered rate',
                    f'{errors} errors over {len(res.load_steps)} steps', errors == 0)
        at_200 = [s for s in res.load_steps if s.result.offered_rate == 200]
        if at_200:
            r = at_200[0].result
            targets.add('fake server: p99 ≤ 50 ms at 200 req/s over 50 connections',
                        f'p99 {_f(r.p99, 1)} ms, {r.achieved_rate:.0f} req/s achieved, '
                        f'{r.errors} errors', at_200[0].within_limit)
        best = res.load_info.get('best_rate')
        targets.add('fake server: highest rate with p99 ≤ 50 ms (report)',
                    f'{best:.0f} req/s' if best else 'none of the rates tried',
                    best is not None)
    out += ['## Targets', ''] + targets.lines() + ['']
    if res.notes:
        out += ['## Notes', ''] + [f'- {n}' for n in res.notes] + ['']
    return '\n'.join(out)
