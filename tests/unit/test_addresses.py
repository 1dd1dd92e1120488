"""Lookups by the addresses operators have (issue 15): HOST_ADDRESS and --host H ADDRESS
on os-pci clouds, lspci's short form and slots for --address, whose address a Placement
row shows, and a --host that names no hypervisor (with the closest names)."""
from __future__ import annotations

import pytest

from pciclient import exceptions as exc
from pciclient.v2.hypervisors import NoSuchHost, closest_names
from pciclient.v2.pci_addresses import parse_address, split_host_address
from pciclient.v2.placement import NoSuchComputeNode
from tests.unit import samples
from tests.unit.placement_cloud import GPU, ODD, PF_VFS
from tests.unit.test_placement import make_client
from tests.unit.test_usage_errors import run, usage_error

URL = 'http://nova.test:8774/v2.1'
SLOT = [f'0000:3b:00.{f}' for f in range(8)]


@pytest.mark.parametrize(('text', 'addresses'), [
    ('0000:04:10.0', ['0000:04:10.0']),
    ('04:10.0', ['0000:04:10.0']),            # lspci's short form: domain 0000
    ('0000:3B:00.0', ['0000:3b:00.0']),       # any case; Nova writes lower-case
    (' 3b:00 ', SLOT),                        # a slot: its eight functions
    ('0000:3b:00', SLOT),
    ('10000:00:01.0', ['10000:00:01.0']),     # a VMD domain has five digits
])
def test_addresses_as_operators_have_them(text, addresses):
    assert parse_address(text) == addresses


@pytest.mark.parametrize('text', ['zz', '', '3b', '0000:3b', '04:10.8', '04:20.0',
                                  '0000:04:10.0.1', '4:10.0', '000:04:10.0', 'compute1'])
def test_garbage_is_no_address(text):
    with pytest.raises(ValueError, match='expected a PCI address'):
        parse_address(text)


def test_host_address_names():
    assert split_host_address('compute1_0000:04:00.0') == ('compute1', '0000:04:00.0')
    assert split_host_address('my_host_04:00.0') == ('my_host', '0000:04:00.0')
    assert split_host_address('compute1_0000:04:00') is None  # a slot is no one device
    assert split_host_address('_0000:04:00.0') is None
    assert split_host_address('42') is None


def test_closest_names_put_another_case_first():
    names = [f'sriov-{i:02d}' for i in range(12)] + ['gpu-01']
    assert closest_names('SRIOV-01', names) == ['sriov-01', 'sriov-00', 'sriov-02']
    assert closest_names('sriov-0', names) == ['sriov-00', 'sriov-01', 'sriov-02']
    assert closest_names('controller', names) == []


@pytest.fixture
def hypervisors(requests_mock):
    return requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})


def test_os_pci_show_by_host_address_asks_one_filtered_listing(client, requests_mock,
                                                                hypervisors):
    listing = requests_mock.get(f'{URL}/os-pci/detail',
                                json={'pci_devices': [samples.BLUEPRINT_DEVICE]})
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}',
                      json={'server': {'id': samples.SERVER_UUID, 'name': 'vm1'}})
    for found in (client.pci_devices.get('compute1_0000:04:10.0'),
                  client.pci_devices.get('04:10.0', host='compute1'),
                  client.pci_devices.get('compute1_04:10.0')):
        assert (found.id, found.host) == (1, 'compute1')
        assert found.to_dict()['servers'] == [{'id': samples.SERVER_UUID, 'name': 'vm1',
                                               'amount': 1}]
    assert listing.call_count == 3 and hypervisors.call_count == 1  # hostnames are kept
    assert listing.last_request.qs == {'host': ['compute1'], 'address': ['0000:04:10.0']}
    # Never asked as an id (os-pci/compute1_0000:04:10.0), never the whole listing.
    assert all(r.path.endswith(('/os-pci/detail', '/os-hypervisors', samples.SERVER_UUID))
               for r in requests_mock.request_history)


def test_os_pci_show_on_a_host_without_that_device(client, requests_mock, hypervisors):
    # A cloud that ignores the filters: the client still answers for host and address.
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [samples.MERGED_DEVICE]})
    with pytest.raises(exc.NotFound) as info:
        client.pci_devices.get('compute1_0000:04:10.1')
    assert str(info.value) == ('No PCI device compute1_0000:04:10.1: compute1 has none at '
                               '0000:04:10.1')


def test_os_pci_show_on_a_host_that_does_not_exist(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': []})
    with pytest.raises(NoSuchHost) as info:
        client.pci_devices.get('0000:04:10.0', host='compute3')
    assert info.value.candidates == ['compute1', 'compute2']
    assert str(info.value) == ("No PCI device compute3_0000:04:10.0: no hypervisor named "
                               "'compute3' (closest: compute1, compute2)")


def test_a_slot_is_not_one_device(client):
    with pytest.raises(ValueError, match='is a slot'):
        client.pci_devices.get('04:10', host='compute1')


def test_a_slot_is_asked_as_its_functions(client, requests_mock, hypervisors):
    listing = requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    assert [d.id for d in client.pci_devices.list(address='0000:3B:00')] == [3]
    assert listing.last_request.qs == {'address': SLOT}
    assert [d.id for d in client.pci_devices.list(address='04:10.0')] == [1]


def test_host_typos_are_no_empty_hosts(client, requests_mock, hypervisors):
    listing = requests_mock.get(f'{URL}/os-pci', json={'pci_devices': []})
    assert list(client.pci_devices.list(host='compute2')) == []  # a real host, no devices
    with pytest.raises(NoSuchHost, match=r"^No hypervisor named 'Compute2' \(closest: "
                                         r'compute2, compute1\)$'):
        client.pci_devices.list(host='Compute2')
    # One hypervisor listing whatever happens (kept for the client's life).
    assert hypervisors.call_count == 1 and listing.call_count == 2


def test_host_typos_of_a_cloud_that_ignores_the_filter(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE)]})
    with pytest.raises(NoSuchHost):
        client.pci_devices.list(host='compute-1')


def test_pool_host_typos(client, requests_mock):
    detail = requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR]})
    with pytest.raises(NoSuchHost, match=r"\(closest: compute1\)$"):
        client.pci_pools.list(host='compute')
    assert client.pci_pools.list(host='compute1')
    assert detail.call_count == 2


def test_placement_host_typos_name_the_closest_compute_nodes(placement):
    client = make_client(source='placement')
    with pytest.raises(NoSuchComputeNode) as info:
        client.pci_devices.list(host='compute')
    assert str(info.value) == ("No compute node named 'compute' in Placement (closest: "
                               'compute1, compute2)')
    assert isinstance(info.value, NoSuchHost) and isinstance(info.value, exc.NotFound)
    with pytest.raises(NoSuchComputeNode):
        client.pci_pools.list(host='COMPUTE-1')
    with pytest.raises(NoSuchComputeNode, match=r'\(closest: compute1, compute2\)'):
        client.pci_devices.get('0000:04:00.0', host='compute3')


def test_placement_show_by_host_and_short_address(placement):
    client = make_client(source='placement')
    assert client.pci_devices.get('04:00.0', host='compute1').id == GPU
    assert client.pci_devices.get('compute2_81:00.0').id == PF_VFS
    with pytest.raises(exc.NotFound, match="a VF is counted in its PF's provider"):
        client.pci_devices.get('0000:81:00.3', host='compute2')


def test_placement_rows_say_whose_address_they_show(placement):
    rows = {d.id: d.to_dict() for d in make_client(source='placement').pci_devices.list()}
    assert (rows[PF_VFS]['address'], rows[PF_VFS]['address_of']) == ('0000:81:00.0', 'PF')
    assert rows[GPU]['address_of'] == 'device or PF'  # one unit: Placement cannot tell
    assert (rows[ODD]['address'], rows[ODD]['address_of']) == (None, None)


def test_cli_address_garbage_is_a_usage_error(capsys, requests_mock):
    assert usage_error(capsys, 'pci-list', '--address', 'intel').startswith(
        "pci-cli pci-list: error: argument --address: expected a PCI address")
    assert 'is a slot, not one device' in usage_error(
        capsys, 'pci-show', '--host', 'compute1', '0000:04:10')
    assert 'with --host, expected a PCI address' in usage_error(
        capsys, 'pci-show', '--host', 'compute1', '42')
    assert not requests_mock.request_history  # no cloud was asked


def test_cli_host_typo_is_one_line(capsys, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': []})
    code, out, err = run(capsys, 'pci-list', '--host', 'compute', '-f', 'json')
    assert (code, out) == (1, '')
    assert err == "No hypervisor named 'compute' (closest: compute1, compute2)\n"


def test_server_list_host_typo_is_no_host_without_servers(client, requests_mock, hypervisors):
    servers = requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    assert client.servers.list(host='compute2') == []  # a real host, no servers
    with pytest.raises(NoSuchHost, match=r"^No hypervisor named 'compute3' \(closest: "):
        client.servers.list(host='compute3')
    assert servers.call_count == 2 and hypervisors.call_count == 1


def test_server_list_host_of_a_member_stays_empty(client, requests_mock):
    requests_mock.get(f'{URL}/servers/detail', json={'servers': []})
    requests_mock.get(f'{URL}/os-hypervisors', status_code=403,
                      json={'forbidden': {'code': 403, 'message': 'Policy doesn\'t allow'}})
    assert client.servers.list(host='compute2') == []


def test_hypervisor_show_typo_names_the_closest(client, requests_mock, hypervisors):
    requests_mock.get(f'{URL}/os-hypervisors/compute/search', status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'none'}})
    requests_mock.get(f'{URL}/os-hypervisors/compute', status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'none'}})
    with pytest.raises(NoSuchHost, match=r"^No hypervisor with ID or hostname 'compute' "
                                         r'\(closest: compute1, compute2\)$'):
        client.hypervisors.get('compute')
