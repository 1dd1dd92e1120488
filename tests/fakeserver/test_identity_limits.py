"""Issue 18, item 10: the token table has a cap (oldest forgotten first), and Keystone's
account lockout (``security_compliance`` in a scenario) stops password guessing."""
from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from pciclient.fakeserver.cloud import FakeCloud
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.lockout import DEFAULT_LOCKOUT_DURATION, LockoutPolicy
from pciclient.fakeserver.identity.tokens import DEFAULT_MAX_TOKENS, TokenStore
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.scenario.loader import ScenarioError, load_scenario
from tests.fakeserver.cloud_helpers import (
    ALICE,
    ALICE_PASSWORD,
    BOB,
    BOB_PASSWORD,
    PROJECTS,
    USERS,
    Clock,
    call,
    default_project,
    password_auth,
)
from tests.support.sysfs_tree import build_standard_tree

TOKENS = '/identity/v3/auth/tokens'
KEYSTONE_401 = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}


# --- the token table's cap ------------------------------------------------------------------

def test_token_table_keeps_the_newest_up_to_its_cap() -> None:
    """Before: every token stayed until its TTL (100,000 logins: +55 MiB for an hour)."""
    store = TokenStore()
    issued = [store.issue(ALICE, PROJECTS[0], ('password',))
              for _ in range(DEFAULT_MAX_TOKENS + 500)]
    assert len(store) == DEFAULT_MAX_TOKENS
    assert store.get(issued[0].id) is None and store.get(issued[499].id) is None
    assert store.get(issued[500].id) is issued[500]
    assert store.get(issued[-1].id) is issued[-1]


def test_rescoping_one_token_is_capped_too() -> None:
    store = TokenStore(max_tokens=10)
    parent = store.issue(ALICE, PROJECTS[0], ('password',))
    for _ in range(100):
        store.issue(ALICE, PROJECTS[0], ('token',), parent=parent)
    assert len(store) == 10


def test_token_table_cap_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenStore(max_tokens=0)


# --- account lockout ------------------------------------------------------------------------

def _cloud(inventory: Inventory, clock: Clock, policy: LockoutPolicy | None) -> FakeCloud:
    directory = Directory(PROJECTS, USERS, lockout=policy, clock=clock)
    return FakeCloud(FakeComputeApp(inventory), directory, TokenStore(clock=clock))


def _login(cloud: FakeCloud, password: str, user: str = 'alice') -> int:
    project = default_project(ALICE.project if user == 'alice' else BOB.project)
    response = call(cloud, TOKENS, 'POST', password_auth(user, password, project))
    if response.status != 201:
        assert response.json == KEYSTONE_401  # a lock looks like any refusal, as in Keystone
    return response.status


def test_lockout_after_n_failures_for_a_while(inventory: Inventory,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger='pciclient.fakeserver')
    clock = Clock()
    cloud = _cloud(inventory, clock, LockoutPolicy(failure_attempts=3, duration=60))
    assert [_login(cloud, 'guess') for _ in range(3)] == [401] * 3
    assert _login(cloud, ALICE_PASSWORD) == 401  # locked: even the right password
    assert _login(cloud, BOB_PASSWORD, user='bob') == 201  # only alice is locked
    clock.advance(59)
    assert _login(cloud, ALICE_PASSWORD) == 401
    clock.advance(2)
    assert _login(cloud, ALICE_PASSWORD) == 201
    assert 'locked out after 3 failed logins' in caplog.text
    assert 'is locked out until' in caplog.text
    assert ALICE_PASSWORD not in caplog.text and 'guess' not in caplog.text


def test_lock_counts_from_the_last_failure_and_success_resets(inventory: Inventory) -> None:
    clock = Clock()
    cloud = _cloud(inventory, clock, LockoutPolicy(failure_attempts=3, duration=60))
    assert [_login(cloud, 'guess') for _ in range(2)] == [401, 401]
    assert _login(cloud, ALICE_PASSWORD) == 201  # the count starts again
    assert [_login(cloud, 'guess') for _ in range(2)] == [401, 401]
    assert _login(cloud, ALICE_PASSWORD) == 201
    for _ in range(3):
        _login(cloud, 'guess')
    clock.advance(61)  # the lock is over, and so is its count
    assert _login(cloud, 'guess') == 401
    assert _login(cloud, ALICE_PASSWORD) == 201


def test_no_lockout_by_default(inventory: Inventory) -> None:
    cloud = _cloud(inventory, Clock(), None)
    assert all(_login(cloud, 'guess') == 401 for _ in range(50))
    assert _login(cloud, ALICE_PASSWORD) == 201


# --- the scenario keys ----------------------------------------------------------------------

def _scenario(tmp_path: Path, extra: str) -> str:
    if not (tmp_path / 'sys').exists():
        build_standard_tree(tmp_path / 'sys')
    path = tmp_path / 'scenario.yaml'
    path.write_text(textwrap.dedent("""\
        users:
          - {name: alice, password: pw, project: demo}
        hosts:
          - {hostname: compute1, sysfs_root: sys}
        """) + textwrap.dedent(extra))
    return str(path)


def test_scenario_lockout_keys(tmp_path: Path) -> None:
    assert load_scenario(_scenario(tmp_path, '')).lockout is None
    loaded = load_scenario(_scenario(tmp_path, """\
        security_compliance: {lockout_failure_attempts: 5, lockout_duration: 120}
        """))
    assert loaded.lockout == LockoutPolicy(5, 120)
    loaded = load_scenario(_scenario(tmp_path, """\
        security_compliance:
          lockout_failure_attempts: 2
        """))
    assert loaded.lockout == LockoutPolicy(2, DEFAULT_LOCKOUT_DURATION)


@pytest.mark.parametrize('extra, says', [
    ('security_compliance: {lockout_failure_attempts: 0}',
     'lockout_failure_attempts must be a whole number from 1'),
    ('security_compliance: {lockout_failure_attempts: 3, lockout_duration: 0}',
     'lockout_duration must be a whole number from 1'),
    ('security_compliance: {lockout_duration: 60}',
     'lockout_duration needs lockout_failure_attempts'),
    ('security_compliance: {lockout_attempts: 3}', 'lockout_attempts'),
])
def test_scenario_lockout_mistakes(tmp_path: Path, extra: str, says: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(_scenario(tmp_path, extra + '\n'))
    assert says in str(raised.value) and ':5:' in str(raised.value)


def test_a_scenarios_lockout_holds_in_the_running_server(tmp_path: Path) -> None:
    """pci-fake-server wires the scenario's lockout into its identity (it was parsed and
    checked but the running server ignored it)."""
    import requests

    from tests.support.fake_cloud import FakeServerProcess

    scenario = _scenario(tmp_path, """\
        security_compliance: {lockout_failure_attempts: 2, lockout_duration: 600}
        """)
    server = FakeServerProcess('--scenario', scenario, log=tmp_path / 'server.log')
    try:
        url = server.root + '/identity/v3/auth/tokens'

        def login(password: str) -> int:
            body = password_auth('alice', password, {'name': 'demo',
                                                     'domain': {'name': 'Default'}})
            return requests.post(url, json=body, timeout=10).status_code
        assert [login('guess'), login('guess')] == [401, 401]
        assert login('pw') == 401   # locked: even the right password
    finally:
        server.stop()
