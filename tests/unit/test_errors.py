"""HTTP errors, garbage and unreachable servers all become pciclient exceptions."""
from __future__ import annotations

import json

import pytest
import requests

from pciclient import exceptions as exc
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'


@pytest.mark.parametrize('status, cls', [
    (400, exc.BadRequest), (401, exc.Unauthorized), (403, exc.Forbidden),
    (404, exc.NotFound), (405, exc.MethodNotAllowed), (409, exc.Conflict),
    (500, exc.ServerError), (502, exc.ServerError), (503, exc.ServerError), (418, exc.HttpError),
])
def test_status_maps_to_exception(client, requests_mock, status, cls):
    requests_mock.get(f'{URL}/os-hypervisors', status_code=status,
                      json={'someFault': {'code': status, 'message': 'Policy says no'}},
                      headers={'x-compute-request-id': 'req-abc'})
    with pytest.raises(cls) as info:
        client.hypervisors.list()
    assert type(info.value) is cls
    assert info.value.http_status == status
    if status == 403:   # an admin-only API: the fix follows the server's words
        assert info.value.message.startswith('Policy says no. os-hypervisors needs an admin role')
    else:
        assert info.value.message == 'Policy says no'
    assert 'req-abc' in str(info.value)


def test_router_404_message_has_no_html(client, requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', status_code=404, json=samples.ROUTER_404)
    with pytest.raises(exc.ApiNotFound) as info:
        client.hypervisors.list()
    assert info.value.message == 'The resource could not be found.'


def test_html_error_page_is_reduced_to_text(client, requests_mock):
    page = ('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>'
            'The proxy got no answer.<br /></body></html>')
    requests_mock.get(f'{URL}/os-pci', status_code=502, text=page,
                      headers={'content-type': 'text/html'})
    with pytest.raises(exc.ServerError) as info:
        client.pci_devices.list(resolve_hosts=False)
    assert '<' not in str(info.value)
    assert '502 Bad Gateway The proxy got no answer.' in str(info.value)


@pytest.mark.parametrize('text, content_type', [
    ('<html><body>Welcome to nginx!</body></html>', 'text/html'),
    ('{"pci_devices": [', 'application/json'),
    ('', 'application/json'),
    ('{"x": NaN}', 'application/json'),
])
def test_non_json_success_is_invalid_response(client, requests_mock, text, content_type):
    requests_mock.get(f'{URL}/os-pci', text=text, headers={'content-type': content_type})
    with pytest.raises(exc.InvalidResponse) as info:
        client.pci_devices.list(resolve_hosts=False)
    assert '\n' not in str(info.value)
    assert '<' not in str(info.value)


def test_connection_refused(client, requests_mock):
    requests_mock.get(f'{URL}/os-pci', exc=requests.exceptions.ConnectionError('refused'))
    with pytest.raises(exc.ConnectionError, match='Could not connect'):
        client.pci_devices.list(resolve_hosts=False)


def test_timeout(client, requests_mock):
    requests_mock.get(f'{URL}/os-pci', exc=requests.exceptions.ReadTimeout('slow'))
    with pytest.raises(exc.ConnectionError, match='Timed out'):
        client.pci_devices.list(resolve_hosts=False)


def test_default_timeout_is_sent(client, requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': []})
    client.hypervisors.list()
    assert requests_mock.last_request.timeout == 30.0


def test_long_messages_are_one_short_line():
    text = exc.extract_message('text/plain', 'line one\nline two ' + 'x' * 1000)
    assert '\n' not in text and len(text) <= 300


@pytest.mark.parametrize('call', [
    lambda c: c.pci_devices.list(resolve_hosts=False),
    lambda c: c.pci_devices.list(detailed=True, resolve_hosts=False),
    lambda c: c.pci_devices.get(1, resolve_host=False),
])
@pytest.mark.parametrize('answer', [
    {'json': samples.ROUTER_404},
    {'text': '<html><body><h1>404 Not Found</h1>The resource could not be found.<br /><br />'
             '</body></html>', 'headers': {'content-type': 'text/html; charset=UTF-8'}},
])
def test_missing_os_pci_api_is_told_apart_from_a_missing_device(client, requests_mock,
                                                                call, answer):
    requests_mock.get(f'{URL}/os-pci', status_code=404, **answer)
    requests_mock.get(f'{URL}/os-pci/detail', status_code=404, **answer)
    requests_mock.get(f'{URL}/os-pci/1', status_code=404, **answer)
    with pytest.raises(exc.NoPciApi) as info:
        call(client)
    assert "compute API has no os-pci API" in str(info.value)
    assert '<' not in str(info.value)


def test_nova_fault_404_is_a_plain_not_found(client, requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors/7', status_code=404,
                      json=samples.not_found('Hypervisor with ID 7 could not be found.'))
    with pytest.raises(exc.NotFound) as info:
        client.http.get('os-hypervisors/7')
    assert type(info.value) is exc.NotFound


def test_placement_error_body_gives_its_detail():
    body = {'errors': [{'status': 403, 'title': 'Forbidden', 'request_id': 'req-p',
                        'detail': 'Access was denied to this resource.\n\n Policy does not '
                                  'allow placement:resource_providers:list to be performed.  '}]}
    assert exc.extract_message('application/json', json.dumps(body)) == (
        'Access was denied to this resource. Policy does not allow '
        'placement:resource_providers:list to be performed.')
    titled = {'errors': [{'status': 409, 'title': 'Conflict', 'detail': ' '}]}
    assert exc.extract_message('application/json', json.dumps(titled)) == 'Conflict'



def test_retries_back_off_and_succeed(requests_mock, monkeypatch):
    from keystoneauth1 import noauth, session

    from pciclient import client as pci_client
    monkeypatch.setattr('time.sleep', lambda seconds: None)  # keystoneauth's back-off
    route = requests_mock.get(f'{URL}/os-hypervisors', [
        {'status_code': 503, 'text': 'busy'}, {'status_code': 502, 'text': 'gateway'},
        {'json': {'hypervisors': []}}])
    client = pci_client.Client('2', session=session.Session(auth=noauth.NoAuth()),
                               endpoint_override=URL, retries=2)
    assert client.hypervisors.list() == []
    assert route.call_count == 3


def test_no_retries_by_default(client, requests_mock):
    route = requests_mock.get(f'{URL}/os-hypervisors', status_code=503, text='busy')
    with pytest.raises(exc.ServerError):
        client.hypervisors.list()
    assert route.call_count == 1
