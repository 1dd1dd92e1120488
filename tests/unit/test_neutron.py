"""The Neutron source of the library: SR-IOV ports, what is asked of Neutron, and for how much."""
from __future__ import annotations

import pytest
from keystoneauth1 import session as ksa_session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient.v2 import neutron as neutron_mod
from pciclient.v2.hypervisors import NoSuchHost
from pciclient.v2.sources import split_sources
from tests.unit.neutron_cloud import (
    ALL_PORTS,
    NEUTRON,
    P1,
    P2,
    P4,
    PORTS,
    VM1,
    VM2,
    neutron,  # noqa: F401 - fixture
    port_requests,
    ports_answer,
)
from tests.unit.placement_cloud import NOVA


def make_client(**kwargs) -> pci_client.Client:
    kwargs.setdefault('network_endpoint_override', NEUTRON)
    return pci_client.Client('2', session=ksa_session.Session(), endpoint_override=NOVA,
                             placement=False, **kwargs)


def test_only_ports_holding_a_device_with_their_vf_and_hypervisor(neutron):  # noqa: F811
    ports = make_client().neutron.ports()
    assert [p.id for p in ports] == [P1, P2, P4]   # P3 is a normal port
    first = ports[0].to_dict()
    assert {k: first[k] for k in ('host', 'service_host', 'address', 'vendor_id', 'product_id',
                                  'physical_network', 'vnic_type', 'dev_type', 'status')} == {
        'host': 'compute1', 'service_host': 'c1', 'address': '0000:81:10.2',
        'vendor_id': '8086', 'product_id': '154c', 'physical_network': 'physnet1',
        'vnic_type': 'direct', 'dev_type': 'type-VF', 'status': 'ACTIVE'}
    assert first['servers'] == [{'id': VM1, 'name': 'vm1', 'amount': 1}]
    assert ports[1].dev_type == 'type-PF' and ports[2].address is None
    assert not ports.bindings_hidden
    [request] = port_requests(neutron)
    # Only the fields used, only filters Neutron accepts, paged.
    assert request.qs['fields'] == [f.lower() for f in neutron_mod.PORT_FIELDS]
    assert 'binding:vnic_type' not in request.qs and request.qs['limit'] == ['500']


def test_pages_are_followed_through_ports_links(neutron, monkeypatch):  # noqa: F811
    monkeypatch.setattr(neutron_mod, 'PAGE_SIZE', 1)
    ports = make_client().neutron.ports(name_holders=False)
    assert [p.id for p in ports] == [P1, P2, P4]
    # Budget: one request per page, plus the empty last one a full page announces.
    requests = port_requests(neutron)
    assert len(requests) == len(ALL_PORTS) + 1
    assert [r.qs.get('marker') for r in requests] == [None] + [[p['id']] for p in ALL_PORTS]
    assert all(r.qs['fields'] for r in requests)


@pytest.mark.parametrize('host', ['compute2', 'c2'])
def test_a_host_is_asked_of_neutron_by_its_service_host(neutron, host):  # noqa: F811
    ports = make_client().neutron.ports(host=host, name_holders=False)
    assert [p.id for p in ports] == [P2] and ports[0].host == 'compute2'
    [request] = port_requests(neutron)
    assert request.qs['binding:host_id'] == ['c2']
    # Budget: the ports of that host, and one hypervisor listing to join the names.
    assert [r.path for r in neutron.request_history] == [
        '/v2.1/os-hypervisors/detail', '/v2.0/ports']


def test_a_host_that_is_none_is_an_error_with_the_closest_names(neutron):  # noqa: F811
    with pytest.raises(NoSuchHost) as caught:
        make_client().neutron.ports(host='compute3')
    assert 'compute1' in str(caught.value) and not port_requests(neutron)


def test_a_server_is_asked_of_neutron_by_device_id(neutron):  # noqa: F811
    ports = make_client().neutron.ports(servers=[VM2])
    assert [p.id for p in ports] == [P2]
    [request] = port_requests(neutron)
    assert request.qs['device_id'] == [VM2]


def test_a_member_sees_the_ports_without_their_bindings(neutron):  # noqa: F811
    neutron.get(PORTS, json=ports_answer(ALL_PORTS, admin=False))
    neutron.get(f'{NOVA}/os-hypervisors/detail', status_code=403,
                json={'forbidden': {'code': 403, 'message': 'Policy does not allow it.'}})
    ports = make_client().neutron.ports(name_holders=False)
    assert ports.bindings_hidden
    assert [(p.id, p.host, p.address) for p in ports] == [(P1, None, None), (P2, None, None),
                                                          (P4, None, None)]


def test_asking_for_neutron_where_the_cloud_tells_none_says_where_to_give_it():
    client = make_client(network=False, pci_source='neutron')
    with pytest.raises(exc.ConfigurationError) as caught:
        client.pci_devices.list()
    assert 'network' in str(caught.value) and 'network_endpoint_override' in str(caught.value)


@pytest.mark.parametrize('text, expected', [
    ('auto', ('auto', 'auto')), ('os-pci', ('os-pci', 'off')),
    ('placement,neutron', ('placement', 'on')), ('neutron', ('none', 'on')),
    (' os-pci , neutron ', ('os-pci', 'on')), ('auto,neutron', ('auto', 'on')),
])
def test_sources_are_a_comma_separated_list(text, expected):
    assert split_sources(text) == expected


@pytest.mark.parametrize('text', ['neutorn', 'os-pci,placement', '', 'os-pci,nova'])
def test_a_source_list_that_means_nothing_is_refused(text):
    with pytest.raises(ValueError):
        split_sources(text)
    with pytest.raises(ValueError):
        make_client(pci_source=text)
