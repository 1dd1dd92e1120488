"""Every document in the shapes of the os-pci code Nova merged decodes to the normalised model.

``tests/data/os-pci-shapes`` holds documents this project wrote after the shapes of Nova's
merged os-pci API samples (Icehouse's v3 API and the final form), with our own values;
``tests/data/nova-34-responses`` what a real Nova 34 answered. Missing data fails.
"""
from __future__ import annotations

import json

import pytest

from pciclient.v2.hypervisors import Hypervisor
from pciclient.v2.pci_devices import PciDevice
from pciclient.v2.servers import Server
from tests.support.data import data_dir, data_json

SHOWN_SERVER = '7c2e9a40-15f3-4b8d-8e6a-d94b0f3c1e27'


def load(name: str) -> dict:
    return data_json('os-pci-shapes', name)


@pytest.mark.parametrize('prefix', ['icehouse-v3', 'final'])
def test_device_samples(prefix):
    for item in load(f'{prefix}-pci-detail-resp.json')['pci_devices']:
        device = PciDevice(item)
        assert device.instance_uuid == item['server_uuid']
        assert 'server_uuid' not in device.to_dict()
    shown = PciDevice(load(f'{prefix}-pci-show-resp.json')['pci_device'])
    assert shown.instance_uuid == SHOWN_SERVER
    brief = [PciDevice(item) for item in load(f'{prefix}-pci-index-resp.json')['pci_devices']]
    assert [d.address for d in brief] == ['0000:81:00.2', '0000:81:00.3']


@pytest.mark.parametrize('prefix', ['icehouse-v3', 'final'])
def test_hypervisor_samples(prefix):
    hypervisor = Hypervisor(load(f'{prefix}-hypervisors-pci-show-resp.json')['hypervisor'])
    assert hypervisor.pci_stats == [{'vendor_id': '15b3', 'product_id': '1016', 'numa_node': 0,
                                     'dev_type': None, 'count': 3,
                                     'tags': {'physical_network': 'physnet-a',
                                              'trusted': 'true'}}]
    for item in load(f'{prefix}-hypervisors-pci-detail-resp.json')['hypervisors']:
        assert Hypervisor(item).pci_stats[0]['count'] == 3


@pytest.mark.parametrize('name', ['icehouse-v3-server-get-resp.json', 'final-server-get-resp.json'])
def test_server_samples(name):
    assert Server(load(name)['server']).pci_devices == [41]


@pytest.mark.parametrize('name', ['icehouse-v3-servers-detail-resp.json',
                                  'final-servers-detail-resp.json'])
def test_server_listing_samples(name):
    assert [Server(item).pci_devices for item in load(name)['servers']] == [[41]]


def test_today_nova_reports_no_pci():
    nova34 = data_dir('nova-34-responses')
    hypervisor = Hypervisor(
        json.loads((nova34 / 'hypervisor_show_2.1.json').read_text())['hypervisor'])
    assert hypervisor.pci_stats is None
    server = Server(json.loads((nova34 / 'server_show_2.1.json').read_text())['server'])
    assert server.pci_devices is None
