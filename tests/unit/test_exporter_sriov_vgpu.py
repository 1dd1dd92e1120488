"""The exporter's SR-IOV and vGPU sources in-process: ports in use per host and physical
network, nothing without Neutron, no series (and one logged reason) where Neutron hides
the bindings, and vGPUs per physical GPU from the vgpu rows of the device listing."""
from __future__ import annotations

import logging

from prometheus_client.parser import text_string_to_metric_families

from pciclient.exporter.refresh import Refresher
from pciclient.exporter.sources import SOURCES, Context, Settings, devices, sriov_ports
from pciclient.v2.neutron import PortList, SriovPort


def _port(ident: str, host: str | None, server: str | None, physnet: str | None,
          vnic: str = 'direct') -> SriovPort:
    info = {'id': ident, 'device_id': server or '', 'binding:vnic_type': vnic,
            'binding:host_id': host or '',
            'binding:profile': {'pci_slot': '0000:81:10.2', 'physical_network': physnet}
            if host else {}}
    port = SriovPort(info)
    port.set_host(host)
    return port


class _Neutron:
    def __init__(self, ports: PortList | None) -> None:
        self._ports = ports
        self.asked = 0

    def available(self) -> bool:
        return self._ports is not None

    def ports(self, **kwargs) -> PortList:
        self.asked += 1
        assert kwargs == {'name_holders': False}
        assert self._ports is not None
        return self._ports


class _Client:
    def __init__(self, ports: PortList | None) -> None:
        self.neutron = _Neutron(ports)


def _context(client) -> Context:
    return Context(client, Settings(), names=None)


def test_ports_in_use_are_counted_per_host_and_physical_network():
    ports = PortList([_port('p1', 'c1', 'vm1', 'physnet1'), _port('p2', 'c1', 'vm2', 'physnet1'),
                      _port('p3', 'c2', 'vm1', 'physnet2', 'direct-physical'),
                      _port('p4', 'c2', 'vm3', None, 'vdpa'),
                      _port('p5', None, None, None),       # unbound: no VF held
                      _port('p6', 'c1', None, 'physnet1')])  # bound, no server: none in use
    samples = sriov_ports(_context(_Client(ports)))
    assert samples == {'pci_sriov_ports_in_use': [
        (('c1', 'physnet1'), 2), (('c2', ''), 1), (('c2', 'physnet2'), 1)]}


def test_no_neutron_no_series_and_no_failure():
    client = _Client(None)
    assert sriov_ports(_context(client)) == {}
    assert client.neutron.asked == 0
    assert 'sriov_ports' in SOURCES


def _page(refresher: Refresher) -> dict[str, list]:
    got: dict[str, list] = {}
    for family in text_string_to_metric_families(refresher.page().text.decode()):
        for sample in family.samples:
            got.setdefault(sample.name, []).append((sample.labels, sample.value))
    return got


def test_hidden_bindings_show_no_series_and_say_why_once(caplog):
    hidden = PortList([SriovPort({'id': 'p1', 'device_id': 'vm1',
                                  'binding:vnic_type': 'direct'})], bindings_hidden=True)
    refresher = Refresher(_Client(hidden), _context, deadline=5, max_answer_size=1024,
                          sources={'sriov_ports': sriov_ports})
    with caplog.at_level(logging.ERROR, logger='pciclient.exporter'):
        assert refresher.refresh() is False
        assert refresher.refresh() is False
    got = _page(refresher)
    assert 'pci_sriov_ports_in_use' not in got
    assert got['pci_exporter_source_up'] == [({'source': 'sriov_ports'}, 0.0)]
    assert got['pci_exporter_errors_total'] == [
        ({'source': 'sriov_ports', 'kind': 'BindingsHidden'}, 2.0)]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1 and 'admin or service role' in logged[0], logged
    assert 'Traceback' not in caplog.text


class _Listed(list):
    source = 'placement'


class _Device:
    def __init__(self, **fields) -> None:
        self._fields = fields

    def to_dict(self) -> dict:
        return dict(self._fields)


class _Names:
    def vendor(self, vendor_id):
        return None

    def product(self, vendor_id, product_id):
        return None


class _Devices:
    def list(self, **kwargs):
        return _Listed([
            _Device(host='g1', address='0000:84:00.0', dev_type='vgpu', resource_class='VGPU',
                    total=4, used=3, reserved=0, free=1, source='placement'),
            _Device(host='g1', address='0000:85:00.0', dev_type='vgpu',
                    resource_class='CUSTOM_NVIDIA_11', total=2, used=0, reserved=1, free=1,
                    source='placement'),
            _Device(host='g1', address='0000:02:00.0', dev_type=None, vendor_id='10de',
                    product_id='1eb8', resource_class='CUSTOM_PCI_10DE_1EB8', total=1,
                    used=1, reserved=0, free=0, source='placement'),
            _Device(host='g1', address='0000:01:01.0', dev_type='type-VF', vendor_id='8086',
                    product_id='1889', physical_network='physnet1', status='allocated',
                    servers=[{'id': 'vm1', 'amount': 1}], source='neutron'),
        ])


def test_vgpus_per_physical_gpu_come_from_the_vgpu_rows():
    client = type('Client', (), {'pci_devices': _Devices()})()
    samples = devices(Context(client, Settings(), _Names()))
    assert samples['pci_pgpu_vgpu_capacity_units'] == [
        (('g1', '0000:84:00.0', 'VGPU'), 4.0), (('g1', '0000:85:00.0', 'CUSTOM_NVIDIA_11'), 2.0)]
    assert samples['pci_pgpu_vgpu_used_units'] == [
        (('g1', '0000:84:00.0', 'VGPU'), 3.0), (('g1', '0000:85:00.0', 'CUSTOM_NVIDIA_11'), 0.0)]
    # a port's device is labelled as pci-list labels it: source neutron, not placement
    sources = {labels[0:2]: labels[-1] for labels, _ in samples['pci_host_devices']}
    assert sources[('g1', 'CUSTOM_PCI_8086_1889')] == 'neutron'
    assert sources[('g1', 'CUSTOM_PCI_10DE_1EB8')] == 'placement'
