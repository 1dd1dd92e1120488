"""Every response sample of the os-pci code Nova merged decodes to the normalised model.

The samples live beside the repository in ``../shared/reference`` (the project's
reference data); without that directory these tests say so and skip.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pciclient.v2.hypervisors import Hypervisor
from pciclient.v2.pci_devices import PciDevice
from pciclient.v2.servers import Server

SAMPLES = Path(__file__).resolve().parents[3] / 'shared' / 'reference' / 'nova-os-pci-samples'

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(),
                                reason=f'reference samples not found at {SAMPLES}')


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


@pytest.mark.parametrize('prefix', ['icehouse-v3', 'final'])
def test_device_samples(prefix):
    for item in load(f'{prefix}-pci-detail-resp.json')['pci_devices']:
        device = PciDevice(item)
        assert device.instance_uuid == item['server_uuid']
        assert 'server_uuid' not in device.to_dict()
    shown = PciDevice(load(f'{prefix}-pci-show-resp.json')['pci_device'])
    assert shown.instance_uuid == '69ba1044-0766-4ec0-b60d-09595de034a1'
    brief = [PciDevice(item) for item in load(f'{prefix}-pci-index-resp.json')['pci_devices']]
    assert [d.address for d in brief] == ['0000:04:10.0', '0000:04:10.1']


@pytest.mark.parametrize('prefix', ['icehouse-v3', 'final'])
def test_hypervisor_samples(prefix):
    hypervisor = Hypervisor(load(f'{prefix}-hypervisors-pci-show-resp.json')['hypervisor'])
    assert hypervisor.pci_stats == [{'vendor_id': '8086', 'product_id': '1520', 'numa_node': 1,
                                     'dev_type': None, 'count': 5,
                                     'tags': {'key1': 'value1', 'keya': 'valuea'}}]
    for item in load(f'{prefix}-hypervisors-pci-detail-resp.json')['hypervisors']:
        assert Hypervisor(item).pci_stats[0]['count'] == 5


@pytest.mark.parametrize('name', ['icehouse-v3-server-get-resp.json', 'final-server-get-resp.json'])
def test_server_samples(name):
    assert Server(load(name)['server']).pci_devices == [1]


def test_today_nova_reports_no_pci():
    nova34 = SAMPLES.parent / 'nova-34-responses'
    hypervisor = Hypervisor(json.loads((nova34 / 'hypervisor_show_2.1.json').read_text())['hypervisor'])
    assert hypervisor.pci_stats is None
    server = Server(json.loads((nova34 / 'server_show_2.1.json').read_text())['server'])
    assert server.pci_devices is None
