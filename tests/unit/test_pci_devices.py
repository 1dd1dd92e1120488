"""PCI device manager: both dialects, filters sent and applied, hosts resolved."""
from __future__ import annotations

import pytest

from pciclient import exceptions as exc
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'


@pytest.fixture
def hypervisors(requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})


def test_list_brief_resolves_host(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    devices = client.pci_devices.list()
    assert [d.id for d in devices] == [1, 3]
    assert [d.host for d in devices] == ['compute1', 'compute2']
    assert devices[0].raw == samples.brief(samples.BLUEPRINT_DEVICE)


def test_list_detail_decodes_server_uuid(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [samples.MERGED_DEVICE]})
    (device,) = client.pci_devices.list(detailed=True)
    assert device.instance_uuid == samples.SERVER_UUID
    assert 'server_uuid' not in device.to_dict()
    assert device.raw['server_uuid'] == samples.SERVER_UUID
    assert device.host == 'compute2'


def test_filters_are_sent_and_applied(client, requests_mock, hypervisors):
    # A server that ignores the filters answers everything: the client still filters.
    route = requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    devices = client.pci_devices.list(vendor_id='0x10DE', status='available', host='compute2')
    assert [d.id for d in devices] == [3]
    assert route.last_request.qs == {'vendor_id': ['10de'], 'status': ['available'],
                                     'host': ['compute2']}


def test_type_and_server_filters_read_the_detailed_listing(client, requests_mock, hypervisors):
    route = requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.MERGED_DEVICE, samples.FREE_GPU]})
    devices = client.pci_devices.list(dev_type='vf', instance_uuid=samples.SERVER_UUID)
    assert [d.id for d in devices] == [1, 2]
    assert route.last_request.qs['dev_type'] == ['type-vf']  # requests-mock lower-cases
    assert route.called_once


def test_unknown_filter_is_a_programming_error(client):
    with pytest.raises(TypeError):
        client.pci_devices.list(colour='blue')


def test_get_merges_instance_uuid_and_host(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci/2', json={'pci_device': samples.MERGED_DEVICE})
    device = client.pci_devices.get(2)
    assert device.to_dict()['instance_uuid'] == samples.SERVER_UUID
    assert device.host == 'compute2'


def test_get_unknown_id(client, requests_mock):
    requests_mock.get(f'{URL}/os-pci/42', status_code=404,
                      json=samples.not_found('PCI device 42 not found'),
                      headers={'x-openstack-request-id': 'req-42'})
    with pytest.raises(exc.NotFound) as info:
        client.pci_devices.get(42)
    assert str(info.value).startswith('No PCI device with ID 42')
    assert info.value.request_id == 'req-42'


def test_get_quotes_the_id(client, requests_mock):
    route = requests_mock.get(f'{URL}/os-pci/..%2Fservers', status_code=404,
                              json=samples.not_found('nope'))
    with pytest.raises(exc.NotFound):
        client.pci_devices.get('../servers', resolve_host=False)
    assert route.called


def test_listing_follows_next_links_on_the_same_endpoint(client, requests_mock, hypervisors):
    first = {'pci_devices': [samples.brief(samples.BLUEPRINT_DEVICE)],
             'pci_devices_links': [{'rel': 'next',
                                    'href': 'http://elsewhere.test/v2.1/os-pci?limit=1&marker=1'}]}
    second = {'pci_devices': [samples.brief(samples.FREE_GPU)]}
    route = requests_mock.get(f'{URL}/os-pci', [{'json': first}, {'json': second}])
    devices = client.pci_devices.list()
    assert [d.id for d in devices] == [1, 3]
    assert route.call_count == 2
    assert route.request_history[1].qs == {'limit': ['1'], 'marker': ['1']}
    assert route.request_history[1].hostname == 'nova.test'


def test_a_repeated_page_is_an_invalid_response(client, requests_mock):
    page = {'pci_devices': [samples.brief(samples.FREE_GPU)],
            'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?marker=3'}]}
    requests_mock.get(f'{URL}/os-pci', json=page)
    with pytest.raises(exc.InvalidResponse, match='repeats'):
        client.pci_devices.list(resolve_hosts=False)


def test_a_failing_later_page_fails_the_listing(client, requests_mock):
    first = {'pci_devices': [samples.brief(samples.FREE_GPU)],
             'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?marker=3'}]}
    requests_mock.get(f'{URL}/os-pci', [{'json': first}, {'status_code': 503, 'text': 'busy'}])
    with pytest.raises(exc.ServerError):
        client.pci_devices.list(resolve_hosts=False)


def test_for_server_uses_one_detailed_listing(client, requests_mock, hypervisors):
    route = requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.MERGED_DEVICE]})
    devices = client.pci_devices.for_server(samples.SERVER_UUID, [2, 1])
    assert [d.address for d in devices] == ['0000:04:10.1', '0000:04:10.0']
    assert route.call_count == 1


def test_for_server_keeps_ids_it_cannot_resolve(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [samples.BLUEPRINT_DEVICE]})
    devices = client.pci_devices.for_server(samples.SERVER_UUID, [1, 99])
    assert [d.to_dict().get('address') for d in devices] == ['0000:04:10.0', None]
    assert devices[1].id == 99


@pytest.mark.parametrize('body', [
    {'pci_devices': {'not': 'a list'}},
    {'pci_devices': [1, 2]},
    {'devices': []},
    [],
])
def test_wrongly_shaped_listing(client, requests_mock, body):
    requests_mock.get(f'{URL}/os-pci', json=body)
    with pytest.raises(exc.InvalidResponse):
        client.pci_devices.list(resolve_hosts=False)


def test_limit_stops_fetching_pages(client, requests_mock, hypervisors):
    first = {'pci_devices': [samples.brief(samples.BLUEPRINT_DEVICE)],
             'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?limit=1&marker=1'}]}
    route = requests_mock.get(f'{URL}/os-pci', json=first)
    devices = client.pci_devices.list(limit=1)
    assert [d.id for d in devices] == [1]
    assert route.call_count == 1
    assert route.last_request.qs == {'limit': ['1']}


def test_limit_counts_matching_devices_across_pages(client, requests_mock, hypervisors):
    # The server ignores the status filter: the client pages on until it has enough.
    first = {'pci_devices': [samples.brief(samples.BLUEPRINT_DEVICE)],
             'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?limit=1&marker=1'}]}
    second = {'pci_devices': [samples.brief(samples.FREE_GPU)],
              'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?limit=1&marker=3'}]}
    route = requests_mock.get(f'{URL}/os-pci', [{'json': first}, {'json': second}])
    devices = client.pci_devices.list(status='available', limit=1)
    assert [d.id for d in devices] == [3]
    assert route.call_count == 2
    assert route.request_history[1].qs == {'status': ['available'], 'limit': ['1'],
                                           'marker': ['1']}


def test_marker_and_address_filter(client, requests_mock, hypervisors):
    route = requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    devices = client.pci_devices.list(marker=0, address='0000:3B:00.0')
    assert [d.id for d in devices] == [3]
    assert route.last_request.qs == {'address': ['0000:3b:00.0'], 'marker': ['0']}


def test_limit_must_be_positive(client):
    with pytest.raises(ValueError):
        client.pci_devices.list(limit=0)
