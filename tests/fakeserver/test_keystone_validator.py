"""The compute API behind an external Keystone: validation, cache, service token, outages.

A :class:`KeystoneStub` on a loopback port plays Keystone over real HTTP; the
clock the validator reads for expiry and cache is moved by hand.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from pciclient.fakeserver.cloud import token_auth
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.identity.external.cache import ValidationCache
from pciclient.fakeserver.identity.external.client import (
    KeystoneClient,
    ServiceCredentials,
    keystone_root,
    parse_keystone_time,
)
from pciclient.fakeserver.identity.external.validator import KeystoneValidator, context_from_token
from pciclient.fakeserver.identity.middleware import ComputeAuth
from pciclient.fakeserver.identity.validation import IdentityUnavailable
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.wsgi.context import RequestContext
from pciclient.fakeserver.wsgi.server import RunningServer, make_server
from tests.fakeserver.cloud_helpers import Clock, call
from tests.fakeserver.helpers import HOST
from tests.fakeserver.keystone_stub import (
    SERVICE_PASSWORD,
    SERVICE_PROJECT,
    SERVICE_USER,
    KeystoneStub,
    Recorder,
    dead_url,
    free_port,
    serving,
    silent_listener,
)

CREDENTIALS = ServiceCredentials(SERVICE_USER, SERVICE_PASSWORD, SERVICE_PROJECT)
DEMO_VM = '22222222-2222-4222-8222-222222222222'
ADMIN_VM = '11111111-1111-4111-8111-111111111111'


@pytest.fixture
def clock() -> Clock:
    # Whole seconds: Keystone's timestamps carry microseconds, and a clock between two of
    # them would make "expires now" a coin toss of rounding.
    return Clock(float(int(time.time())))


@pytest.fixture
def stub(clock: Clock) -> Iterator[KeystoneStub]:
    keystone = KeystoneStub(clock)
    with serving(keystone) as running:
        keystone.url = running.url + '/v3'
        yield keystone


def _validator(url: str, clock: Clock, ttl: float = 0, timeout: float = 5,
               credentials: ServiceCredentials = CREDENTIALS) -> KeystoneValidator:
    return KeystoneValidator(KeystoneClient(url, timeout=timeout), credentials,
                             cache_ttl=ttl, clock=clock)


def _cloud(validator: KeystoneValidator, inventory: Inventory) -> ComputeAuth:
    servers = inventory.with_servers([
        Server(id=DEMO_VM, name='demo-vm', host=HOST, tenant_id='p-demo'),
        Server(id=ADMIN_VM, name='admin-vm', host=HOST, tenant_id='p-admin'),
    ])
    return token_auth(FakeComputeApp(servers), validator,
                      lambda request: validator.identity_url)


# --- what a token becomes ----------------------------------------------------------------------

def test_token_becomes_the_same_context_as_the_builtin_identity(stub: KeystoneStub,
                                                               clock: Clock) -> None:
    token = stub.add_token(roles=('Member', 'reader'))
    assert _validator(stub.url, clock).validate(token) == RequestContext(
        user_id='u-alice', project_id='p-demo', roles=('member', 'reader'))


def test_policy_applies_to_keystone_roles(stub: KeystoneStub, clock: Clock,
                                          inventory: Inventory) -> None:
    app = _cloud(_validator(stub.url, clock), inventory)
    member = {'X-Auth-Token': stub.add_token()}
    admin = {'X-Auth-Token': stub.add_token('p-admin', ('admin', 'member', 'reader'), 3600,
                                            'u-admin')}
    assert call(app, '/v2.1/os-pci', headers=member).status == 403
    assert call(app, '/v2.1/os-pci', headers=admin).status == 200
    names = [s['name'] for s in call(app, '/v2.1/servers', headers=member).json['servers']]
    assert names == ['demo-vm']
    everyone = call(app, '/v2.1/servers', query='all_tenants=1', headers=admin).json['servers']
    assert sorted(s['name'] for s in everyone) == ['admin-vm', 'demo-vm']


def test_unknown_token_is_keystonemiddlewares_401(stub: KeystoneStub, clock: Clock,
                                                  inventory: Inventory) -> None:
    app = _cloud(_validator(stub.url, clock), inventory)
    for headers in ({}, {'X-Auth-Token': 'made-up'}):
        response = call(app, '/v2.1/servers', headers=headers)
        assert response.status == 401
        assert response.json['error']['code'] == 401
        assert response.headers['www-authenticate'] == f'Keystone uri="{keystone_root(stub.url)}"'


def test_only_project_scoped_tokens_are_accepted(stub: KeystoneStub, clock: Clock) -> None:
    domain_scoped = stub.add_token(project_id=None, roles=('admin',))
    assert _validator(stub.url, clock).validate(domain_scoped) is None


@pytest.mark.parametrize('token', ['x' * 9000, 'tök', 'two\tparts'])
def test_tokens_keystone_never_issues_are_refused_unasked(stub: KeystoneStub, clock: Clock,
                                                          token: str) -> None:
    assert _validator(stub.url, clock).validate(token) is None
    assert stub.validations == 0


def test_expired_token_is_refused_even_if_keystone_still_vouches(stub: KeystoneStub,
                                                                clock: Clock) -> None:
    token = stub.add_token(ttl=10)
    clock.advance(11)
    assert _validator(stub.url, clock).validate(token) is None


# --- the cache ---------------------------------------------------------------------------------

def test_cache_reuses_a_validation_for_its_ttl(stub: KeystoneStub, clock: Clock) -> None:
    validator = _validator(stub.url, clock, ttl=60)
    token = stub.add_token()
    for _ in range(3):
        assert validator.validate(token) is not None
    assert stub.validations == 1
    del stub.tokens[token]  # revoked in Keystone: still trusted until the entry lapses
    clock.advance(59)
    assert validator.validate(token) is not None
    clock.advance(2)
    assert validator.validate(token) is None
    assert stub.validations == 2


def test_cache_never_outlives_the_token(stub: KeystoneStub, clock: Clock) -> None:
    validator = _validator(stub.url, clock, ttl=60)
    token = stub.add_token(ttl=10)
    assert validator.validate(token) is not None
    clock.advance(10)
    assert validator.validate(token) is None
    assert stub.validations == 2


def test_ttl_zero_asks_keystone_every_time(stub: KeystoneStub, clock: Clock) -> None:
    validator = _validator(stub.url, clock, ttl=0)
    token = stub.add_token()
    assert validator.validate(token) and validator.validate(token)
    assert stub.validations == 2
    del stub.tokens[token]
    assert validator.validate(token) is None
    assert len(validator.cache) == 0


# --- the service token -------------------------------------------------------------------------

def test_service_token_is_fetched_once(stub: KeystoneStub, clock: Clock) -> None:
    validator = _validator(stub.url, clock)
    for _ in range(3):
        validator.validate(stub.add_token())
    assert stub.issued == 1


def test_service_token_is_renewed_before_it_expires(stub: KeystoneStub, clock: Clock) -> None:
    stub.service_ttl = 600
    validator = _validator(stub.url, clock)
    validator.validate(stub.add_token())
    clock.advance(600 - 61)
    validator.validate(stub.add_token())
    assert stub.issued == 1
    clock.advance(2)  # within a minute of its expiry
    validator.validate(stub.add_token())
    assert stub.issued == 2


def test_rejected_service_token_is_replaced_once(stub: KeystoneStub, clock: Clock) -> None:
    validator = _validator(stub.url, clock)
    assert validator.validate(stub.add_token()) is not None
    stub.revoke_service_tokens()  # e.g. Keystone restarted with new keys
    assert validator.validate(stub.add_token()) is not None
    assert stub.issued == 2


def test_wrong_service_credentials_are_a_503_without_the_password(
        stub: KeystoneStub, clock: Clock, inventory: Inventory) -> None:
    wrong = ServiceCredentials(SERVICE_USER, 'not-it', SERVICE_PROJECT)
    app = _cloud(_validator(stub.url, clock, credentials=wrong), inventory)
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': stub.add_token()})
    assert response.status == 503
    message = response.json['error']['message']
    assert "refused this compute service's own credentials" in message and 'nova' in message
    assert 'not-it' not in message and 'not-it' not in repr(wrong)


def test_a_401_to_the_service_token_costs_one_new_login(stub: KeystoneStub, clock: Clock,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    validator = _validator(stub.url, clock)
    assert validator.validate(stub.add_token()) is not None
    assert (stub.issued, stub.validations) == (1, 1)
    stub.revoke_service_tokens()
    with caplog.at_level(logging.INFO, logger='pciclient.fakeserver.keystone'):
        assert validator.validate(stub.add_token()) is not None
    # keystoneauth's session: the 401, one login, the same validation again.
    assert (stub.issued, stub.validations) == (2, 3)
    assert 'no longer accepts service token' in caplog.text
    assert 'got a service token' in caplog.text
    assert validator.validate(stub.add_token()) is not None  # the new token is kept
    assert (stub.issued, stub.validations) == (2, 4)
    for token in stub.service_tokens:
        assert token not in caplog.text
    assert SERVICE_PASSWORD not in caplog.text


def test_a_keystone_refusing_even_the_new_service_token_is_a_503(
        stub: KeystoneStub, clock: Clock, inventory: Inventory) -> None:
    app = _cloud(_validator(stub.url, clock), inventory)
    token = stub.add_token()
    assert call(app, '/v2.1/servers', headers={'X-Auth-Token': token}).status == 200
    stub.refuse_service_tokens = True
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': token})
    assert response.status == 503
    assert response.json['error']['message'] == (
        f'The identity service at {keystone_root(stub.url)} rejects the service token it has '
        'just issued to this compute service, so it cannot check tokens.')
    assert stub.issued == 2  # one new login, not a loop


def test_a_validation_keystone_sits_on_is_a_503_after_the_timeout(
        stub: KeystoneStub, clock: Clock, inventory: Inventory) -> None:
    app = _cloud(_validator(stub.url, clock, timeout=0.5), inventory)
    token = stub.add_token()
    assert call(app, '/v2.1/servers', headers={'X-Auth-Token': token}).status == 200
    stub.stall_validation = 2
    started = time.monotonic()
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': token})
    assert time.monotonic() - started < 1.5
    assert response.status == 503
    assert response.json['error']['message'] == (
        f'The identity service at {keystone_root(stub.url)} is unreachable (no answer in '
        'time), so this compute API cannot check tokens; try again later.')


@pytest.fixture
def elsewhere() -> Iterator[tuple[Recorder, str]]:
    """Another port on the same host, recording whatever reaches it."""
    recorder = Recorder()
    with serving(recorder) as running:  # type: ignore[arg-type]
        yield recorder, running.url


def test_a_redirected_login_is_not_followed_with_the_password(
        stub: KeystoneStub, clock: Clock, inventory: Inventory,
        elsewhere: tuple[Recorder, str]) -> None:
    recorder, url = elsewhere
    stub.redirect_to = url + '/v3/auth/tokens'
    app = _cloud(_validator(stub.url, clock), inventory)
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': 'gAAAAAcallers-token'})
    assert response.status == 503
    assert response.json['error']['message'] == (
        f'The identity service at {keystone_root(stub.url)} answered HTTP 307 when asked for '
        "the compute service's token, so this compute API cannot check tokens; try again later.")
    assert recorder.seen == []


def test_a_redirected_validation_is_not_followed_with_the_tokens(
        stub: KeystoneStub, clock: Clock, inventory: Inventory,
        elsewhere: tuple[Recorder, str]) -> None:
    recorder, url = elsewhere
    app = _cloud(_validator(stub.url, clock), inventory)
    token = stub.add_token()
    assert call(app, '/v2.1/servers', headers={'X-Auth-Token': token}).status == 200
    stub.redirect_to = url + '/v3/auth/tokens'
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': token})
    assert response.status == 503
    assert 'answered HTTP 307 when asked to validate a token' in response.json['error']['message']
    assert recorder.seen == []
    assert token not in recorder.text()
    assert all(service_token not in recorder.text() for service_token in stub.service_tokens)


def test_proxies_from_the_environment_are_not_used(
        stub: KeystoneStub, clock: Clock, elsewhere: tuple[Recorder, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, url = elsewhere
    for name in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.setenv(name, url)
    for name in ('no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
    assert _validator(stub.url, clock).validate(stub.add_token()) is not None
    assert recorder.seen == []


@pytest.mark.parametrize('status, words', [
    (403, 'does not let this compute service validate tokens'),
    (500, 'answered HTTP 500'),
    (503, 'answered HTTP 503'),
])
def test_keystone_failing_to_validate_is_a_503(stub: KeystoneStub, clock: Clock,
                                               inventory: Inventory, status: int,
                                               words: str) -> None:
    stub.fail_validation_with = status
    app = _cloud(_validator(stub.url, clock), inventory)
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': stub.add_token()})
    assert response.status == 503
    assert response.json['error']['title'] == 'Service Unavailable'
    assert words in response.json['error']['message']


# --- an identity service that is not there ---------------------------------------------------

def test_unreachable_keystone_is_a_prompt_503(clock: Clock, inventory: Inventory) -> None:
    url = dead_url()
    app = _cloud(_validator(url, clock), inventory)
    started = time.monotonic()
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': 'gAAAAAsomething'})
    assert time.monotonic() - started < 5
    assert response.status == 503
    assert response.json == {'error': {'code': 503, 'title': 'Service Unavailable', 'message': (
        f'The identity service at {keystone_root(url)} is unreachable (connection refused), so '
        'this compute API cannot check tokens; try again later.')}}
    assert response.headers['x-openstack-request-id']


def test_silent_keystone_costs_one_timeout(clock: Clock, inventory: Inventory) -> None:
    with silent_listener() as url:
        app = _cloud(_validator(url, clock, timeout=0.5), inventory)
        started = time.monotonic()
        response = call(app, '/v2.1/servers', headers={'X-Auth-Token': 'gAAAAAsomething'})
        assert time.monotonic() - started < 3
    assert response.status == 503
    assert 'no answer in time' in response.json['error']['message']


def test_waiting_requests_share_a_failed_login_instead_of_queueing(clock: Clock) -> None:
    """Eight requests against a hung Keystone: one timeout, not eight in a row."""
    with silent_listener() as url:
        validator = _validator(url, clock, timeout=0.5)
        outcomes: list[str] = []

        def ask() -> None:
            try:
                validator.validate('gAAAAAsomething')
            except IdentityUnavailable:
                outcomes.append('503')

        threads = [threading.Thread(target=ask) for _ in range(8)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started
    assert outcomes == ['503'] * 8
    assert elapsed < 2.5, elapsed


def test_keystone_coming_back_is_used_again(clock: Clock) -> None:
    stub = KeystoneStub(clock)
    # A chosen port (not 0) is bound with SO_REUSEADDR: the validator's keep-alive
    # connection to the first Keystone may still linger when the second one binds.
    with serving(stub, free_port()) as running:
        url = running.url + '/v3'
        validator = _validator(url, clock)
        token = stub.add_token()
        assert validator.validate(token) is not None
    with pytest.raises(IdentityUnavailable):
        validator.validate(token)
    # A new Keystone on the same port that does not know the old service token.
    stub.revoke_service_tokens()
    with RunningServer(make_server(stub, '127.0.0.1', running.port)).start():
        assert validator.validate(token) is not None


# --- keystoneauth only with --keystone-url ------------------------------------------------------

def test_keystoneauth_is_imported_only_when_a_keystone_is_used() -> None:
    """The fake server's start-up and ``pci-cli --local`` do not pay for keystoneauth."""
    import json
    import subprocess
    import sys
    code = '''
import json, sys
import pciclient.fakeserver.cli as cli, pciclient.fakeserver.embedded
import pciclient.fakeserver.identity.external.validator
from pciclient.fakeserver.identity.external.client import KeystoneClient, ServiceCredentials
cli.build_parser().parse_args(['--keystone-url', 'http://127.0.0.1:1/v3'])
client = KeystoneClient('http://127.0.0.1:1/v3')
before = sorted(m for m in sys.modules if m.split('.')[0] in ('keystoneauth1', 'requests'))
client.service_login(ServiceCredentials('u', 'p'))
print(json.dumps([before, 'keystoneauth1.identity.v3' in sys.modules]))
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert json.loads(out) == [[], True]


# --- small parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize('given, root', [
    ('http://127.0.0.1:5000/v3', 'http://127.0.0.1:5000'),
    ('http://127.0.0.1:5000/v3/', 'http://127.0.0.1:5000'),
    ('http://127.0.0.1:5000', 'http://127.0.0.1:5000'),
    ('http://127.0.0.1/identity/v3', 'http://127.0.0.1/identity'),
    ('https://keystone.example/identity/', 'https://keystone.example/identity'),
])
def test_keystone_root(given: str, root: str) -> None:
    assert keystone_root(given) == root


@pytest.mark.parametrize('bad', ['127.0.0.1:5000', 'ftp://h/v3', 'http:///v3', 'http://h/v3?x=1'])
def test_keystone_root_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        keystone_root(bad)


def test_keystone_time() -> None:
    assert parse_keystone_time('1970-01-01T00:01:40.000000Z') == 100.0
    assert parse_keystone_time('1970-01-01T00:01:40') == 100.0
    with pytest.raises(ValueError):
        parse_keystone_time(None)


def test_context_needs_user_project_and_expiry() -> None:
    good = {'user': {'id': 'u'}, 'project': {'id': 'p'}, 'roles': [{'name': 'Admin'}, 'junk'],
            'expires_at': '2030-01-01T00:00:00Z'}
    context, _ = context_from_token(good)  # type: ignore[misc]
    assert context == RequestContext(user_id='u', project_id='p', roles=('admin',))
    for broken in ({**good, 'project': None}, {**good, 'user': {'id': ''}},
                   {**good, 'expires_at': 'soon'}):
        assert context_from_token(broken) is None


def test_cache_stays_bounded(clock: Clock) -> None:
    cache = ValidationCache(ttl=60, clock=clock, max_entries=10)
    context = RequestContext(user_id='u', project_id='p')
    for index in range(25):
        cache.put(f'token-{index}', context, clock() + 3600)
    assert len(cache) <= 10
    assert cache.get('token-24') == context


def test_a_bug_in_the_validator_costs_one_request(inventory: Inventory) -> None:
    class Broken:
        def validate(self, token_id: str) -> RequestContext | None:
            raise KeyError('bug')

    app = token_auth(FakeComputeApp(inventory), Broken(), lambda request: 'http://keystone')
    response = call(app, '/v2.1/servers', headers={'X-Auth-Token': 'anything'})
    assert response.status == 500 and 'computeFault' in response.json
