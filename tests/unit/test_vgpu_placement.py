"""vGPU providers read from Placement (mocked): physical GPUs as Nova 34's libvirt driver
reports them (a child of the compute node named ``<nodename>_pci_DDDD_BB_SS_F``, ``VGPU``
or an mdev_class, trait ``OWNER_NOVA`` only) become rows of Type ``vgpu``, and questions
about one host, device or server still cost the same in a cloud of any size."""
from __future__ import annotations

import re
import uuid

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient.v2.placement_rows import (
    PciProvider,
    device_fields,
    is_vgpu_provider,
    pgpu_provider_name,
    split_pgpu_name,
    split_provider_name,
)

NOVA = 'http://nova.test:8774/v2.1'
PLACEMENT = 'http://placement.test/placement'
HOLDER = '0ff843f8-04ef-4729-bac5-edbd520ba004'
PCI_TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(map(str, parts))))


def test_names_as_libvirt_spells_them():
    assert split_pgpu_name('gpu_node.example.com_pci_0000_84_00_0') == (
        'gpu_node.example.com', '0000:84:00.0')
    assert split_pgpu_name('c1_pci_0000_AF_1f_7') == ('c1', '0000:af:1f.7')
    assert pgpu_provider_name('c1', '0000:AF:00.1') == 'c1_pci_0000_af_00_1'
    assert split_pgpu_name('c1_0000:84:00.0') == (None, None)
    assert split_provider_name('c1_pci_0000_84_00_0') == (None, None)
    assert split_pgpu_name('c1_pci_0000_84_00_8') == (None, None)  # no function 8


def test_a_physical_gpu_is_a_child_without_the_pci_trait():
    def provider(name, parent='root', traits=('OWNER_NOVA',)):
        return PciProvider(uuid='u', name=name, root_uuid='root', parent_uuid=parent,
                           traits=list(traits) if traits is not None else None)
    assert is_vgpu_provider(provider('c1_pci_0000_84_00_0'))
    assert not is_vgpu_provider(provider('c1_pci_0000_84_00_0', parent=None))
    assert not is_vgpu_provider(provider('c1_pci_0000_84_00_0', traits=[PCI_TRAIT]))
    assert not is_vgpu_provider(provider('c1_pci_0000_84_00_0', traits=None))  # unread
    assert not is_vgpu_provider(provider('c1:agent:eth0', traits=[]))  # Neutron's


def test_row_of_a_physical_gpu():
    provider = PciProvider(uuid='u', name='c1_pci_0000_84_00_0', root_uuid='r',
                           parent_uuid='r', host='c1', traits=['OWNER_NOVA'], vgpu=True,
                           inventories={'CUSTOM_PCI_10DE_2236': {'total': 4, 'reserved': 0}},
                           usages={'CUSTOM_PCI_10DE_2236': 3}, consumers={HOLDER: 3})
    row = device_fields(provider, {HOLDER: 'vm'})
    assert (row['dev_type'], row['address'], row['address_of'], row['host']) == (
        'vgpu', '0000:84:00.0', 'GPU', 'c1')
    # an mdev_class is the operator's name: it tells no vendor or product
    assert (row['vendor_id'], row['product_id']) == (None, None)
    assert (row['total'], row['used'], row['free'], row['status']) == (4, 3, 1, 'partial')
    assert row['servers'] == [{'id': HOLDER, 'name': 'vm', 'amount': 3}]
    assert row['instance_uuid'] is None


def _matches(required: str, traits: list[str]) -> bool:
    wanted = [t for t in required.upper().split(',') if t]
    return all((t[1:] not in traits) if t.startswith('!') else (t in traits) for t in wanted)


def cloud(requests_mock, hosts: int) -> None:
    """``hosts`` compute nodes, each with a PCI device, a physical GPU serving 4 VGPU and
    a provider that is Nova's neither (Neutron's); the holder holds 2 vGPUs of host 0."""
    providers, traits = {}, {}
    for host in range(hosts):
        name = f'gpu{host:03d}'
        root = _id(name)
        providers[root] = {'uuid': root, 'name': name, 'parent_provider_uuid': None,
                           'root_provider_uuid': root}
        traits[root] = ['COMPUTE_NODE', 'OWNER_NOVA']
        for kind, child_name, child_traits in (
                ('pci', f'{name}_0000:3B:00.0', [PCI_TRAIT, 'OWNER_NOVA']),
                ('gpu', f'{name}_pci_0000_84_00_0', ['OWNER_NOVA']),
                ('nic', f'{name}:NIC Switch agent:ens1', [])):
            child = _id(name, kind)
            providers[child] = {'uuid': child, 'name': child_name, 'parent_provider_uuid': root,
                                'root_provider_uuid': root}
            traits[child] = child_traits

    def listing(request, context):
        rows, query = list(providers.values()), request.qs
        assert 'resources' not in query
        if 'name' in query:
            rows = [p for p in rows if p['name'].lower() == query['name'][0]]
        if 'in_tree' in query:
            rows = [p for p in rows if p['root_provider_uuid'] == query['in_tree'][0]]
        if 'required' in query:
            if '!' in query['required'][0]:
                minor = request.headers['OpenStack-API-Version'].rpartition('.')[2]
                assert int(minor) >= 22  # forbidden traits
            rows = [p for p in rows if _matches(query['required'][0], traits[p['uuid']])]
        return {'resource_providers': rows}

    requests_mock.get(f'{PLACEMENT}/resource_providers', json=listing)
    gpu0 = _id('gpu000', 'gpu')
    for item in providers.values():
        base = f'{PLACEMENT}/resource_providers/{item["uuid"]}'
        rc = 'VGPU' if item['name'].endswith('_pci_0000_84_00_0') else 'CUSTOM_PCI_10DE_1EB8'
        held = 2 if item['uuid'] == gpu0 else 0
        requests_mock.get(base, json=item)
        requests_mock.get(f'{base}/inventories', json={'inventories': {
            rc: {'total': 4, 'reserved': 0, 'max_unit': 4}}})
        requests_mock.get(f'{base}/usages', json={'usages': {rc: held}})
        requests_mock.get(f'{base}/traits', json={'traits': traits[item['uuid']]})
        requests_mock.get(f'{base}/allocations', json={'allocations': {
            HOLDER: {'resources': {rc: held}}} if held else {}})
    requests_mock.get(f'{PLACEMENT}/allocations/{HOLDER}', json={'allocations': {
        _id('gpu000'): {'resources': {'VCPU': 2}}, gpu0: {'resources': {'VGPU': 2}}}})
    requests_mock.get(re.compile(f'{NOVA}/servers/[^/]+$'), status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'not found'}})
    requests_mock.get(f'{NOVA}/servers/{HOLDER}', json={'server': {'id': HOLDER, 'name': 'vm'}})


def make_client(**kwargs) -> pci_client.Client:
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=NOVA, pci_source='placement',
                             placement_endpoint_override=PLACEMENT, **kwargs)


def _vgpus(devices) -> dict[str, dict]:
    return {d.to_dict()['host']: d.to_dict() for d in devices
            if d.to_dict()['dev_type'] == 'vgpu'}


def test_the_whole_cloud_lists_physical_gpus_in_one_more_listing(requests_mock):
    cloud(requests_mock, 3)
    devices = make_client().pci_devices.list(detailed=True)
    vgpus = _vgpus(devices)
    assert set(vgpus) == {'gpu000', 'gpu001', 'gpu002'}
    assert (vgpus['gpu000']['used'], vgpus['gpu000']['free'], vgpus['gpu001']['free']) == (2, 2, 4)
    assert vgpus['gpu000']['servers'] == [{'id': HOLDER, 'name': 'vm', 'amount': 2}]
    assert len(devices) == 6  # 3 PCI devices, 3 physical GPUs; Neutron's left out
    listings = [r.qs.get('required') for r in requests_mock.request_history
                if r.path.endswith('/resource_providers')]
    assert listings == [['compute_managed_pci_device'],
                        ['owner_nova,!compute_node,!compute_managed_pci_device']]


def test_a_newer_microversion_asked_for_is_kept(requests_mock):
    cloud(requests_mock, 1)
    make_client(placement_api_version='1.30').pci_devices.list()
    [vgpu_listing] = [r for r in requests_mock.request_history if '!' in str(r.qs)]
    assert vgpu_listing.headers['OpenStack-API-Version'] == 'placement 1.30'


QUESTIONS = {
    'list --host': lambda c: c.pci_devices.list(detailed=True, host='gpu001'),
    'show name': lambda c: [c.pci_devices.get('gpu001_pci_0000_84_00_0')],
    'show HOST_ADDRESS': lambda c: [c.pci_devices.get('gpu001_0000:84:00.0')],
    'show UUID': lambda c: [c.pci_devices.get(_id('gpu001', 'gpu'))],
    'list --server': lambda c: c.pci_devices.list(detailed=True, instance_uuid=HOLDER),
}


@pytest.mark.parametrize('question', QUESTIONS)
def test_one_host_device_or_server_costs_the_same_in_any_cloud(requests_mock, question):
    counts, found = [], []
    for hosts in (3, 40):
        requests_mock.reset_mock()
        cloud(requests_mock, hosts)
        found.append(_vgpus(QUESTIONS[question](make_client())))
        counts.append(len([r for r in requests_mock.request_history
                           if r.path.startswith('/placement')]))
    assert counts[0] == counts[1] <= 20, counts
    assert found[0] == found[1]
    host = 'gpu000' if question == 'list --server' else 'gpu001'
    assert list(found[0]) == [host]
    assert found[0][host]['address'] == '0000:84:00.0'


def test_server_show_long_and_pools(requests_mock):
    cloud(requests_mock, 3)
    client = make_client()
    held, source = client.pci_devices.held_by(
        client.servers.resource_class({'id': HOLDER, 'name': 'vm'}), detailed=True)
    assert source == 'placement'
    assert [(d['dev_type'], d['address'], d['host'], d['resource_class'], d['amount'])
            for d in held] == [('vgpu', '0000:84:00.0', 'gpu000', 'VGPU', 2)]
    pools = [p for p in client.pci_pools.list(host='gpu000') if p['dev_type'] == 'vgpu']
    assert [(p['count'], p['tags']) for p in pools] == [(2, {'resource_class': 'VGPU'})]
