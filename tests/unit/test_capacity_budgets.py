"""Capacity reads the cloud once for every flavor, and a host's question costs the same in
a small and a big cloud (issue: capacity, "Requests per host are bounded")."""
from __future__ import annotations

import re
import uuid

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient.v2.capacity.manager import Wanted

NOVA = 'http://nova.test:8774/v2.1'
PLACEMENT = 'http://placement.test/placement'
GPU_RC = 'CUSTOM_PCI_10DE_1EB8'
ALIASES = '[pci]\nalias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", ' \
          '"device_type": "type-PCI"}\n'


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(map(str, parts))))


def flavor(name: str, vcpus: int, ram: int, specs: dict[str, str]) -> dict:
    return {'id': _id('flavor', name), 'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': 10,
            'OS-FLV-EXT-DATA:ephemeral': 0, 'swap': '', 'extra_specs': specs}


FLAVORS = [flavor('small', 2, 2048, {}), flavor('gpu', 4, 8192,
                                                 {'pci_passthrough:alias': 'gpu:1'}),
           flavor('gpu2', 8, 16384, {'pci_passthrough:alias': 'gpu:2'})]


def cloud(requests_mock, hosts: int) -> None:
    """``hosts`` compute nodes with 16 vCPU, 64 GiB, 2 GPUs each; the first is disabled."""
    providers: dict[str, dict] = {}
    traits: dict[str, list[str]] = {}
    inventories: dict[str, dict] = {}
    for host in range(hosts):
        name = f'compute{host:04d}'
        root = _id(name)
        providers[root] = {'uuid': root, 'name': name, 'parent_provider_uuid': None,
                           'root_provider_uuid': root, 'generation': 1}
        traits[root] = ['COMPUTE_NODE', 'OWNER_NOVA'] + (
            ['COMPUTE_STATUS_DISABLED'] if host == 0 else [])
        inventories[root] = {
            'VCPU': {'total': 16, 'reserved': 0, 'allocation_ratio': 4.0},
            'MEMORY_MB': {'total': 65536, 'reserved': 512, 'allocation_ratio': 1.0},
            'DISK_GB': {'total': 1000, 'reserved': 0, 'allocation_ratio': 1.0}}
        for slot in range(2):
            child = _id(name, slot)
            providers[child] = {'uuid': child, 'name': f'{name}_0000:8{slot}:00.0',
                                'parent_provider_uuid': root, 'root_provider_uuid': root,
                                'generation': 1}
            traits[child] = ['COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA']
            inventories[child] = {GPU_RC: {'total': 1, 'reserved': 0}}

    def listing(request, context):
        rows = list(providers.values())
        query = request.qs
        if 'name' in query:
            rows = [p for p in rows if p['name'].lower() == query['name'][0]]
        if 'in_tree' in query:
            rows = [p for p in rows if p['root_provider_uuid'] == query['in_tree'][0]]
        if 'required' in query:
            rows = [p for p in rows if query['required'][0].upper() in traits[p['uuid']]]
        return {'resource_providers': rows}

    requests_mock.get(f'{PLACEMENT}/resource_providers', json=listing)
    for item in providers.values():
        base = f'{PLACEMENT}/resource_providers/{item["uuid"]}'
        requests_mock.get(base, json=item)
        requests_mock.get(f'{base}/inventories', json={'inventories': inventories[item['uuid']]})
        requests_mock.get(f'{base}/usages', json={'usages': {}})
        requests_mock.get(f'{base}/traits', json={'traits': traits[item['uuid']]})
    requests_mock.get(re.compile(f'{NOVA}/flavors/[^/]+$'), status_code=404, json={
        'itemNotFound': {'code': 404, 'message': 'Flavor could not be found.'}})
    requests_mock.get(f'{NOVA}/flavors/detail', json={'flavors': FLAVORS})
    requests_mock.get(f'{NOVA}/os-services', json={'services': [
        {'id': n, 'binary': 'nova-compute', 'host': f'compute{n:04d}', 'state': 'up',
         'status': 'disabled' if n == 0 else 'enabled'} for n in range(hosts)]})
    requests_mock.get(re.compile(f'{NOVA}/os-hypervisors.*'), json={'hypervisors': []})


def make_client() -> pci_client.Client:
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=NOVA,
                             placement_endpoint_override=PLACEMENT)


def _placement(requests_mock) -> int:
    return sum(1 for r in requests_mock.request_history if r.path.startswith('/placement'))


def _ask(host: str | None = None, flavors: list[dict] = FLAVORS):
    from pciclient.v2.capacity.aliases import load_aliases

    client = make_client()
    return client.capacity.capacity([Wanted(f['name'], f) for f in flavors],
                                    aliases=load_aliases(ALIASES), host=host)


def test_a_host_costs_the_same_in_a_small_and_a_big_cloud(requests_mock):
    counts = []
    for hosts in (3, 50):
        requests_mock.reset_mock()
        cloud(requests_mock, hosts)
        answer = _ask(host='compute0001')
        assert {row.host for row in answer.rows} == {'compute0001'}
        counts.append(_placement(requests_mock))
    assert counts[0] == counts[1]
    # root by name (1), tree (1), 3 per provider of the tree (3 × 3); the tree itself
    # tells that PCI is in Placement: no listing of the cloud's PCI providers
    assert counts[0] == 2 + 3 * 3


def test_the_cloud_costs_two_requests_per_provider_whatever_the_flavors(requests_mock):
    cloud(requests_mock, 10)
    one = _ask(flavors=FLAVORS[:1])
    first = _placement(requests_mock)
    requests_mock.reset_mock()
    cloud(requests_mock, 10)
    _ask()
    # 30 providers × (inventories, usages), the listing, one listing per trait named
    # (COMPUTE_MANAGED_PCI_DEVICE, COMPUTE_STATUS_DISABLED, OWNER_NOVA), each read once
    assert _placement(requests_mock) == 30 * 2 + 1 + 3
    assert _placement(requests_mock) - first <= 1  # more flavors: at most one more trait
    assert len(one.rows) == 10


def test_fits_from_the_read_trees(requests_mock):
    cloud(requests_mock, 3)
    rows = {(r.host, r.flavor): r.fit for r in _ask().rows}
    assert rows['compute0000', 'small'].fits == 0
    assert rows['compute0000', 'small'].limited_by[0] == 'disabled'
    # 64 vCPUs (16 × 4.0) / 2, 65024 MiB / 2048 → 31 by memory
    assert rows['compute0001', 'small'].fits == 31
    assert rows['compute0001', 'small'].limited_by == ['MEMORY_MB']
    assert rows['compute0001', 'gpu'].fits == 2
    assert rows['compute0001', 'gpu'].limited_by == [GPU_RC]
    assert rows['compute0001', 'gpu2'].fits == 1
    assert rows['compute0001', 'gpu'].free[GPU_RC] == 2


@pytest.mark.parametrize('hosts', [3])
def test_a_down_service_fits_nothing(requests_mock, hosts):
    cloud(requests_mock, hosts)
    requests_mock.get(f'{NOVA}/os-services', json={'services': [
        {'id': 2, 'binary': 'nova-compute', 'host': 'compute0002', 'state': 'down',
         'status': 'enabled'}]})
    rows = {(r.host, r.flavor): r.fit for r in _ask().rows}
    assert rows['compute0002', 'small'].fits == 0
    assert rows['compute0002', 'small'].limited_by[0] == 'down'



def test_a_cloud_that_reports_pci_nowhere_never_gives_a_silent_number(requests_mock):
    """PCI not in Placement (here: said so) and no os-pci pools: PCI flavors have Fits
    null, said once; flavors without PCI are still counted."""
    from pciclient.v2.capacity.aliases import load_aliases

    cloud(requests_mock, 3)
    answer = make_client().capacity.capacity(
        [Wanted(f['name'], f) for f in FLAVORS], aliases=load_aliases(ALIASES),
        pci_in_placement='no')
    assert answer.pci_from == 'unknown'
    assert [n for n in answer.notes if 'PCI capacity is unknown' in n]
    by = {(r.host, r.flavor): r.fit for r in answer.rows}
    assert by['compute0001', 'gpu'].fits is None
    assert by['compute0001', 'gpu'].limited_by[0] == 'PCI not reported'
    assert by['compute0001', 'small'].fits == 31


def test_a_failed_read_cancels_the_reads_not_yet_started(requests_mock):
    """One provider's failure ends a cloud-sized read at once: the queued requests are
    cancelled, not sent (Executor.map cancels them when its first error is raised)."""
    from pciclient import exceptions as exc
    from pciclient.v2.capacity.placement_trees import TreeReader

    cloud(requests_mock, 40)
    first = _id('compute0000')
    requests_mock.get(f'{PLACEMENT}/resource_providers/{first}/inventories', status_code=500,
                      json={'errors': [{'status': 500, 'title': 'boom', 'detail': 'boom'}]})
    client = make_client()
    with pytest.raises(exc.ServerError):
        TreeReader(client.placement).trees()
    reads = sum(1 for r in requests_mock.request_history if r.path.endswith('/inventories'))
    assert reads < 120 - 20   # 120 providers; at most the workers' few in flight after it
