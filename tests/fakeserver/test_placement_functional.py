"""The real ``pci-fake-server --no-os-pci --noauth`` process, asked over HTTP with ``requests``."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pciclient.fakeserver.placement.names import compute_node_uuid
from tests.fakeserver.placement_helpers import build_reference_tree
from tests.support.fake_cloud import FakeServerProcess

PLACEMENT_118 = {'OpenStack-API-Version': 'placement 1.18'}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The server's root URL; the process is stopped (and reaped) whatever the test does."""
    tree = build_reference_tree(tmp_path / 'sys')
    scenario = tmp_path / 'cloud.yaml'
    scenario.write_text(f'''\
rescan_interval: 0
hosts:
  - hostname: compute1
    sysfs_root: {tree}
    device_spec:
      - {{vendor_id: "8086", product_id: "1528", address: "0000:01:00.0"}}
      - {{vendor_id: "8086", product_id: "1515", address: "0000:02:00.1"}}
      - {{vendor_id: "8086", address: "0000:03:00.0", physical_network: physnet2}}
      - {{vendor_id: "10de", product_id: "1eb8", traits: gold}}
servers:
  - {{name: vm, project: demo, host: compute1, devices: ["0000:04:00.0"]}}
''')
    env = {k: v for k, v in os.environ.items() if not k.startswith(('OS_', 'PCI_FAKE_'))}
    server = FakeServerProcess('--noauth', '--no-os-pci', '--scenario', str(scenario),
                               log=tmp_path / 'server.log', env=env)
    try:
        assert server.url.startswith('http://127.0.0.1:') and server.url.endswith('/v2.1'), \
            server.log_text()
        yield server.root
    finally:
        assert server.stop() == 0


def test_placement_lists_the_pci_providers(server: str) -> None:
    with requests.Session() as session:
        session.trust_env = False  # loopback only, never through a proxy
        response = session.get(f'{server}/placement/resource_providers',
                               params={'required': 'COMPUTE_MANAGED_PCI_DEVICE'},
                               headers=PLACEMENT_118, timeout=10)
        assert response.status_code == 200
        assert response.headers['openstack-api-version'] == 'placement 1.18'
        providers = response.json()['resource_providers']
        assert [p['name'] for p in providers] == ['compute1_0000:01:00.0',
                                                  'compute1_0000:02:00.0',
                                                  'compute1_0000:04:00.0',
                                                  'compute1_0000:05:00.0']
        root = compute_node_uuid('compute1')
        assert {(p['parent_provider_uuid'], p['root_provider_uuid']) for p in providers} == \
            {(root, root)}
        gpu = providers[2]
        usages = session.get(f'{server}/placement/resource_providers/{gpu["uuid"]}/usages',
                             headers=PLACEMENT_118, timeout=10).json()
        assert usages == {'resource_provider_generation': 3,
                          'usages': {'CUSTOM_PCI_10DE_1EB8': 1}}
        traits = session.get(f'{server}/placement/resource_providers/{gpu["uuid"]}/traits',
                             headers=PLACEMENT_118, timeout=10).json()['traits']
        assert traits == ['COMPUTE_MANAGED_PCI_DEVICE', 'CUSTOM_GOLD', 'OWNER_NOVA']


def test_compute_has_no_pci_api(server: str) -> None:
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(f'{server}/v2.1/os-pci/detail', timeout=10)
        assert response.status_code == 404
        assert response.json()['title'] == 'Not Found'
        hypervisor = session.get(f'{server}/v2.1/os-hypervisors/detail',
                                 timeout=10).json()['hypervisors'][0]
        assert hypervisor['hypervisor_hostname'] == 'compute1'
        assert 'pci_stats' not in hypervisor
        servers = session.get(f'{server}/v2.1/servers/detail', timeout=10).json()['servers']
        assert [s['name'] for s in servers] == ['vm']
        assert 'os-pci:pci_devices' not in servers[0]
