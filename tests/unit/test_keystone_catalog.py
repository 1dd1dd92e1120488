"""The compute endpoint comes from a Keystone v3 catalog; the token rides along."""
from __future__ import annotations

import re

import pytest
from keystoneauth1 import fixture, session
from keystoneauth1.identity import v3

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient.commands.hints import cli_message
from tests.unit.keystone_catalog import AUTH_URL, INTERNAL, PUBLIC, token_fixture


@pytest.fixture
def keystone(requests_mock):
    token = token_fixture()
    requests_mock.post(f'{AUTH_URL}/auth/tokens', json=token, status_code=201,
                       headers={'X-Subject-Token': 'tok-secret-123'})
    return token


def password_session() -> session.Session:
    auth = v3.Password(auth_url=AUTH_URL, username='admin', password='s3cret',
                       project_name='admin', user_domain_name='Default',
                       project_domain_name='Default')
    return session.Session(auth=auth)


def test_public_endpoint_from_catalog(keystone, requests_mock):
    route = requests_mock.get(f'{PUBLIC}/os-hypervisors', json={'hypervisors': []})
    client = pci_client.Client('2', session=password_session())
    assert client.hypervisors.list() == []
    assert route.last_request.headers['X-Auth-Token'] == 'tok-secret-123'


def test_internal_tenant_endpoint_paths_are_relative(keystone, requests_mock):
    route = requests_mock.get(f'{INTERNAL}/os-pci/7', json={'pci_device': {'id': 7}})
    client = pci_client.Client('2', session=password_session(), interface='internal',
                               region_name='RegionOne')
    assert client.pci_devices.get(7, resolve_host=False).id == 7
    assert route.called


def test_no_compute_in_region(keystone, requests_mock):
    client = pci_client.Client('2', session=password_session(), region_name='Elsewhere')
    with pytest.raises(exc.ConfigurationError, match='no compute endpoint'):
        client.hypervisors.list()


def test_wrong_password(requests_mock):
    requests_mock.post(f'{AUTH_URL}/auth/tokens', status_code=401, json={
        'error': {'code': 401, 'title': 'Unauthorized',
                  'message': 'The request you have made requires authentication.'}})
    client = pci_client.Client('2', session=password_session())
    with pytest.raises(exc.Unauthorized, match='requires authentication'):
        client.hypervisors.list()


def test_unscoped_token_is_told_apart_from_a_missing_endpoint(requests_mock):
    token = fixture.V3Token(user_name='admin', user_domain_name='Default')  # no project
    requests_mock.post(f'{AUTH_URL}/auth/tokens', json=token, status_code=201,
                       headers={'X-Subject-Token': 'tok-secret-123'})
    auth = v3.Password(auth_url=AUTH_URL, username='admin', password='s3cret',
                       user_domain_name='Default')
    client = pci_client.Client('2', session=session.Session(auth=auth))
    with pytest.raises(exc.ConfigurationError, match='scoped to no project') as info:
        client.hypervisors.list()
    # The library names the auth plugin's options; the CLI names its own (--os-…).
    assert re.search('scoped to no project.*--os-project-name', cli_message(info.value))
    assert '--' not in str(info.value)


def test_login_with_a_dead_token(requests_mock):
    requests_mock.post(f'{AUTH_URL}/auth/tokens', status_code=404, json={
        'error': {'code': 404, 'title': 'Not Found', 'message': 'Failed to validate token'}})
    auth = v3.Token(auth_url=AUTH_URL, token='expired-or-revoked', project_id='abc123')
    client = pci_client.Client('2', session=session.Session(auth=auth))
    with pytest.raises(exc.Unauthorized) as info:
        client.hypervisors.list()
    assert str(info.value) == 'Authentication failed: Failed to validate token (HTTP 404)'


def test_microversion_header(keystone, requests_mock):
    route = requests_mock.get(f'{PUBLIC}/os-hypervisors', json={'hypervisors': []})
    pci_client.Client('2.53', session=password_session()).hypervisors.list()
    assert route.last_request.headers['OpenStack-API-Version'] == 'compute 2.53'


def test_no_microversion_header_by_default(keystone, requests_mock):
    route = requests_mock.get(f'{PUBLIC}/os-hypervisors', json={'hypervisors': []})
    pci_client.Client('2', session=password_session()).hypervisors.list()
    assert 'OpenStack-API-Version' not in route.last_request.headers


@pytest.mark.parametrize('version', ['1', '3', '2.x', 'two'])
def test_unsupported_versions(version):
    with pytest.raises(exc.UnsupportedVersion):
        pci_client.Client(version)


def test_missing_placement_is_named_as_placement(keystone, requests_mock):
    # Reported by the real-Keystone tier: the message said "compute" for Placement too.
    requests_mock.get(f'{PUBLIC}/os-pci', status_code=404,
                      json={'message': 'The resource could not be found.', 'code': '404 Not Found',
                            'title': 'Not Found'})
    client = pci_client.Client('2', session=password_session(), pci_source='placement')
    with pytest.raises(exc.ConfigurationError, match='No Placement endpoint'):
        client.pci_devices.list(resolve_hosts=False)
    with pytest.raises(exc.ConfigurationError, match='no placement endpoint') as info:
        client.placement.http.get('resource_providers')
    assert re.search('no placement endpoint .* --os-placement-endpoint-override',
                     cli_message(info.value))
    assert 'placement_endpoint_override' in str(info.value) and '--' not in str(info.value)


def test_placement_service_type_is_honoured(keystone, requests_mock):
    token = token_fixture()
    token.add_service('pci-placement', name='placement').add_standard_endpoints(
        public='http://placement.test/p', region='RegionOne')
    requests_mock.post(f'{AUTH_URL}/auth/tokens', json=token, status_code=201,
                       headers={'X-Subject-Token': 'tok-secret-123'})
    route = requests_mock.get('http://placement.test/p/resource_providers',
                              json={'resource_providers': []})
    client = pci_client.Client('2', session=password_session(), pci_source='placement',
                               placement_service_type='pci-placement')
    assert client.pci_devices.list() == []
    assert route.called
