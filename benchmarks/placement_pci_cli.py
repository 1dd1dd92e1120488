"""The pci-cli columns of :mod:`benchmarks.placement_scale`: which commands, checked how, run how.

Every column runs the same commands interleaved, round by round, so a change in the
machine's background load touches all columns alike; a command that fails or prints
the wrong rows is reported as failed rather than measured.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.placement_population import PROVIDERS_PER_HOST, Population, measured_index
from benchmarks.placement_runs import Measured, Validator, json_list, run_counted, say
from benchmarks.placement_service import AccessLog

DEAD_COMPUTE = 'http://127.0.0.1:1/v2.1'   # the Placement-only commands must not need it


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
        ('pci-list -f json', ['pci-list'], json_list(total)),
        (f'pci-list --host {host} -f json', ['pci-list', '--host', host],
         json_list(PROVIDERS_PER_HOST, host)),
        (f'pci-show {device} -f json', ['pci-show', device], _json_show(device)),
        ('pci-pool-list -f json', ['pci-pool-list'], json_list()),
        (f'pci-pool-list --host {host} -f json', ['pci-pool-list', '--host', host],
         json_list(host=host)),
    ]


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
                    say(f'   {column}: {label}: FAILED ({exc})')
                    continue
                measured.runs.append(run)
                say(f'   round {round_no}/{runs} {column}: {label}: {run.requests} requests, '
                     f'{run.sample.wall:.1f} s')
    return list(results.values())
