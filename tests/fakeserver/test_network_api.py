"""The fake Neutron's ports: what Nova's binding profile says, Neutron's query rules, errors."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from pciclient.fakeserver.cloud import ServiceApis, service_apis
from pciclient.fakeserver.scenario.loader import ScenarioError
from tests.fakeserver.network_helpers import (
    DEMO,
    OTHER,
    SCENARIO,
    VM1,
    VM2,
    VM3,
    get,
    network_scenario,
    ports,
)

BASE = 'http://cloud.example:8774/network'


@pytest.fixture
def app(tmp_path: Path) -> ServiceApis:
    return service_apis(network_scenario(tmp_path).store)


def _sriov(app: ServiceApis) -> dict[str, dict]:
    found = ports(get(app, '/v2.0/ports'))
    return {p['binding:profile']['pci_slot']: p for p in found if p['binding:profile']}


def test_every_physnet_device_a_server_holds_is_a_bound_port(app: ServiceApis) -> None:
    sriov = _sriov(app)
    assert sorted(sriov) == ['0000:01:01.0', '0000:01:01.1', '0000:02:00.0']  # no GPU port
    vf = sriov['0000:01:01.0']
    assert vf['binding:profile'] == {'pci_slot': '0000:01:01.0', 'pci_vendor_info': '8086:1889',
                                     'physical_network': 'physnet1'}
    assert (vf['binding:vnic_type'], vf['binding:vif_type']) == ('direct', 'hw_veb')
    assert (vf['device_id'], vf['device_owner'], vf['status']) == (VM1, 'compute:nova', 'ACTIVE')
    assert (vf['binding:host_id'], vf['project_id'], vf['tenant_id']) == ('compute1', DEMO, DEMO)
    assert sriov['0000:01:01.1']['binding:vnic_type'] == 'macvtap'
    pf = sriov['0000:02:00.0']
    assert (pf['binding:vnic_type'], pf['binding:vif_type']) == ('direct-physical',
                                                                 'hostdev_physical')
    assert pf['binding:profile']['physical_network'] == 'physnet2'
    assert pf['device_id'] == VM2 and pf['project_id'] == OTHER
    # one network per physnet, shared by its ports
    assert vf['network_id'] == sriov['0000:01:01.1']['network_id'] != pf['network_id']


def test_every_server_has_a_normal_port_too(app: ServiceApis) -> None:
    normal = [p for p in ports(get(app, '/v2.0/ports')) if p['binding:vnic_type'] == 'normal']
    assert sorted(p['device_id'] for p in normal) == sorted([VM1, VM2, VM3])
    assert all(p['binding:profile'] == {} and p['binding:vif_type'] == 'ovs' for p in normal)


def test_ids_survive_a_restart(tmp_path: Path, app: ServiceApis) -> None:
    again = service_apis(network_scenario(tmp_path).store)  # the same file, loaded anew
    first = [p['id'] for p in ports(get(app, '/v2.0/ports'))]
    assert first == [p['id'] for p in ports(get(again, '/v2.0/ports'))]
    assert first == sorted(first)  # Neutron's order: by id


def test_show_and_port_not_found(app: ServiceApis) -> None:
    port = _sriov(app)['0000:02:00.0']
    shown = get(app, f'/v2.0/ports/{port["id"]}')
    assert shown.status == 200 and shown.json == {'port': port}
    missing = get(app, '/v2.0/ports/00000000-0000-4000-8000-000000000000')
    assert missing.status == 404
    assert missing.json == {'NeutronError': {
        'type': 'PortNotFound', 'detail': '',
        'message': 'Port 00000000-0000-4000-8000-000000000000 could not be found.'}}


def test_fields_keep_only_what_was_asked(app: ServiceApis) -> None:
    # Neutron reads the policy's fields and the id too, but strips them (as recorded)
    found = ports(get(app, '/v2.0/ports', 'fields=binding:profile&fields=device_id'))
    assert {frozenset(p) for p in found} == {frozenset({'binding:profile', 'device_id'})}


@pytest.mark.parametrize('query, expected', [
    (f'device_id={VM1}', 3),
    (f'device_id={VM1}&device_id={VM2}', 5),            # repeated: any of them
    ('binding:host_id=compute1', 5),
    ('binding:host_id=compute2', 1),
    ('device_owner=compute:nova&status=ACTIVE&admin_state_up=true', 6),
    ('admin_state_up=0', 0),
    (f'project_id={OTHER}', 2),
    ('fixed_ips=ip_address=10.0.0.3', 1),
    ('not-tags=x', 6),
])
def test_filters(app: ServiceApis, query: str, expected: int) -> None:
    assert len(ports(get(app, '/v2.0/ports', query))) == expected


def test_filter_by_network(app: ServiceApis) -> None:
    network = _sriov(app)['0000:01:01.0']['network_id']
    found = ports(get(app, '/v2.0/ports', f'network_id={network}'))
    assert sorted(p['binding:profile']['pci_slot'] for p in found) == ['0000:01:01.0',
                                                                      '0000:01:01.1']


@pytest.mark.parametrize('query, keys', [
    ('binding:vnic_type=direct', "['binding:vnic_type']"),    # no is_filter in portbindings
    ('binding:profile=x&colour=red', "['binding:profile', 'colour']"),
    ('colour=', "['colour']"),
])
def test_unknown_filters_are_400_as_with_filter_validation(app: ServiceApis, query: str,
                                                           keys: str) -> None:
    response = get(app, '/v2.0/ports', query)
    assert response.status == 400
    assert response.json == {'NeutronError': {
        'type': 'HTTPBadRequest', 'message': f'{keys} is invalid attribute for filtering',
        'detail': ''}}


def test_bad_values_are_neutrons_400s(app: ServiceApis) -> None:
    limit = get(app, '/v2.0/ports', 'limit=-1')
    assert limit.status == 400 and limit.json['NeutronError'] == {
        'type': 'BadRequest', 'detail': '',
        'message': "Bad limit request: Limit must be an integer 0 or greater and not '-1'."}
    boolean = get(app, '/v2.0/ports', 'admin_state_up=maybe')
    assert boolean.status == 400 and boolean.json['NeutronError']['type'] == 'InvalidInput'


def _query(href: str) -> list[tuple[str, str]]:
    parts = urlsplit(href)
    assert f'{parts.scheme}://{parts.netloc}{parts.path}' == f'{BASE}/v2.0/ports'
    return parse_qsl(parts.query)


def test_paging_walks_every_port_once(app: ServiceApis) -> None:
    everything = [p['id'] for p in ports(get(app, '/v2.0/ports'))]
    seen: list[str] = []
    response = get(app, '/v2.0/ports', 'limit=4&fields=id')
    while True:
        page = ports(response)
        seen += [p['id'] for p in page]
        links = {link['rel']: link['href'] for link in response.json.get('ports_links', [])}
        assert 'previous' in links
        if 'next' not in links:
            break
        query = _query(links['next'])
        assert query[-1] == ('marker', page[-1]['id']) and ('limit', '4') in query
        response = get(app, '/v2.0/ports', '&'.join(f'{k}={v}' for k, v in query))
    assert seen == everything and len(seen) == 6
    previous = dict(_query(links['previous']))
    assert previous['page_reverse'] == 'True' and previous['marker'] == page[0]['id']
    back = get(app, '/v2.0/ports', f'limit=4&marker={page[0]["id"]}&page_reverse=True')
    assert [p['id'] for p in ports(back)] == everything[:4]
    last = get(app, '/v2.0/ports', 'limit=2&page_reverse=true')
    assert [p['id'] for p in ports(last)] == everything[-2:]


def test_an_unknown_marker_is_port_not_found(app: ServiceApis) -> None:
    response = get(app, '/v2.0/ports', 'limit=2&marker=nope')
    assert response.status == 404
    assert response.json['NeutronError']['type'] == 'PortNotFound'


def test_version_documents(app: ServiceApis) -> None:
    assert get(app, '/').json == {'versions': [{
        'id': 'v2.0', 'status': 'CURRENT',
        'links': [{'rel': 'self', 'href': f'{BASE}/v2.0/'}]}]}
    resources = get(app, '/v2.0/').json['resources']
    assert [r['collection'] for r in resources] == ['networks', 'subnets', 'subnetpools', 'ports']
    assert resources[-1]['links'] == [{'rel': 'self', 'href': f'{BASE}/v2.0/ports'}]
    assert get(app, '/v2.0').status == 404  # pecan wants the slash


def test_read_only_and_unknown_paths(app: ServiceApis) -> None:
    written = get(app, '/v2.0/ports', method='POST')
    assert written.status == 405 and written.headers['allow'] == 'GET'
    assert written.json['NeutronError']['type'] == 'HTTPMethodNotAllowed'
    unknown = get(app, '/v2.0/trunks')
    assert unknown.status == 404 and unknown.json == {'NeutronError': {
        'type': 'HTTPNotFound', 'message': 'The resource could not be found.', 'detail': ''}}


@pytest.mark.parametrize('device, message', [
    ('{address: "0000:01:00.0", vnic_type: direct}', 'tags no physical_network'),
    ('{address: "0000:01:01.0", vnic_type: normal}', 'vnic_type must be one of'),
])
def test_scenario_vnic_types_are_checked(tmp_path: Path, device: str, message: str) -> None:
    text = SCENARIO.replace('devices: ["0000:01:00.0"]', f'devices: [{device}]')
    text = text.replace('{address: "0000:01:01.1", vnic_type: macvtap}', device) \
        if 'normal' in device else text
    with pytest.raises(ScenarioError, match=message):
        network_scenario(tmp_path, text)
