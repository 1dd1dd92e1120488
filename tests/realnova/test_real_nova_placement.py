"""``pci-cli`` reads the PCI devices real Nova 34 reported to its Placement.

The harness runs Nova with ``[pci] report_in_placement`` and ``[filter_scheduler]
pci_in_placement`` and serves the Placement Nova's services write to. Every command here
runs the installed ``pci-cli`` as an operator without Keystone would::

    pci-cli --os-auth-type admin_token --os-token admin --os-endpoint <nova> \\
        --os-placement-endpoint-override <placement> …

and its answer is compared with what Nova's own database says (the devices it tracks,
the provider it recorded for each, the device the server holds), and with Placement's
raw answers. Nothing here is populated by the tests: every provider, inventory, trait
and allocation was written by Nova.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
from collections import Counter

import pytest

from tests.realnova.cloud import NOVA_PCI_TRAITS, ExpectedProvider, RealNova
from tests.realservices.scripts import pci_cli_path

LIST_KEYS = {'ID', 'Address', 'Host', 'Vendor ID', 'Product ID', 'Status', 'Source'}
LONG_KEYS = LIST_KEYS | {'Type', 'Resource Class', 'Total', 'Reserved', 'Used', 'Free',
                         'Traits', 'Servers'}
PLACEMENT_VERSION = {'OpenStack-API-Version': 'placement 1.18'}


def run_placement_cli(real_nova: RealNova, *args: str,
                      token: str | None = None) -> subprocess.CompletedProcess:
    """``pci-cli`` with admin_token auth at the real Nova and its Placement."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PCI_CLI_')) and key not in ('PCI_SOURCE', 'PCI_IDS')}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    argv = [pci_cli_path(), '--os-auth-type', 'admin_token',
            '--os-token', token or real_nova.placement_token, '--os-endpoint', real_nova.url,
            '--os-placement-endpoint-override', real_nova.placement_url, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def placement_json(real_nova: RealNova, *args: str, **kwargs):
    done = run_placement_cli(real_nova, *args, '-f', 'json', **kwargs)
    assert done.returncode == 0, f'pci-cli {" ".join(args)}: {done.stderr}'
    return json.loads(done.stdout)


_ANSWERS: dict[tuple[str, ...], object] = {}


def cached_json(real_nova: RealNova, *args: str):
    """``placement_json`` run once per session for the same arguments (the cloud does
    not change under these tests; each pci-cli run costs about half a second)."""
    key = (real_nova.url, *args)
    if key not in _ANSWERS:
        _ANSWERS[key] = placement_json(real_nova, *args)
    return copy.deepcopy(_ANSWERS[key])


def expected_status(provider: ExpectedProvider) -> str:
    """A Placement row's status: from its used and free units only."""
    if provider.used:
        return 'partial' if provider.free else 'allocated'
    return 'available' if provider.free else 'unavailable'


def check_row(row: dict, provider: ExpectedProvider) -> None:
    where = f'{provider.name}: {row}'
    assert row['ID'] == provider.uuid, where
    assert row['Host'] == provider.host, where
    assert row['Address'] == provider.address, where
    assert row['Vendor ID'] == provider.vendor_id, where
    assert row['Product ID'] == provider.product_id, where
    assert row['Status'] == expected_status(provider), where
    assert row['Source'] == 'placement', where


@pytest.fixture(scope='module')
def providers(real_nova: RealNova) -> list[ExpectedProvider]:
    return real_nova.expected_providers()


@pytest.fixture(scope='module')
def held_provider(real_nova: RealNova) -> ExpectedProvider:
    """The provider of the device the server holds (Nova's database)."""
    assert real_nova.server_holds_pci_device, real_nova.info
    [device] = real_nova.server_pci_devices
    return real_nova.provider_of(device)


# -- what Nova wrote (no pci-cli) -------------------------------------------------------

def test_nova_tracks_what_the_device_spec_selects(real_nova, providers):
    """The harness's device_spec: PF 01:00.0 whole, the 3 VFs of PF 02:00.0, PF 03:00.0
    whole with a trait, two GPUs, on both hosts."""
    for host in ('compute1', 'compute2'):
        mine = {p.address: p for p in providers if p.host == host}
        assert sorted(mine) == ['0000:01:00.0', '0000:02:00.0', '0000:03:00.0',
                                '0000:04:00.0', '0000:af:00.0'], providers
        assert [(p.resource_class, p.total, p.vfs) for p in mine.values()] == [
            ('CUSTOM_PCI_8086_1528', 1, False), ('CUSTOM_PCI_8086_1515', 3, True),
            ('CUSTOM_PCI_8086_1528', 1, False), ('CUSTOM_PCI_10DE_1EB8', 1, False),
            ('CUSTOM_PCI_10DE_1EB8', 1, False)]
        assert mine['0000:03:00.0'].traits == sorted({'CUSTOM_GOLD', *NOVA_PCI_TRAITS})
    assert all(p.uuid for p in providers), 'Nova recorded no provider for some device'


def test_placement_holds_the_providers_nova_recorded(real_nova, providers, placement_http):
    answer = placement_http.get(real_nova.placement_url + '/resource_providers',
                                params={'required': 'COMPUTE_MANAGED_PCI_DEVICE'},
                                headers=PLACEMENT_VERSION, timeout=30)
    assert answer.status_code == 200, answer.text
    found = {rp['uuid']: rp for rp in answer.json()['resource_providers']}
    assert {rp['name'] for rp in found.values()} == {p.name for p in providers}
    assert set(found) == {p.uuid for p in providers}
    roots = {h['hypervisor_hostname']: h['id'] for h in real_nova.hypervisors}
    for provider in providers:
        rp = found[provider.uuid]
        assert rp['name'] == provider.name
        # Children of the compute node's provider, whose UUID is the hypervisor's.
        assert rp['parent_provider_uuid'] == rp['root_provider_uuid'] == roots[provider.host]
    # The hex letters of 0000:af:00.0 are upper-cased in the name.
    assert 'compute1_0000:AF:00.0' in {rp['name'] for rp in found.values()}


def test_placement_is_mounted_under_a_prefix(real_nova, placement_http):
    assert real_nova.placement_url.endswith('/placement')
    versions = placement_http.get(real_nova.placement_url, timeout=30)
    assert versions.status_code == 200, versions.text
    assert versions.json()['versions'][0]['id'] == 'v1.0'
    outside = placement_http.get(real_nova.placement_url.rsplit('/placement', 1)[0]
                                 + '/resource_providers', timeout=30)
    assert outside.status_code == 404


def test_placement_allocations_match_novas_database(real_nova, held_provider, placement_http):
    answer = placement_http.get(
        f'{real_nova.placement_url}/allocations/{real_nova.server_id}', timeout=30,
        headers=PLACEMENT_VERSION)
    assert answer.status_code == 200, answer.text
    allocations = answer.json()['allocations']
    assert allocations[held_provider.uuid]['resources'] == {held_provider.resource_class: 1}
    # The rest of the server's allocation is on its compute node.
    node = {h['hypervisor_hostname']: h['id']
            for h in real_nova.hypervisors}[real_nova.server_host]
    assert set(allocations) == {held_provider.uuid, node}


# -- pci-cli: the Placement answer ------------------------------------------------------

def test_pci_list_is_the_placement_answer(real_nova, providers):
    rows = cached_json(real_nova, 'pci-list')
    assert all(LIST_KEYS <= set(row) for row in rows), rows
    assert [row['ID'] for row in rows] == [p.uuid for p in providers]  # host, address order
    for row, provider in zip(rows, providers, strict=True):
        check_row(row, provider)


def test_pci_list_long(real_nova, providers):
    rows = cached_json(real_nova, 'pci-list', '--long')
    assert all(LONG_KEYS <= set(row) for row in rows), rows
    by_id = {row['ID']: row for row in rows}
    assert set(by_id) == {p.uuid for p in providers}
    for provider in providers:
        row = by_id[provider.uuid]
        where = f'{provider.name}: {row}'
        check_row(row, provider)
        assert row['Resource Class'] == provider.resource_class, where
        assert (row['Total'], row['Reserved'], row['Used'], row['Free']) == (
            provider.total, 0, provider.used, provider.free), where
        assert sorted(row['Traits']) == provider.traits, where
        assert sorted(s['id'] for s in row['Servers']) == provider.servers, where
        # Placement cannot tell a type-PCI from a type-PF (null, never guessed); a
        # provider with several units holds VFs. (A provider holding a single VF would
        # look like a PF: null is all a reader of Placement can say.)
        if not provider.vfs:
            assert row['Type'] is None, where
        elif provider.total > 1:
            assert row['Type'] == 'type-VF', where
        else:
            assert row['Type'] in (None, 'type-VF'), where


def test_the_held_device_is_used_by_the_server(real_nova, held_provider):
    [device] = real_nova.server_pci_devices
    assert (device['host'], device['address'], device['status']) == (
        held_provider.host, held_provider.address, 'allocated')
    rows = cached_json(real_nova, 'pci-list', '--long')
    used = [row for row in rows if row['Used']]
    assert [row['ID'] for row in used] == [held_provider.uuid], rows
    [row] = used
    assert (row['Host'], row['Address'], row['Status']) == (
        real_nova.server_host, device['address'], 'allocated')
    # the holder named by the real compute API
    assert (row['Used'], row['Free'], row['Servers']) == (
        1, 0, [{'id': real_nova.server_id, 'name': real_nova.server_name, 'amount': 1}])


def check_show(real_nova: RealNova, shown: dict, provider: ExpectedProvider) -> None:
    where = f'{provider.name}: {shown}'
    assert shown['id'] == provider.uuid, where
    assert shown['name'] == provider.name, where
    assert (shown['host'], shown['address']) == (provider.host, provider.address), where
    assert (shown['vendor_id'], shown['product_id']) == (
        provider.vendor_id, provider.product_id), where
    assert shown['resource_class'] == provider.resource_class, where
    assert (shown['total'], shown['reserved'], shown['used'], shown['free']) == (
        provider.total, 0, provider.used, provider.free), where
    assert sorted(shown['traits']) == provider.traits, where
    assert sorted(s['id'] for s in shown['servers']) == provider.servers, where
    assert shown['instance_uuid'] == (provider.servers[0] if provider.used else None), where
    assert shown['status'] == expected_status(provider), where
    assert shown['source'] == 'placement', where
    compute_node = {h['hypervisor_hostname']: h['id']
                    for h in real_nova.hypervisors}[provider.host]
    assert shown['parent_provider_uuid'] == shown['root_provider_uuid'] == compute_node, where


def test_pci_show_of_the_held_device_by_host_address(real_nova, held_provider):
    shown = placement_json(real_nova, 'pci-show', held_provider.host_address)
    check_show(real_nova, shown, held_provider)
    assert (shown['status'], shown['used'], shown['instance_uuid']) == (
        'allocated', 1, real_nova.server_id)


@pytest.mark.parametrize('kind, spelling', [('vfs', 'uuid'), ('gold', 'name')])
def test_pci_show_by_uuid_and_provider_name(real_nova, providers, kind, spelling):
    """The 3 VFs of PF 02:00.0 by provider UUID, the PF with a trait by provider name."""
    wanted = {'vfs': lambda p: p.vfs, 'gold': lambda p: 'CUSTOM_GOLD' in p.traits}[kind]
    [provider] = [p for p in providers if p.host == 'compute2' and wanted(p)]
    check_show(real_nova, placement_json(real_nova, 'pci-show', getattr(provider, spelling)),
               provider)


@pytest.mark.parametrize('host, spelling', [('compute1', '0000:af:00.0'),
                                             ('compute2', '0000:AF:00.0')])
def test_pci_show_hex_letters_either_case(real_nova, providers, host, spelling):
    [provider] = [p for p in providers if (p.host, p.address) == (host, '0000:af:00.0')]
    shown = placement_json(real_nova, 'pci-show', f'{host}_{spelling}')
    check_show(real_nova, shown, provider)


def test_pci_show_unknown_is_one_line(real_nova):
    done = run_placement_cli(real_nova, 'pci-show', 'compute1_0000:09:00.0', '-f', 'json')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert 'compute1_0000:09:00.0' in lines[0]


@pytest.mark.parametrize('argv, wanted', [
    (('--host', 'compute2'), lambda p: p.host == 'compute2'),
    (('--vendor-id', '0x10DE', '--product-id', '1EB8'), lambda p: p.vendor_id == '10de'),
    (('--address', '0000:AF:00.0'), lambda p: p.address == '0000:af:00.0'),
    (('--status', 'allocated'), lambda p: p.used == p.total),
    (('--type', 'vf'), lambda p: p.vfs),
], ids=['host', 'vendor-product', 'address', 'status', 'type'])
def test_pci_list_filters(real_nova, providers, argv, wanted):
    rows = placement_json(real_nova, 'pci-list', *argv)
    assert {row['ID'] for row in rows} == {p.uuid for p in providers if wanted(p)}, rows


@pytest.mark.parametrize('key', ['name', 'id'])
def test_pci_list_by_server(real_nova, held_provider, key):
    server = real_nova.server_name if key == 'name' else real_nova.server_id
    rows = placement_json(real_nova, 'pci-list', '--server', server)
    assert [row['ID'] for row in rows] == [held_provider.uuid]


def test_pci_pool_list_free_counts(real_nova, providers):
    rows = cached_json(real_nova, 'pci-pool-list')
    assert all(row['Source'] == 'placement' for row in rows), rows
    counted: Counter = Counter()
    for row in rows:
        tags = row.get('Tags') or {}
        key = (row['Host'], row['Vendor ID'], row['Product ID'], tags.get('resource_class'),
               tuple(sorted(tags.get('traits') or ())))
        counted[key] += row['Count']
    expected: Counter = Counter()
    for provider in providers:
        extra = tuple(t for t in provider.traits if t not in NOVA_PCI_TRAITS)
        expected[(provider.host, provider.vendor_id, provider.product_id,
                  provider.resource_class, extra)] += provider.free
    assert +counted == +expected, rows
    # The server's host has one GPU less free than the other.
    gpus: Counter = Counter()
    for row in rows:
        if (row['Vendor ID'], row['Product ID']) == ('10de', '1eb8'):
            gpus[row['Host']] += row['Count']
    assert gpus == {real_nova.server_host: 1, 'compute2': 2}


def test_pci_pool_list_host(real_nova, providers):
    rows = placement_json(real_nova, 'pci-pool-list', '--host', 'compute2')
    assert {row['Host'] for row in rows} == {'compute2'}
    assert sum(row['Count'] for row in rows) == sum(
        p.free for p in providers if p.host == 'compute2')


VERSIONS = [(), ('--os-compute-api-version', '2.53'), ('--os-compute-api-version', 'latest')]


@pytest.mark.parametrize('version', VERSIONS, ids=['default', '2.53', 'latest'])
def test_server_show_long_lists_the_provider(real_nova, held_provider, version):
    shown = placement_json(real_nova, *version, 'server-show', real_nova.server_name, '--long')
    assert shown['id'] == real_nova.server_id
    assert shown['pci_source'] == 'placement'
    [device] = shown['pci_devices']
    assert device['id'] == held_provider.uuid
    assert (device['host'], device['address']) == (held_provider.host, held_provider.address)
    assert (device['vendor_id'], device['product_id']) == (
        held_provider.vendor_id, held_provider.product_id)
    assert device['resource_class'] == held_provider.resource_class
    assert device['amount'] == 1


def test_server_show_and_list_name_the_provider(real_nova, held_provider):
    shown = placement_json(real_nova, 'server-show', real_nova.server_id)
    assert shown['pci_devices'] == [held_provider.uuid]
    assert shown['pci_source'] == 'placement'
    rows = placement_json(real_nova, 'server-list', '--all-projects')
    [row] = [row for row in rows if row['ID'] == real_nova.server_id]
    assert row['PCI Devices'] == [held_provider.uuid]


def test_pci_source_placement_is_the_same_answer(real_nova):
    auto = cached_json(real_nova, 'pci-list', '--long')
    chosen = placement_json(real_nova, '--pci-source', 'placement', 'pci-list', '--long')
    assert chosen == auto


def test_pci_source_os_pci_is_one_line(real_nova):
    done = run_placement_cli(real_nova, '--pci-source', 'os-pci', 'pci-list', '-f', 'json')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("This cloud's compute API has no os-pci API")
    assert '--pci-source placement' in lines[0]


def test_a_token_placement_refuses_is_one_line(real_nova):
    """noauth2 makes ``nobody`` a user without roles: Placement answers 403."""
    done = run_placement_cli(real_nova, 'pci-list', '-f', 'json', token='nobody')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert 'HTTP 403' in lines[0], lines[0]
