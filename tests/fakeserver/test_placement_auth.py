"""Placement behind the same token check and policy module as compute, and in the catalog."""
from __future__ import annotations

import uuid

import pytest

from pciclient.fakeserver.cloud import FakeCloud, service_apis, token_auth
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.placement.names import compute_node_uuid, pci_provider_name, provider_uuid
from pciclient.fakeserver.placement.routes import ROUTES as PLACEMENT_ROUTES
from pciclient.fakeserver.wsgi.context import RequestContext
from tests.fakeserver.cloud_helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    ALICE,
    ALICE_PASSWORD,
    DEMO_PROJECT,
    PROJECTS,
    USERS,
    call,
    default_project,
    password_auth,
)
from tests.fakeserver.helpers import HOST
from tests.fakeserver.placement_helpers import get

DEMO_VM = '22222222-2222-4222-8222-222222222222'
KEYSTONE_401 = {'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}}
GPU = provider_uuid(pci_provider_name(HOST, '0000:3b:00.0'))
ROUTES = [
    ('/resource_providers', 'placement:resource_providers:list'),
    (f'/resource_providers/{GPU}', 'placement:resource_providers:show'),
    (f'/resource_providers/{GPU}/inventories', 'placement:resource_providers:inventories:list'),
    (f'/resource_providers/{GPU}/inventories/CUSTOM_PCI_10DE_1EB8',
     'placement:resource_providers:inventories:show'),
    (f'/resource_providers/{GPU}/usages', 'placement:resource_providers:usages'),
    (f'/resource_providers/{GPU}/traits', 'placement:resource_providers:traits:list'),
    (f'/resource_providers/{GPU}/aggregates', 'placement:resource_providers:aggregates:list'),
    (f'/resource_providers/{GPU}/allocations',
     'placement:resource_providers:allocations:list'),
    (f'/allocations/{DEMO_VM}', 'placement:allocations:list'),
]


@pytest.fixture
def servers(inventory: Inventory) -> Inventory:
    return inventory.with_servers([Server(id=DEMO_VM, name='demo-vm', host=HOST,
                                          device_ids=(5,), tenant_id=DEMO_PROJECT.id,
                                          user_id=ALICE.id)])


@pytest.fixture
def cloud(servers: Inventory) -> FakeCloud:
    return FakeCloud(service_apis(servers), Directory(PROJECTS, USERS), TokenStore(ttl=300))


def _login(cloud: FakeCloud, user: object, password: str) -> tuple[dict[str, str], dict]:
    response = call(cloud, '/identity/v3/auth/tokens', 'POST',
                    password_auth(user.name, password,                    # type: ignore
                                  default_project(user.project)))         # type: ignore
    assert response.status == 201, response.raw
    return {'X-Auth-Token': response.headers['x-subject-token']}, response.json['token']


def test_no_token_is_keystonemiddlewares_401(cloud: FakeCloud) -> None:
    for headers in ({}, {'X-Auth-Token': 'not-a-token'}):
        response = get(cloud, '/resource_providers', '1.18', headers=headers)
        assert response.status == 401
        assert response.json == KEYSTONE_401
        assert response.headers['www-authenticate'] == \
            'Keystone uri="http://cloud.example:8774/identity"'
        assert response.headers['x-openstack-request-id'].startswith('req-')


@pytest.mark.parametrize('path', ['', '/'])
def test_version_document_needs_no_token(cloud: FakeCloud, path: str) -> None:
    response = get(cloud, path)
    assert response.status == 200 and response.json['versions'][0]['max_version'] == '1.39'


@pytest.mark.parametrize('path, rule', ROUTES)
def test_member_is_refused_in_placements_words(cloud: FakeCloud, path: str, rule: str) -> None:
    headers, _ = _login(cloud, ALICE, ALICE_PASSWORD)
    response = get(cloud, path, '1.23', headers=headers)
    assert response.status == 403
    error = response.json['errors'][0]
    assert (error['status'], error['title'], error['code']) == \
        (403, 'Forbidden', 'placement.undefined_code')
    assert error['detail'] == ('Access was denied to this resource.\n\n '
                               f'Policy does not allow {rule} to be performed.  ')
    assert response.headers['openstack-api-version'] == 'placement 1.23'
    assert PLACEMENT_ROUTES.match(path, "GET").route.policy == rule


@pytest.mark.parametrize('path, rule', ROUTES)
def test_admin_is_served(cloud: FakeCloud, path: str, rule: str) -> None:
    headers, _ = _login(cloud, ADMIN, ADMIN_PASSWORD)
    assert get(cloud, path, '1.23', headers=headers).status == 200


def test_catalog_leads_to_placement(cloud: FakeCloud) -> None:
    headers, token = _login(cloud, ADMIN, ADMIN_PASSWORD)
    placement = [s for s in token['catalog'] if s['type'] == 'placement']
    assert len(placement) == 1 and placement[0]['name'] == 'placement'
    endpoints = placement[0]['endpoints']
    assert sorted(e['interface'] for e in endpoints) == ['admin', 'internal', 'public']
    assert {(e['region'], e['url']) for e in endpoints} == \
        {('RegionOne', 'http://cloud.example:8774/placement')}
    path = endpoints[0]['url'].split('cloud.example:8774', 1)[1] + '/resource_providers'
    response = call(cloud, path, headers={**headers, 'OpenStack-API-Version': 'placement 1.14'})
    assert [p['name'] for p in response.json['resource_providers']][0] == HOST


def test_noauth_is_open(servers: Inventory) -> None:
    apis = service_apis(servers)
    response = get(apis, f'/allocations/{DEMO_VM}', '1.12')
    assert response.status == 200
    assert response.json['project_id'] == DEMO_PROJECT.id
    assert set(response.json['allocations']) == {compute_node_uuid(HOST), GPU}


class _Validator:
    """Stands in for --keystone-url's validator: the same token check, another source of truth."""

    def validate(self, token_id: str) -> RequestContext | None:
        roles = {'admin-token': ('admin',), 'member-token': ('member',)}.get(token_id)
        if roles is None:
            return None
        return RequestContext(user_id='u', project_id=uuid.uuid4().hex, roles=roles)


def test_external_identity_guards_placement_too(servers: Inventory) -> None:
    app = token_auth(service_apis(servers), _Validator(),
                     lambda request: 'http://keystone.example/v3')
    assert get(app, '/resource_providers', '1.18').status == 401
    assert get(app, '/resource_providers', '1.18',
               headers={'X-Auth-Token': 'member-token'}).status == 403
    assert get(app, '/resource_providers', '1.18',
               headers={'X-Auth-Token': 'admin-token'}).status == 200
    assert get(app, '/').status == 200
