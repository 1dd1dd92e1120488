"""Scenario flavors, PCI aliases, aggregates and host services; the default catalog; the
aliases ``pci-cli --local`` is handed."""
from __future__ import annotations

from pathlib import Path

import pytest

from pciclient.fakeserver.embedded import start_local
from pciclient.fakeserver.model.catalog import Flavor
from pciclient.fakeserver.scenario.loader import ScenarioError, single_host_scenario
from tests.fakeserver.capacity_helpers import NOVA_REFERENCE, scenario
from tests.support.sysfs_tree import add_device

HOST = 'hosts:\n  - {hostname: c1, generate: {gpus: 1}}\n'


def test_the_reference_scenario(tmp_path: Path) -> None:
    loaded = scenario(tmp_path, NOVA_REFERENCE)
    catalog = loaded.store.catalog
    assert [f.id for f in catalog.flavors][:6] == ['1', '2', '3', '4', '5', '6']
    gpu = catalog.flavor('cap-gpu')
    assert gpu is not None and gpu.extra_specs['pci_passthrough:alias'] == 'a1:1'
    assert loaded.pci_aliases == [{'name': 'a1', 'vendor_id': '10de', 'product_id': '1eb8',
                                   'device_type': 'type-PCI'}]
    assert catalog.availability_zone_of('compute2') == 'cap-az'
    assert catalog.availability_zone_of('compute1') == 'nova'
    assert catalog.service('compute2').disabled
    assert catalog.service('compute2').disabled_reason == 'maintenance'
    [server] = loaded.store.current.servers
    assert server.flavor_id == next(f.id for f in catalog.flavors if f.name == 'pci.a1')


def test_flavor_resources_as_nova_allocates_them() -> None:
    flavor = Flavor(id='x', name='x', vcpus=2, ram=1024, disk=10, ephemeral=5, swap=1025)
    assert flavor.resources() == {'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 17}
    assert Flavor(id='y', name='y', vcpus=1, ram=64).resources() == {'VCPU': 1,
                                                                     'MEMORY_MB': 64}


def test_defaults_when_the_scenario_names_no_flavors(tmp_path: Path) -> None:
    loaded = scenario(tmp_path, HOST)
    names = [f.name for f in loaded.store.catalog.flavors]
    assert names == ['m1.tiny', 'm1.small', 'pci.small']
    assert loaded.pci_aliases == [{'name': 'gpu', 'vendor_id': '10de', 'product_id': '1eb8',
                                   'device_type': 'type-PCI'}]
    pci = loaded.store.catalog.flavor('pci.small')
    assert pci is not None and pci.extra_specs == {'pci_passthrough:alias': 'gpu:1'}


def test_no_defaults_when_flavors_are_named(tmp_path: Path) -> None:
    loaded = scenario(tmp_path, HOST + 'flavors: []\n')
    assert loaded.store.catalog.flavors == () and loaded.pci_aliases == []


@pytest.mark.parametrize('extra, line, fragment', [
    ('flavors:\n  - {name: a, vcpus: 0, ram: 1}\n', 4, 'flavor vcpus must be a whole number'),
    ('flavors:\n  - {name: a, vcpus: 1, ram: 1}\n  - {name: a, vcpus: 1, ram: 1}\n', 5,
     "duplicate flavor name 'a'"),
    ('flavors:\n  - {name: a, id: "x/y", vcpus: 1, ram: 1}\n', 4, 'flavor id must be'),
    ('flavors:\n  - {name: a, vcpus: 1, ram: 1, colour: red}\n', 4,
     "unknown key 'colour' in a flavor"),
    ('pci_aliases:\n  - {name: a, vendor_id: "10dez"}\n', 4, 'alias vendor_id must be 4 hex'),
    ('pci_aliases:\n  - {name: a, device_type: vdpa}\n', 4, 'alias device_type must be one of'),
    ('pci_aliases:\n  - {vendor_id: "10de"}\n', 4, "a PCI alias needs 'name'"),
    ('aggregates:\n  - {name: a, hosts: [nope]}\n', 4, "unknown host 'nope'"),
    ('aggregates:\n  - {name: a, hosts: [c1], availability_zone: z1}\n'
     '  - {name: b, hosts: [c1], availability_zone: z2}\n', 5,
     "host 'c1' is already in availability zone 'z1'"),
    ('aggregates:\n  - {name: a, uuid: nope}\n', 4, 'aggregate uuid must be a UUID'),
])
def test_catalog_mistakes_name_the_line(tmp_path: Path, extra, line, fragment) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario(tmp_path, HOST + extra)
    message = str(caught.value)
    assert f'scenario.yaml:{line}: ' in message and fragment in message, message


def test_disabled_reason_needs_disabled(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match='disabled_reason needs disabled: true'):
        scenario(tmp_path, 'hosts:\n  - {hostname: c1, generate: {gpus: 1}, '
                           'disabled_reason: x}\n')


def test_templated_hosts_share_their_service_state(tmp_path: Path) -> None:
    loaded = scenario(tmp_path, 'hosts:\n  - {hostname: "c{index}", count: 3, '
                                'generate: {gpus: 1}, down: true}\n')
    assert [loaded.store.catalog.service(f'c{n}').state for n in (1, 2, 3)] == ['down'] * 3


def test_local_cloud_hands_its_aliases_over(tmp_path: Path) -> None:
    root = tmp_path / 'sys'
    add_device(root, '0000:3b:00.0', '10de', '20b5', class_code='0x030200')
    running = start_local(str(root))
    try:
        assert running.pci_aliases == [{'name': 'gpu', 'vendor_id': '10de',
                                        'product_id': '20b5', 'device_type': 'type-PCI'}]
    finally:
        running.stop()
    single = single_host_scenario(str(root), 'node1')
    assert single.pci_aliases == running.pci_aliases
    assert [f.name for f in single.store.catalog.flavors] == ['m1.tiny', 'm1.small',
                                                              'pci.small']
