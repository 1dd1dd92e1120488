"""One counted run of a CLI against :mod:`benchmarks.placement_service`'s Placement.

Shared by the pci-cli columns (:mod:`benchmarks.placement_pci_cli`) and the openstack CLI
(:mod:`benchmarks.placement_osc`) so both are measured alike: the same clean environment
(no ``OS_*`` variables, no clouds.yaml), the same timing (:func:`benchmarks.measure.run_once`),
requests counted the same way from the access log, and every output checked before it counts.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.measure import Sample, run_once
from benchmarks.placement_service import AccessLog, request_kind

# Returns None when the (parsed JSON) output is right, else what is wrong with it.
Validator = Callable[[Any], 'str | None']


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def tool_env(home: Path, path_dir: Path | None = None) -> dict[str, str]:
    """No OS_* variables, no proxies, an empty HOME (no clouds.yaml)."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ('LANG', 'LC_ALL', 'TZ', 'TERM')}
    path = f'{path_dir}:/usr/bin:/bin' if path_dir else '/usr/bin:/bin'
    return {**keep, 'HOME': str(home), 'PATH': path, 'PYTHONIOENCODING': 'utf-8',
            'NO_PROXY': '127.0.0.1,localhost', 'no_proxy': '127.0.0.1,localhost',
            'LANG': keep.get('LANG', 'C.UTF-8')}


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


def json_list(count: int | None = None, host: str | None = None) -> Validator:
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


def nonempty_list(data: Any) -> str | None:
    return None if isinstance(data, list) and data else 'empty or not a list'
