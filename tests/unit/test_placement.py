"""The Placement backend: Nova's PCI providers read back as devices, pools and holdings."""
from __future__ import annotations

import re

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient.commands.hints import cli_message
from pciclient.v2.placement_rows import ids_from_resource_class, split_provider_name
from tests.unit import samples
from tests.unit.placement_cloud import (
    GPU,
    NOVA,
    ODD,
    PF_VFS,
    PLACEMENT,
    SERVER,
)


def make_client(source='auto', placement=True):
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=NOVA, pci_source=source,
                             placement=placement, placement_endpoint_override=PLACEMENT)


def test_names_and_resource_classes():
    assert split_provider_name('gpu06_0000:2F:00.0') == ('gpu06', '0000:2f:00.0')
    assert split_provider_name('my_host_name_0000:2F:00.0') == ('my_host_name', '0000:2f:00.0')
    assert split_provider_name('compute1') == (None, None)
    assert ids_from_resource_class('CUSTOM_PCI_10DE_20B0') == ('10de', '20b0')
    assert ids_from_resource_class('CUSTOM_GPU_GOLD') == (None, None)


def test_auto_falls_back_to_placement_when_os_pci_is_missing(placement):
    devices = make_client().pci_devices.list()
    assert devices.source == 'placement'
    rows = {d.address: d.to_dict() for d in devices}
    gpu = rows['0000:04:00.0']
    assert (gpu['host'], gpu['vendor_id'], gpu['product_id']) == ('compute1', '10de', '1eb8')
    assert (gpu['total'], gpu['used'], gpu['free'], gpu['status']) == (1, 1, 0, 'allocated')
    assert gpu['dev_type'] is None  # a PCI device or a PF: Placement cannot tell
    vfs = rows['0000:81:00.0']
    assert (vfs['dev_type'], vfs['total'], vfs['reserved'], vfs['used'], vfs['free']) == (
        'type-VF', 4, 1, 2, 1)
    assert vfs['status'] == 'partial'  # some units used, some free
    odd = rows[None]
    assert odd['host'] == 'compute2'  # from its root provider
    assert (odd['vendor_id'], odd['resource_class']) == (None, 'CUSTOM_GPU_GOLD')
    # one listing, then 2 requests per provider: no allocations nor traits unless shown
    assert sum(r.path.endswith(('/allocations', '/traits'))
               for r in placement.request_history) == 0
    listing = [r for r in placement.request_history if r.path == '/placement/resource_providers']
    assert listing[0].qs == {'required': ['compute_managed_pci_device']}
    assert listing[0].headers['OpenStack-API-Version'] == 'placement 1.18'


def test_filters_and_holders(placement):
    client = make_client(source='placement')
    assert [d.address for d in client.pci_devices.list(vendor_id='0x10DE')] == ['0000:04:00.0']
    held = client.pci_devices.list(instance_uuid=SERVER)
    assert [d.id for d in held] == [GPU]
    assert held[0].instance_uuid == SERVER
    assert [d.id for d in client.pci_devices.list(dev_type='vf', status='partial')] == [PF_VFS]
    # exact: a partly used provider is not 'available'; both ask for any free capacity
    assert [d.id for d in client.pci_devices.list(status='available')] == [ODD]
    assert [d.id for d in client.pci_devices.list(status=['available', 'partial'])] == [
        ODD, PF_VFS]
    page = client.pci_devices.list(limit=1, marker=GPU)
    assert [d.id for d in page] == [ODD]  # sorted by host, then address (none first)


def test_show_by_uuid_and_host_address(placement):
    client = make_client(source='placement')
    assert client.pci_devices.get(PF_VFS).address == '0000:81:00.0'
    shown = client.pci_devices.get('compute1_0000:04:00.0').to_dict()
    assert shown['id'] == GPU
    assert shown['servers'] == [{'id': SERVER, 'name': 'vm', 'amount': 1}]
    with pytest.raises(exc.NotFound, match='No PCI device with ID 42 in Placement'):
        client.pci_devices.get('42')


def test_auto_show_falls_back_too(placement):
    assert make_client().pci_devices.get('compute1_0000:04:00.0').id == GPU


def test_pools_from_placement(placement):
    placement.get(f'{NOVA}/os-hypervisors/detail', json={'hypervisors': [samples.NOVA_HYPERVISOR]})
    pools = make_client().pci_pools.list()
    assert pools.source == 'placement'
    by_rc = {p['tags']['resource_class']: p for p in pools}
    assert by_rc['CUSTOM_PCI_8086_1515']['count'] == 1
    assert by_rc['CUSTOM_PCI_10DE_1EB8']['count'] == 0
    assert by_rc['CUSTOM_PCI_10DE_1EB8']['tags']['traits'] == ['CUSTOM_GOLD']
    assert [p['host'] for p in make_client().pci_pools.list(host='compute1')] == ['compute1']


def test_server_holdings_from_allocations(placement):
    client = make_client()
    server = client.servers.resource_class({'id': SERVER, 'name': 'vm'})
    ids, source = client.pci_devices.held_by(server)
    assert (ids, source) == ([GPU], 'placement')
    rows, _ = client.pci_devices.held_by(server, detailed=True)
    assert rows == [{'id': GPU, 'address': '0000:04:00.0', 'vendor_id': '10de',
                     'product_id': '1eb8', 'dev_type': None, 'host': 'compute1',
                     'address_of': 'device or PF',
                     'resource_class': 'CUSTOM_PCI_10DE_1EB8', 'amount': 1}]


def test_annotate_servers_with_one_consumer_listing(placement):
    client = make_client()
    servers = [client.servers.resource_class({'id': SERVER, 'name': 'vm'}),
               client.servers.resource_class({'id': 'c9', 'name': 'plain'})]
    client.pci_devices.annotate_servers(servers)
    assert [s.pci_devices for s in servers] == [[GPU], []]
    assert {s.pci_source for s in servers} == {'placement'}


def test_os_pci_source_never_reads_placement(placement):
    client = make_client(source='os-pci')
    with pytest.raises(exc.NoPciApi) as info:
        client.pci_devices.list()
    # The library names its own argument; the CLI the option.
    assert re.search('--pci-source placement', cli_message(info.value))
    assert "pci_source='placement'" in str(info.value) and '--' not in str(info.value)
    assert not [r for r in placement.request_history if r.path.startswith('/placement')]


def test_no_placement_endpoint_names_the_option(placement):
    with pytest.raises(exc.NoPciApi) as info:
        make_client(placement=False).pci_devices.list()
    assert re.search('--os-placement-endpoint-override', cli_message(info.value))
    assert 'placement_endpoint_override=URL' in str(info.value)
    with pytest.raises(exc.ConfigurationError, match='No Placement endpoint'):
        make_client(source='placement', placement=False).pci_devices.list()


def test_a_failing_provider_fails_the_listing(placement):
    placement.get(f'{PLACEMENT}/resource_providers/{PF_VFS}/usages', status_code=503,
                  text='busy')
    with pytest.raises(exc.ServerError):
        make_client(source='placement').pci_devices.list()


def test_explicit_placement_source_wins_over_os_pci_ids(placement):
    # Found by the real-Placement tier: a server document with os-pci:pci_devices must
    # not hide Placement's answer when --pci-source placement was asked for.
    client = make_client(source='placement')
    server = client.servers.resource_class({'id': SERVER, 'name': 'vm',
                                            'os-pci:pci_devices': []})
    assert client.pci_devices.held_by(server) == ([GPU], 'placement')
    client.pci_devices.annotate_servers([server])
    assert (server.pci_devices, server.pci_source) == ([GPU], 'placement')
