"""vGPUs end to end against the fake cloud: its Placement reports physical GPUs as Nova's
libvirt driver does (``<nodename>_pci_DDDD_BB_SS_F``, ``VGPU`` or an mdev_class, no
``COMPUTE_MANAGED_PCI_DEVICE``), and pci-cli lists them, pools them, names them among a
server's devices and counts them in capacity."""
from __future__ import annotations

import pytest

from tests.functional.helpers import run_cli
from tests.support.fake_cloud import FakeServerProcess

SCENARIO = """\
rescan_interval: 0
os_pci: false
hosts:
  - hostname: gpu1
    generate: {pfs: 0, gpus: 1}
    vgpus:
      - {address: "0000:84:00.0", total: 4}
      - {address: "0000:85:00.0", total: 2, resource_class: CUSTOM_NVIDIA_11,
         traits: [CUSTOM_NVIDIA_11]}
  - hostname: gpu2
    generate: {pfs: 0, gpus: 1}
flavors:
  - {name: small, vcpus: 1, ram: 512, disk: 1}
  - {name: vgpu, vcpus: 1, ram: 512, disk: 1, extra_specs: {"resources:VGPU": "1"}}
  - {name: vgpu3, vcpus: 1, ram: 512, disk: 1, extra_specs: {"resources:VGPU": "3"}}
pci_aliases: []
servers:
  - {name: vm1, project: admin, host: gpu1, flavor: vgpu,
     vgpus: ["0000:84:00.0", "0000:84:00.0"]}
  - {name: vm2, project: admin, host: gpu1, vgpus: ["0000:85:00.0"]}
"""


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('vgpu-cloud')
    scenario = workdir / 'cloud.yaml'
    scenario.write_text(SCENARIO)
    server = FakeServerProcess('--noauth', '--scenario', str(scenario), log=workdir / 'log')
    yield server
    server.stop()


def cli(cloud, *argv):
    result = run_cli('--os-placement-endpoint-override', cloud.root + '/placement', *argv,
                     endpoint=cloud.url)
    assert result.code == 0, result.err
    return result


def vgpu_rows(rows):
    return {row['Address']: row for row in rows if row['Type'] == 'vgpu'}


def test_pci_list_shows_each_physical_gpu_with_its_vgpus(cloud):
    rows = cli(cloud, 'pci-list', '--long', '-f', 'json').json()
    vgpus = vgpu_rows(rows)
    assert set(vgpus) == {'0000:84:00.0', '0000:85:00.0'}
    first, second = vgpus['0000:84:00.0'], vgpus['0000:85:00.0']
    assert (first['Host'], first['Resource Class'], first['Total'], first['Used'],
            first['Free'], first['Status']) == ('gpu1', 'VGPU', 4, 2, 2, 'partial')
    assert (first['Vendor ID'], first['Product ID'], first['Source']) == (None, None, 'placement')
    assert [s['amount'] for s in first['Servers']] == [2]
    assert first['Traits'] == ['OWNER_NOVA']  # Nova adds no mdev-type trait
    assert (second['Resource Class'], second['Used'], second['Free']) == ('CUSTOM_NVIDIA_11', 1, 1)
    assert 'CUSTOM_NVIDIA_11' in second['Traits']
    # the PCI devices are still there, and a host's question reads its tree
    assert any(row['Type'] != 'vgpu' for row in rows)
    assert set(vgpu_rows(cli(cloud, 'pci-list', '--long', '--host', 'gpu1', '-f',
                             'json').json())) == set(vgpus)
    assert vgpu_rows(cli(cloud, 'pci-list', '--long', '--host', 'gpu2', '-f', 'json').json()) == {}


def test_pci_show_by_host_and_address(cloud):
    shown = cli(cloud, 'pci-show', 'gpu1_0000:84:00.0', '-f', 'json').json()
    assert (shown['dev_type'], shown['address'], shown['name']) == (
        'vgpu', '0000:84:00.0', 'gpu1_pci_0000_84_00_0')
    assert shown['address_of'] == 'GPU'
    same = cli(cloud, 'pci-show', 'gpu1_pci_0000_84_00_0', '-f', 'json').json()
    assert same['id'] == shown['id']


def test_pools_count_free_vgpus(cloud):
    pools = [p for p in cli(cloud, 'pci-pool-list', '-f', 'json').json() if p['Type'] == 'vgpu']
    assert sorted((p['Host'], p['Tags']['resource_class'], p['Count']) for p in pools) == [
        ('gpu1', 'CUSTOM_NVIDIA_11', 1), ('gpu1', 'VGPU', 2)]
    custom = next(p for p in pools if p['Tags']['resource_class'] == 'CUSTOM_NVIDIA_11')
    assert custom['Tags']['traits'] == ['CUSTOM_NVIDIA_11']


def test_server_show_long_names_its_vgpus(cloud):
    shown = cli(cloud, 'server-show', 'vm1', '--long', '-f', 'json').json()
    assert shown['pci_source'] == 'placement'
    (device,) = shown['pci_devices']
    assert (device['dev_type'], device['address'], device['host'], device['resource_class'],
            device['amount']) == ('vgpu', '0000:84:00.0', 'gpu1', 'VGPU', 2)
    listed = {row['Name']: row for row in cli(cloud, 'server-list', '-f', 'json').json()}
    assert listed['vm1']['PCI Devices'] == [device['id']]


def test_capacity_counts_vgpus_and_names_them(cloud):
    got = {(r['Host'], r['Flavor']): r for r in cli(
        cloud, 'capacity', '--verify', '-f', 'json').json()}
    assert (got['gpu1', 'vgpu']['Fits'], got['gpu1', 'vgpu']['Limited By']) == (2, 'VGPU')
    assert got['gpu1', 'vgpu']['Free']['VGPU'] == 2
    assert (got['gpu1', 'vgpu3']['Fits'], got['gpu2', 'vgpu']['Fits']) == (0, 0)
    assert got['gpu2', 'vgpu']['Limited By'] == 'no provider of VGPU'
    assert {r['Verified'] for r in got.values()} == {True}
