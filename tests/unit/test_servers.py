"""Server manager: os-pci:pci_devices decoded, lookup by exact name."""
from __future__ import annotations

import pytest

from pciclient import exceptions as exc
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'


def test_get_by_uuid_decodes_device_ids(client, requests_mock):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    server = client.servers.get(samples.SERVER_UUID)
    assert server.pci_devices == [1, 2]
    assert 'os-pci:pci_devices' not in server.to_dict()


def test_server_without_pci_key_is_none(client, requests_mock):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [samples.NOVA_SERVER]})
    (server,) = client.servers.list()
    assert server.pci_devices is None


def test_get_by_name_is_an_exact_anchored_match(client, requests_mock):
    route = requests_mock.get(f'{URL}/servers/detail', json={'servers': [
        samples.SERVER, dict(samples.NOVA_SERVER, name='vm-sriov-2')]})
    assert client.servers.get('vm-sriov').id == samples.SERVER_UUID
    assert route.last_request.qs['name'] == ['^vm\\-sriov$']


def test_get_by_name_ambiguous(client, requests_mock):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [
        samples.SERVER, dict(samples.NOVA_SERVER, name='vm-sriov')]})
    with pytest.raises(exc.NoUniqueMatch):
        client.servers.get('vm-sriov')


def test_get_unknown(client, requests_mock):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    with pytest.raises(exc.NotFound, match="No server with a name or ID of 'ghost'"):
        client.servers.get('ghost')


def test_uuid_that_is_a_name(client, requests_mock):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', status_code=404,
                      json=samples.not_found('Instance could not be found.'))
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [
        dict(samples.NOVA_SERVER, name=samples.SERVER_UUID)]})
    assert client.servers.get(samples.SERVER_UUID).id == samples.NOVA_SERVER['id']


def test_all_projects(client, requests_mock):
    route = requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    client.servers.list(all_projects=True)
    assert route.last_request.qs == {'all_tenants': ['1']}


@pytest.mark.parametrize('value', [{'id': 1}, [{'no': 'id'}], 'abc'])
def test_bad_device_list(client, requests_mock, value):
    requests_mock.get(f'{URL}/servers/detail',
                      json={'servers': [{**samples.NOVA_SERVER, 'os-pci:pci_devices': value}]})
    with pytest.raises(exc.InvalidResponse):
        client.servers.list()
