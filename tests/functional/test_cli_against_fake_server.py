"""Every pci-cli command, through real HTTP, against pci-fake-server in both shapes."""
from __future__ import annotations

import pytest

from tests.functional.helpers import run_cli
from tests.support.cli_process import clean_env

# The standard tree (tests/support/sysfs_tree.py): ids 1..5 in address order.
ADDRESSES = ['0000:00:1f.2', '0000:04:00.0', '0000:04:10.0', '0000:04:10.2', '0000:3b:00.0']


def test_pci_list(fake_server):
    rows = run_cli('pci-list', '-f', 'json', endpoint=fake_server.url).json()
    assert [row['Address'] for row in rows] == ADDRESSES
    assert {row['Host'] for row in rows} == {'compute1'}
    assert rows[4] == {'ID': 5, 'Address': '0000:3b:00.0', 'Host': 'compute1',
                       'Vendor ID': '10de', 'Product ID': '1eb8', 'Status': 'available',
                       'Source': 'os-pci'}


def test_pci_list_long(fake_server):
    rows = run_cli('pci-list', '--long', '-f', 'json', endpoint=fake_server.url).json()
    by_address = {row['Address']: row for row in rows}
    vf = by_address['0000:04:10.0']
    assert vf['Type'] == 'type-VF'
    assert vf['Dev ID'] == 'pci_0000_04_10_0'
    assert vf['Label'] == 'label_8086_10ed'
    assert vf['Extra Info']['phys_function'] == '0000:04:00.0'
    assert vf['Instance UUID'] is None
    assert by_address['0000:04:00.0']['Type'] == 'type-PF'
    assert by_address['0000:3b:00.0']['Type'] == 'type-PCI'
    if fake_server.shapes == 'blueprint':
        assert by_address['0000:3b:00.0']['NUMA Node'] == 1
        assert by_address['0000:00:1f.2']['NUMA Node'] is None


@pytest.mark.parametrize('args, expected', [
    (['--type', 'vf'], ['0000:04:10.0', '0000:04:10.2']),
    (['--type', 'type-PF'], ['0000:04:00.0']),
    (['--vendor-id', '0x10DE'], ['0000:3b:00.0']),
    (['--vendor-id', '8086', '--product-id', '10ed'], ['0000:04:10.0', '0000:04:10.2']),
    (['--host', 'compute1', '--status', 'available'], ADDRESSES),
    (['--status', 'allocated'], []),
])
def test_pci_list_filters(fake_server, args, expected):
    rows = run_cli('pci-list', *args, '-f', 'json', endpoint=fake_server.url).json()
    assert [row['Address'] for row in rows] == expected


def test_pci_list_of_a_host_that_does_not_exist(fake_server):
    # A typo is no empty host (issue 15): one line with the closest names, exit 1.
    result = run_cli('pci-list', '--host', 'compute9', '-f', 'json', endpoint=fake_server.url)
    assert (result.code, result.out) == (1, '')
    assert result.err == "No hypervisor named 'compute9' (closest: compute1)\n"


def test_pci_show(fake_server):
    doc = run_cli('pci-show', '3', '-f', 'json', endpoint=fake_server.url).json()
    assert doc['address'] == '0000:04:10.0'
    assert doc['host'] == 'compute1'
    assert doc['instance_uuid'] is None
    assert doc['dev_type'] == 'type-VF'
    assert 'server_uuid' not in doc
    assert list(doc) == sorted(doc)


def test_pci_show_unknown(fake_server):
    result = run_cli('pci-show', '999', endpoint=fake_server.url)
    assert result.code == 1, result
    assert result.out == ''
    assert result.err.startswith('No PCI device with ID 999'), result
    assert len(result.err.strip().splitlines()) == 1


def test_hypervisor_list(fake_server):
    rows = run_cli('hypervisor-list', '-f', 'json', endpoint=fake_server.url).json()
    assert rows == [{'ID': 1, 'Hostname': 'compute1', 'State': 'up', 'Status': 'enabled'}]


@pytest.mark.parametrize('ident', ['compute1', '1'])
def test_hypervisor_show_pools(fake_server, ident):
    doc = run_cli('hypervisor-show', ident, '-f', 'json', endpoint=fake_server.url).json()
    assert doc['hypervisor_hostname'] == 'compute1'
    pools = {(p['vendor_id'], p['product_id'], p['dev_type']): p for p in doc['pci_stats']}
    vf_pool = pools[('8086', '10ed', 'type-VF')]
    assert vf_pool['count'] == 2
    assert vf_pool['numa_node'] == 0
    assert vf_pool['tags']['address'] == '0000:04:00.0'  # Nova tags VF pools with their PF
    assert pools[('10de', '1eb8', 'type-PCI')]['count'] == 1
    assert sum(p['count'] for p in doc['pci_stats']) == 5
    assert 'os-pci:pci_stats' not in doc


def test_hypervisor_show_unknown(fake_server):
    result = run_cli('hypervisor-show', 'nowhere', endpoint=fake_server.url)
    assert result.code == 1
    assert "No hypervisor with ID or hostname 'nowhere'" in result.err


def test_server_list_empty(fake_server):
    assert run_cli('server-list', '-f', 'json', endpoint=fake_server.url).json() == []


def test_server_show_unknown(fake_server):
    result = run_cli('server-show', 'ghost', endpoint=fake_server.url)
    assert result.code == 1
    assert "No server with a name or ID of 'ghost'" in result.err


@pytest.mark.parametrize('fmt, needle', [
    ('table', '| 0000:3b:00.0 |'), ('csv', '"0000:3b:00.0"'), ('value', '0000:3b:00.0'),
    ('yaml', "Address: 0000:3b:00.0"),
])
def test_list_formats(fake_server, fmt, needle):
    result = run_cli('pci-list', '--long', '-f', fmt, endpoint=fake_server.url)
    assert result.code == 0 and result.err == '', result
    assert needle in result.out


def test_show_shell_format_and_columns(fake_server):
    result = run_cli('pci-show', '5', '-f', 'shell', '-c', 'address', '-c', 'host',
                     endpoint=fake_server.url)
    assert result.code == 0
    assert result.out.splitlines() == ['address="0000:3b:00.0"', 'host="compute1"']


def test_tenant_endpoints(fake_server):
    base = fake_server.url.rsplit('/v2.1', 1)[0]
    for endpoint in (f'{base}/v2/demo-tenant', f'{base}/v2.1/demo-project'):
        rows = run_cli('pci-list', '-f', 'json', endpoint=endpoint).json()
        assert len(rows) == 5


def test_clouds_yaml(fake_server, tmp_path):
    config = tmp_path / 'clouds.yaml'
    config.write_text('clouds:\n  fake:\n    auth_type: none\n    auth:\n'
                      f'      endpoint: {fake_server.url}\n')
    env = clean_env(OS_CLIENT_CONFIG_FILE=str(config))
    rows = run_cli('--os-cloud', 'fake', 'pci-list', '-f', 'json', env=env).json()
    assert len(rows) == 5
    env['OS_CLOUD'] = 'fake'
    assert run_cli('hypervisor-list', '-f', 'json', env=env).json()[0]['Hostname'] == 'compute1'


def test_unknown_cloud_in_clouds_yaml(tmp_path):
    config = tmp_path / 'clouds.yaml'
    config.write_text('clouds: {}\n')
    result = run_cli('--os-cloud', 'nope', 'pci-list',
                     env=clean_env(OS_CLIENT_CONFIG_FILE=str(config)))
    assert result.code == 1
    assert result.err == f'--os-cloud nope: {config} defines no clouds.\n'
