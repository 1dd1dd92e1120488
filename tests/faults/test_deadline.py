"""A command never outlives ``--deadline``, and an auth URL that is not Keystone's is one
line at once (issue 18, item 2).

The hang: a generic identity plugin (``password`` with ``OS_AUTH_URL=…/v3``) first asks the
auth URL for its versions; an API behind keystonemiddleware answers 401, keystoneauth asks
again *with a token* from inside its own login, under the plugin's non-re-entrant lock,
and waits for itself forever. Before the fix every test here ran into its subprocess
timeout (or, for ``--deadline``, into a usage error).
"""
from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from pciclient.v2 import client as v2_client
from tests.faults import documents as docs
from tests.faults import identity
from tests.faults.cli import noauth, pci_cli, pci_cli_here
from tests.faults.identity import UNAUTHORIZED
from tests.faults.servers import FaultServer, Request, json_reply
from tests.support.cli_process import clean_env
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree

NOT_KEYSTONE = "answered 401 to version discovery: is it Keystone's URL?"
#: Seconds within which a command that used to hang must be over (it takes about one).
PROMPT = 20


def _login_at(auth_url: str) -> list[str]:
    return ['--os-auth-url', auth_url, '--os-username', 'admin', '--os-password', 'pw',
            '--os-project-name', 'admin', '--os-user-domain-name', 'Default',
            '--os-project-domain-name', 'Default']


def _middleware(request: Request) -> object:
    """An API behind keystonemiddleware: 401 to anything without a valid token."""
    return json_reply(UNAUTHORIZED, status=401,
                      headers={'WWW-Authenticate': "Keystone uri='http://127.0.0.1:1/identity'"})


def test_an_auth_url_answering_401_is_one_line_at_once():
    with FaultServer(_middleware) as server:
        result = pci_cli(*_login_at(f'{server.url}/v3'), 'pci-list', timeout=PROMPT)
    line = result.one_line_error()
    assert NOT_KEYSTONE in line and f'{server.url}/v3' in line
    assert result.elapsed < PROMPT


def test_the_fake_clouds_compute_port_as_auth_url(tmp_path: Path):
    """The issue's own case: ``OS_AUTH_URL`` at the fake cloud's root, without /identity."""
    sysfs = build_standard_tree(tmp_path / 'sys')
    with FakeServerProcess('--sysfs-root', str(sysfs), '--hostname', 'compute1',
                           log=tmp_path / 'server.log',
                           env=clean_env(PCI_FAKE_ADMIN_PASSWORD='pw')) as cloud:
        result = pci_cli(*_login_at(f'{cloud.root}/v3'), 'pci-list', timeout=PROMPT)
    assert NOT_KEYSTONE in result.one_line_error()


def test_the_deadline_ends_the_keystoneauth_deadlock_itself(monkeypatch):
    """Without the early answer, the deadline still ends the same hang: the watchdog's
    signal interrupts the lock keystoneauth waits on (in this process: its main thread)."""
    monkeypatch.setattr(v2_client, 'fail_reentered_login', lambda auth: None)
    with FaultServer(_middleware) as server:
        result = pci_cli_here(*_login_at(f'{server.url}/v3'), '--deadline', '1', 'pci-list')
    line = result.one_line_error()
    assert 'deadline of 1 s' in line
    assert result.elapsed < PROMPT


def test_the_deadline_bounds_a_listing_whose_pages_never_end():
    """Each page comes within --timeout, none is the last: only the deadline ends it
    (before: 10,000 pages at 0.2 s, half an hour)."""
    numbers = itertools.count(1)

    def pages(request: Request) -> object:
        if not request.path.startswith('/v2.1/os-pci'):
            return identity.compute(request)
        time.sleep(0.2)
        number = next(numbers)
        return json_reply(docs.page('pci_devices', [docs.device(number % 200 + 1)],
                                    next_href=f'/v2.1/os-pci/detail?marker={number}'))

    with FaultServer(pages) as server:
        result = pci_cli(*noauth(f'{server.url}/v2.1'), '--timeout', '5', '--deadline', '2',
                         'pci-list', timeout=60)
    line = result.one_line_error()
    assert 'deadline' in line.lower()     # ours, or the library's own when it has one
    assert result.elapsed < PROMPT
    assert 3 <= len(server.requests) < 40


def _slow_os_pci(request: Request) -> object:
    if not request.path.startswith('/v2.1/os-pci'):
        return identity.compute(request)
    time.sleep(4)
    return json_reply(docs.page('pci_devices', [docs.device(1)]))


def test_a_wait_the_deadline_cut_short_is_told_as_the_deadline():
    """An answer slower than the time left: the request's timeout was cut to the time
    left, so the deadline ended the wait, not the timeout. (Before, the library said
    "Timed out … (see timeout)", and so did pci-cli whenever the socket's timeout fired a
    moment before its watchdog's signal: a busy machine's flaky test.)"""
    from pciclient import client as pci_client
    from pciclient import exceptions as exc

    with FaultServer(_slow_os_pci) as server:
        client = pci_client.Client('2', endpoint_override=f'{server.url}/v2.1', timeout=30,
                                   deadline=time.monotonic() + 1)
        started = time.monotonic()
        with pytest.raises(exc.ConnectionError) as caught:
            client.pci_devices.list()
    assert time.monotonic() - started < PROMPT
    message = str(caught.value)
    assert 'deadline' in message.lower() and 'timeout' not in message.lower(), message


def test_pci_cli_tells_a_cut_short_wait_as_its_deadline():
    with FaultServer(_slow_os_pci) as server:
        result = pci_cli(*noauth(f'{server.url}/v2.1'), '--timeout', '30',
                         '--deadline', '1', 'pci-list')
    line = result.one_line_error()
    assert 'deadline of 1 s' in line, line
    assert result.elapsed < PROMPT


def test_the_deadline_comes_from_the_environment():
    with FaultServer(_middleware) as server:
        result = pci_cli(*noauth(f'{server.url}/v2.1'), 'pci-list',
                         env=clean_env(PCI_CLI_DEADLINE='abc'))
    assert result.code == 2 and '--deadline' in result.err and result.out == ''
    assert server.requests == []


@pytest.mark.parametrize('value', ['0', '-1', 'abc', 'nan', 'inf', ''])
def test_a_deadline_that_is_no_positive_number_is_a_usage_error(value: str):
    result = pci_cli_here('--deadline', value, '--os-auth-type', 'none',
                          '--os-endpoint', 'http://127.0.0.1:1/v2.1', 'pci-list')
    assert result.code == 2 and result.out == ''
    assert result.err.count('\n') == 1 and 'positive number of seconds' in result.err


def test_the_library_alone_does_not_wait_for_itself():
    """The guard is the library's: a library caller (and the ``openstack`` plugin, which
    hands its own session) gets the error at once, worded in the library's terms."""
    import threading

    from keystoneauth1 import session as ksa_session
    from keystoneauth1.identity import generic

    from pciclient import client as pci_client
    from pciclient import exceptions as exc

    with FaultServer(_middleware) as server:
        auth = generic.Password(auth_url=f'{server.url}/v3', username='admin', password='pw',
                                project_name='admin', user_domain_name='Default',
                                project_domain_name='Default')
        client = pci_client.Client('2', session=ksa_session.Session(auth=auth), timeout=5)
        outcome: list[BaseException] = []

        def ask() -> None:
            try:
                client.hypervisors.list()
            except BaseException as error:  # noqa: BLE001 - the test reports it
                outcome.append(error)
        worker = threading.Thread(target=ask, daemon=True)
        worker.start()
        worker.join(PROMPT)
    assert not worker.is_alive(), 'the library waited for its own login lock'
    assert len(outcome) == 1 and isinstance(outcome[0], exc.ConfigurationError), outcome
    assert NOT_KEYSTONE in str(outcome[0]) and "the auth plugin's auth_url" in str(outcome[0])
