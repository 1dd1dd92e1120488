"""The installed ``pci-cli`` against a real Nova 34 compute API alone (see conftest.py).

Nova 34 has no ``os-pci`` API and reports no PCI information on hypervisors or servers,
even though the harness's server holds a PCI device. Without a Placement endpoint
(``--os-auth-type none --os-endpoint``: no catalog) the CLI must list what there is, say
"not reported" (JSON ``null``) for the rest, and fail ``pci-list`` on one line that names
``--os-placement-endpoint-override``. With Placement given, the answer comes from there:
test_real_nova_placement.py.
"""
from __future__ import annotations

import uuid

from tests.realnova.cli import cli_json, run_cli


def test_harness_serves_two_computes_and_a_pci_server(real_nova):
    assert real_nova.url.startswith('http://127.0.0.1:')
    assert real_nova.placement_url.startswith('http://127.0.0.1:')
    assert real_nova.placement_url.rsplit(':', 1)[1] != real_nova.url.rsplit(':', 1)[1]
    assert real_nova.hypervisor_hostnames == ['compute1', 'compute2']
    assert real_nova.server_host == 'compute1'
    assert real_nova.server_holds_pci_device, real_nova.info
    [device] = real_nova.server_pci_devices
    assert (device['vendor_id'], device['product_id'], device['dev_type'], device['status']) \
        == ('10de', '1eb8', 'type-PCI', 'allocated')
    assert device['instance_uuid'] == real_nova.server_id
    assert device['rp_uuid'], 'Nova recorded no Placement provider for the held device'


def test_hypervisor_list(real_nova):
    rows = cli_json(real_nova, 'hypervisor-list')
    assert sorted(row['Hostname'] for row in rows) == ['compute1', 'compute2']
    assert {(row['State'], row['Status']) for row in rows} == {('up', 'enabled')}


def test_hypervisor_show_by_hostname_has_no_pci_stats(real_nova):
    shown = cli_json(real_nova, 'hypervisor-show', 'compute1')
    assert shown['hypervisor_hostname'] == 'compute1'
    assert shown['running_vms'] == 1
    assert shown['pci_stats'] is None  # Nova 34 does not report pools


def test_server_list(real_nova):
    rows = cli_json(real_nova, 'server-list')
    [row] = [row for row in rows if row['ID'] == real_nova.server_id]
    assert row['Name'] == real_nova.server_name
    assert row['Status'] == 'ACTIVE'
    assert row['PCI Devices'] is None  # held in Nova's database, not shown by its API


def test_server_show_by_name(real_nova):
    shown = cli_json(real_nova, 'server-show', real_nova.server_name)
    assert shown['id'] == real_nova.server_id
    assert shown['pci_devices'] is None


def test_pci_list_fails_on_one_line(real_nova):
    done = run_cli(real_nova, 'pci-list')
    assert done.returncode == 1, done
    assert done.stdout == ''
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert 'Traceback' not in done.stderr
    assert '--os-placement-endpoint-override' in lines[0]


def test_hypervisor_ids_are_uuids_from_2_53(real_nova, nova_http):
    answer = nova_http.get(real_nova.url + '/os-hypervisors', timeout=30,
                           headers={'OpenStack-API-Version': 'compute 2.53'})
    assert answer.status_code == 200, answer.text
    assert answer.headers['OpenStack-API-Version'] == 'compute 2.53'
    hypervisors = answer.json()['hypervisors']
    assert sorted(h['hypervisor_hostname'] for h in hypervisors) == ['compute1', 'compute2']
    for hypervisor in hypervisors:
        assert str(uuid.UUID(hypervisor['id'])) == hypervisor['id']
    assert {h['id'] for h in hypervisors} == {h['id'] for h in real_nova.hypervisors}
