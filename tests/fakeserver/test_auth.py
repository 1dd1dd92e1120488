"""Compute auth and policy, in-process: 401 without a valid token, Nova's rules per role."""
from __future__ import annotations

from typing import Any

import pytest

from pciclient.fakeserver.cloud import FakeCloud
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.routes import match
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.middleware import ComputeAuth
from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.identity.validation import LocalTokens
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.wsgi.context import ENVIRON_KEY, NOAUTH, RequestContext
from tests.fakeserver.cloud_helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    ADMIN_PROJECT,
    ALICE,
    ALICE_PASSWORD,
    DEMO_PROJECT,
    OTHER_PROJECT,
    PROJECTS,
    USERS,
    Clock,
    call,
    default_project,
    password_auth,
)
from tests.fakeserver.helpers import HOST

TTL = 300
ADMIN_VM = '11111111-1111-4111-8111-111111111111'
DEMO_VM = '22222222-2222-4222-8222-222222222222'
OTHER_VM = '33333333-3333-4333-8333-333333333333'
KEYSTONE_401 = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}
WWW_AUTHENTICATE = 'Keystone uri="http://cloud.example:8774/identity"'

ADMIN_ONLY = [
    ('/v2.1/os-pci', 'os_compute_api:os-pci:index'),
    ('/v2.1/os-pci/detail', 'os_compute_api:os-pci:detail'),
    ('/v2.1/os-pci/1', 'os_compute_api:os-pci:show'),
    ('/v2.1/os-hypervisors', 'os_compute_api:os-hypervisors:list'),
    ('/v2.1/os-hypervisors/detail', 'os_compute_api:os-hypervisors:list-detail'),
    ('/v2.1/os-hypervisors/1', 'os_compute_api:os-hypervisors:show'),
    ('/v2.1/os-hypervisors/node/search', 'os_compute_api:os-hypervisors:search'),
]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cloud(inventory: Inventory, clock: Clock) -> FakeCloud:
    """Three servers, one per project; the demo project's holds PCI device 3."""
    servers = inventory.with_servers([
        Server(id=ADMIN_VM, name='admin-vm', host=HOST, tenant_id=ADMIN_PROJECT.id),
        Server(id=DEMO_VM, name='demo-vm', host=HOST, device_ids=(3,),
               tenant_id=DEMO_PROJECT.id, user_id=ALICE.id),
        Server(id=OTHER_VM, name='other-vm', host=HOST, tenant_id=OTHER_PROJECT.id),
    ])
    return FakeCloud(FakeComputeApp(servers), Directory(PROJECTS, USERS),
                     TokenStore(ttl=TTL, clock=clock))


def _login(cloud: FakeCloud, user: Any, password: str) -> dict[str, str]:
    response = call(cloud, '/identity/v3/auth/tokens', 'POST',
                    password_auth(user.name, password, default_project(user.project)))
    assert response.status == 201, response.raw
    return {'X-Auth-Token': response.headers['x-subject-token']}


@pytest.fixture
def admin(cloud: FakeCloud) -> dict[str, str]:
    return _login(cloud, ADMIN, ADMIN_PASSWORD)


@pytest.fixture
def member(cloud: FakeCloud) -> dict[str, str]:
    return _login(cloud, ALICE, ALICE_PASSWORD)


def _server_ids(body: dict) -> list[str]:
    return sorted(server['id'] for server in body['servers'])


# --- authentication -----------------------------------------------------------------------------

@pytest.mark.parametrize('path', ['/v2.1/os-pci', '/v2.1/servers', '/v2.1/os-hypervisors',
                                  f'/v2/{DEMO_PROJECT.id}/servers', '/nowhere', '/v3'])
@pytest.mark.parametrize('headers', [{}, {'X-Auth-Token': 'made-up'}, {'X-Auth-Token': ''}],
                         ids=['none', 'unknown', 'empty'])
def test_no_valid_token_is_401(cloud: FakeCloud, path: str, headers: dict) -> None:
    response = call(cloud, path, headers=headers)
    assert response.status == 401
    assert response.json == KEYSTONE_401
    assert response.headers['www-authenticate'] == WWW_AUTHENTICATE
    assert response.headers['content-type'] == 'application/json'
    request_id = response.headers['x-openstack-request-id']
    assert request_id.startswith('req-') and response.headers['x-compute-request-id'] == request_id


def test_expired_token_is_401(cloud: FakeCloud, clock: Clock, member: dict) -> None:
    assert call(cloud, '/v2.1/servers', headers=member).status == 200
    clock.advance(TTL)
    response = call(cloud, '/v2.1/servers', headers=member)
    assert response.status == 401 and response.json == KEYSTONE_401


def test_writes_need_a_token_before_being_refused(cloud: FakeCloud, admin: dict) -> None:
    assert call(cloud, '/v2.1/servers', 'POST').status == 401
    assert call(cloud, '/v2.1/servers', 'POST', headers=admin).status == 405


@pytest.mark.parametrize('path', ['/', '/v2.1', '/v2.1/', '/v2', '/v2/'])
def test_version_documents_need_no_token(cloud: FakeCloud, path: str) -> None:
    for headers in ({}, {'X-Auth-Token': 'made-up'}):
        response = call(cloud, path, headers=headers)
        assert response.status == 200, response.raw
        assert response.headers['x-openstack-request-id']
    versions = call(cloud, '/').json['versions']
    current = [v for v in versions if v['id'] == 'v2.1'][0]
    assert (current['version'], current['min_version']) == ('2.1', '2.1')
    version = call(cloud, '/v2.1').json['version']
    assert (version['version'], version['min_version']) == ('2.1', '2.1')


def test_context_reaches_the_compute_app(cloud: FakeCloud, member: dict) -> None:
    seen: list[RequestContext] = []

    def spy(environ: dict, start_response: Any) -> list[bytes]:
        seen.append(environ[ENVIRON_KEY])
        start_response('200 OK', [])
        return [b'{}']

    wrapped = ComputeAuth(spy, LocalTokens(cloud.tokens))
    assert call(wrapped, '/v2.1/servers', headers=member).status == 200
    (context,) = seen
    assert context == RequestContext(user_id=ALICE.id, project_id=DEMO_PROJECT.id,
                                     roles=('member', 'reader'))
    assert not context.is_admin and context.authenticated


def test_spoofed_context_header_is_ignored(cloud: FakeCloud) -> None:
    response = call(cloud, '/v2.1/os-pci', headers={'pciclient.context': 'admin'})
    assert response.status == 401


# --- admin-only resources ---------------------------------------------------------------------

@pytest.mark.parametrize('path, rule', ADMIN_ONLY)
def test_member_is_refused_admin_resources(cloud: FakeCloud, member: dict, path: str,
                                           rule: str) -> None:
    response = call(cloud, path, headers=member)
    assert response.status == 403
    assert response.json == {'forbidden': {
        'code': 403, 'message': f"Policy doesn't allow {rule} to be performed."}}
    assert response.headers['x-openstack-request-id']


@pytest.mark.parametrize('path, rule', ADMIN_ONLY)
def test_admin_sees_admin_resources(cloud: FakeCloud, admin: dict, path: str, rule: str) -> None:
    response = call(cloud, path, headers=admin)
    assert response.status == 200, response.raw
    assert response.headers['openstack-api-version'] == 'compute 2.1'


def test_rule_names() -> None:
    assert match('/v2.1/servers/detail', 'GET')[0].policy == 'os_compute_api:servers:detail'
    assert match('/v2.1/os-pci/1', 'GET')[0].policy == 'os_compute_api:os-pci:show'


# --- servers: project scoping -------------------------------------------------------------------

@pytest.mark.parametrize('listing', ['/v2.1/servers', '/v2.1/servers/detail'])
def test_member_lists_own_project_only(cloud: FakeCloud, member: dict, listing: str) -> None:
    for query in ('', 'all_tenants=0', 'all_tenants=false', f'project_id={OTHER_PROJECT.id}'):
        response = call(cloud, listing, headers=member, query=query)
        assert response.status == 200, (query, response.raw)
        assert _server_ids(response.json) == [DEMO_VM]


@pytest.mark.parametrize('listing, rule', [
    ('/v2.1/servers', 'os_compute_api:servers:index:get_all_tenants'),
    ('/v2.1/servers/detail', 'os_compute_api:servers:detail:get_all_tenants'),
])
@pytest.mark.parametrize('value', ['1', 'True', 'yes', ''])
def test_member_all_tenants_is_403(cloud: FakeCloud, member: dict, listing: str, rule: str,
                                   value: str) -> None:
    response = call(cloud, listing, headers=member, query=f'all_tenants={value}')
    assert response.status == 403
    assert response.json['forbidden']['message'] == f"Policy doesn't allow {rule} to be performed."


def test_all_tenants_junk_is_400(cloud: FakeCloud, admin: dict) -> None:
    response = call(cloud, '/v2.1/servers', headers=admin, query='all_tenants=maybe')
    assert response.status == 400 and "Unrecognized value 'maybe'" in response.json[
        'badRequest']['message']


def test_admin_sees_own_project_unless_all_tenants(cloud: FakeCloud, admin: dict) -> None:
    own = call(cloud, '/v2.1/servers/detail', headers=admin)
    assert _server_ids(own.json) == [ADMIN_VM]
    everything = call(cloud, '/v2.1/servers/detail', headers=admin, query='all_tenants=1')
    assert _server_ids(everything.json) == sorted([ADMIN_VM, DEMO_VM, OTHER_VM])
    held = {s['id']: s['os-pci:pci_devices'] for s in everything.json['servers']}
    assert held[DEMO_VM] == [{'id': 3}] and held[OTHER_VM] == []
    one_project = call(cloud, '/v2.1/servers', headers=admin,
                       query=f'all_tenants=1&project_id={DEMO_PROJECT.id}')
    assert _server_ids(one_project.json) == [DEMO_VM]
    by_tenant = call(cloud, '/v2.1/servers', headers=admin,
                     query=f'all_tenants&tenant_id={OTHER_PROJECT.id}')
    assert _server_ids(by_tenant.json) == [OTHER_VM]


def test_server_show_per_project(cloud: FakeCloud, admin: dict, member: dict) -> None:
    own = call(cloud, f'/v2.1/servers/{DEMO_VM}', headers=member)
    assert own.status == 200
    assert own.json['server']['os-pci:pci_devices'] == [{'id': 3}]
    foreign = call(cloud, f'/v2.1/servers/{OTHER_VM}', headers=member)
    assert foreign.status == 404
    assert foreign.json == {'itemNotFound': {
        'code': 404, 'message': f'Instance {OTHER_VM} could not be found.'}}
    as_admin = call(cloud, f'/v2.1/servers/{DEMO_VM}', headers=admin)
    assert as_admin.status == 200
    assert as_admin.json['server']['os-pci:pci_devices'] == [{'id': 3}]


def test_url_project_must_match_the_token(cloud: FakeCloud, member: dict, admin: dict) -> None:
    own = call(cloud, f'/v2.1/{DEMO_PROJECT.id}/servers', headers=member)
    assert own.status == 200 and _server_ids(own.json) == [DEMO_VM]
    assert call(cloud, f'/v2/{DEMO_PROJECT.id}/servers/detail', headers=member).status == 200
    foreign = call(cloud, f'/v2.1/{OTHER_PROJECT.id}/servers', headers=member)
    assert foreign.status == 400
    assert "doesn't match Context's project_id" in foreign.json['badRequest']['message']
    assert call(cloud, f'/v2.1/{DEMO_PROJECT.id}/os-pci', headers=admin).status == 400


def test_without_auth_everything_is_visible(cloud: FakeCloud) -> None:
    """No middleware (--noauth, --local): the no-auth admin, bound to no project."""
    bare = cloud.compute.app
    assert NOAUTH.is_admin and NOAUTH.project_id is None
    assert call(bare, '/v2.1/os-pci').status == 200
    listing = call(bare, '/v2.1/servers/detail')
    assert _server_ids(listing.json) == sorted([ADMIN_VM, DEMO_VM, OTHER_VM])
    assert call(bare, '/v2.1/some-project/servers').status == 200


def test_server_documents_carry_image_and_flavor(cloud: FakeCloud, member: dict) -> None:
    """``openstack server list`` indexes both; Nova always sends them."""
    for path in (f'/v2.1/servers/{DEMO_VM}', '/v2.1/servers/detail'):
        body = call(cloud, path, headers=member).json
        server = body['server'] if 'server' in body else body['servers'][0]
        assert server['image'] == ''
        assert server['flavor'] == {'id': '1', 'links': [
            {'rel': 'bookmark', 'href': 'http://cloud.example:8774/flavors/1'}]}
