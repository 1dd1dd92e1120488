"""What the real Neutron says of SR-IOV ports, as facts the client relies on.

Checked against the live harness (the same facts are in the recordings): an admin sees the
binding Nova wrote; a member sees the ports without any binding field but
``binding:vnic_type``; ``binding:host_id`` and ``device_id`` filter on the server side while
``binding:vnic_type`` is refused with 400; paging links carry ``limit`` and ``marker``.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.realneutron.scenario import PORTS, SERVER_A

ADMIN_ONLY = ('binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details')


def _ports(session, url: str, query: str = '') -> list[dict]:
    answer = session.get(f'{url}/v2.0/ports{query}', timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()['ports']


def test_harness_serves_neutron_29(real_neutron, neutron_http):
    assert real_neutron.info['neutron_version'] == '29.0.0'
    answer = neutron_http.get(real_neutron.admin_url + '/', timeout=30)
    assert answer.status_code == 200
    assert [v['id'] for v in answer.json()['versions']] == ['v2.0']


def test_admin_sees_the_binding_nova_wrote(real_neutron, neutron_http):
    ports = {p['name']: p for p in _ports(neutron_http, real_neutron.admin_url)}
    assert set(ports) == set(PORTS)
    for name, spec in PORTS.items():
        port = ports[name]
        assert port['binding:vnic_type'] == spec['vnic_type']
        if spec['bind'] is None:
            assert (port['binding:host_id'], port['device_id']) == ('', '')
            assert port['binding:vif_type'] == 'unbound'
            continue
        server, host, profile = spec['bind']
        assert (port['device_id'], port['binding:host_id']) == (server, host)
        assert port['device_owner'] == 'compute:nova'
        assert port['binding:profile'] == profile
    # The SR-IOV driver bound them: a VF through the host's agent, a PF without one.
    assert ports['vf-a']['binding:vif_type'] == 'hw_veb'
    assert ports['pf-a']['binding:vif_type'] == 'hostdev_physical'
    assert ports['normal-a']['binding:vif_type'] == 'binding_failed'


def test_member_sees_no_binding_fields(real_neutron, neutron_http):
    ports = _ports(neutron_http, real_neutron.member_url)
    assert {p['name'] for p in ports} == {n for n, s in PORTS.items() if 'project' not in s}
    for port in ports:
        assert not set(ADMIN_ONLY) & set(port), port
        assert 'binding:vnic_type' in port


def test_server_side_filters(real_neutron, neutron_http):
    url = real_neutron.admin_url
    by_host = _ports(neutron_http, url, '?binding:host_id=compute1')
    assert {p['name'] for p in by_host} == {'vf-a', 'pf-a', 'normal-a'}
    by_device = _ports(neutron_http, url, f'?device_id={SERVER_A}&fields=id&fields=name')
    assert sorted(p['name'] for p in by_device) == ['normal-a', 'pf-a', 'vf-a']
    assert all(set(p) == {'id', 'name'} for p in by_device)
    refused = neutron_http.get(f'{url}/v2.0/ports?binding:vnic_type=direct', timeout=60)
    assert refused.status_code == 400
    assert 'binding:vnic_type' in refused.json()['NeutronError']['message']


def test_paging_links(real_neutron, neutron_http):
    url = real_neutron.admin_url
    answer = neutron_http.get(f'{url}/v2.0/ports?limit=4&fields=id&fields=name', timeout=60)
    document = answer.json()
    assert len(document['ports']) == 4
    [link] = [link for link in document['ports_links'] if link['rel'] == 'next']
    query = parse_qs(urlsplit(link['href']).query)
    assert query['limit'] == ['4'] and query['marker'] == [document['ports'][-1]['id']]
    rest = neutron_http.get(link['href'], timeout=60).json()
    names = [p['name'] for p in document['ports'] + rest['ports']]
    assert sorted(names) == sorted(PORTS)
