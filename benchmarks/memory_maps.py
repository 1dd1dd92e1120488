"""How often a command maps and unmaps memory (``strace``), where CPython's frame stack shows.

CPython before 3.13 frees a 16 KiB chunk of its frame stack as soon as the frame that
opened it returns (python/cpython#142183): a loop whose calls cross a chunk boundary maps
and unmaps one chunk per call. Which loop crosses one depends only on how deep the code
runs, so an unrelated change can add a thousand map/unmap pairs (about 6 % of
``pci-list``'s cpu when urllib3's regular expressions were compiled at such a depth,
before ``pciclient.main`` imported keystoneauth first). Counted here so that it shows.
Without ``strace`` on the machine nothing is counted, and the report says so.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: An anonymous read-write mapping of exactly one frame-stack chunk.
_CHUNK = re.compile(r'\bmmap\(NULL, 16384, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS,')


@dataclass
class MapCount:
    label: str
    mmaps: int = 0
    munmaps: int = 0
    chunks: int = 0       # 16 KiB anonymous maps: frame-stack chunks, mostly
    error: str | None = None


def strace_path() -> str | None:
    return shutil.which('strace')


def count_maps(label: str, argv: Sequence[str], env: dict[str, str], workdir: Path,
               timeout: float = 120.0) -> MapCount:
    """Run ``argv`` once under ``strace -f -e trace=mmap,munmap`` and count the calls."""
    strace = strace_path()
    if strace is None:
        return MapCount(label, error='strace not found')
    trace = workdir / 'maps.strace'
    result = subprocess.run([strace, '-f', '-qq', '-e', 'trace=mmap,munmap', '-o', str(trace),
                             *argv], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=timeout, check=False)
    count = tally(label, trace.read_text(errors='replace').splitlines())
    if result.returncode:
        count.error = f'exit {result.returncode}'
    trace.unlink(missing_ok=True)
    return count


def tally(label: str, lines: Sequence[str]) -> MapCount:
    """The calls in ``strace -f`` output lines (``PID mmap(…) = …``)."""
    count = MapCount(label)
    for line in lines:
        if ' mmap(' in line:
            count.mmaps += 1
            count.chunks += bool(_CHUNK.search(line))
        elif ' munmap(' in line:
            count.munmaps += 1
    return count


def report_lines(counts: list[MapCount]) -> list[str]:
    if not counts:
        return []
    lines = ['### Memory maps (`strace -e trace=mmap,munmap`, one run each)', '',
             '16 KiB maps are, nearly all, CPython frame-stack chunks: many of them mean '
             'a loop crosses a chunk boundary (see `benchmarks/memory_maps.py`).', '']
    if all(c.error == 'strace not found' for c in counts):
        return lines + ['strace is not installed here: not counted.', '']
    lines += ['| command | mmap | munmap | 16 KiB maps |', '| --- | ---: | ---: | ---: |']
    for c in counts:
        failed = f' (FAILED: {c.error})' if c.error else ''
        lines.append(f'| `{c.label}`{failed} | {c.mmaps} | {c.munmaps} | {c.chunks} |')
    return lines + ['']
