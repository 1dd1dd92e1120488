"""The benchmark's count of memory maps (``benchmarks/memory_maps.py``): strace's lines
read right, and a machine without strace says so instead of showing zeros."""
from __future__ import annotations

from benchmarks import memory_maps

TRACE = [
    '19377 mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1',
    '19377 munmap(0x7f1, 16384)    = 0',
    '19377 mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7',
    '19377 mmap(0x7f10488ea000, 16384, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, '
    '0xb000) = 0x7f10488ea000',
    '19377 +++ exited with 0 +++',
]


def test_tally_counts_maps_unmaps_and_frame_stack_chunks():
    count = memory_maps.tally('x', TRACE)
    # A file mapped at a fixed 16 KiB is a library's, not a frame-stack chunk.
    assert (count.mmaps, count.munmaps, count.chunks) == (3, 1, 1)


def test_the_report_shows_counts_and_failures():
    lines = memory_maps.report_lines([memory_maps.tally('pci-cli pci-list -f json', TRACE),
                                      memory_maps.MapCount('nova', error='exit 1')])
    assert '| `pci-cli pci-list -f json` | 3 | 1 | 1 |' in lines
    assert '| `nova` (FAILED: exit 1) | 0 | 0 | 0 |' in lines


def test_without_strace_the_report_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(memory_maps.shutil, 'which', lambda name: None)
    count = memory_maps.count_maps('x', ['true'], {}, tmp_path)
    assert count.error == 'strace not found'
    assert 'strace is not installed here: not counted.' in memory_maps.report_lines([count])
    assert memory_maps.report_lines([]) == []
