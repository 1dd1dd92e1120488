"""The real ``openstack`` executable with our plugin, against pci-fake-server."""
from __future__ import annotations

import pytest

from tests.functional.helpers import CliResult, run_tool


def openstack(*args: str, endpoint: str | None = None) -> CliResult:
    return run_tool('openstack', *args, endpoint=endpoint)


@pytest.fixture(scope='module')
def endpoint(fake_server):
    return fake_server.url


def test_device_list_same_schema_as_pci_cli(endpoint):
    rows = openstack('pci', 'device', 'list', '-f', 'json', endpoint=endpoint).json()
    assert len(rows) == 5
    assert list(rows[0]) == ['ID', 'Address', 'Host', 'Vendor ID', 'Product ID', 'Status',
                             'Source']


@pytest.mark.parametrize('args, expected', [
    (['--type', 'vf'], ['0000:04:10.0', '0000:04:10.2']),
    (['--vendor-id', '10de'], ['0000:3b:00.0']),
    (['--host', 'compute1', '--status', 'available', '--limit', '1'], ['0000:00:1f.2']),
])
def test_device_list_filters(endpoint, args, expected):
    rows = openstack('pci', 'device', 'list', *args, '-f', 'json', endpoint=endpoint).json()
    assert [row['Address'] for row in rows] == expected


def test_device_list_long(endpoint):
    rows = openstack('pci', 'device', 'list', '--long', '-f', 'json', endpoint=endpoint).json()
    assert rows[2]['Extra Info']['phys_function'] == '0000:04:00.0'


def test_device_show(endpoint):
    doc = openstack('pci', 'device', 'show', '5', '-f', 'json', endpoint=endpoint).json()
    assert doc['address'] == '0000:3b:00.0' and doc['host'] == 'compute1'


def test_device_show_unknown(endpoint):
    result = openstack('pci', 'device', 'show', '999', endpoint=endpoint)
    assert result.code == 1
    assert 'No PCI device with ID 999' in result.err
    assert 'Traceback' not in result.err


def test_pool_list_and_hypervisor_show(endpoint):
    pools = openstack('pci', 'pool', 'list', '-f', 'json', endpoint=endpoint).json()
    assert sum(row['Count'] for row in pools) == 5
    doc = openstack('pci', 'hypervisor', 'show', 'compute1', '-f', 'json', endpoint=endpoint).json()
    assert sum(pool['count'] for pool in doc['pci_stats']) == 5


def test_server_show_unknown(endpoint):
    result = openstack('pci', 'server', 'show', 'ghost', endpoint=endpoint)
    assert result.code == 1
    assert "No server with a name or ID of 'ghost'" in result.err


def test_help_lists_the_commands():
    result = openstack('--help')
    assert result.code == 0
    assert 'pci device list' in result.out


def test_command_list_group():
    result = openstack('command', 'list', '--group', 'pci', '-f', 'json')
    commands = {name for group in result.json() for name in group['Commands']}
    assert {'pci device list', 'pci device show', 'pci pool list', 'pci hypervisor show',
            'pci server show', 'pci capacity list'} <= commands


def test_capacity_has_the_same_options_in_openstack():
    result = openstack('pci', 'capacity', 'list', '--help')
    assert result.code == 0, result
    for option in ('--flavor', '--summary', '--explain', '--verify', '--min-fits',
                   '--pci-alias', '--pci-in-placement', '--availability-zone'):
        assert option in result.out
