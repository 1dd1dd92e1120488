"""pci-cli over a mocked Neutron: sriov-port-list, SR-IOV VFs in pci-list, server-show --long."""
from __future__ import annotations

import json

import pytest

from pciclient import shell
from pciclient.commands import common
from pciclient.commands.port import ListSriovPort
from tests.unit.neutron_cloud import (
    ALL_PORTS,
    NEUTRON,
    P1,
    P2,
    P4,
    PORTS,
    VM1,
    VM2,
    mock_compute,
    neutron,  # noqa: F401 - fixture
    port_requests,
    ports_answer,
)
from tests.unit.placement_cloud import GPU, NOVA, ODD, PF_VFS, PLACEMENT
from tests.unit.placement_cloud import placement as placement_fixture  # noqa: F401

NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', NOVA,
          '--os-network-endpoint-override', NEUTRON]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys, *argv: str) -> list[dict]:
    code, out, err = run(capsys, *argv, '-f', 'json')
    assert (code, err) == (0, ''), err
    return json.loads(out)


def test_port_list_shows_each_port_with_its_vf_holder_and_hypervisor(neutron, capsys):  # noqa: F811
    rows = listed(capsys, 'sriov-port-list')
    assert list(rows[0]) == ['Port ID', 'Server', 'Host', 'PCI Slot', 'Physical Network',
                             'VNIC Type', 'Vendor ID', 'Product ID', 'Status']
    assert rows[0] == {'Port ID': P1, 'Server': [{'id': VM1, 'name': 'vm1', 'amount': 1}],
                       'Host': 'compute1', 'PCI Slot': '0000:81:10.2',
                       'Physical Network': 'physnet1', 'VNIC Type': 'direct',
                       'Vendor ID': '8086', 'Product ID': '154c', 'Status': 'ACTIVE'}
    assert [r['Port ID'] for r in rows] == [P1, P2, P4]
    assert rows[2]['Server'] == [] and rows[2]['PCI Slot'] is None
    # Budget: one page of ports, one hypervisor listing, one GET per holder.
    assert len(port_requests(neutron)) == 1 and len(neutron.request_history) == 4


@pytest.mark.parametrize('argv, expected', [
    (['--vnic-type', 'direct-physical'], [P2]),
    (['--vnic-type', 'direct', '--vnic-type', 'macvtap'], [P1, P4]),
    (['--physical-network', 'physnet1'], [P1]),
    (['--server', VM2], [P2]),
    (['--host', 'compute1'], [P1]),
    (['--host', 'c2'], [P2]),
])
def test_port_list_filters(neutron, capsys, argv, expected):  # noqa: F811
    assert [r['Port ID'] for r in listed(capsys, 'sriov-port-list', *argv)] == expected
    [request] = port_requests(neutron)
    assert 'binding:vnic_type' not in request.qs   # never sent: filtered here


def test_a_vnic_type_that_holds_no_device_is_a_usage_error(neutron, capsys):  # noqa: F811
    code, out, err = run(capsys, 'sriov-port-list', '--vnic-type', 'normal')
    assert (code, out) == (2, '') and err.count('\n') == 1 and not port_requests(neutron)


def test_a_member_is_told_once_that_holders_need_an_admin(neutron, capsys):  # noqa: F811
    neutron.get(PORTS, json=ports_answer(ALL_PORTS, admin=False))
    neutron.get(f'{NOVA}/os-hypervisors/detail', status_code=403,
                json={'forbidden': {'code': 403, 'message': 'Policy does not allow it.'}})
    code, out, err = run(capsys, 'sriov-port-list', '-f', 'json')
    assert code == 0 and err.count('\n') == 1 and 'admin role' in err
    rows = json.loads(out)
    assert [(r['Port ID'], r['Host'], r['VNIC Type']) for r in rows] == [
        (P1, None, 'direct'), (P2, None, 'direct-physical'), (P4, None, 'macvtap')]


def test_every_column_the_port_list_announces_is_the_one_it_shows(neutron, capsys):  # noqa: F811
    for label in common._labels(ListSriovPort.views):
        code, out, err = run(capsys, 'sriov-port-list', '-c', label, '-f', 'csv')
        assert (code, err) == (0, '') and out.splitlines()[0] == f'"{label}"'


def test_placement_cloud_lists_the_vfs_of_ports_as_neutron_rows(
        placement_fixture, capsys):  # noqa: F811
    mock_compute(placement_fixture)
    placement_fixture.get(PORTS, json=ports_answer(ALL_PORTS))
    rows = listed(capsys, '--pci-source', 'placement,neutron',
                  '--os-placement-endpoint-override', PLACEMENT, 'pci-list', '--long')
    assert [(r['ID'], r['Source']) for r in rows] == [
        (GPU, 'placement'), (ODD, 'placement'), (PF_VFS, 'placement'),
        (P1, 'neutron'), (P2, 'neutron')]
    vf = rows[3]
    assert (vf['Address'], vf['Address Of'], vf['Host'], vf['Status'], vf['Physical Network'],
            vf['Servers']) == ('0000:81:10.2', 'device', 'compute1', 'allocated', 'physnet1',
                               [{'id': VM1, 'name': 'vm1', 'amount': 1}])
    # A filter applies to them too, and a host's question asks Neutron of that host only.
    rows = listed(capsys, '--pci-source', 'placement,neutron',
                  '--os-placement-endpoint-override', PLACEMENT, 'pci-list',
                  '--host', 'compute2', '--status', 'allocated')
    assert [r['ID'] for r in rows] == [P2]
    assert port_requests(placement_fixture)[-1].qs['binding:host_id'] == ['c2']


OS_PCI_VF = {'id': 7, 'address': '0000:81:10.2', 'compute_node_id': 1, 'vendor_id': '8086',
             'product_id': '154c', 'dev_type': 'type-VF', 'status': 'allocated',
             'instance_uuid': VM1, 'dev_id': 'pci_0000_81_10_2', 'label': None,
             'numa_node': 0, 'extra_info': {}}
OS_PCI_FREE = {**OS_PCI_VF, 'id': 8, 'address': '0000:81:10.3', 'status': 'available',
               'instance_uuid': None, 'dev_id': 'pci_0000_81_10_3'}


def test_os_pci_cloud_keeps_its_row_and_adds_the_port_never_twice(neutron, capsys):  # noqa: F811
    neutron.get(f'{NOVA}/os-pci/detail', json={'pci_devices': [OS_PCI_VF, OS_PCI_FREE]})
    rows = listed(capsys, '--pci-source', 'auto,neutron', 'pci-list', '--long')
    assert [(r['ID'], r['Source']) for r in rows] == [(7, 'os-pci'), (8, 'os-pci')]
    assert (rows[0]['Port ID'], rows[0]['Physical Network'], rows[0]['VNIC Type']) == (
        P1, 'physnet1', 'direct')
    assert rows[1]['Port ID'] is None


def test_a_brief_os_pci_listing_asks_neutron_nothing(neutron, capsys):  # noqa: F811
    # os-pci lists the VFs of ports already; only --long shows the ports' own fields.
    neutron.get(f'{NOVA}/os-pci', json={'pci_devices': [OS_PCI_VF, OS_PCI_FREE]})
    rows = listed(capsys, '--pci-source', 'auto,neutron', 'pci-list')
    assert [(r['ID'], r['Source']) for r in rows] == [(7, 'os-pci'), (8, 'os-pci')]
    assert port_requests(neutron) == []


def test_without_admin_pci_list_warns_and_shows_no_port_rows(neutron, capsys):  # noqa: F811
    neutron.get(PORTS, json=ports_answer(ALL_PORTS, admin=False))
    code, out, err = run(capsys, '--pci-source', 'neutron', 'pci-list', '-f', 'json')
    assert code == 0 and json.loads(out) == [] and 'admin role' in err and err.count('\n') == 1


def test_a_source_typo_is_a_usage_error_before_any_request(neutron, capsys):  # noqa: F811
    code, out, err = run(capsys, '--pci-source', 'os-pci,neutorn', 'pci-list')
    assert (code, out) == (2, '') and 'neutorn' in err and err.count('\n') == 1
    assert not neutron.request_history


def test_server_show_long_lists_its_sriov_ports(neutron, capsys):  # noqa: F811
    neutron.get(f'{NOVA}/servers/{VM2}', json={'server': {
        'id': VM2, 'name': 'vm2', 'status': 'ACTIVE', 'os-pci:pci_devices': []}})
    code, out, err = run(capsys, 'server-show', VM2, '--long', '-f', 'json')
    assert (code, err) == (0, ''), err
    shown = json.loads(out)
    assert shown['sriov_ports'] == [{
        'port_id': P2, 'address': '0000:82:00.0', 'vendor_id': '8086', 'product_id': '1572',
        'dev_type': 'type-PF', 'host': 'compute2', 'physical_network': 'physnet2',
        'vnic_type': 'direct-physical'}]
    [request] = port_requests(neutron)
    assert request.qs['device_id'] == [VM2]


def test_neutron_alone_lists_only_the_vfs_of_ports(neutron, capsys):  # noqa: F811
    rows = listed(capsys, '--pci-source', 'neutron', 'pci-list')
    assert [(r['ID'], r['Address'], r['Host'], r['Source']) for r in rows] == [
        (P1, '0000:81:10.2', 'compute1', 'neutron'), (P2, '0000:82:00.0', 'compute2', 'neutron')]
    # No other source is asked, and a state no bound port has asks nothing of Neutron.
    assert listed(capsys, '--pci-source', 'neutron', 'pci-list', '--status', 'available') == []
    assert not [r for r in neutron.request_history if 'os-pci' in r.path]
    assert len(port_requests(neutron)) == 1


def test_pools_from_placement_say_free_physnet_vfs_are_in_no_api(
        placement_fixture, capsys):  # noqa: F811
    mock_compute(placement_fixture)
    argv = ['--os-placement-endpoint-override', PLACEMENT, 'pci-pool-list', '-f', 'json']
    code, out, err = run(capsys, '--pci-source', 'placement,neutron', *argv)
    assert code == 0 and json.loads(out)
    assert err.count('\n') == 1 and 'physical_network' in err and 'sriov-port-list' in err
    # Without Neutron nothing is missing that another API would show: no note.
    code = shell.main(['--os-auth-type', 'none', '--os-endpoint', NOVA,
                       '--pci-source', 'placement', *argv])
    assert (code, capsys.readouterr().err) == (0, '')
