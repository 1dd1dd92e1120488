"""Every exit 1 has its one line, running out of memory included (issue 18, item 5).

Before: a gzip bomb under a memory limit ended with exit 1 and an empty line on stderr
(``MemoryError`` has no message; cliff logs ``str(error)``).
"""
from __future__ import annotations

import gzip
import resource
import subprocess
import time
from typing import Any

import pytest

from pciclient import exceptions
from pciclient.v2 import client as v2_client
from tests.faults import identity
from tests.faults.cli import Result, noauth, pci_cli_here
from tests.faults.servers import FaultServer, Reply, Request
from tests.support.cli_process import clean_env, console_script

#: The address space pci-cli may use: ample to start and ask (it needs about 200 MiB),
#: far too little for the answer inflated.
LIMIT = 384 * 1024 ** 2
#: 1 MiB on the wire, 1 GiB inflated: 64 gzip members of 16 MiB of zeros each.
BOMB = gzip.compress(bytes(16 * 1024 ** 2)) * 64


def _bomb(request: Request) -> Reply:
    if request.path.startswith('/v2.1/os-pci'):
        return Reply(body=BOMB, headers={'Content-Type': 'application/json',
                                         'Content-Encoding': 'gzip'})
    return identity.compute(request)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def test_a_gzip_bomb_under_a_memory_limit_ends_with_one_line():
    with FaultServer(_bomb) as server:
        started = time.monotonic()
        # A limit far above the answer's size: only memory stops the command, also once
        # answers are read as bounded streams.
        done = subprocess.run(
            [console_script('pci-cli'), '--max-answer-size', '8G',
             *noauth(f'{server.url}/v2.1'), 'pci-list'],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            env=clean_env(MALLOC_ARENA_MAX='2'), preexec_fn=_limited)
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    line = result.one_line_error()
    assert line.startswith('Out of memory while running pci-list')


def _failing_client(error: BaseException) -> Any:
    class Failing:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise error
    return Failing


def test_out_of_memory_in_process(monkeypatch):
    monkeypatch.setattr(v2_client, 'Client', _failing_client(MemoryError()))
    result = pci_cli_here(*noauth('http://127.0.0.1:1/v2.1'), 'server-list')
    assert result.one_line_error().startswith('Out of memory while running server-list')


def test_with_debug_the_traceback_shows_where(monkeypatch):
    monkeypatch.setattr(v2_client, 'Client', _failing_client(MemoryError()))
    result = pci_cli_here('--debug', *noauth('http://127.0.0.1:1/v2.1'), 'server-list')
    assert result.code == 1
    assert 'MemoryError' in result.err and 'Out of memory while running' in result.err


@pytest.mark.parametrize('error', [ValueError(), RuntimeError('  '), OSError(),
                                   exceptions.CommandError(' ')])
def test_any_failure_without_a_message_gets_one(monkeypatch, error: Exception):
    monkeypatch.setattr(v2_client, 'Client', _failing_client(error))
    result = pci_cli_here(*noauth('http://127.0.0.1:1/v2.1'), 'server-list')
    assert result.one_line_error() == f'{type(error).__name__} while running server-list.'
