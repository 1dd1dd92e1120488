"""pci-cli on a fake cloud that plays today's Nova: no os-pci, PCI devices in Placement,
found through the fake Keystone's catalog (--pci-source auto) or given by hand."""
from __future__ import annotations

import re

import pytest

from tests.functional.helpers import run_cli, run_tool
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree

PASSWORD = 'Adm1n-pw'
SCENARIO = """\
rescan_interval: 0
os_pci: false
users:
  - {{name: admin, password: {password}, project: admin, roles: [admin, member, reader]}}
  - {{name: alice, password: {password}, project: demo}}
hosts:
  - hostname: compute1
    sysfs_root: {sysfs}
    device_spec:
      - {{vendor_id: "8086", product_id: "10ed"}}
      - {{vendor_id: "10de", resource_class: gpu_gold, traits: "gold"}}
servers:
  - {{name: vm-vf, project: demo, host: compute1, devices: ["0000:04:10.0"]}}
  - {{name: vm-gpu, project: admin, host: compute1, devices: ["0000:3b:00.0"]}}
"""


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('placement-cloud')
    sysfs = build_standard_tree(workdir / 'sys')
    scenario = workdir / 'cloud.yaml'
    scenario.write_text(SCENARIO.format(password=PASSWORD, sysfs=sysfs))
    server = FakeServerProcess('--scenario', str(scenario), log=workdir / 'server.log')
    yield server
    server.stop()


def admin(cloud, *args):
    return run_cli('--os-auth-url', cloud.root + '/identity', '--os-username', 'admin',
                   '--os-password', PASSWORD, '--os-project-name', 'admin',
                   '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
                   *args)


def test_auto_reads_placement_from_the_catalog(cloud):
    rows = admin(cloud, 'pci-list', '--long', '-f', 'json').json()
    assert {row['Source'] for row in rows} == {'placement'}
    by_address = {row['Address']: row for row in rows}
    vfs = by_address['0000:04:00.0']  # the PF's provider holds its two VFs
    assert (vfs['Type'], vfs['Total'], vfs['Used'], vfs['Free']) == ('type-VF', 2, 1, 1)
    assert vfs['Product ID'] == '10ed'
    gpu = by_address['0000:3b:00.0']
    assert gpu['Resource Class'] == 'CUSTOM_GPU_GOLD'
    assert 'CUSTOM_GOLD' in gpu['Traits']
    assert gpu['Vendor ID'] is None  # a custom resource class does not say
    assert (gpu['Used'], gpu['Status']) == (1, 'allocated')
    assert len(gpu['Servers']) == 1


def test_os_pci_source_explains(cloud):
    result = admin(cloud, '--pci-source', 'os-pci', 'pci-list')
    assert result.code == 1
    assert result.err.startswith("This cloud's compute API has no os-pci API")
    assert '--pci-source placement' in result.err


def test_openstack_names_the_same_options(cloud):
    # The library says which setting would help; both CLIs name it as their option.
    said = admin(cloud, '--pci-source', 'os-pci', 'pci-list').err.strip()
    result = run_tool('openstack', '--os-auth-url', cloud.root + '/identity',
                      '--os-username', 'admin', '--os-password', PASSWORD,
                      '--os-project-name', 'admin', '--os-user-domain-name', 'Default',
                      '--os-project-domain-name', 'Default', '--pci-source', 'os-pci',
                      'pci', 'device', 'list')
    assert result.code == 1
    assert ' Read them from Placement with --pci-source placement. (HTTP 404)' in said, said
    without_request_ids = [re.sub(r' \(Request-ID: [^)]*\)', '', line)
                           for line in (said, *result.err.splitlines())]
    assert without_request_ids[0] in without_request_ids[1:], result.err


def test_show_pools_and_servers(cloud):
    shown = admin(cloud, 'pci-show', 'compute1_0000:3B:00.0', '-f', 'json').json()
    assert shown['resource_class'] == 'CUSTOM_GPU_GOLD' and shown['source'] == 'placement'
    pools = admin(cloud, 'pci-pool-list', '-f', 'json').json()
    assert {(p['Tags']['resource_class'], p['Count']) for p in pools} >= {
        ('CUSTOM_GPU_GOLD', 0)}
    assert sum(p['Count'] for p in pools) == 1  # the one free VF
    servers = {row['Name']: row for row in
               admin(cloud, 'server-list', '--all-projects', '-f', 'json').json()}
    assert len(servers['vm-gpu']['PCI Devices']) == 1
    vm = admin(cloud, 'server-show', 'vm-vf', '--all-projects', '--long', '-f', 'json').json()
    assert vm['pci_source'] == 'placement'
    assert [(d['address'], d['amount']) for d in vm['pci_devices']] == [('0000:04:00.0', 1)]


def test_member_gets_a_clean_refusal(cloud):
    result = run_cli('--os-auth-url', cloud.root + '/identity', '--os-username', 'alice',
                     '--os-password', PASSWORD, '--os-project-name', 'demo',
                     '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
                     'pci-list')
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert '(HTTP 403)' in result.err
