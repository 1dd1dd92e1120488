"""The benchmark's own virtualenv, and what the report says about the machine.

Everything measured runs from one venv (default ``benchmarks/.venv``), so ``pci-cli``,
``openstack`` and ``nova`` share the interpreter, keystoneauth1 and cliff: the comparison is
between the tools, not between environments. The venv gets the pinned clients of
``benchmarks/requirements.txt`` and a regular (non-editable) install of this project's
working tree (or of a git revision, ``--rev``), as users install it; the tree is copied
first (without ``tests/``, ``benchmarks/``, build output or caches), so nothing is written
into the checkout. The project is reinstalled whenever what is measured changes (a
fingerprint is kept in the venv).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
REQUIREMENTS = BENCH_DIR / 'requirements.txt'
DEFAULT_VENV = BENCH_DIR / '.venv'

_SKIP_NAMES = frozenset({'.git', '.venv', 'venv', '__pycache__', 'build', 'dist', 'benchmarks',
                         'tests', '.pytest_cache', '.tox', '.mypy_cache', '.ci'})
_VERSIONED = ('pciclient', 'python-openstackclient', 'python-novaclient', 'openstacksdk',
              'osc-lib', 'keystoneauth1', 'cliff', 'requests')
_PIP_TIMEOUT = 1200


def _skipped(name: str) -> bool:
    return name in _SKIP_NAMES or name.endswith(('.egg-info', '.pyc'))


def _source_files() -> list[Path]:
    files = []
    for directory, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        files.extend(Path(directory, f) for f in sorted(filenames) if not _skipped(f))
    return files


def fingerprint(rev: str | None = None) -> str:
    """Hash of what gets installed (the working tree's files, or ``rev``'s tree), the pins
    and the interpreter."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(REQUIREMENTS.read_bytes())
    if rev:
        digest.update(b'rev:' + _git_checked('rev-parse', f'{rev}^{{tree}}').encode())
        return digest.hexdigest()
    for path in _source_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b'\0')
        digest.update(path.read_bytes() + b'\0')
    return digest.hexdigest()


def _git_checked(*args: str) -> str:
    result = subprocess.run(['git', '-C', str(ROOT), *args], capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode:
        raise RuntimeError(f'git {" ".join(args)}: {result.stderr.strip()}')
    return result.stdout.strip()


def _export(rev: str | None, dest: Path) -> None:
    """The working tree (without tests, benchmarks, caches), or ``rev``, into ``dest``."""
    if rev is None:
        shutil.copytree(ROOT, dest, ignore=lambda _d, names: [n for n in names if _skipped(n)])
        return
    dest.mkdir(parents=True)
    archive = dest.parent / 'source.tar'
    _git_checked('archive', '--format=tar', '-o', str(archive), rev)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter='data')
    archive.unlink()
    for name in _SKIP_NAMES:
        if (dest / name).is_dir():
            shutil.rmtree(dest / name)


@dataclass(frozen=True)
class BenchEnv:
    venv: Path
    versions: dict[str, str]
    packages: frozenset[str] = frozenset()   # top-level names in its site-packages

    @property
    def python(self) -> Path:
        return self.venv / 'bin' / 'python'

    def script(self, name: str) -> str:
        return str(self.venv / 'bin' / name)


def _pip(python: Path, args: list[str], log: Path) -> None:
    with log.open('a') as out:
        out.write(f'\n$ pip {" ".join(args)}\n')
        out.flush()
        result = subprocess.run([str(python), '-m', 'pip', '--disable-pip-version-check', *args],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                timeout=_PIP_TIMEOUT, check=False)
    if result.returncode:
        raise RuntimeError(f'pip {" ".join(args[:2])} … failed (exit {result.returncode}); '
                           f'see {log}')


def ensure_env(venv: Path = DEFAULT_VENV, *, rev: str | None = None, reinstall: bool = False,
               say=print) -> BenchEnv:
    """Create or update the benchmark venv with the working tree (or git revision ``rev``)
    and the pinned clients; returns it with the versions installed."""
    python = venv / 'bin' / 'python'
    if not python.exists():
        say(f'creating the benchmark venv {venv} …')
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=300)
    marker = venv / '.pciclient-fingerprint'
    wanted = fingerprint(rev)
    if reinstall or not marker.exists() or marker.read_text() != wanted:
        log = venv / 'install.log'
        what = f'revision {rev}' if rev else 'the working tree'
        say(f'installing {what} and {", ".join(_pins())} into {venv} (log: {log}) …')
        with tempfile.TemporaryDirectory(prefix='pciclient-bench-src-') as tmp:
            source = Path(tmp) / 'src'
            _export(rev, source)
            # Dependencies first (a no-op once there), then the project itself, always
            # rebuilt from the copy: its version number does not change between edits.
            _pip(python, ['install', '-r', str(REQUIREMENTS), str(source)], log)
            _pip(python, ['install', '--no-deps', '--force-reinstall', str(source)], log)
        marker.write_text(wanted)
    return BenchEnv(venv, _versions(python), frozenset(installed_names(venv)))


def installed_names(venv: Path) -> set[str]:
    """Top-level module names installed in the venv's site-packages."""
    names = set()
    for site in venv.glob('lib/python*/site-packages'):
        for entry in site.iterdir():
            if entry.name.endswith(('.dist-info', '.egg-info', '.pth')) or \
                    entry.name.startswith(('_', '.')):
                continue
            if entry.is_dir() or entry.suffix in ('.py', '.so'):
                names.add(entry.name.split('.')[0])
    return names


def _pins() -> list[str]:
    lines = REQUIREMENTS.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def _versions(python: Path) -> dict[str, str]:
    code = ('import importlib.metadata as m, json, sys\n'
            'v = {}\n'
            f'for n in {_VERSIONED!r}:\n'
            '    try: v[n] = m.version(n)\n'
            '    except m.PackageNotFoundError: v[n] = "-"\n'
            'v["python"] = sys.version.split()[0]\n'
            'print(json.dumps(v))\n')
    out = subprocess.run([str(python), '-c', code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return json.loads(out)


def _cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        for line in Path('/proc/meminfo').read_text().splitlines():
            if line.startswith('MemTotal:'):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float('nan')


def _git(*args: str) -> str:
    try:
        return subprocess.run(['git', '-C', str(ROOT), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ''


def machine_info(rev: str | None = None) -> dict[str, object]:
    """CPU, cores, memory, OS and the code measured, for the report's header."""
    changed = '' if rev else _git('status', '--porcelain', '--', 'pciclient', 'setup.py',
                                  'requirements.txt')
    return {
        'cpu': _cpu_model(),
        'cores': os.cpu_count(),
        'usable_cores': len(os.sched_getaffinity(0)),
        'memory_gib': _memory_gib(),
        'os': f'{platform.system()} {platform.release()}',
        'commit': _git('rev-parse', '--short', rev or 'HEAD') or 'unknown',
        'dirty': bool(changed),
        'date': datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'),
        'loadavg': os.getloadavg(),
    }


class CpuMeter:
    """How busy this machine was with *other* work since the meter started, in cores.

    Machine-wide busy time from /proc/stat, less the cpu of this process and of the
    children it has reaped (so read it when the commands and servers measured are done).
    Steal time (the hypervisor running something else) is reported on its own.
    """

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[float, float, float, float]:
        ticks = os.sysconf('SC_CLK_TCK')
        try:
            fields = [int(v) for v in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:]]
        except (OSError, ValueError):
            fields = [0] * 8
        user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        own = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            own += usage.ru_utime + usage.ru_stime
        return (time.monotonic(), (user + nice + system + irq + softirq) / ticks,
                steal / ticks, own)

    def read(self) -> tuple[float, float]:
        """(other processes' cpu, steal), in cores on average since the start."""
        t1, busy1, steal1, own1 = self._read()
        t0, busy0, steal0, own0 = self._start
        elapsed = max(t1 - t0, 1e-6)
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / elapsed, (steal1 - steal0) / elapsed


def wait_for_idle(max_seconds: float, cores: float = 0.25, window: float = 3.0,
                  say=print) -> float:
    """Wait (at most ``max_seconds``) until other work uses under ``cores`` over ``window``
    seconds; returns the last reading."""
    deadline = time.monotonic() + max_seconds
    said = -math.inf
    while True:
        meter = CpuMeter()
        time.sleep(window)
        busy, _ = meter.read()
        if busy < cores or time.monotonic() + window > deadline:
            if said > -math.inf:
                say(f'going on: other processes use {busy:.2f} cores')
            return busy
        if time.monotonic() - said >= 30:
            said = time.monotonic()
            say(f'waiting up to {deadline - said:.0f} s for the machine to be idle: other '
                f'processes use {busy:.2f} cores …')
