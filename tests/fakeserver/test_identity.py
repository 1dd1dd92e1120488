"""The Keystone v3 subset, called in-process through the cloud dispatcher under /identity."""
from __future__ import annotations

import logging
import re
import time

import pytest

from pciclient.fakeserver.cloud import FakeCloud
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.identity.accounts import User, stable_id
from pciclient.fakeserver.identity.app import MAX_BODY_BYTES
from pciclient.fakeserver.identity.directory import Directory, domain_id
from pciclient.fakeserver.identity.tokens import TokenStore, keystone_time
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.cloud_helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    ALICE,
    ALICE_PASSWORD,
    BOB,
    BOB_PASSWORD,
    CAROL_PASSWORD,
    DEMO_PROJECT,
    LAB_PROJECT,
    OTHER_PROJECT,
    PROJECTS,
    USERS,
    Clock,
    call,
    default_project,
    password_auth,
    token_auth,
)

TOKENS = '/identity/v3/auth/tokens'
TTL = 600
KEYSTONE_401 = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
REQ_ID = re.compile(r'^req-[0-9a-f-]{36}$')


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> TokenStore:
    return TokenStore(ttl=TTL, clock=clock)


@pytest.fixture
def cloud(inventory: Inventory, tokens: TokenStore) -> FakeCloud:
    return FakeCloud(FakeComputeApp(inventory), Directory(PROJECTS, USERS), tokens)


def login(cloud: FakeCloud, user: User = ALICE, password: str = ALICE_PASSWORD,
          project: dict | None = None) -> str:
    project = project or default_project(user.project)
    response = call(cloud, TOKENS, 'POST', password_auth(user.name, password, project))
    assert response.status == 201, response.raw
    return response.headers['x-subject-token']


# --- version documents --------------------------------------------------------------------------

@pytest.mark.parametrize('path', ['/identity', '/identity/'])
def test_root_lists_v3_with_300(cloud: FakeCloud, path: str) -> None:
    response = call(cloud, path)
    assert response.status == 300
    assert response.headers['content-type'] == 'application/json'
    assert REQ_ID.match(response.headers['x-openstack-request-id'])
    (version,) = response.json['versions']['values']
    assert version['id'].startswith('v3.') and version['status'] == 'stable'
    assert version['links'] == [{'rel': 'self', 'href': 'http://cloud.example:8774/identity/v3/'}]
    assert version['media-types'] == [
        {'base': 'application/json', 'type': 'application/vnd.openstack.identity-v3+json'}]


@pytest.mark.parametrize('path', ['/identity/v3', '/identity/v3/'])
def test_v3_document(cloud: FakeCloud, path: str) -> None:
    response = call(cloud, path, host='10.1.2.3:5000')
    assert response.status == 200
    version = response.json['version']
    assert version['id'].startswith('v3.') and version['status'] == 'stable'
    assert version['links'][0]['href'] == 'http://10.1.2.3:5000/identity/v3/'


def test_unknown_identity_path_and_method(cloud: FakeCloud) -> None:
    missing = call(cloud, '/identity/v3/users')
    assert missing.status == 404
    assert missing.json == {'error': {'code': 404, 'title': 'Not Found',
                                      'message': 'The resource could not be found.'}}
    put = call(cloud, TOKENS, 'PUT')
    assert put.status == 405 and put.json['error']['code'] == 405
    assert put.headers['allow'] == 'GET, HEAD, POST'
    assert call(cloud, '/identity/v3', 'POST').status == 405


# --- password method ------------------------------------------------------------------------------

def test_password_token_document(cloud: FakeCloud, clock: Clock) -> None:
    response = call(cloud, TOKENS, 'POST',
                    password_auth('alice', ALICE_PASSWORD, default_project('demo')))
    assert response.status == 201
    token_id = response.headers['x-subject-token']
    assert len(token_id) >= 32 and ALICE_PASSWORD not in token_id
    assert REQ_ID.match(response.headers['x-openstack-request-id'])
    token = response.json['token']
    assert token['methods'] == ['password']
    assert token['user'] == {'id': ALICE.id, 'name': 'alice', 'password_expires_at': None,
                             'domain': {'id': 'default', 'name': 'Default'}}
    assert token['project'] == {'id': DEMO_PROJECT.id, 'name': 'demo',
                                'domain': {'id': 'default', 'name': 'Default'}}
    assert token['is_domain'] is False
    assert [role['name'] for role in token['roles']] == ['member', 'reader']
    assert token['roles'][0]['id'] == stable_id('role', 'member')
    assert TIME_RE.match(token['issued_at']) and TIME_RE.match(token['expires_at'])
    assert token['issued_at'] == keystone_time(clock.now)
    assert token['expires_at'] == keystone_time(clock.now + TTL)
    (audit_id,) = token['audit_ids']
    assert re.fullmatch(r'[A-Za-z0-9_-]{22}', audit_id)


def test_catalog_points_at_this_server(cloud: FakeCloud) -> None:
    response = call(cloud, TOKENS, 'POST', password_auth('alice', ALICE_PASSWORD,
                                                         default_project('demo')),
                    host='192.0.2.7:9999')
    catalog = {service['type']: service for service in response.json['token']['catalog']}
    assert set(catalog) == {'compute', 'identity', 'placement'}
    expected_urls = {'compute': 'http://192.0.2.7:9999/v2.1',
                     'identity': 'http://192.0.2.7:9999/identity/v3',
                     'placement': 'http://192.0.2.7:9999/placement'}
    for service_type, service in catalog.items():
        assert service['id'] and service['name']
        endpoints = service['endpoints']
        assert sorted(e['interface'] for e in endpoints) == ['admin', 'internal', 'public']
        for endpoint in endpoints:
            assert endpoint['region'] == endpoint['region_id'] == 'RegionOne'
            assert endpoint['url'] == expected_urls[service_type]
            assert endpoint['id']
        assert len({e['id'] for e in endpoints}) == 3


@pytest.mark.parametrize('user_domain, project', [
    ({'name': 'Default'}, {'name': 'demo', 'domain': {'name': 'Default'}}),
    ({'id': 'default'}, {'name': 'demo', 'domain': {'id': 'default'}}),
    ({'id': 'default'}, {'id': DEMO_PROJECT.id}),
])
def test_scoping_forms(cloud: FakeCloud, user_domain: dict, project: dict) -> None:
    response = call(cloud, TOKENS, 'POST',
                    password_auth('alice', ALICE_PASSWORD, project, user_domain=user_domain))
    assert response.status == 201, response.raw
    assert response.json['token']['project']['id'] == DEMO_PROJECT.id


def test_user_by_id(cloud: FakeCloud) -> None:
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'id': BOB.id, 'password': BOB_PASSWORD}}},
        'scope': {'project': {'id': OTHER_PROJECT.id}}}}
    response = call(cloud, TOKENS, 'POST', body)
    assert response.status == 201
    assert response.json['token']['user']['name'] == 'bob'


@pytest.mark.parametrize('domain', [{'name': 'Lab'}, {'id': domain_id('Lab')}])
def test_other_domain(cloud: FakeCloud, domain: dict) -> None:
    response = call(cloud, TOKENS, 'POST', password_auth(
        'carol', CAROL_PASSWORD, {'name': 'lab', 'domain': domain}, user_domain=domain))
    assert response.status == 201, response.raw
    token = response.json['token']
    assert token['user']['domain'] == {'id': domain_id('Lab'), 'name': 'Lab'}
    assert token['project']['id'] == LAB_PROJECT.id


def test_admin_roles(cloud: FakeCloud) -> None:
    response = call(cloud, TOKENS, 'POST',
                    password_auth('admin', ADMIN_PASSWORD, default_project('admin')))
    assert [role['name'] for role in response.json['token']['roles']] == [
        'admin', 'member', 'reader']


@pytest.mark.parametrize('body', [
    password_auth('alice', 'wrong', default_project('demo')),
    password_auth('alice', '', default_project('demo')),
    password_auth('nobody', ALICE_PASSWORD, default_project('demo')),
    password_auth('alice', ALICE_PASSWORD, default_project('demo'), user_domain={'name': 'Lab'}),
    password_auth('alice', ALICE_PASSWORD, default_project('demo'), user_domain={'id': 'nope'}),
    password_auth('carol', CAROL_PASSWORD, {'name': 'lab', 'domain': {'name': 'Default'}},
                  user_domain={'name': 'Lab'}),
    password_auth('alice', ALICE_PASSWORD, default_project('no-such-project')),
    password_auth('alice', ALICE_PASSWORD, {'id': 'f' * 32}),
    password_auth('alice', ALICE_PASSWORD, default_project('other')),  # no role there
    password_auth('alice', ALICE_PASSWORD, None),  # unscoped
    {'auth': {**password_auth('alice', ALICE_PASSWORD)['auth'],
              'scope': {'domain': {'name': 'Default'}}}},
    {'auth': {**password_auth('alice', ALICE_PASSWORD)['auth'], 'scope': 'unscoped'}},
    {'auth': {'identity': {'methods': ['totp'], 'totp': {}}}},
    {'auth': {'identity': {'methods': ['password', 'token'],
                           **password_auth('alice', ALICE_PASSWORD)['auth']['identity']}}},
], ids=['wrong-password', 'empty-password', 'unknown-user', 'wrong-user-domain',
        'unknown-domain-id', 'project-in-wrong-domain', 'unknown-project', 'unknown-project-id',
        'project-without-role', 'unscoped', 'domain-scope', 'explicitly-unscoped',
        'unsupported-method', 'two-methods'])
def test_every_refusal_is_the_same_401(cloud: FakeCloud, tokens: TokenStore, body: dict) -> None:
    response = call(cloud, TOKENS, 'POST', body)
    assert response.status == 401
    assert response.json == KEYSTONE_401
    assert response.headers['www-authenticate'] == (
        'Keystone uri="http://cloud.example:8774/identity"')
    assert 'x-subject-token' not in response.headers
    assert len(tokens) == 0


@pytest.mark.parametrize('raw', [
    b'not json', b'[]', b'{}', b'{"auth": []}', b'{"auth": {}}',
    b'{"auth": {"identity": {"methods": "password"}}}',
    b'{"auth": {"identity": {"methods": []}}}',
    b'{"auth": {"identity": {"methods": ["password"]}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "alice",'
    b' "password": "x"}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "alice",'
    b' "domain": {"name": "Default"}, "password": 5}}}}}',
    b'{"auth": {"identity": {"methods": ["token"], "token": {}}}}',
    b'\xff\xfe',
    b'',
])
def test_malformed_requests_are_400(cloud: FakeCloud, raw: bytes) -> None:
    response = call(cloud, TOKENS, 'POST', raw_body=raw)
    assert response.status == 400, response.raw
    error = response.json['error']
    assert error['code'] == 400 and error['title'] == 'Bad Request' and error['message']


def test_oversized_body_is_413(cloud: FakeCloud) -> None:
    response = call(cloud, TOKENS, 'POST', raw_body=b' ' * (MAX_BODY_BYTES + 1))
    assert response.status == 413 and response.json['error']['code'] == 413


def test_tokens_are_unique(cloud: FakeCloud) -> None:
    issued = {login(cloud) for _ in range(5)}
    assert len(issued) == 5


# --- token method ------------------------------------------------------------------------------

def test_token_method_rescopes(cloud: FakeCloud, clock: Clock) -> None:
    first = call(cloud, TOKENS, 'POST',
                 password_auth('alice', ALICE_PASSWORD, default_project('demo')))
    clock.advance(100)
    response = call(cloud, TOKENS, 'POST',
                    token_auth(first.headers['x-subject-token'], {'id': DEMO_PROJECT.id}))
    assert response.status == 201
    token = response.json['token']
    assert token['methods'] == ['token']
    assert token['user']['id'] == ALICE.id and token['project']['id'] == DEMO_PROJECT.id
    # A derived token keeps its parent's expiry and traces back to its audit id.
    assert token['expires_at'] == first.json['token']['expires_at']
    assert token['issued_at'] == keystone_time(clock.now)
    assert token['audit_ids'][1] == first.json['token']['audit_ids'][0]
    assert token['audit_ids'][0] != token['audit_ids'][1]
    assert response.headers['x-subject-token'] != first.headers['x-subject-token']


def test_token_method_refusals(cloud: FakeCloud, clock: Clock) -> None:
    token_id = login(cloud)
    for body in (token_auth(token_id, default_project('other')),  # no role there
                 token_auth(token_id),  # unscoped
                 token_auth('made-up', default_project('demo'))):
        response = call(cloud, TOKENS, 'POST', body)
        assert response.status == 401 and response.json == KEYSTONE_401
    clock.advance(TTL)
    expired = call(cloud, TOKENS, 'POST', token_auth(token_id, default_project('demo')))
    assert expired.status == 401


# --- validation ---------------------------------------------------------------------------------

def test_validate_own_token(cloud: FakeCloud) -> None:
    token_id = login(cloud)
    response = call(cloud, TOKENS, headers={'X-Auth-Token': token_id,
                                            'X-Subject-Token': token_id})
    assert response.status == 200
    assert response.headers['x-subject-token'] == token_id
    token = response.json['token']
    assert token['user']['name'] == 'alice' and token['catalog']
    head = call(cloud, TOKENS, 'HEAD', headers={'X-Auth-Token': token_id,
                                                'X-Subject-Token': token_id})
    assert head.status == 200 and head.raw == b''
    assert int(head.headers['content-length']) > 0
    nocatalog = call(cloud, TOKENS, query='nocatalog',
                     headers={'X-Auth-Token': token_id, 'X-Subject-Token': token_id})
    assert 'catalog' not in nocatalog.json['token']


def test_validate_answers(cloud: FakeCloud) -> None:
    alice, bob, admin = login(cloud), login(cloud, BOB, BOB_PASSWORD), login(
        cloud, ADMIN, ADMIN_PASSWORD)
    assert call(cloud, TOKENS, headers={'X-Auth-Token': admin,
                                        'X-Subject-Token': alice}).status == 200
    unknown = call(cloud, TOKENS, headers={'X-Auth-Token': alice, 'X-Subject-Token': 'nope'})
    assert unknown.status == 404
    assert unknown.json == {'error': {'code': 404, 'title': 'Not Found',
                                      'message': 'Could not find token.'}}
    assert call(cloud, TOKENS, 'HEAD', headers={'X-Auth-Token': alice,
                                                'X-Subject-Token': 'nope'}).status == 404
    other_user = call(cloud, TOKENS, headers={'X-Auth-Token': bob, 'X-Subject-Token': alice})
    assert other_user.status == 403 and other_user.json['error']['title'] == 'Forbidden'
    no_caller = call(cloud, TOKENS, headers={'X-Subject-Token': alice})
    assert no_caller.status == 401 and no_caller.json == KEYSTONE_401
    assert call(cloud, TOKENS, headers={'X-Auth-Token': alice}).status == 400


def test_expired_tokens_no_longer_validate(cloud: FakeCloud, clock: Clock) -> None:
    token_id = login(cloud, BOB, BOB_PASSWORD)
    admin = login(cloud, ADMIN, ADMIN_PASSWORD)
    clock.advance(TTL - 1)
    assert call(cloud, TOKENS, headers={'X-Auth-Token': admin,
                                        'X-Subject-Token': token_id}).status == 200
    clock.advance(1)
    assert call(cloud, TOKENS, headers={'X-Auth-Token': token_id,
                                        'X-Subject-Token': token_id}).status == 401
    refreshed = login(cloud, ADMIN, ADMIN_PASSWORD)
    assert call(cloud, TOKENS, headers={'X-Auth-Token': refreshed,
                                        'X-Subject-Token': token_id}).status == 404


def test_tiny_ttl_on_the_real_clock(inventory: Inventory) -> None:
    cloud = FakeCloud(FakeComputeApp(inventory), Directory(PROJECTS, USERS),
                      TokenStore(ttl=0.2))
    token_id = login(cloud)
    headers = {'X-Auth-Token': token_id, 'X-Subject-Token': token_id}
    assert call(cloud, TOKENS, headers=headers).status == 200
    time.sleep(0.3)
    assert call(cloud, TOKENS, headers=headers).status == 401


# --- logs -----------------------------------------------------------------------------------

def test_logs_name_users_but_never_secrets(cloud: FakeCloud,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger='pciclient.fakeserver')
    token_id = login(cloud)
    call(cloud, TOKENS, 'POST', password_auth('alice', 'Wr0ng-Pa55', default_project('demo')))
    call(cloud, TOKENS, 'POST', token_auth(token_id, default_project('other')))
    text = caplog.text
    assert "issued token" in text and "'alice'" in text and 'authentication refused' in text
    for secret in (token_id, ALICE_PASSWORD, 'Wr0ng-Pa55'):
        assert secret not in text


def test_a_bug_costs_one_request(cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError('boom')

    monkeypatch.setattr(cloud.identity, '_authenticate', broken)
    response = call(cloud, TOKENS, 'POST', password_auth('alice', ALICE_PASSWORD,
                                                         default_project('demo')))
    assert response.status == 500
    assert response.json['error']['code'] == 500 and 'boom' not in response.json['error']['message']
    assert call(cloud, '/identity/v3').status == 200


def test_no_token_reads_as_a_command_line_option(tokens: TokenStore) -> None:
    """``--os-token $TOKEN`` must work for every token the fake cloud issues: one that
    starts with "-" is an option to argparse (1 token in 64 did)."""
    issued = [tokens.issue(ALICE, DEMO_PROJECT, ('password',)).id for _ in range(2000)]
    assert not [token for token in issued if token.startswith('-')]
    assert all(len(token) == 43 for token in issued)
