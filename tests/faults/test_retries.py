"""``--os-retries N``: 429/500/502/503/504 and connection failures are asked again, with
exponential back-off, at most N times; nothing else is retried, and without the option
nothing is."""
from __future__ import annotations

import json
import threading
import time
from unittest import mock

import pytest

from tests.faults import documents as docs
from tests.faults.cli import noauth, pci_cli, pci_cli_here
from tests.faults.servers import RESET, SILENCE, FaultServer, Reply, json_reply

DEVICES = docs.page('pci_devices', [docs.device(1), docs.device(2)])
HYPERVISORS = docs.page('hypervisors', [docs.hypervisor(1)])


def failing_first(failures: list[Reply], path: str = '/v2.1/os-pci'):
    """A compute API whose ``path`` answers ``failures`` in turn, then well."""
    lock = threading.Lock()
    left = list(failures)

    def behaviour(request):
        if request.path == path:
            with lock:
                if left:
                    return left.pop(0)
        if request.path == '/v2.1/os-pci':
            return json_reply(DEVICES)
        if request.path == '/v2.1/os-hypervisors':
            return json_reply(HYPERVISORS)
        return json_reply(docs.nova_404(), status=404)
    return FaultServer(behaviour)


def error(status: int) -> Reply:
    return json_reply({'computeFault': {'code': status, 'message': 'Try again later.'}},
                      status=status)


def attempts(server: FaultServer, path: str = '/v2.1/os-pci') -> list[float]:
    return [r.at for r in server.requests if r.path == path]


def test_back_off_between_attempts():
    """Two 503s, then the answer: three attempts, the waits growing (0.5 s, then 1 s)."""
    with failing_first([error(503), error(503)]) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--os-retries', '2', 'pci-list',
                         '-f', 'json')
    assert result.code == 0, result
    assert [row['ID'] for row in json.loads(result.out)] == [1, 2]
    times = attempts(server)
    assert len(times) == 3
    first, second = times[1] - times[0], times[2] - times[1]
    assert first >= 0.4 and second >= 0.8 and second > first, (first, second)


@pytest.mark.parametrize('status', [429, 500, 502, 503, 504])
def test_each_retriable_status(status):
    with failing_first([error(status)]) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '1',
                              'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert len(attempts(server)) == 2


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_not_retried(status):
    with failing_first([error(status)] * 4) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '3',
                              'pci-list')
    result.one_line_error()
    assert len(attempts(server)) == 1


def test_without_the_option_nothing_is_retried():
    with failing_first([error(503)]) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), 'pci-list')
    line = result.one_line_error()
    assert '(HTTP 503)' in line and 'Try again later.' in line, line
    assert len(attempts(server)) == 1


def test_retries_are_bounded():
    with failing_first([error(503)] * 10) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '2', 'pci-list')
    assert '(HTTP 503)' in result.one_line_error()
    assert len(attempts(server)) == 3


def test_option_from_the_environment(monkeypatch):
    monkeypatch.setenv('OS_RETRIES', '1')
    with failing_first([error(503)]) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), 'pci-list')
    assert result.code == 0, result
    assert len(attempts(server)) == 2


@pytest.mark.parametrize('value', ['-1', '11', 'two', ''])
def test_bad_values_are_usage_errors(value):
    result = pci_cli('--os-retries', value, 'pci-list')
    assert result.code == 2, result
    assert result.err.count('\n') == 1 and 'Traceback' not in result.err, result


def test_a_connection_dropped_before_the_answer_is_retried():
    with failing_first([RESET]) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '1',
                              'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert len(attempts(server)) == 2


def test_a_silent_server_is_retried_after_the_timeout():
    with failing_first([SILENCE]) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--timeout', '1', '--os-retries', '1',
                         'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert len(attempts(server)) == 2
    assert result.elapsed < 15


@pytest.mark.parametrize('then', ['reset', 'close'])
def test_an_answer_broken_mid_body_is_retried(then):
    whole = json.dumps(DEVICES).encode()
    broken = Reply(200, whole, {'Content-Type': 'application/json'}, cut=len(whole) // 2,
                   then=then)
    with failing_first([broken]) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '1',
                              'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert len(attempts(server)) == 2


def test_placement_requests_are_retried_too():
    providers = {'resource_providers': []}

    def behaviour(request):
        if request.path == '/placement/resource_providers':
            # The PCI providers' listing fails once; the vGPU providers' one never does.
            return error(503) if len(pci_listings()) == 1 else json_reply(providers)
        return json_reply(docs.nova_404(), status=404)
    def pci_listings():
        return [r for r in server.requests if r.path == '/placement/resource_providers'
                and r.query.get('required') == 'COMPUTE_MANAGED_PCI_DEVICE']
    server = FaultServer(behaviour)
    with server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '1',
                              '--pci-source', 'placement', '--os-placement-endpoint-override',
                              server.url + '/placement', 'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert json.loads(result.out) == []
    assert len(pci_listings()) == 2


class _Sleeps:
    """``time.sleep`` that records instead of sleeping (for waits a test cannot afford)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_back_off_doubles():
    sleeps = _Sleeps()
    with failing_first([error(503)] * 3) as server, mock.patch.object(time, 'sleep', sleeps):
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '3', 'pci-list')
    assert result.code == 0, result
    assert sleeps.calls == [0.5, 1.0, 2.0]


def test_retry_after_is_bounded():
    sleeps = _Sleeps()
    failure = json_reply({'computeFault': {'code': 503, 'message': 'later'}}, status=503,
                         headers={'Retry-After': '86400'})
    with failing_first([failure]) as server, mock.patch.object(time, 'sleep', sleeps):
        result = pci_cli_here(*noauth(server.url + '/v2.1'), '--os-retries', '1', 'pci-list')
    assert result.code in (0, 1), result
    assert sleeps.calls and max(sleeps.calls) <= 60, sleeps.calls


@pytest.mark.parametrize('value', ['nan', 'NaN'])
def test_a_retry_after_that_is_not_a_number(value):
    failure = json_reply({'computeFault': {'code': 503, 'message': 'later'}}, status=503,
                         headers={'Retry-After': value})
    with failing_first([failure]) as server:
        result = pci_cli(*noauth(server.url + '/v2.1'), '--os-retries', '1', 'pci-list',
                         '-f', 'json')
    assert result.code == 0, result
    assert len(attempts(server)) == 2
