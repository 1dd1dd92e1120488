"""One retry policy for every kind of failure (``pciclient.retry_policy``): a connection
refused, timed out or dropped (the login's too) waits as a 503 does, doubling from
0.5 s and never more than 30 s (keystoneauth's own ``connect_retries`` reached 60 s at
the 8th retry), and no wait outlasts the deadline. The waits are recorded, not slept."""
from __future__ import annotations

import time
from unittest import mock

import pytest
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import noauth, session

from pciclient import answers, redirects
from pciclient import exceptions as exc
from pciclient import retry_policy as policy
from pciclient.client import Client
from tests.faults import documents as docs
from tests.faults import identity as fake_identity
from tests.faults.cli import noauth as noauth_args
from tests.faults.cli import pci_cli_here
from tests.faults.servers import RESET, SILENCE, FaultServer, free_port, json_reply

DOCUMENTED = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


class Sleeps:
    """``time.sleep`` that records instead of sleeping (keystoneauth's and ours)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps():
    recorder = Sleeps()
    with mock.patch.object(time, 'sleep', recorder):
        yield recorder.calls


def test_connection_failures_wait_as_documented(sleeps):
    """Nothing listens: 10 retries, waits doubling up to 30 s (not 32, 60, 60, 60)."""
    url = f'http://127.0.0.1:{free_port()}/v2.1'
    result = pci_cli_here(*noauth_args(url), '--os-retries', '10', 'pci-list')
    assert 'Connection refused' in result.one_line_error()
    assert sleeps == DOCUMENTED


def test_every_kind_of_failure_shares_one_back_off(sleeps):
    """A 503, a dropped connection, a timeout and a 429 in turn: one sequence of waits."""
    failures = [json_reply({}, status=503), RESET, SILENCE, json_reply({}, status=429)]

    def behaviour(request):
        if request.path == '/v2.1/os-pci' and failures:
            return failures.pop(0)
        if request.path == '/v2.1/os-pci':
            return json_reply(docs.page('pci_devices', [docs.device(1)]))
        return json_reply(docs.page('hypervisors', [docs.hypervisor(1)]))
    with FaultServer(behaviour) as server:
        result = pci_cli_here(*noauth_args(server.url + '/v2.1'), '--timeout', '0.5',
                              '--os-retries', '4', 'pci-list')
    assert result.code == 0, result
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_a_login_whose_connection_drops_is_asked_again(sleeps):
    identity = fake_identity.Identity()
    server = fake_identity.serve(identity)
    healthy, dropped = server.behaviour, []

    def behaviour(request):
        if request.method == 'POST' and not dropped:
            dropped.append(request)
            return RESET
        return healthy(request)
    server.behaviour = behaviour
    with server:
        result = pci_cli_here(*fake_identity.password_args(server), '--os-retries', '1',
                              'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert len(dropped) == 1 and len(identity.issued) == 1 and sleeps == [0.5]


def test_keystoneauth_retries_nothing_itself():
    client = Client('2', session=session.Session(auth=noauth.NoAuth()),
                    endpoint_override='http://127.0.0.1:1/v2.1', retries=10)
    assert not client.adapter.connect_retries
    assert client.placement.http is not None
    assert not client.placement.http.adapter.connect_retries


def test_no_wait_outlasts_the_deadline():
    """Real waits: 0.5 s, then the next (1 s) would end after the deadline: no more tries."""
    url = f'http://127.0.0.1:{free_port()}/v2.1'
    client = Client('2', session=session.Session(auth=noauth.NoAuth()), endpoint_override=url,
                    placement=False, retries=10, deadline=time.monotonic() + 1.2)
    started = time.monotonic()
    with pytest.raises(exc.ConnectionError, match='Connection refused'):
        client.http.get('os-hypervisors')
    assert time.monotonic() - started < 5


def test_the_waits_of_a_policy():
    tries = policy.Retries(12)
    with mock.patch.object(time, 'sleep'):
        while tries.wait():
            pass
    assert tries.waits == DOCUMENTED + [30.0, 30.0]
    assert max(tries.waits) <= policy.MAX_RETRY_DELAY == 30.0


@pytest.mark.parametrize('left, waits', [(None, [0.5, 1.0, 2.0]), (100.0, [0.5, 1.0, 2.0]),
                                         (1.5, [0.5]), (0.4, [])])
def test_the_deadline_cuts_the_waits(left, waits):
    tries = policy.Retries(3, (lambda: left) if left is not None else None)
    with mock.patch.object(time, 'sleep'):
        while tries.wait():
            if left is not None:
                left -= tries.waits[-1]
    assert tries.waits == waits


@pytest.mark.parametrize('asked, waited', [('86400', 30.0), ('2', 2.0), ('-5', 0.0),
                                           ('nan', 0.5), ('Wed, 21 Oct 2015 07:28:00 GMT', 0.5)])
def test_retry_after_is_bounded(asked, waited):
    answer = mock.Mock(headers={'Retry-After': asked})
    tries = policy.Retries(1)
    with mock.patch.object(time, 'sleep'):
        assert tries.wait(answer)
    assert tries.waits == [waited]


@pytest.mark.parametrize('error, retriable', [
    (ksa_exc.ConnectFailure('refused'), True),
    (ksa_exc.ConnectTimeout('slow'), True),
    (ksa_exc.UnknownConnectionError('broke off', None), True),
    (ksa_exc.SSLError('bad certificate'), False),
    (ksa_exc.Unauthorized(), False),
    (ksa_exc.DiscoveryFailure('no versions'), False),
    (answers.DeadlinePassed('late'), False),
    (answers.AnswerTooLarge('large'), False),
    (redirects.RedirectRefused('elsewhere'), False),
])
def test_which_failures_are_retried(error, retriable):
    assert policy.retriable_failure(error) is retriable
