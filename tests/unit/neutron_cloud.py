"""A Neutron with SR-IOV ports, mocked for the unit tests (``requests_mock``).

It answers ``GET /v2.0/ports`` as Neutron 29 does for what pci-cli sends: ``fields``
(only those keys, ``id`` always), the filter attributes ``binding:host_id`` and
``device_id`` (``binding:vnic_type`` is none: a 400, as a Neutron with filter validation
answers), ``limit``/``marker`` paging with a ``ports_links`` "next" link whenever a page
is full, and its default policy: without the admin role the binding fields are left out.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.unit.placement_cloud import NOVA

NEUTRON = 'http://neutron.test:9696'
PORTS = f'{NEUTRON}/v2.0/ports'
VM1, VM2 = '6e3c3a52-9b8a-4c63-8f1e-0d4c1f2a7b11', '9a1f0b7e-5d2c-4e6a-b8c3-2f7d9e4a6c22'
P1, P2, P3, P4 = ('11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
                  '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444')
#: The hypervisors' nodenames (Placement's roots, os-pci's hosts) and their service hosts
#: (``binding:host_id``), which differ as they do where nodenames are FQDNs.
NODES = {'compute1': 'c1', 'compute2': 'c2'}


def port(ident, vnic, host, server, profile, status='ACTIVE'):
    return {'id': ident, 'name': '', 'network_id': 'net', 'device_owner': 'compute:nova',
            'device_id': server, 'status': status, 'binding:vnic_type': vnic,
            'binding:host_id': host, 'binding:profile': profile,
            'binding:vif_type': 'hw_veb', 'mac_address': 'fa:16:3e:00:00:01'}


ALL_PORTS = [
    port(P1, 'direct', 'c1', VM1, {'pci_slot': '0000:81:10.2', 'pci_vendor_info': '8086:154c',
                                   'physical_network': 'physnet1'}),
    port(P2, 'direct-physical', 'c2', VM2, {'pci_slot': '0000:82:00.0',
                                            'pci_vendor_info': '8086:1572',
                                            'physical_network': 'physnet2'}),
    port(P3, 'normal', 'c1', VM1, {}),
    port(P4, 'macvtap', '', '', {}, status='DOWN'),
]
ADMIN_ONLY = ('binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details')


def ports_answer(ports, *, admin=True):
    """The ``ports`` callback: Neutron's filters, fields, paging and policy."""
    def answer(request, context):
        query = request.qs  # requests_mock lower-cases values; ours are lower-case already
        if 'binding:vnic_type' in query:
            context.status_code = 400
            return {'NeutronError': {'type': 'HTTPBadRequest', 'detail': '',
                                     'message': '[binding:vnic_type] is invalid attribute '
                                                'for filtering'}}
        rows = list(ports)
        if 'binding:host_id' in query:
            rows = [p for p in rows if p['binding:host_id'] in query['binding:host_id']]
        if 'device_id' in query:
            rows = [p for p in rows if p['device_id'] in query['device_id']]
        if 'marker' in query:
            ids = [p['id'] for p in rows]
            rows = rows[ids.index(query['marker'][0]) + 1:]
        limit = int(query['limit'][0]) if 'limit' in query else None
        page = rows[:limit] if limit else rows
        fields = set(query.get('fields', [])) | {'id'}
        shown = [{k: v for k, v in p.items() if (not query.get('fields') or k in fields)
                  and (admin or k not in ADMIN_ONLY)} for p in page]
        body = {'ports': shown}
        if limit and len(page) == limit:
            params = [(k, v) for k, values in query.items() if k != 'marker' for v in values]
            params.append(('marker', page[-1]['id']))
            body['ports_links'] = [{'rel': 'next', 'href': f'{PORTS}?{urlencode(params)}'}]
        return body
    return answer


def hypervisors():
    return [{'id': i, 'hypervisor_hostname': node, 'state': 'up', 'status': 'enabled',
             'service': {'host': host, 'id': 10 + i, 'disabled_reason': None}}
            for i, (node, host) in enumerate(NODES.items(), start=1)]


def mock_compute(requests_mock):
    requests_mock.get(f'{NOVA}/os-hypervisors', json={'hypervisors': [
        {k: h[k] for k in ('id', 'hypervisor_hostname', 'state', 'status')}
        for h in hypervisors()]})
    requests_mock.get(f'{NOVA}/os-hypervisors/detail', json={'hypervisors': hypervisors()})
    for uuid, name in ((VM1, 'vm1'), (VM2, 'vm2')):
        requests_mock.get(f'{NOVA}/servers/{uuid}', json={'server': {
            'id': uuid, 'name': name, 'status': 'ACTIVE'}})


@pytest.fixture
def neutron(requests_mock):
    """Neutron with ALL_PORTS, seen by an admin, and the compute API that names hosts."""
    mock_compute(requests_mock)
    requests_mock.get(PORTS, json=ports_answer(ALL_PORTS))
    return requests_mock


def port_requests(requests_mock) -> list:
    return [r for r in requests_mock.request_history if r.url.startswith(PORTS)]
