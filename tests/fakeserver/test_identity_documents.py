"""The fake identity's hand-built documents against keystoneauth's own idea of them.

``pciclient/fakeserver/identity/documents.py`` writes Keystone's token and
version documents by hand. Here the same token is built with
``keystoneauth1.fixture.V3Token`` (same user, project, roles, catalog, expiry)
and the discovery documents with ``V3Discovery``/``DiscoveryList``, and the two
are compared key by key and type by type, so ours cannot drift from what
keystoneauth (and so pci-cli, openstack and nova) expects. keystoneauth then
reads ours as it reads a real Keystone's.

``keystoneauth1.fixture`` (and the ``fixtures`` package under it) are test-only:
the last test checks that no product module imports them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from keystoneauth1 import access, discover, fixture, session

from pciclient.fakeserver.identity.accounts import Project, User
from pciclient.fakeserver.identity.documents import (
    INTERFACES,
    REGION,
    ServiceUrls,
    token_document,
    version_document,
    versions_document,
)
from pciclient.fakeserver.identity.tokens import Token, keystone_time

ISSUED = 1_800_000_000.0
EXPIRES = ISSUED + 3600
URLS = ServiceUrls(compute='http://127.0.0.1:8774/v2.1',
                   identity='http://127.0.0.1:8774/identity',
                   placement='http://127.0.0.1:8774/placement')
# Keys Keystone sends that keystoneauth's fixture leaves out (path: why).
KEYSTONE_ONLY = {
    'token.user.password_expires_at': 'real Keystone sends it (null unless a policy sets one)',
}


def _token(domain: str = 'Default') -> Token:
    project = Project('demo', domain=domain)
    user = User('alice', 'pw', 'demo', roles=('member', 'reader'), domain=domain)
    return Token(id='secret', user=user, project=project, methods=('password',),
                 audit_ids=('aUdItId0123456789abcde',), issued_at=ISSUED, expires_at=EXPIRES)


def _fixture_twin(ours: dict[str, Any], token: Token) -> fixture.V3Token:
    """The token keystoneauth's fixture builds from the same facts (ids taken from ours)."""
    document = ours['token']
    twin = fixture.V3Token(
        methods=list(token.methods), issued=keystone_time(token.issued_at),
        expires=keystone_time(token.expires_at), audit_id=token.audit_ids[0],
        user_id=token.user.id, user_name=token.user.name,
        user_domain_id=document['user']['domain']['id'], user_domain_name=token.user.domain,
        project_id=token.project.id, project_name=token.project.name,
        project_domain_id=document['project']['domain']['id'],
        project_domain_name=token.project.domain, project_is_domain=False)
    for role in document['roles']:
        twin.add_role(name=role['name'], id=role['id'])
    for entry in document.get('catalog', ()):
        service = twin.add_service(entry['type'], name=entry['name'], id=entry['id'])
        for endpoint in entry['endpoints']:
            service.add_endpoint(endpoint['interface'], endpoint['url'],
                                 region=endpoint['region'], id=endpoint['id'])
    return twin


def _wire(document: Any) -> Any:
    """As sent: the fixture's dict subclasses (``_Service``, …) become plain JSON."""
    return json.loads(json.dumps(document))


def _differences(ours: Any, theirs: Any, path: str = '') -> list[str]:
    """Where the two differ in keys or value types, at every level (lists element-wise)."""
    if type(ours) is not type(theirs):
        return [f'{path or "."}: {type(ours).__name__} here, {type(theirs).__name__} in '
                'keystoneauth\'s fixture']
    found: list[str] = []
    if isinstance(ours, dict):
        for key in sorted(set(ours) | set(theirs)):
            where = f'{path}.{key}' if path else key
            if key not in theirs:
                if where not in KEYSTONE_ONLY:
                    found.append(f'{where}: only here')
            elif key not in ours:
                found.append(f'{where}: missing here')
            else:
                found += _differences(ours[key], theirs[key], where)
    elif isinstance(ours, list):
        if len(ours) != len(theirs):
            found.append(f'{path}: {len(ours)} items here, {len(theirs)} in the fixture')
        for index, (mine, its) in enumerate(zip(ours, theirs, strict=False)):
            found += _differences(mine, its, f'{path}[{index}]')
    return found


@pytest.mark.parametrize('domain', ['Default', 'Engineering'])
@pytest.mark.parametrize('with_catalog', [True, False], ids=['catalog', 'nocatalog'])
def test_token_document_has_keystoneauths_shape(domain: str, with_catalog: bool) -> None:
    token = _token(domain)
    ours = token_document(token, URLS, with_catalog=with_catalog)
    twin = _fixture_twin(ours, token)
    assert _differences(ours, _wire(twin)) == []
    # Same facts in, same document out, but for the keys only Keystone sends.
    trimmed = _wire(ours)
    del trimmed['token']['user']['password_expires_at']
    assert trimmed == _wire(twin)


def test_catalog_endpoints_have_keystoneauths_shape() -> None:
    token = _token()
    catalog = token_document(token, URLS)['token']['catalog']
    # A fixture built from nothing of ours: only the shape of an entry is compared.
    reference = fixture.V3Token()
    reference.add_service('compute', name='nova').add_standard_endpoints(
        public='http://x', admin='http://x', internal='http://x', region=REGION)
    [expected_service] = _wire(reference)['token']['catalog']
    for service in catalog:
        assert set(service) == set(expected_service)
        assert sorted(endpoint['interface'] for endpoint in service['endpoints']) == \
            sorted(INTERFACES)
        for endpoint in service['endpoints']:
            assert _differences(endpoint, expected_service['endpoints'][0]) == []


def test_keystoneauth_reads_our_token_document() -> None:
    token = _token()
    ours = token_document(token, URLS)
    info = access.create(body=ours, auth_token='secret')
    assert isinstance(info, access.AccessInfoV3)
    assert info.auth_token == 'secret'
    assert (info.user_id, info.username, info.user_domain_id) == (
        token.user.id, 'alice', 'default')
    assert (info.project_id, info.project_name, info.project_domain_name) == (
        token.project.id, 'demo', 'Default')
    assert info.project_scoped and not info.domain_scoped
    assert info.role_names == ['member', 'reader']
    assert info.expires.timestamp() == EXPIRES and info.issued.timestamp() == ISSUED
    assert info.audit_id == token.audit_ids[0]
    catalog = info.service_catalog
    for interface in INTERFACES:
        assert catalog.url_for(service_type='compute', interface=interface,
                               region_name=REGION) == URLS.compute
    assert catalog.url_for(service_type='placement', interface='public') == URLS.placement
    assert catalog.url_for(service_type='identity', interface='public') == URLS.identity


def test_keystoneauth_reads_a_token_without_its_catalog() -> None:
    info = access.create(body=token_document(_token(), URLS, with_catalog=False),
                         auth_token='secret')
    assert info.project_scoped and info.role_names == ['member', 'reader']
    assert not info.has_service_catalog()


def test_version_documents_have_keystoneauths_shape() -> None:
    v3_url = URLS.identity + '/v3'
    ours = version_document(v3_url)
    theirs = fixture.V3Discovery(v3_url + '/')
    assert _differences(ours['version'], _wire(theirs)) == [
        # The fixture lists an XML media type Keystone stopped serving long ago.
        'media-types: 1 items here, 2 in the fixture']
    assert ours['version']['media-types'] == theirs['media-types'][:1]
    assert ours['version']['links'] == theirs['links']
    listing = versions_document(v3_url)
    reference = _wire(fixture.DiscoveryList(href=URLS.identity + '/', v2=False))
    assert set(listing) == set(reference) and set(listing['versions']) == {'values'}
    [entry] = listing['versions']['values']
    [expected] = reference['versions']['values']
    assert set(entry) == set(expected)
    assert entry == ours['version']


def test_keystoneauth_discovers_v3_from_our_documents() -> None:
    requests_mock = pytest.importorskip('requests_mock')
    root, v3_url = URLS.identity, URLS.identity + '/v3'
    with requests_mock.Mocker() as mocked:
        mocked.get(root, status_code=300, json=versions_document(v3_url))
        mocked.get(v3_url, json=version_document(v3_url))
        for url in (root, v3_url):
            found = discover.Discover(session.Session(), url)
            [data] = found.version_data()
            assert data['version'] == (3, 14)
            assert data['url'] == v3_url + '/'
            assert found.url_for('3.0') == v3_url + '/'


def test_the_product_never_imports_keystoneauths_test_fixtures() -> None:
    """``keystoneauth1.fixture`` needs ``fixtures``, a test-only requirement."""
    code = '''
import importlib, json, pkgutil, sys
import pciclient
names = [m.name for m in pkgutil.walk_packages(pciclient.__path__, 'pciclient.')
         if not m.name.endswith('__main__')]
for name in names:
    importlib.import_module(name)
from pciclient.fakeserver.identity.external.client import KeystoneClient, ServiceCredentials
client = KeystoneClient('http://127.0.0.1:1/v3')
client.session, client.service_login(ServiceCredentials('u', 'p'))
print(json.dumps([len(names), sorted(m for m in sys.modules
                                     if m.startswith(('keystoneauth1.fixture', 'fixtures')))]))
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    count, imported = json.loads(out)
    assert count > 50 and imported == []
