"""The benchmark's measure of one command (``benchmarks/measure.py``): the peak RSS is the
command's own. Linux carries a process's peak across fork and exec, so a command started
straight from a benchmark holding 300 MiB reported 300 MiB (``/usr/bin/true`` showed 310)."""
from __future__ import annotations

import sys

import pytest

from benchmarks import measure


def test_a_small_command_started_from_a_big_process_reports_its_own_peak(tmp_path):
    held = bytearray(200 << 20)   # the benchmark holding a long answer it checked
    held[::4096] = b'x' * len(held[::4096])   # resident, not only reserved
    sample, code = measure.run_once([sys.executable, '-S', '-c', 'pass'], {}, tmp_path,
                                    tmp_path / 'out', tmp_path / 'err', timeout=60)
    assert code == 0
    assert sample.rss < 100, sample   # a bare interpreter: about 10 MiB, not 200
    assert sample.cpu > 0 and sample.wall > 0
    del held


def test_exit_codes_and_output_are_the_commands(tmp_path):
    sample, code = measure.run_once(
        [sys.executable, '-S', '-c', 'import sys; print("hello"); sys.exit(3)'], {}, tmp_path,
        tmp_path / 'out', tmp_path / 'err', timeout=60)
    assert code == 3
    assert (tmp_path / 'out').read_text() == 'hello\n'


def test_a_command_past_its_timeout_is_killed_and_said(tmp_path):
    with pytest.raises(measure.CommandFailed, match='killed after 1 s'):
        measure.run_once([sys.executable, '-S', '-c', 'import time; time.sleep(30)'], {},
                         tmp_path, tmp_path / 'out', tmp_path / 'err', timeout=1)


def test_a_command_that_cannot_start_fails_its_measure(tmp_path):
    command = measure.Command('missing', [str(tmp_path / 'no-such-program')])
    measure.measure_group([command], 1, {}, tmp_path, say=lambda text: None)
    assert command.error and command.error.startswith('could not run')
    assert not command.samples
