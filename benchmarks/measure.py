"""Run commands as subprocesses and measure them: cpu (user+sys), wall and peak RSS.

Each command runs with its output in a file, started and reaped with ``os.wait4`` by
:mod:`benchmarks.launcher` (a small process, so that the peak RSS is the command's own and
not this process's: Linux carries it across fork and exec): cpu is ``ru_utime + ru_stime``
(the command's, and that of any children it waited for), peak RSS ``ru_maxrss``. Wall time
is taken around spawn and reap.
The commands of one group run interleaved (A B C, A B C, …) after one warm-up round, so a
change in the machine's background load touches all of them alike; every run's output is
checked, and a failing or wrong run is reported rather than measured.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Returns None when the output is right, else what is wrong with it.
Validator = Callable[[bytes], 'str | None']


@dataclass(frozen=True)
class Sample:
    cpu: float      # seconds, user + sys
    wall: float     # seconds
    rss: float      # MiB, peak resident set


@dataclass
class Command:
    label: str
    argv: list[str]
    validate: Validator | None = None
    timeout: float = 120.0
    ok_codes: tuple[int, ...] = (0,)   # exit codes accepted (the output is still checked)
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None
    exit_codes: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    def median(self, what: str) -> float:
        if not self.ok:
            return float('nan')
        return statistics.median(getattr(s, what) for s in self.samples)

    def spread(self, what: str) -> tuple[float, float]:
        values = [getattr(s, what) for s in self.samples] or [float('nan')]
        return min(values), max(values)


class CommandFailed(Exception):
    pass


#: Starts each command from a small process: see :mod:`benchmarks.launcher`.
LAUNCHER = Path(__file__).with_name('launcher.py')


def run_once(argv: Sequence[str], env: dict[str, str], cwd: Path, out: Path, err: Path,
             timeout: float) -> tuple[Sample, int]:
    """Run ``argv`` once through :mod:`benchmarks.launcher`, which reports its cpu, wall
    and peak RSS (the command's own, not ours); killed with its launcher after
    ``timeout`` s."""
    report = out.with_name(out.name + '.rusage.json')
    report.unlink(missing_ok=True)
    with out.open('wb') as stdout, err.open('wb') as stderr:
        proc = subprocess.Popen([sys.executable, '-S', str(LAUNCHER), str(report), *argv],
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                env=env, cwd=cwd, start_new_session=True)
        watchdog = threading.Timer(timeout, _kill_group, (proc.pid,))
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
    if proc.returncode or not report.exists():
        raise CommandFailed(f'the launcher failed (exit {proc.returncode}); was the command '
                            f'killed after {timeout:g} s? {argv[0]}')
    usage = json.loads(report.read_text())
    report.unlink()
    sample = Sample(cpu=usage['cpu'], wall=usage['wall'], rss=usage['rss_kib'] / 1024)
    return sample, os.waitstatus_to_exitcode(usage['status'])


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def measure_group(commands: list[Command], runs: int, env: dict[str, str], workdir: Path,
                  say: Callable[[str], None] = print) -> None:
    """One warm-up round then ``runs`` measured rounds, interleaved; fills ``samples``."""
    for round_no in range(runs + 1):
        for command in commands:
            if command.error:
                continue
            out = workdir / 'stdout'
            err = workdir / 'stderr'
            try:
                sample, code = run_once(command.argv, env, workdir, out, err, command.timeout)
            except (OSError, CommandFailed) as exc:
                command.error = f'could not run: {exc}'
                say(f'  {command.label}: FAILED ({command.error}: {_tail(err)})')
                continue
            problem = None
            command.exit_codes.add(code)
            if code not in command.ok_codes:
                problem = f'exit {code}: ' + _tail(err)
            elif command.validate:
                problem = command.validate(out.read_bytes())
            if problem:
                command.error = problem
                say(f'  {command.label}: FAILED ({problem})')
            elif round_no:  # round 0 is the warm-up
                command.samples.append(sample)
        if round_no == 0:
            say(f'  warm-up done; {runs} measured rounds …')


def _tail(path: Path, limit: int = 300) -> str:
    text = path.read_text(errors='replace').strip().splitlines()
    return ' | '.join(text[-3:])[-limit:] if text else '(no stderr)'


# --- python -X importtime ----------------------------------------------------------------------

_IMPORT_LINE = re.compile(r'^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$')


@dataclass
class ImportAudit:
    label: str
    modules: list[str]
    self_us: int          # sum of every module's own import time, microseconds
    error: str | None = None

    @property
    def packages(self) -> set[str]:
        return {m.split('.')[0] for m in self.modules}

    def imported(self, module: str) -> bool:
        """Whether ``module`` (or, for a package, any of its modules) was imported."""
        return any(m == module or m.startswith(module + '.') for m in self.modules)


def import_audit(label: str, python: str, script: str, args: Sequence[str],
                 env: dict[str, str], workdir: Path, timeout: float = 120.0,
                 ok_codes: tuple[int, ...] = (0,)) -> ImportAudit:
    """Run ``python -X importtime script args`` and list what it imported."""
    out, err = workdir / 'stdout', workdir / 'stderr'
    _, code = run_once([python, '-X', 'importtime', script, *args], env, workdir, out, err,
                       timeout)
    modules, total = [], 0
    for line in err.read_text(errors='replace').splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            modules.append(match.group(4))
            total += int(match.group(1))
    error = None if code in ok_codes else f'exit {code}'
    return ImportAudit(label, modules, total, error)
