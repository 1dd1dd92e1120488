"""Starts one measured command from a small process and reports its rusage as JSON.

Linux keeps a process's peak RSS (``ru_maxrss``) across ``execve``, and a child made by
``fork`` or ``vfork`` starts from its parent's: a command started straight from the
benchmark (which holds the last 100,000-device answer it checked, some 300 MiB) reported
the benchmark's peak as its own (``/usr/bin/true`` showed 310 MiB). Started from this
process instead (``python -S``: no site packages, about 10 MiB) a command's peak is its
own, whenever it is above those 10 MiB.

Usage: ``python -S launcher.py REPORT_FILE COMMAND [ARG …]``; the command inherits stdin,
stdout, stderr and the environment; the report is ``{"status", "cpu", "wall", "rss_kib"}``
with the command's wait status, user+sys seconds, wall seconds around spawn and reap,
and peak RSS. Stdlib only, so that it runs without site packages.
"""
import json
import os
import sys
import time


def main(argv: list) -> int:
    report, command = argv[0], argv[1:]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(report, 'w') as out:
        json.dump({'status': status, 'cpu': usage.ru_utime + usage.ru_stime, 'wall': wall,
                   'rss_kib': usage.ru_maxrss}, out)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
