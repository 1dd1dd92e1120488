"""A small, bounded, open-loop HTTP load generator for the fake cloud (standard library only).

``run(url, token, rate, seconds, connections)`` offers ``rate`` requests per second for
``seconds`` seconds over at most ``connections`` concurrent HTTP connections to a compute
endpoint such as ``http://127.0.0.1:PORT/v2.1``, mixing three requests in turn:

- ``os-pci/detail?limit=100`` (a page of 100 devices),
- ``os-pci/{id}`` (a device picked at random, seeded, from the first listing page),
- ``os-hypervisors/{id}`` (a hypervisor picked the same way).

The schedule is fixed in advance (request *i* is due at ``start + i / rate``), so the
generator is *open-loop*: a slow server makes requests wait for a free connection instead
of being offered fewer of them, and latency is measured from when a request was due, not
from when it was sent (no coordinated omission). Every response must be a complete
``200`` with a JSON body of the expected shape; anything else is an error, by kind.

It is bounded: at most ``rate * seconds`` requests, every exchange has a timeout, and the
whole run is abandoned ``timeout`` seconds after its last request was due (what had not
finished then counts as ``unfinished`` errors). Only loopback addresses are accepted.

    python -m benchmarks.load --url http://127.0.0.1:8774/v2.1 --noauth --rate 200
    python -m benchmarks.load --url http://127.0.0.1:PORT/v2.1 --password "$PW" --rate 200
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import ipaddress
import json
import math
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

__all__ = ['LoadResult', 'get_token', 'run']

# Responses larger than this are refused as errors (os-pci/detail?limit=100 is ~50 KB).
_MAX_BODY = 16 * 1024 * 1024
_MAX_HEADERS = 100
_USER_AGENT = 'pciclient-benchmarks-load/1'


@dataclass
class LoadResult:
    """What one fixed-rate run achieved. Latencies are those of the successful responses,
    in milliseconds, from when each request was due."""

    url: str
    offered_rate: float
    seconds: float
    connections: int
    count: int                      # requests scheduled (= offered_rate * seconds)
    ok: int                         # complete 200 responses of the expected shape
    errors: int                     # count - ok
    error_kinds: dict[str, int] = field(default_factory=dict)
    achieved_rate: float = 0.0      # ok responses per second of the run
    duration: float = 0.0           # first due time to last completion, seconds
    p50: float = math.nan
    p90: float = math.nan
    p99: float = math.nan
    max: float = math.nan
    mean_service: float = math.nan  # mean send-to-response time, ms (excludes queueing)
    tcp_connects: int = 0           # connections opened (a server closing each one shows here)
    stale_retries: int = 0          # requests resent once because a kept-alive connection died
    client_cpu: float = 0.0         # cpu seconds of this process during the run

    @property
    def passed(self) -> bool:
        """No errors and the offered rate was delivered (within 5 %)."""
        return self.errors == 0 and self.achieved_rate >= 0.95 * self.offered_rate

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class _ResponseError(Exception):
    """A response that is not what the benchmark expects; ``kind`` classifies it."""

    def __init__(self, kind: str, detail: str = '') -> None:
        super().__init__(f'{kind}: {detail}' if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class _Target:
    host: str        # the address connected to (a loopback IP)
    port: int
    host_header: str
    base_path: str   # e.g. /v2.1


def _loopback_target(url: str) -> _Target:
    """Parse ``url``; refuse anything that is not plain HTTP to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme != 'http':
        raise ValueError(f'only http:// URLs are supported, not {url!r}')
    host = parts.hostname or ''
    if host == 'localhost':
        address = '127.0.0.1'
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f'{url!r}: give a loopback IP address or localhost') from None
        if not ip.is_loopback:
            raise ValueError(f'{url!r} is not a loopback address; this tool only loads '
                             f'servers on this machine')
        address = str(ip)
    port = parts.port or 80
    host_header = f'[{address}]:{port}' if ':' in address else f'{address}:{port}'
    return _Target(address, port, host_header, parts.path.rstrip('/'))


def get_token(identity_url: str, username: str, password: str, project: str,
              domain: str = 'Default', timeout: float = 10.0) -> str:
    """A project-scoped token from a Keystone v3 ``identity_url`` on loopback (password auth)."""
    target = _loopback_target(identity_url)
    path = target.base_path if target.base_path.endswith('/v3') else target.base_path + '/v3'
    body = json.dumps({'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': username, 'password': password, 'domain': {'name': domain}}}},
        'scope': {'project': {'name': project, 'domain': {'name': domain}}}}})
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        conn.request('POST', path + '/auth/tokens', body=body,
                     headers={'Content-Type': 'application/json', 'Host': target.host_header})
        response = conn.getresponse()
        response.read()
        token = response.getheader('X-Subject-Token')
        if response.status != 201 or not token:
            raise RuntimeError(f'login as {username} failed: HTTP {response.status}')
        return token
    finally:
        conn.close()


def _get_json(target: _Target, token: str | None, path: str, timeout: float) -> object:
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        headers = {'Accept': 'application/json', 'Host': target.host_header}
        if token:
            headers['X-Auth-Token'] = token
        conn.request('GET', target.base_path + path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f'GET {path}: HTTP {response.status}: {body[:200]!r}')
        return json.loads(body)
    finally:
        conn.close()


def _discover(target: _Target, token: str | None, timeout: float) -> tuple[list, list]:
    """Device and hypervisor ids to ask for (from the first page of each listing)."""
    devices = _get_json(target, token, '/os-pci?limit=1000', timeout)
    hypervisors = _get_json(target, token, '/os-hypervisors', timeout)
    device_ids = [d['id'] for d in devices['pci_devices']]          # type: ignore[index]
    hypervisor_ids = [h['id'] for h in hypervisors['hypervisors']]  # type: ignore[index]
    if not device_ids or not hypervisor_ids:
        raise RuntimeError('the cloud has no PCI devices or no hypervisors to ask for')
    return device_ids, hypervisor_ids


class _Connection:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, target: _Target, stats: Counter) -> None:
        self._target = target
        self._stats = stats
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._answered = False  # whether the current exchange got any response byte

    async def get(self, request: bytes) -> tuple[int, bytes]:
        reused = self._writer is not None
        try:
            return await self._exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            # A kept-alive connection the server had closed before this request: retry once
            # on a new one, as HTTP clients do for idempotent requests. A connection that
            # fails after some of the answer came, or a new one, is an error.
            if not reused or self._answered:
                raise
            self._stats['stale_retries'] += 1
            self.close()
            return await self._exchange(request)

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        self._answered = False
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self._target.host, self._target.port)
            self._stats['tcp_connects'] += 1
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(request)
        await writer.drain()
        status_line = await reader.readuntil(b'\r\n')
        self._answered = True
        version, _, rest = status_line.decode('latin-1').partition(' ')
        if not version.startswith('HTTP/1.'):
            raise _ResponseError('bad_status_line', status_line[:80].decode('latin-1'))
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            line = await reader.readuntil(b'\r\n')
            if line == b'\r\n':
                break
            name, _, value = line.decode('latin-1').partition(':')
            headers[name.strip().lower()] = value.strip()
        else:
            raise _ResponseError('too_many_headers')
        connection = headers.get('connection', '').lower()
        keep_alive = ('close' not in connection if version == 'HTTP/1.1'
                      else 'keep-alive' in connection)
        if 'chunked' in headers.get('transfer-encoding', '').lower():
            body = await self._read_chunked(reader)
        elif 'content-length' in headers:
            length = int(headers['content-length'])
            if length > _MAX_BODY:
                raise _ResponseError('body_too_large')
            body = await reader.readexactly(length)
        else:
            body = await reader.read(_MAX_BODY + 1)
            while True:
                more = await reader.read(_MAX_BODY + 1 - len(body))
                if not more or len(body) > _MAX_BODY:
                    break
                body += more
            if len(body) > _MAX_BODY:
                raise _ResponseError('body_too_large')
            keep_alive = False
        if not keep_alive:
            self.close()
        return status, body

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)
            if size == 0:
                while await reader.readuntil(b'\r\n') != b'\r\n':
                    pass
                return b''.join(parts)
            total += size
            if total > _MAX_BODY:
                raise _ResponseError('body_too_large')
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def _check(kind: int, wanted: object, status: int, body: bytes) -> None:
    """Raise unless ``body`` is the complete, expected JSON answer to request ``kind``."""
    if status != 200:
        raise _ResponseError(f'http_{status}')
    try:
        document = json.loads(body)
    except ValueError:
        raise _ResponseError('invalid_json') from None
    if kind == 0:
        devices = document.get('pci_devices') if isinstance(document, dict) else None
        if not isinstance(devices, list) or len(devices) != wanted:
            raise _ResponseError('wrong_document')
    else:
        key = 'pci_device' if kind == 1 else 'hypervisor'
        item = document.get(key) if isinstance(document, dict) else None
        if not isinstance(item, dict) or str(item.get('id')) != str(wanted):
            raise _ResponseError('wrong_document')


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (nan when empty)."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def _run_async(target: _Target, token: str | None, rate: float, seconds: float,
                     connections: int, timeout: float, device_ids: list, hypervisor_ids: list,
                     page_size: int, seed: int) -> LoadResult:
    count = max(1, int(round(rate * seconds)))
    rng = random.Random(seed)
    auth = f'X-Auth-Token: {token}\r\n' if token else ''

    def request(path: str) -> bytes:
        return (f'GET {target.base_path}{path} HTTP/1.1\r\nHost: {target.host_header}\r\n'
                f'Accept: application/json\r\nUser-Agent: {_USER_AGENT}\r\n{auth}'
                f'Connection: keep-alive\r\n\r\n').encode('latin-1')

    # The whole schedule, fixed before the clock starts: (kind, expected, request bytes).
    detail = request('/os-pci/detail?limit=100')
    plan: list[tuple[int, object, bytes]] = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            plan.append((0, page_size, detail))
        elif kind == 1:
            device = rng.choice(device_ids)
            plan.append((1, device, request(f'/os-pci/{device}')))
        else:
            hypervisor = rng.choice(hypervisor_ids)
            plan.append((2, hypervisor, request(f'/os-hypervisors/{hypervisor}')))

    stats: Counter = Counter()
    errors: Counter = Counter()
    latencies: list[float] = []
    service_total = 0.0
    last_done = 0.0
    next_slot = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def worker() -> None:
        nonlocal next_slot, service_total, last_done
        conn = _Connection(target, stats)
        try:
            while next_slot < count:
                slot = next_slot
                next_slot += 1
                due = start + slot / rate
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                kind, wanted, payload = plan[slot]
                sent = loop.time()
                try:
                    async with asyncio.timeout(timeout):
                        status, body = await conn.get(payload)
                    _check(kind, wanted, status, body)
                except _ResponseError as exc:
                    errors[exc.kind] += 1
                    conn.close()
                    continue
                except TimeoutError:
                    errors['timeout'] += 1
                    conn.close()
                    continue
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors[type(exc).__name__] += 1
                    conn.close()
                    continue
                done = loop.time()
                latencies.append((done - due) * 1000.0)
                service_total += done - sent
                last_done = max(last_done, done)
        finally:
            conn.close()

    cpu_before = time.process_time()
    workers = [asyncio.ensure_future(worker()) for _ in range(connections)]
    try:
        # The run ends by itself: `timeout` seconds after the last request was due at most.
        async with asyncio.timeout(seconds + timeout + 1.0):
            await asyncio.gather(*workers)
    except TimeoutError:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    client_cpu = time.process_time() - cpu_before
    finished = len(latencies) + sum(errors.values())
    if finished < count:
        errors['unfinished'] += count - finished
    latencies.sort()
    ok = len(latencies)
    duration = max(last_done - start, 1e-9) if ok else 0.0
    return LoadResult(
        url='http://' + target.host_header + target.base_path, offered_rate=rate,
        seconds=seconds, connections=connections, count=count, ok=ok, errors=count - ok,
        error_kinds=dict(errors), achieved_rate=ok / duration if ok else 0.0,
        duration=duration, p50=_percentile(latencies, 0.50), p90=_percentile(latencies, 0.90),
        p99=_percentile(latencies, 0.99), max=latencies[-1] if latencies else math.nan,
        mean_service=service_total / ok * 1000.0 if ok else math.nan,
        tcp_connects=stats['tcp_connects'], stale_retries=stats['stale_retries'],
        client_cpu=client_cpu)


def run(url: str, token: str | None, rate: float, seconds: float = 10.0,
        connections: int = 50, *, timeout: float = 10.0, seed: int = 1) -> LoadResult:
    """Offer ``rate`` requests/s for ``seconds`` s over ``connections`` connections to ``url``.

    ``url`` is the compute endpoint on loopback (``http://127.0.0.1:PORT/v2.1``); ``token``
    an ``X-Auth-Token`` (``None`` for a ``--noauth`` server). Blocks until the run is over
    (at most ``seconds + timeout + 1`` s after discovery) and returns a :class:`LoadResult`.
    """
    if not 0 < rate <= 100_000 or not 0 < seconds <= 3600 or not 1 <= connections <= 1000:
        raise ValueError('need 0 < rate <= 100000, 0 < seconds <= 3600, 1 <= connections <= 1000')
    target = _loopback_target(url)
    device_ids, hypervisor_ids = _discover(target, token, timeout)
    page = _get_json(target, token, '/os-pci/detail?limit=100', timeout)
    page_size = len(page['pci_devices'])  # type: ignore[index]
    return asyncio.run(_run_async(target, token, float(rate), float(seconds), connections,
                                  timeout, device_ids, hypervisor_ids, page_size, seed))


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.load', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--url', required=True, help='compute endpoint, e.g. '
                        'http://127.0.0.1:8774/v2.1 (loopback only)')
    parser.add_argument('--rate', type=float, default=200.0, help='requests/s (default 200)')
    parser.add_argument('--seconds', type=float, default=10.0, help='duration (default 10)')
    parser.add_argument('--connections', type=int, default=50, help='default 50')
    parser.add_argument('--timeout', type=float, default=10.0, help='per request (default 10)')
    auth = parser.add_mutually_exclusive_group(required=True)
    auth.add_argument('--noauth', action='store_true', help='send no token')
    auth.add_argument('--token', help='an X-Auth-Token')
    auth.add_argument('--password', help='log in at URL-root/identity with this password')
    parser.add_argument('--username', default='admin')
    parser.add_argument('--project', default='admin')
    args = parser.parse_args(argv)
    token = args.token
    if args.password:
        root = args.url.rstrip('/').rsplit('/', 1)[0]
        token = get_token(root + '/identity', args.username, args.password, args.project)
    result = run(args.url, token, args.rate, args.seconds, args.connections,
                 timeout=args.timeout)
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.passed else 1


if __name__ == '__main__':
    sys.exit(_main())
