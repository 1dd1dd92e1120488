"""pci-cli over the mocked Placement: statuses, filters Placement cannot answer, holders."""
from __future__ import annotations

import json

import pytest

from pciclient import shell
from tests.unit.placement_cloud import GPU, NOVA, ODD, PF_VFS, PLACEMENT, SERVER

PLACEMENT_ARGS = ['--os-auth-type', 'none', '--os-endpoint', NOVA, '--pci-source', 'placement',
                  '--os-placement-endpoint-override', PLACEMENT]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = shell.main([*PLACEMENT_ARGS, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def ids(out: str) -> list[str]:
    return [row['ID'] for row in json.loads(out)]


@pytest.mark.parametrize('argv, expected', [
    (['--status', 'available'], [ODD]),
    (['--status', 'partial'], [PF_VFS]),
    (['--status', 'available,partial'], [ODD, PF_VFS]),
    (['--status', 'available', '--status', 'allocated'], [GPU, ODD]),
])
def test_status_takes_several_and_matches_exactly(placement, capsys, argv, expected):
    code, out, err = run(capsys, 'pci-list', '-f', 'json', *argv)
    assert (code, err) == (0, '')
    assert ids(out) == expected


def test_an_unknown_status_is_a_usage_error(placement, capsys):
    code, out, err = run(capsys, 'pci-list', '--status', 'available,free')
    assert (code, out) == (2, '')
    assert "invalid choice: 'available,free'" in err and err.count('\n') == 1


def test_rows_placement_cannot_judge_are_counted_on_stderr(placement, capsys):
    code, out, err = run(capsys, 'pci-list', '-f', 'json', '--vendor-id', '10de')
    assert code == 0 and ids(out) == [GPU]
    assert err == ('1 PCI device provider left out: a custom resource class does not name '
                   'the vendor and product ids, so whether it matches the filters is '
                   'unknown.\n')
    code, out, err = run(capsys, 'pci-list', '-f', 'json', '--type', 'pf')
    assert code == 0 and ids(out) == []  # the provider of 4 VFs is known not to be a PF
    assert err.startswith('2 PCI device providers left out: Placement cannot tell a '
                          'type-PCI, a type-PF and a PF\'s single VF apart')


def test_holders_by_name_in_every_format(placement, capsys):
    code, out, _ = run(capsys, 'pci-list', '--long', '-f', 'json', '--host', 'compute1')
    assert code == 0
    [gpu] = json.loads(out)
    assert gpu['Servers'] == [{'id': SERVER, 'name': 'vm', 'amount': 1}]
    code, out, _ = run(capsys, 'pci-list', '--long', '-c', 'ID', '-c', 'Servers',
                       '--host', 'compute1')
    assert f'| {GPU} | vm ({SERVER}) |' in out


def test_server_show_long_table_names_class_amount_and_host(placement, capsys):
    code, out, err = run(capsys, 'server-show', SERVER, '--long', '-c', 'pci_devices')
    assert (code, err) == (0, '')
    assert f'{GPU}: 0000:04:00.0 10de:1eb8 (NVIDIA Corporation TU104GL [Tesla T4]) x1 on ' \
        'compute1' in out


def test_server_show_long_table_says_a_custom_class(placement, capsys):
    placement.get(f'{PLACEMENT}/allocations/{SERVER}', json={'allocations': {
        ODD: {'resources': {'CUSTOM_GPU_GOLD': 1}}}})
    code, out, _ = run(capsys, 'server-show', SERVER, '--long', '-c', 'pci_devices')
    assert code == 0
    assert f'{ODD}: ? CUSTOM_GPU_GOLD x1 on compute2' in out


def test_hypervisor_show_reads_its_pools_from_its_tree(placement, capsys):
    placement.get(f'{NOVA}/os-hypervisors/1', json={'hypervisor': {
        'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up', 'status': 'enabled'}})
    code, out, err = run(capsys, 'hypervisor-show', '1', '-f', 'json')
    assert (code, err) == (0, '')
    shown = json.loads(out)
    assert shown['pci_source'] == 'placement'
    assert [(p['vendor_id'], p['product_id'], p['count']) for p in shown['pci_stats']] == [
        ('10de', '1eb8', 0)]
    asked = [r for r in placement.request_history if r.path.startswith('/placement')]
    assert not [r for r in asked if PF_VFS in r.path or ODD in r.path]  # compute2's tree


def test_pools_placement_cannot_judge_are_counted_on_stderr(placement, capsys):
    code, out, err = run(capsys, 'pci-pool-list', '-f', 'json', '--vendor-id', '10de')
    assert code == 0
    assert [(p['Vendor ID'], p['Host']) for p in json.loads(out)] == [('10de', 'compute1')]
    assert err == ('1 PCI pool left out: a custom resource class does not name the vendor '
                   'and product ids, so whether it matches the filters is unknown.\n')


def test_server_show_long_says_a_vf_shows_its_pfs_address(placement, capsys):
    placement.get(f'{PLACEMENT}/allocations/{SERVER}', json={'allocations': {
        PF_VFS: {'resources': {'CUSTOM_PCI_8086_1515': 2}}}})
    code, out, _ = run(capsys, 'server-show', SERVER, '--long', '-c', 'pci_devices')
    assert code == 0
    assert f'{PF_VFS}: 0000:81:00.0 (PF) ' in out and 'x2 on compute2' in out
    code, out, _ = run(capsys, 'server-show', SERVER, '--long', '-f', 'json')
    [device] = json.loads(out)['pci_devices']
    assert (device['address'], device['address_of'], device['amount']) == (
        '0000:81:00.0', 'PF', 2)
