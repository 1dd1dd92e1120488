"""Idle and slow connections hold no worker thread: real clients are answered meanwhile.

Scaled-down versions of the issue's probes (200 silent connections delayed a real
request by 58 s; 40 connections trickling a byte every 3 s answered 0 of 9 real
clients in 45 s). Bounds on time are generous: they prove "no stall", not speed.
"""
from __future__ import annotations

import socket
import ssl
import threading
import time
import urllib.request

from pciclient.fakeserver.wsgi.server import start_in_thread
from tests.fakeserver.conn_helpers import Trickle, echo_app, get, serving, timed
from tests.support.tls_helpers import LocalCA

REAL_TIMEOUT = 8.0  # before: 200 silent connections held the 32 workers for ~60 s


def test_200_silent_connections_do_not_delay_a_real_request() -> None:
    with serving() as running:
        silent = [socket.create_connection(('127.0.0.1', running.port), timeout=5)
                  for _ in range(200)]
        try:
            time.sleep(0.3)  # all accepted
            (status, body), seconds = timed(lambda: get(running.port, timeout=REAL_TIMEOUT))
            assert (status, body) == (200, b'/real 0')
            assert seconds < 3
        finally:
            for sock in silent:
                sock.close()


def test_trickling_connections_do_not_starve_real_clients() -> None:
    # A header timeout longer than the test: what keeps real clients served is that the
    # trickling ones wait in the selector, not that they are cut off.
    with serving(header_timeout=60) as running, Trickle(running.port, 40, 0.2) as trickle:
        time.sleep(1.0)  # every trickling connection has sent a few bytes
        answers: list[tuple[int, bytes]] = []
        failures: list[BaseException] = []

        def real(index: int) -> None:
            try:
                answers.append(get(running.port, f'/real{index}', timeout=REAL_TIMEOUT))
            except BaseException as exc:  # noqa: B036 (reported below)
                failures.append(exc)
        clients = [threading.Thread(target=real, args=(i,)) for i in range(9)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        assert not failures
        assert sorted(answers) == [(200, f'/real{i} 0'.encode()) for i in range(9)]
        assert trickle.sent >= 5  # the attack was still going on


def test_silent_tls_connections_do_not_delay_a_real_https_request(local_ca: LocalCA) -> None:
    with start_in_thread(echo_app, tls=local_ca.tls) as running:
        silent = [socket.create_connection(('127.0.0.1', running.port), timeout=5)
                  for _ in range(64)]
        try:
            time.sleep(0.3)
            context = ssl.create_default_context(cafile=str(local_ca.ca_cert))
            started = time.monotonic()
            with urllib.request.urlopen(running.url + '/tls', timeout=REAL_TIMEOUT,
                                        context=context) as response:
                assert (response.status, response.read()) == (200, b'/tls 0')
            assert time.monotonic() - started < 3
        finally:
            for sock in silent:
                sock.close()
