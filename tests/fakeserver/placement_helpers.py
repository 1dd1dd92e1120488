"""Helpers for the Placement tests: the reference cloud rebuilt as a scenario, and a GET caller.

``build_reference_tree`` makes the PCI functions of the hosts a real Nova 34 reported to a
real Placement 16 (``tests/data/nova-34-placement``, summarised in
``REFERENCE_PROVIDERS``): a PF without VFs, a VF whose PF is not tracked, a PF and its VF
tagged ``physical_network`` (Neutron's, so not reported) and two GPUs tagged
``traits: gold``, one held by a server on compute1.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pciclient.fakeserver.scenario.loader import Scenario, load_scenario
from tests.fakeserver.cloud_helpers import call
from tests.fakeserver.helpers import Response
from tests.support.data import data_json
from tests.support.sysfs_tree import add_device

PCI_SERVER = '0ff843f8-04ef-4729-bac5-edbd520ba004'
IDLE_SERVER = 'd591913a-6453-44ff-accf-e40409312abc'
PROJECT_ID = '6f70656e737461636b20342065766572'

# name -> (inventories {rc: total}, usages, traits without the two every PCI provider has),
# as the real Nova 34 reported compute1 (compute2 is the same with no usage).
REFERENCE_PROVIDERS = {
    'compute1_0000:01:00.0': ({'CUSTOM_PCI_8086_1528': 1}, {'CUSTOM_PCI_8086_1528': 0}, set()),
    'compute1_0000:02:00.0': ({'CUSTOM_PCI_8086_1515': 1}, {'CUSTOM_PCI_8086_1515': 0}, set()),
    'compute1_0000:04:00.0': ({'CUSTOM_PCI_10DE_1EB8': 1}, {'CUSTOM_PCI_10DE_1EB8': 1},
                              {'CUSTOM_GOLD'}),
    'compute1_0000:05:00.0': ({'CUSTOM_PCI_10DE_1EB8': 1}, {'CUSTOM_PCI_10DE_1EB8': 0},
                              {'CUSTOM_GOLD'}),
}

DEVICE_SPEC = '''\
    device_spec:
      - {vendor_id: "8086", product_id: "1528", address: "0000:01:00.0"}
      - {vendor_id: "8086", product_id: "1515", address: "0000:02:00.1"}
      - {vendor_id: "8086", address: "0000:03:00.0", physical_network: physnet2}
      - {vendor_id: "10de", product_id: "1eb8", traits: gold}
'''


def build_reference_tree(root: Path) -> Path:
    add_device(root, '0000:01:00.0', '8086', '1528', totalvfs=4, driver='ixgbe')
    add_device(root, '0000:02:00.0', '8086', '1528', totalvfs=4, numvfs=1, driver='ixgbe')
    add_device(root, '0000:02:00.1', '8086', '1515', physfn='0000:02:00.0', driver='ixgbevf')
    add_device(root, '0000:03:00.0', '8086', '1528', totalvfs=4, numvfs=1, driver='ixgbe')
    add_device(root, '0000:03:00.1', '8086', '1515', physfn='0000:03:00.0', driver='ixgbevf')
    add_device(root, '0000:04:00.0', '10de', '1eb8', class_code='0x030200', driver='vfio-pci')
    add_device(root, '0000:05:00.0', '10de', '1eb8', class_code='0x030200', driver='vfio-pci')
    return root


def write_scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / 'scenario.yaml'
    path.write_text(body)
    return path


def reference_scenario(tmp_path: Path, extra: str = '', device_spec: str = DEVICE_SPEC,
                       ) -> Scenario:
    """compute1 and compute2 as in the reference, the PCI server and an idle one on compute1
    (``device_spec``: the hosts' ``device_spec:`` block, the reference's unless given)."""
    build_reference_tree(tmp_path / 'sys')
    return load_scenario(str(write_scenario(tmp_path, f'''\
rescan_interval: 0
{extra}projects:
  - {{name: demo, id: {PROJECT_ID}}}
hosts:
  - hostname: "compute{{index}}"
    count: 2
    sysfs_root: sys
{device_spec}servers:
  - {{name: demo-server-pci, id: {PCI_SERVER}, project: demo, host: compute1,
      devices: ["0000:04:00.0"]}}
  - {{name: demo-server, id: {IDLE_SERVER}, project: demo, host: compute1}}
''')))


def reference(name: str) -> Any:
    return data_json('nova-34-placement', name)


def get(app: Callable[..., Any], path: str, version: str | None = None, query: str = '',
        headers: dict[str, str] | None = None, method: str = 'GET') -> Response:
    """A request to ``/placement``+``path`` with ``OpenStack-API-Version: placement VERSION``."""
    sent = dict(headers or {})
    if version is not None:
        sent['OpenStack-API-Version'] = f'placement {version}'
    return call(app, '/placement' + path, method=method, headers=sent, query=query)


def error_detail(response: Response) -> str:
    errors = response.json['errors']
    assert len(errors) == 1
    return str(errors[0]['detail'])
