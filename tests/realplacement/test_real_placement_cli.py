"""The installed ``pci-cli`` reads a real Placement 16 as Nova 34 fills it.

Every command runs as a subprocess (``pci-cli`` next to ``sys.executable``) with
``--pci-source placement`` against the real Placement (token ``admin``, noauth2) and a
``pci-fake-server --noauth`` as compute endpoint, and its JSON is compared with what
:mod:`tests.realplacement.populate` created.
"""
from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from typing import Any

import pytest

from tests.realplacement.populate import HOSTS, ExpectedDevice
from tests.realservices.scripts import pci_cli_path

LIST_KEYS = {'ID', 'Address', 'Host', 'Vendor ID', 'Product ID', 'Status', 'Source'}
LONG_KEYS = LIST_KEYS | {'Type', 'Resource Class', 'Total', 'Reserved', 'Used', 'Free',
                         'Traits', 'Servers'}


def run_cli(real_placement, *argv: str, compute: str = 'http://127.0.0.1:9/v2.1',
            token: str | None = None, source: str = 'placement') -> subprocess.CompletedProcess:
    """``pci-cli`` with admin_token auth; the compute endpoint defaults to a closed port
    (the Placement-only commands must not need it)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OS_') and k not in ('PCI_SOURCE', 'PCI_CLI_SYSFS_ROOT')}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    command = [pci_cli_path(), '--os-auth-type', 'admin_token',
               '--os-token', token or real_placement.token, '--os-endpoint', compute,
               '--os-placement-endpoint-override', real_placement.url,
               '--pci-source', source, *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def cli_json(real_placement, *argv: str, **kwargs: Any) -> Any:
    done = run_cli(real_placement, *argv, '-f', 'json', **kwargs)
    assert done.returncode == 0, f'pci-cli {" ".join(argv)}: {done.stderr}'
    return json.loads(done.stdout)


def expected_status(device: ExpectedDevice) -> str:
    """A Placement row's status: from its used and free units only."""
    if device.used:
        return 'partial' if device.free else 'allocated'
    return 'available' if device.free else 'unavailable'


def check_row(row: dict, device: ExpectedDevice) -> None:
    where = f'{device.host} {device.address}: {row}'
    assert row['ID'] == device.provider_uuid, where
    assert row['Host'] == device.host, where
    assert row['Address'] == device.address, where   # lower-case, as Nova writes it
    assert row['Vendor ID'] == device.vendor_id, where  # None for a custom class
    assert row['Product ID'] == device.product_id, where
    assert row['Source'] == 'placement', where
    assert row['Status'] == expected_status(device), where


def test_pci_list(real_placement):
    population = real_placement.population
    rows = cli_json(real_placement, 'pci-list')
    assert all(LIST_KEYS <= set(row) for row in rows), rows
    by_id = {row['ID']: row for row in rows}
    assert len(by_id) == len(rows)
    assert set(by_id) == population.pci_provider_uuids
    for device in population.devices:
        check_row(by_id[device.provider_uuid], device)
    # sorted by host, then address
    assert [(r['Host'], r['Address']) for r in rows] == sorted(
        (d.host, d.address) for d in population.devices)


def test_pci_list_long(real_placement):
    population = real_placement.population
    rows = cli_json(real_placement, 'pci-list', '--long')
    assert all(LONG_KEYS <= set(row) for row in rows), rows  # more may follow
    by_id = {row['ID']: row for row in rows}
    assert set(by_id) == population.pci_provider_uuids
    for device in population.devices:
        row = by_id[device.provider_uuid]
        where = f'{device.host} {device.address}: {row}'
        check_row(row, device)
        assert row['Resource Class'] == device.resource_class, where
        assert (row['Total'], row['Reserved'], row['Used'], row['Free']) == (
            device.total, device.reserved, device.used, device.free), where
        assert sorted(row['Traits']) == device.traits, where
        assert sorted(s['id'] for s in row['Servers']) == device.servers, where
        # Placement cannot tell a type-PCI from a type-PF; a provider of VFs is VFs.
        if device.vfs:
            assert row['Type'] == 'type-VF', where
        else:
            assert row['Type'] in (None, device.nova_dev_type), where


def test_held_and_reserved_devices(real_placement):
    population = real_placement.population
    by_id = {row['ID']: row for row in cli_json(real_placement, 'pci-list', '--long')}
    gpu = by_id[population.device('compute1', 'gpu').provider_uuid]
    assert (gpu['Status'], gpu['Used'], gpu['Free']) == ('allocated', 1, 0)
    assert [s['id'] for s in gpu['Servers']] == [population.consumer('vm-gpu').uuid]
    vfs = by_id[population.device('compute2', 'sriov').provider_uuid]
    assert (vfs['Status'], vfs['Total'], vfs['Used'], vfs['Free']) == ('partial', 4, 2, 2)
    assert [s['id'] for s in vfs['Servers']] == [population.consumer('vm-vfs').uuid]
    reserved = by_id[population.reserved_device.provider_uuid]
    assert (reserved['Status'], reserved['Reserved'], reserved['Free']) == (
        'unavailable', 1, 0)
    gold = [row for row in by_id.values() if row['Resource Class'] == 'CUSTOM_GPU_GOLD']
    assert len(gold) == 2
    assert all('CUSTOM_GOLD' in row['Traits'] and row['Vendor ID'] is None for row in gold)


@pytest.mark.parametrize('argv, wanted', [
    (('--host', 'compute2'), lambda d: d.host == 'compute2'),
    (('--vendor-id', '8086'), lambda d: d.vendor_id == '8086'),
    (('--vendor-id', '0x8086', '--product-id', '1515'),
     lambda d: (d.vendor_id, d.product_id) == ('8086', '1515')),
    (('--host', 'compute1', '--product-id', '1EB8'),
     lambda d: d.host == 'compute1' and d.product_id == '1eb8'),
], ids=['host', 'vendor', 'vendor-product', 'host-product'])
def test_pci_list_filters(real_placement, argv, wanted):
    rows = cli_json(real_placement, 'pci-list', *argv)
    assert {row['ID'] for row in rows} == {
        d.provider_uuid for d in real_placement.population.devices if wanted(d)}


def check_show(shown: dict, device: ExpectedDevice) -> None:
    where = f'{device.host} {device.address}: {shown}'
    assert shown['id'] == device.provider_uuid, where
    assert shown['host'] == device.host, where
    assert shown['address'] == device.address, where
    assert shown['vendor_id'] == device.vendor_id, where
    assert shown['product_id'] == device.product_id, where
    assert shown['resource_class'] == device.resource_class, where
    assert (shown['total'], shown['reserved'], shown['used'], shown['free']) == (
        device.total, device.reserved, device.used, device.free), where
    assert sorted(shown['traits']) == device.traits, where
    assert shown['source'] == 'placement', where
    assert shown['status'] == expected_status(device), where
    if 'servers' in shown:
        assert sorted(s['id'] for s in shown['servers']) == device.servers, where


def test_pci_show_by_provider_uuid(real_placement):
    for device in real_placement.population.devices:
        check_show(cli_json(real_placement, 'pci-show', device.provider_uuid), device)


@pytest.mark.parametrize('spelling', ['lower', 'provider-name'])
def test_pci_show_by_host_and_address(real_placement, spelling):
    for device in real_placement.population.devices:
        key = device.host_address if spelling == 'lower' else device.provider_name
        check_show(cli_json(real_placement, 'pci-show', key), device)


@pytest.mark.parametrize('key', ['compute3_0000:3b:00.0', 'compute1_0000:3b:00.1',
                                 '00000000-0000-0000-0000-000000000000'])
def test_pci_show_unknown_is_one_line(real_placement, key):
    done = run_cli(real_placement, 'pci-show', key, '-f', 'json')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert key in lines[0]


def test_pci_pool_list(real_placement):
    population = real_placement.population
    rows = cli_json(real_placement, 'pci-pool-list')
    assert all(row.get('Source') == 'placement' for row in rows), rows
    counted: dict[tuple, int] = defaultdict(int)
    for row in rows:
        resource_class = (row.get('Tags') or {}).get('resource_class')
        counted[(row['Host'], row['Vendor ID'], row['Product ID'], resource_class)] += \
            row['Count']
    expected: dict[tuple, int] = defaultdict(int)
    for device in population.devices:
        expected[(device.host, device.vendor_id, device.product_id,
                  device.resource_class)] += device.free
    assert dict(counted) == dict(expected)
    gold = [row for row in rows if (row.get('Tags') or {}).get('resource_class')
            == 'CUSTOM_GPU_GOLD']
    assert {row['Host'] for row in gold} == set(HOSTS)
    assert all('CUSTOM_GOLD' in (row['Tags'].get('traits') or []) for row in gold)


def test_pci_pool_list_host_filter(real_placement):
    rows = cli_json(real_placement, 'pci-pool-list', '--host', 'compute2')
    assert {row['Host'] for row in rows} == {'compute2'}
    assert sum(row['Count'] for row in rows) == sum(
        d.free for d in real_placement.population.devices if d.host == 'compute2')


@pytest.mark.parametrize('name', ['vm-gpu', 'vm-vfs'])
def test_server_show_long(real_placement, fake_compute, name):
    population = real_placement.population
    consumer = population.consumer(name)
    for key in (consumer.uuid, consumer.name):
        shown = cli_json(real_placement, 'server-show', key, '--long',
                         compute=fake_compute.url)
        assert shown['id'] == consumer.uuid
        assert shown.get('pci_source') == 'placement', (
            f'no-os-pci={fake_compute.no_os_pci}: {shown}')
        (held,) = shown['pci_devices']
        (pci,) = consumer.pci
        device = population.by_uuid()[pci['provider_uuid']]
        assert held['id'] == device.provider_uuid
        assert (held['host'], held['address']) == (device.host, device.address)
        assert (held['vendor_id'], held['product_id']) == (device.vendor_id, device.product_id)
        assert held['resource_class'] == pci['resource_class']
        assert held['amount'] == pci['amount']


def test_server_list_annotates_from_placement(real_placement, fake_compute):
    population = real_placement.population
    rows = cli_json(real_placement, 'server-list', '--all-projects', compute=fake_compute.url)
    held = {row['ID']: row['PCI Devices'] for row in rows}
    for consumer in population.consumers.values():
        assert held[consumer.uuid] == [p['provider_uuid'] for p in consumer.pci], (
            f'no-os-pci={fake_compute.no_os_pci}: {rows}')


def test_wrong_token_is_one_line(real_placement):
    """noauth2 gives a non-admin token a 403 from policy; pci-cli says so on one line."""
    done = run_cli(real_placement, 'pci-list', '-f', 'json', token='alice:demo')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert 'placement:resource_providers:list' in lines[0] or '403' in lines[0], lines[0]
