"""The fake Neutron behind the cloud's token check: 401, catalog, Neutron's port policy."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cloud import FakeCloud, service_apis
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.tokens import TokenStore
from tests.fakeserver.cloud_helpers import call, default_project, password_auth
from tests.fakeserver.network_helpers import DEMO, VM1, VM2, get, network_scenario, ports

BINDING_SECRETS = {'binding:host_id', 'binding:profile', 'binding:vif_type',
                   'binding:vif_details'}


@pytest.fixture
def cloud(tmp_path: Path) -> FakeCloud:
    scenario = network_scenario(tmp_path)
    return FakeCloud(service_apis(scenario.store), Directory(scenario.projects, scenario.users),
                     TokenStore(ttl=300))


def _login(cloud: FakeCloud, user: str, project: str) -> tuple[dict[str, str], dict[str, Any]]:
    response = call(cloud, '/identity/v3/auth/tokens', 'POST',
                    password_auth(user, f'{user}-pw', default_project(project)))
    assert response.status == 201, response.raw
    return {'X-Auth-Token': response.headers['x-subject-token']}, response.json['token']


def test_no_token_is_401_but_versions_are_open(cloud: FakeCloud) -> None:
    refused = get(cloud, '/v2.0/ports')
    assert refused.status == 401 and refused.json['error']['code'] == 401
    assert get(cloud, '/').status == 200
    assert get(cloud, '/v2.0/').status == 401


def test_catalog_lists_the_network_service(cloud: FakeCloud) -> None:
    _, token = _login(cloud, 'alice', 'demo')
    network = [s for s in token['catalog'] if s['type'] == 'network']
    assert len(network) == 1 and network[0]['name'] == 'neutron'
    assert {e['url'] for e in network[0]['endpoints']} == {'http://cloud.example:8774/network'}


def test_admin_sees_every_port_with_its_binding(cloud: FakeCloud) -> None:
    headers, _ = _login(cloud, 'root', 'demo')
    found = ports(get(cloud, '/v2.0/ports', headers=headers))
    assert len(found) == 6 and all(BINDING_SECRETS <= set(p) for p in found)


def test_service_role_sees_bindings_too(cloud: FakeCloud) -> None:
    headers, _ = _login(cloud, 'nova', 'other')
    found = ports(get(cloud, '/v2.0/ports', headers=headers))
    assert len(found) == 6 and all(p['binding:profile'] is not None for p in found)


def test_member_sees_own_ports_without_binding_fields(cloud: FakeCloud) -> None:
    headers, _ = _login(cloud, 'alice', 'demo')
    found = ports(get(cloud, '/v2.0/ports', headers=headers))
    assert {p['project_id'] for p in found} == {DEMO} and len(found) == 4
    assert all(not BINDING_SECRETS & set(p) for p in found)
    assert sorted(p['binding:vnic_type'] for p in found) == ['direct', 'macvtap', 'normal',
                                                             'normal']
    # asking for the hidden fields does not reveal them; filtering on them still works
    asked = ports(get(cloud, '/v2.0/ports', f'fields=binding:profile&device_id={VM1}',
                      headers=headers))
    assert len(asked) == 3 and all('binding:profile' not in p for p in asked)


def test_member_cannot_find_another_projects_port(cloud: FakeCloud) -> None:
    admin, _ = _login(cloud, 'root', 'demo')
    theirs = ports(get(cloud, '/v2.0/ports', f'device_id={VM2}', headers=admin))[0]['id']
    member, _ = _login(cloud, 'alice', 'demo')
    shown = get(cloud, f'/v2.0/ports/{theirs}', headers=member)
    assert shown.status == 404 and shown.json['NeutronError']['type'] == 'PortNotFound'
    marker = get(cloud, '/v2.0/ports', f'limit=1&marker={theirs}', headers=member)
    assert marker.status == 404
