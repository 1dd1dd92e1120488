"""Placement reads ask only for what the answer needs: a device, a host or a server costs a
bounded number of requests whatever the size of the cloud (issue: Placement at cloud scale).

The cloud here is generated at two sizes; the targeted questions must cost the same at both.
"""
from __future__ import annotations

import re
import uuid

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from pciclient.commands.hints import cli_message
from tests.unit import samples

NOVA = 'http://nova.test:8774/v2.1'
PLACEMENT = 'http://placement.test/placement'
HOLDER = '0ff843f8-04ef-4729-bac5-edbd520ba004'
TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(map(str, parts))))


def cloud(requests_mock, hosts: int) -> dict[str, dict]:
    """``hosts`` compute nodes (FQDN nodenames), each with 4 PCI providers and one
    provider that is no PCI device (as a vGPU or bandwidth provider would be); the
    holder holds the first device of host 0."""
    providers: dict[str, dict] = {}
    traits: dict[str, list[str]] = {}
    for host in range(hosts):
        name = f'compute{host:04d}.example.com'
        root = _id(name)
        providers[root] = {'uuid': root, 'name': name, 'parent_provider_uuid': None,
                           'root_provider_uuid': root, 'generation': 1}
        traits[root] = ['COMPUTE_NODE']
        for slot in range(5):
            child = _id(name, slot)
            providers[child] = {'uuid': child, 'name': f'{name}_0000:8{slot}:00.0',
                                'parent_provider_uuid': root, 'root_provider_uuid': root,
                                'generation': 1}
            traits[child] = [TRAIT, 'OWNER_NOVA'] if slot < 4 else ['CUSTOM_NOT_PCI']

    def listing(request, context):
        rows = list(providers.values())
        query = request.qs
        assert 'resources' not in query  # it would hide the allocated devices
        if 'name' in query:
            rows = [p for p in rows if p['name'].lower() == query['name'][0]]
        if 'in_tree' in query:
            rows = [p for p in rows if p['root_provider_uuid'] == query['in_tree'][0]]
        if 'required' in query:
            rows = [p for p in rows if query['required'][0].upper() in traits[p['uuid']]]
        return {'resource_providers': rows}

    first = _id('compute0000.example.com', 0)
    requests_mock.get(f'{PLACEMENT}/resource_providers', json=listing)
    for item in providers.values():
        base = f'{PLACEMENT}/resource_providers/{item["uuid"]}'
        held = item['uuid'] == first
        requests_mock.get(base, json=item)
        requests_mock.get(f'{base}/inventories', json={'inventories': {
            'CUSTOM_PCI_10DE_1EB8': {'total': 1, 'reserved': 0}}})
        requests_mock.get(f'{base}/usages', json={'usages': {'CUSTOM_PCI_10DE_1EB8': int(held)}})
        requests_mock.get(f'{base}/traits', json={'traits': traits[item['uuid']]})
        requests_mock.get(f'{base}/allocations', json={'allocations': {
            HOLDER: {'resources': {'CUSTOM_PCI_10DE_1EB8': 1}}} if held else {}})
    requests_mock.get(f'{PLACEMENT}/allocations/{HOLDER}', json={'allocations': {
        _id('compute0000.example.com'): {'resources': {'VCPU': 2}},
        first: {'resources': {'CUSTOM_PCI_10DE_1EB8': 1}}}})
    requests_mock.get(re.compile(f'{NOVA}/servers/[^/]+$'), status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'not found'}})
    requests_mock.get(f'{NOVA}/servers/{HOLDER}', json={'server': {'id': HOLDER, 'name': 'vm'}})
    requests_mock.get(re.compile(f'{NOVA}/os-pci.*'), status_code=404, json=samples.ROUTER_404)
    return providers


def make_client(**kwargs) -> pci_client.Client:
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=NOVA, pci_source='placement',
                             placement_endpoint_override=PLACEMENT, **kwargs)


def placement_requests(requests_mock) -> list:
    return [r for r in requests_mock.request_history if r.path.startswith('/placement')]


QUESTIONS = {
    'show HOST_ADDRESS': lambda c: c.pci_devices.get('compute0000.example.com_0000:80:00.0'),
    'show UUID': lambda c: c.pci_devices.get(_id('compute0000.example.com', 1)),
    'list --host': lambda c: c.pci_devices.list(host='compute0001.example.com'),
    'list --host --long': lambda c: c.pci_devices.list(detailed=True,
                                                       host='compute0001.example.com'),
    'list --server': lambda c: c.pci_devices.list(instance_uuid=HOLDER),
    'list --server --long': lambda c: c.pci_devices.list(detailed=True, instance_uuid=HOLDER),
    'pools --host': lambda c: c.pci_pools.list(host='compute0001.example.com'),
    'hypervisor-show': lambda c: c.pci_pools.of_hypervisor(c.hypervisors.resource_class(
        {'id': 2, 'hypervisor_hostname': 'compute0001.example.com'})),
    'server-show --long': lambda c: c.pci_devices.held_by(
        c.servers.resource_class({'id': HOLDER, 'name': 'vm'}), detailed=True),
}
#: Requests to Placement each question may cost, whatever the size of the cloud.
BUDGETS = {'show HOST_ADDRESS': 8, 'show UUID': 8, 'list --host': 2 + 5 * 3,
           'list --host --long': 2 + 5 * 3, 'list --server': 1 + 2 + 3,
           'list --server --long': 1 + 2 + 3, 'pools --host': 2 + 5 * 3,
           'server-show --long': 1 + 2 + 3, 'hypervisor-show': 2 + 5 * 3}


@pytest.mark.parametrize('question', QUESTIONS)
def test_targeted_questions_cost_the_same_in_a_small_and_a_big_cloud(requests_mock, question):
    counts = []
    for hosts in (3, 60):
        requests_mock.reset_mock()
        cloud(requests_mock, hosts)
        QUESTIONS[question](make_client())
        counts.append(len(placement_requests(requests_mock)))
    assert counts[0] == counts[1] <= BUDGETS[question], counts


def test_show_asks_by_the_exact_provider_name(requests_mock):
    cloud(requests_mock, 3)
    device = make_client().pci_devices.get('compute0000.example.com_0000:80:00.0').to_dict()
    assert device['servers'] == [{'id': HOLDER, 'name': 'vm', 'amount': 1}]
    assert device['status'] == 'allocated'
    [named] = [r for r in placement_requests(requests_mock) if 'name' in r.qs]
    assert named.qs['name'] == ['compute0000.example.com_0000:80:00.0']


def test_host_listing_reads_one_tree_and_leaves_out_what_is_no_pci_device(requests_mock):
    providers = cloud(requests_mock, 5)
    devices = make_client().pci_devices.list(host='compute0002.example.com')
    assert [d.address for d in devices] == [f'0000:8{slot}:00.0' for slot in range(4)]
    other_trees = {uuid for uuid, p in providers.items()
                   if not p['name'].startswith('compute0002.')}
    asked = {r.path.split('/')[3] for r in placement_requests(requests_mock)
             if r.path.count('/') >= 3}
    assert not asked & other_trees


def test_server_listing_starts_from_its_allocations(requests_mock):
    cloud(requests_mock, 5)
    devices = make_client().pci_devices.list(detailed=True, instance_uuid=HOLDER)
    assert [d.to_dict()['servers'] for d in devices] == [[{'id': HOLDER, 'name': 'vm',
                                                           'amount': 1}]]
    assert placement_requests(requests_mock)[0].path == f'/placement/allocations/{HOLDER}'


def test_the_whole_listing_reads_two_documents_per_provider(requests_mock):
    cloud(requests_mock, 4)
    make_client().pci_devices.list()
    per_provider = [r for r in placement_requests(requests_mock) if r.path.count('/') == 4]
    assert len(per_provider) == 2 * 16  # inventories and usages; traits are not shown
    requests_mock.reset_mock()
    cloud(requests_mock, 4)
    make_client().pci_devices.list(detailed=True)
    per_provider = [r for r in placement_requests(requests_mock) if r.path.count('/') == 4]
    # inventories, traits, allocations: usages are summed from the allocations
    assert len(per_provider) == 3 * 16
    assert not [r for r in per_provider if r.path.endswith('/usages')]


def test_an_unknown_host_is_said_not_listed_empty(requests_mock):
    cloud(requests_mock, 3)
    with pytest.raises(exc.NotFound, match="No compute node named 'compute9' in Placement"):
        make_client().pci_devices.list(host='compute9')


def test_concurrency_is_bounded_and_settable(requests_mock):
    cloud(requests_mock, 3)
    client = make_client(placement_concurrency=1)
    assert client.placement.concurrency == 1
    assert len(client.pci_devices.list()) == 12


def test_a_microversion_too_old_is_refused_before_asking():
    with pytest.raises(exc.ConfigurationError) as info:
        make_client(placement_api_version='1.10')
    assert cli_message(info.value) == ('pciclient needs Placement microversion ≥ 1.18; '
                                       '--os-placement-api-version 1.10 is too old.')


def test_a_placement_url_without_its_path_says_so(requests_mock):
    requests_mock.get(f'{PLACEMENT}/resource_providers', status_code=404,
                      json={'message': 'The resource could not be found.'})
    requests_mock.get(re.compile(f'{NOVA}/os-pci.*'), status_code=404, json=samples.ROUTER_404)
    with pytest.raises(exc.NotFound, match=re.escape(
            f'The Placement endpoint {PLACEMENT} answered 404 to GET /resource_providers: '
            'is the URL right?')):
        make_client().pci_devices.list()


def test_a_host_spelt_in_other_case_is_answered_by_its_tree(requests_mock):
    """Placement on MySQL finds COMPUTE0001… for compute0001…: the rows of the tree read
    are that host's, however it was spelt (found by review: they were all filtered out)."""
    providers = cloud(requests_mock, 3)

    def case_blind(request, context):  # as a MySQL-backed Placement compares names
        rows = [p for p in providers.values()
                if p['name'].lower() == request.qs.get('name', [''])[0].lower()
                or p['root_provider_uuid'] == request.qs.get('in_tree', [''])[0]]
        return {'resource_providers': rows}

    requests_mock.get(f'{PLACEMENT}/resource_providers', json=case_blind)
    client = make_client()
    devices = client.pci_devices.list(host='COMPUTE0001.EXAMPLE.COM')
    assert [d.host for d in devices] == ['compute0001.example.com'] * 4
    pools = client.pci_pools.list(host='COMPUTE0001.EXAMPLE.COM')
    assert {p['host'] for p in pools} == {'compute0001.example.com'}


def test_a_server_uuid_in_capitals_is_its_holder(requests_mock):
    cloud(requests_mock, 3)
    held = make_client().pci_devices.list(instance_uuid=HOLDER.upper())
    assert [d.address for d in held] == ['0000:80:00.0']


def test_latest_is_no_placement_microversion():
    with pytest.raises(exc.ConfigurationError, match='is not 1.N'):
        make_client(placement_api_version='latest')


def test_hypervisor_show_in_auto_survives_a_placement_it_may_not_read(requests_mock):
    cloud(requests_mock, 3)
    requests_mock.get(re.compile(f'{PLACEMENT}/resource_providers.*'), status_code=403,
                      json={'errors': [{'status': 403, 'title': 'Forbidden', 'detail': 'x'}]})
    sess = session.Session(auth=noauth.NoAuth())
    client = pci_client.Client('2', session=sess, endpoint_override=NOVA, pci_source='auto',
                               placement_endpoint_override=PLACEMENT)
    hypervisor = client.hypervisors.resource_class({'id': 1,
                                                    'hypervisor_hostname': 'compute0001'})
    assert client.pci_pools.of_hypervisor(hypervisor) == (None, None)
    with pytest.raises(exc.Forbidden):
        make_client().pci_pools.of_hypervisor(hypervisor)  # asked for Placement: said


def test_a_tree_without_pci_providers_tells_nothing(requests_mock):
    cloud(requests_mock, 3)
    hypervisor = make_client().hypervisors.resource_class(
        {'id': 1, 'hypervisor_hostname': 'compute0001.example.com'})
    requests_mock.get(re.compile(f'{PLACEMENT}/resource_providers/.*/traits'),
                      json={'traits': ['COMPUTE_NODE']})  # report_in_placement off
    assert make_client().pci_pools.of_hypervisor(hypervisor) == (None, None)
