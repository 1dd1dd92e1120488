"""The limits on waiting connections: timeouts, counts per address and in all, and the wire
behaviour of requests read ahead in the selector (split, pipelined, with bodies)."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from pciclient.fakeserver.cli import build_parser
from pciclient.fakeserver.wsgi.limits import (
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    ConnectionLimits,
)
from pciclient.fakeserver.wsgi.parking import request_size
from tests.fakeserver.conn_helpers import answer, get, is_closed_by_server, serving


def _connect(port: int) -> socket.socket:
    return socket.create_connection(('127.0.0.1', port), timeout=10)


# --- timeouts -----------------------------------------------------------------------------------

def test_an_incomplete_request_head_is_408_after_the_header_timeout() -> None:
    with serving(header_timeout=0.5) as running, _connect(running.port) as slow:
        slow.sendall(b'GET /never HTTP/1.1\r\nHost: x\r\n')
        reply = answer(slow)
        assert reply.startswith(b'HTTP/1.1 408 Request Timeout\r\n')
        assert get(running.port) == (200, b'/real 0')


def test_a_silent_connection_is_closed_after_the_header_timeout() -> None:
    with serving(header_timeout=0.5) as running, _connect(running.port) as silent:
        assert is_closed_by_server(silent)


def test_an_idle_keep_alive_connection_stays_past_the_header_timeout() -> None:
    with serving(header_timeout=0.3) as running, _connect(running.port) as kept:
        for path in (b'/one', b'/two'):
            kept.sendall(b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\n\r\n')
            assert _read_response(kept).endswith(path + b' 0')
            assert not is_closed_by_server(kept, timeout=0.6)  # idle: the server's 10 s apply


# --- what is read ahead reaches the app intact --------------------------------------------------

def _read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length body (all this app sends)."""
    data = b''
    while b'\r\n\r\n' not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b'\r\n\r\n')
    length = int(next(line.split(b':')[1] for line in head.split(b'\r\n')
                      if line.lower().startswith(b'content-length')))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b'\r\n\r\n' + body


def test_a_request_sent_in_pieces_with_a_body_arrives_whole() -> None:
    body = b'x' * 300_000  # several reads, more than one buffer
    request = (b'POST /piecewise HTTP/1.1\r\nHost: x\r\nContent-Length: '
               + str(len(body)).encode() + b'\r\n\r\n' + body)
    with serving() as running, _connect(running.port) as client:
        for start in range(0, len(request), 7919):
            client.sendall(request[start:start + 7919])
        assert _read_response(client).endswith(b'/piecewise 300000')


def test_a_head_sent_byte_by_byte_is_recognised_whole() -> None:
    head = b'GET /bytewise HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n'
    with serving() as running, _connect(running.port) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(len(head)):
            client.send(head[index:index + 1])
            time.sleep(0.002)  # one segment each, mostly
        assert _read_response(client).endswith(b'/bytewise 0')


def test_a_trickled_request_on_a_kept_alive_connection_is_408_too() -> None:
    with serving(header_timeout=0.5) as running, _connect(running.port) as kept:
        kept.sendall(b'GET /one HTTP/1.1\r\nHost: x\r\n\r\n')
        assert _read_response(kept).endswith(b'/one 0')
        kept.sendall(b'GET /two HTTP/1.1\r\n')
        assert answer(kept).startswith(b'HTTP/1.1 408 Request Timeout\r\n')


def test_pipelined_requests_are_each_answered() -> None:
    with serving() as running, _connect(running.port) as client:
        client.sendall(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n'
                       b'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'
                       b'GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        replies = answer(client)
        assert replies.count(b'HTTP/1.1 200 OK') == 3
        assert replies.index(b'/a 0') < replies.index(b'/b 3') < replies.index(b'/c 0')


def test_a_chunked_body_is_still_read_by_the_worker() -> None:
    with serving() as running, _connect(running.port) as client:
        client.sendall(b'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
                       b'Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
        assert b'HTTP/1.1 200 OK' in answer(client)  # the app read no length: '/chunked 0'


@pytest.mark.parametrize(('data', 'size'), [
    (b'GET / HTTP/1.1\r\nHost: x\r\n', None),
    (b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 27),
    (b'\r\nGET / HTTP/1.1\r\n\r\n', 20),
    (b'GET / HTTP/1.1\n\n', 16),
    (b'POST / HTTP/1.1\r\ncontent-LENGTH: 5\r\n\r\nab', 43),
    (b'POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n', 0),
    (b'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 0),
    (b'POST / HTTP/1.1\r\nContent-Length: ' + str(MAX_BODY_BYTES + 1).encode() + b'\r\n\r\n', 0),
    (b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 0),
    (b'POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n', 0),
    (b'GET /' + b'a' * 200, 0),  # longer than max_head=100 below: cheroot refuses it
])
def test_request_size(data: bytes, size: int | None) -> None:
    assert request_size(data, max_head=100) == size
    for searched in range(len(data)):  # as if read in two parts: the end of head is found
        if request_size(data[:searched], max_head=100) is None:
            assert request_size(data, max_head=100, searched=searched) == size


# --- counts ---------------------------------------------------------------------------------------

def test_past_the_per_address_limit_the_longest_waiting_connection_makes_room() -> None:
    with serving(per_address=5) as running:
        waiting = [_connect(running.port) for _ in range(5)]
        try:
            assert get(running.port) == (200, b'/real 0')
            assert is_closed_by_server(waiting[0])
            assert not any(is_closed_by_server(s, timeout=0.2) for s in waiting[1:])
        finally:
            for sock in waiting:
                sock.close()


def test_closed_connections_are_no_longer_counted() -> None:
    with serving(per_address=2, total=2) as running:
        for index in range(20):
            assert get(running.port, f'/n{index}') == (200, f'/n{index} 0'.encode())


def _blocking_app(release: threading.Event,
                  started: threading.Semaphore) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started.release()
        release.wait(20)
        start_response('200 OK', [('Content-Length', '0')])
        return [b'']
    return app


def test_when_every_connection_is_busy_a_new_one_gets_503() -> None:
    release, started = threading.Event(), threading.Semaphore(0)
    with serving(_blocking_app(release, started), total=2) as running:
        busy = [_connect(running.port) for _ in range(2)]
        try:
            for sock in busy:
                sock.sendall(b'GET /busy HTTP/1.1\r\nHost: x\r\n\r\n')
                assert started.acquire(timeout=10)
            with _connect(running.port) as refused:
                assert answer(refused).startswith(b'HTTP/1.1 503 Service Unavailable\r\n')
            release.set()
            for sock in busy:
                assert _read_response(sock).startswith(b'HTTP/1.1 200 OK')
        finally:
            release.set()
            for sock in busy:
                sock.close()


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match='at least 1'):
        ConnectionLimits(total=0)
    with pytest.raises(ValueError, match='header timeout'):
        ConnectionLimits(header_timeout=0)


# --- options ------------------------------------------------------------------------------------

def test_cli_options_set_the_limits() -> None:
    args = build_parser().parse_args(['--max-connections', '40', '--max-connections-per-address',
                                      '10', '--header-timeout', '2.5'])
    assert (args.max_connections, args.max_connections_per_address, args.header_timeout) == (
        40, 10, 2.5)
    defaults = build_parser().parse_args([])
    assert (defaults.max_connections, defaults.max_connections_per_address) == (
        MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS)
    assert MAX_CONNECTIONS_PER_ADDRESS >= 100  # tests and benchmarks: 50+ from 127.0.0.1


@pytest.mark.parametrize('option', [['--max-connections', '0'], ['--header-timeout', 'x'],
                                    ['--max-connections-per-address', 'many']])
def test_cli_refuses_bad_limits_as_usage_errors(option: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(option)
    assert exit_info.value.code == 2
    assert option[0] in capsys.readouterr().err
