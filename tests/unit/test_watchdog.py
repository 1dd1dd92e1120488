"""The deadline's watchdog (:class:`pciclient.shell.Watchdog`): a clean end where the main
thread can be interrupted, ``os._exit(1)`` with its line where it cannot, nothing after
``stop`` (issue 18, item 2)."""
from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import time

import pytest

from pciclient.shell import DeadlineExceeded, Watchdog


def test_a_lock_never_released_is_interrupted_at_the_deadline():
    """keystoneauth's deadlock is a second acquire of a plain Lock in the same thread."""
    lock = threading.Lock()
    lock.acquire()
    dog = Watchdog(time.monotonic() + 0.3, 0.3, io.StringIO())
    dog.GRACE = 60.0   # no backstop in this process, whatever happens
    dog.start()
    started = time.monotonic()
    try:
        with pytest.raises(DeadlineExceeded, match='deadline of 0.3 s'):
            lock.acquire(timeout=30)
    finally:
        dog.stop()
    assert time.monotonic() - started < 10


def test_after_stop_nothing_happens_and_the_alarm_handler_is_back():
    before = signal.getsignal(signal.SIGALRM)
    dog = Watchdog(time.monotonic() + 0.2, 0.2, io.StringIO())
    dog.start()
    dog.stop()
    time.sleep(0.5)    # past the deadline: no DeadlineExceeded, no exit
    assert signal.getsignal(signal.SIGALRM) == before


BACKSTOP = """
import sys, time
from pciclient.shell import Watchdog
dog = Watchdog(time.monotonic() + 0.3, 0.3, sys.stderr)
dog.GRACE = 0.3
dog.start()
while True:   # careless code: swallows DeadlineExceeded and goes on
    try:
        time.sleep(30)
    except Exception:
        pass
"""


def test_the_backstop_ends_a_main_thread_that_will_not_stop():
    started = time.monotonic()
    done = subprocess.run([sys.executable, '-c', BACKSTOP], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr == ('The command did not finish within its deadline of 0.3 s '
                           '(--deadline, PCI_CLI_DEADLINE).\n')
    assert time.monotonic() - started < 30


def test_outside_the_main_thread_only_the_backstop_applies():
    """An embedding program runs a command in a thread: no signal handler is set (Python
    allows none there), and stop() still disarms the watchdog."""
    before = signal.getsignal(signal.SIGALRM)
    errors: list[BaseException] = []

    def command() -> None:
        try:
            dog = Watchdog(time.monotonic() + 60, 60, io.StringIO())
            dog.start()
            assert signal.getsignal(signal.SIGALRM) == before
            dog.stop()
        except BaseException as error:  # noqa: BLE001 - shown by the assertion below
            errors.append(error)

    thread = threading.Thread(target=command)
    thread.start()
    thread.join(30)
    assert errors == []
