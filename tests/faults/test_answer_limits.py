"""Answers are read within a size limit (on the wire and once inflated) and a deadline.

Each attack of the issue, scaled down (limit 1 MiB instead of 256 MiB): a fast body of
50 times the limit, a gzip bomb inflating to 256 times it, an endless chunked body, a
body trickling one byte a second (and a chunk-size line trickling so, which blocks
inside one read). Each ends fast with one error naming the URL and the limit; the
client's peak RSS is measured in a subprocess of its own (``VmHWM``).
"""
from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import pytest

from pciclient import answers
from tests.faults import documents as docs
from tests.faults import identity as fake_identity
from tests.faults.cli import noauth, pci_cli, pci_cli_here
from tests.faults.servers import FaultServer, Reply, json_reply

MiB = 1024 * 1024
LIMIT = MiB
#: The client alone (python, keystoneauth, requests, pciclient) takes about 50 MiB; a
#: client that kept even a tenth of what these servers send would pass 100 MiB.
MAX_RSS_MIB = 100


class StreamServer:
    """Answers every request on 127.0.0.1 with the bytes ``produce()`` yields, as fast as
    the client reads them, until it hangs up or the server stops; counts what it sent."""

    def __init__(self, produce: Callable[[], Iterator[bytes]]) -> None:
        self.produce = produce
        self.sent = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(('127.0.0.1', 0))
        self._listener.settimeout(0.1)
        self.url = f'http://127.0.0.1:{self._listener.getsockname()[1]}'
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> StreamServer:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self._listener.close()
        assert not any(t.is_alive() for t in self._threads)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            self._spawn(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(0.2)
        with sock:
            head = b''
            while b'\r\n\r\n' not in head and not self._stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                head += chunk
            for data in self.produce():
                while data and not self._stop.is_set():
                    try:
                        done = sock.send(data)
                    except TimeoutError:
                        continue
                    except OSError:
                        return
                    self.sent += done
                    data = data[done:]
                if self._stop.is_set():
                    return


def head(*headers: str) -> bytes:
    return ('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'
            + ''.join(f'{h}\r\n' for h in headers) + '\r\n').encode()


def fast_body(total: int, announced: bool) -> Callable[[], Iterator[bytes]]:
    """``{"hypervisors": [` then spaces, ``total`` bytes in all, as fast as it goes."""
    def produce() -> Iterator[bytes]:
        yield head(f'Content-Length: {total}' if announced else 'Connection: close')
        yield b'{"hypervisors": ['
        block = b' ' * (256 * 1024)
        for _ in range(total // len(block)):
            yield block
    return produce


def gzip_bomb(inflated: int) -> bytes:
    """A valid gzip body of ``inflated`` spaces (a whole number of MiB): one compressed MiB
    repeated (each ends with a full flush, so each is independent of the one before),
    then the trailer's CRC and length of the whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(b' ' * MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated // MiB):
        crc = zlib.crc32(b' ' * MiB, crc)
    header = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff'
    trailer = struct.pack('<II', crc, inflated & 0xFFFFFFFF)
    return header + block * (inflated // MiB) + compressor.flush() + trailer


def bomb_body(inflated: int) -> Callable[[], Iterator[bytes]]:
    body = gzip_bomb(inflated)

    def produce() -> Iterator[bytes]:
        yield head('Content-Encoding: gzip', f'Content-Length: {len(body)}') + body
    return produce


def endless_chunks() -> Iterator[bytes]:
    yield head('Transfer-Encoding: chunked')
    chunk = b'10000\r\n' + b' ' * 0x10000 + b'\r\n'
    while True:
        yield chunk


def trickle(line: bool) -> Callable[[], Iterator[bytes]]:
    """One byte a second: of a 1,000-byte body, or of a chunk-size line (``000…``),
    which http.client reads whole in one call."""
    def produce() -> Iterator[bytes]:
        if line:
            yield head('Transfer-Encoding: chunked')
        else:
            yield head('Content-Length: 1000') + b'{'
        for _ in range(600):
            yield b'0' if line else b' '
            time.sleep(1)
    return produce


#: The client in a process of its own: one GET through ``pciclient.client.Client``, then
#: what happened, how long it took and the peak RSS, as one JSON line on stdout.
DRIVER = r'''
import json, resource, sys, time
from keystoneauth1 import noauth, session
from pciclient.client import Client
url, limit = sys.argv[1], int(sys.argv[2])
deadline, timeout = float(sys.argv[3]), float(sys.argv[4])
bounds = {'max_answer_size': limit} if limit else {}
if deadline:
    bounds['deadline'] = time.monotonic() + deadline
started = time.monotonic()
def client(**kwargs):
    return Client('2', session=session.Session(auth=noauth.NoAuth()), endpoint_override=url,
                  placement=False, timeout=timeout, **kwargs)
try:
    try:
        made = client(**bounds)
    except TypeError:   # a pciclient without these bounds: the figures before
        made = client()
    made.http.get('os-hypervisors')
    outcome = 'read'
except Exception as error:
    outcome = f'{type(error).__name__}: {error}'
def peak_mib():
    # VmHWM is this process image's own peak: ru_maxrss would start from the RSS of the
    # process that forked it (a long pytest run), since Linux keeps it across exec.
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({'outcome': outcome, 'seconds': time.monotonic() - started,
                  'rss_mib': peak_mib()}))
'''


def run_client(url: str, limit: int = LIMIT, deadline: float = 0.0,
               timeout: float = 5.0) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, '-c', DRIVER, url, str(limit), str(deadline), str(timeout)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def assert_refused(result: dict[str, object], kind: str, url: str, *words: str) -> None:
    outcome = str(result['outcome'])
    assert outcome.startswith(kind + ': '), result
    assert '\n' not in outcome and f'{url}/os-hypervisors' in outcome, result
    for word in words:
        assert word in outcome, result
    assert float(result['rss_mib']) < MAX_RSS_MIB, result   # type: ignore[arg-type]
    assert float(result['seconds']) < 20, result             # type: ignore[arg-type]


@pytest.mark.parametrize('announced', [True, False])
def test_a_fast_large_body(announced):
    with StreamServer(fast_body(50 * MiB, announced)) as server:
        result = run_client(server.url)
    assert_refused(result, 'AnswerTooLarge', server.url, '1 MiB')
    assert server.sent < 20 * MiB, server.sent    # the limit, plus the sockets' buffers


def test_a_gzip_bomb():
    with StreamServer(bomb_body(256 * MiB)) as server:
        result = run_client(server.url)
    assert_refused(result, 'AnswerTooLarge', server.url, '1 MiB', 'inflated')


def test_an_endless_chunked_body():
    with StreamServer(endless_chunks) as server:
        result = run_client(server.url)
    assert_refused(result, 'AnswerTooLarge', server.url, '1 MiB')
    assert server.sent < 20 * MiB, server.sent


@pytest.mark.parametrize('line', [False, True], ids=['body', 'chunk-size-line'])
def test_a_trickle_ends_at_the_deadline(line):
    with StreamServer(trickle(line)) as server:
        result = run_client(server.url, deadline=2.0, timeout=5.0)
    assert_refused(result, 'DeadlinePassed', server.url, 'deadline (2 s)')
    assert 1.5 < float(result['seconds']) < 10, result   # type: ignore[arg-type]


def test_the_limit_holds_by_default_in_the_cli():
    """pci-cli with no option: 256 MiB. A server announcing more is not read at all."""
    announce = Reply(200, b'{', {'Content-Type': 'application/json',
                                 'Content-Length': str(300 * MiB)}, then='hang')
    with FaultServer(lambda request: announce) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '3', 'pci-list')
    line = result.one_line_error()
    assert '256 MiB' in line and f'{server.url}/v2.1/os-pci' in line, line
    assert result.elapsed < 20


def test_the_login_answer_is_bounded_too():
    """keystoneauth's own requests (here the token document) go through the same bounds."""
    body = gzip_bomb(300 * MiB)
    identity = fake_identity.Identity(login=Reply(
        201, body, {'Content-Type': 'application/json', 'Content-Encoding': 'gzip',
                    'X-Subject-Token': 'gAAAAAbomb'}))
    with fake_identity.serve(identity) as server:
        result = pci_cli(*fake_identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert '256 MiB' in line and 'auth/tokens' in line, line


@pytest.mark.parametrize('encoding, compress', [
    ('gzip', lambda data: zlib.compress(data, wbits=16 + zlib.MAX_WBITS)),
    ('deflate', zlib.compress),
    ('deflate', lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),   # raw deflate
    ('gzip', lambda data: zlib.compress(data[:100], wbits=31)
     + zlib.compress(data[100:], wbits=31)),                              # two members
])
def test_compressed_answers_are_read(encoding, compress):
    devices = json.dumps(docs.page('pci_devices', [docs.device(1), docs.device(2)])).encode()
    hypervisors = json.dumps(docs.page('hypervisors', [docs.hypervisor(1)])).encode()

    def behaviour(request):
        body = devices if request.path == '/v2.1/os-pci' else hypervisors
        return Reply(200, compress(body), {'Content-Type': 'application/json',
                                           'Content-Encoding': encoding})
    with FaultServer(behaviour) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert [row['ID'] for row in json.loads(result.out)] == [1, 2]


def test_an_unasked_encoding_is_refused():
    with FaultServer(lambda request: json_reply(
            {}, headers={'Content-Encoding': 'br'})) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), 'pci-list')
    assert "'br'" in result.one_line_error()


def test_no_request_starts_after_the_deadline():
    limits = answers.Limits.from_now(LIMIT, time.monotonic() - 1)
    with pytest.raises(answers.DeadlinePassed, match='before a request to http://x/ could'):
        limits.check_start('http://x/')


@pytest.mark.parametrize('timeout, left, bounded', [
    (30.0, 2.0, 2.0), (None, 2.0, 2.0), ((5, 30), 2.0, (2.0, 2.0)), ((1, None), 2.0, (1.0, 2.0)),
    (30.0, None, 30.0), (30.0, -1.0, 0.001),
])
def test_each_request_timeout_is_bounded_by_the_time_left(timeout, left, bounded):
    assert answers.clamp_timeout(timeout, left) == bounded
