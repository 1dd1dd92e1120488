"""Fake clouds for the capacity routes: the recorded Nova 34 state, the real Placement tier's
population, and a small cloud to test candidates on; callers as admin or member."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pciclient.fakeserver.cloud import service_apis
from pciclient.fakeserver.scenario.loader import Scenario, load_scenario
from pciclient.fakeserver.wsgi.context import ENVIRON_KEY, RequestContext
from tests.fakeserver.cloud_helpers import call
from tests.fakeserver.helpers import Response
from tests.support.sysfs_tree import add_device

ADMIN = RequestContext('admin', 'p-demo', ('admin', 'member', 'reader'))
MEMBER = RequestContext('demo', 'p-demo', ('member', 'reader'))

# The state tests/realnova/capacity_reference.py sets up in a real Nova 34, in a scenario:
# Nova's functional-test flavors, ours, the harness's PCI flavor, two aggregates, a
# disabled compute2 and the harness's server on compute1.
NOVA_REFERENCE = '''\
rescan_interval: 0
projects:
  - {name: demo, id: p-demo}
hosts:
  - {hostname: compute1, generate: {pfs: 1, vfs_per_pf: 2, gpus: 2}}
  - {hostname: compute2, generate: {pfs: 1, vfs_per_pf: 2, gpus: 2}, disabled: true,
     disabled_reason: maintenance}
flavors:
  - {name: m1.tiny, id: "1", vcpus: 1, ram: 512, disk: 1}
  - {name: m1.small, id: "2", vcpus: 1, ram: 2048, disk: 20}
  - {name: m1.medium, id: "3", vcpus: 2, ram: 4096, disk: 40}
  - {name: m1.large, id: "4", vcpus: 4, ram: 8192, disk: 80}
  - {name: m1.xlarge, id: "5", vcpus: 8, ram: 16384, disk: 160}
  - {name: m1.tiny.specs, id: "6", vcpus: 1, ram: 512, disk: 1,
     extra_specs: {"hw:numa_nodes": "1"}}
  - {name: cap.small, id: cap-small, vcpus: 1, ram: 1024, disk: 10, ephemeral: 5, swap: 512}
  - {name: cap.private, id: cap-private, vcpus: 1, ram: 512, disk: 1, is_public: false}
  - {name: cap.gpu, id: cap-gpu, vcpus: 2, ram: 2048, disk: 20, description: one GPU,
     extra_specs: {"pci_passthrough:alias": "a1:1", "hw:cpu_policy": shared}}
  - {name: pci.a1, vcpus: 1, ram: 512, disk: 1, extra_specs: {"pci_passthrough:alias": "a1:1"}}
pci_aliases:
  - {name: a1, vendor_id: "10de", product_id: "1eb8", device_type: type-PCI}
aggregates:
  - {name: cap-agg-az, hosts: [compute2], availability_zone: cap-az, metadata: {ssd: "true"}}
  - {name: cap-agg-plain, hosts: [compute1]}
servers:
  - {name: demo-server-pci, project: demo, host: compute1, flavor: pci.a1}
'''


def scenario(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / 'scenario.yaml'
    path.write_text(text)
    return load_scenario(str(path))


def apis(loaded: Scenario) -> Callable[..., Any]:
    return service_apis(loaded.store)


def as_caller(app: Callable[..., Any], context: RequestContext) -> Callable[..., Any]:
    """The app as the token middleware hands it a caller."""
    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ[ENVIRON_KEY] = context
        return app(environ, start_response)
    return wrapped


def compute(app: Callable[..., Any], path: str, version: str | None = None, query: str = '',
            caller: RequestContext = ADMIN, method: str = 'GET') -> Response:
    headers = {'OpenStack-API-Version': f'compute {version}'} if version else {}
    return call(as_caller(app, caller), path, method=method, headers=headers, query=query)


def placement(app: Callable[..., Any], path: str, version: str | None = None, query: str = '',
              caller: RequestContext = ADMIN) -> Response:
    headers = {'OpenStack-API-Version': f'placement {version}'} if version else {}
    return call(as_caller(app, caller), '/placement' + path, headers=headers, query=query)


def population_scenario(tmp_path: Path) -> Scenario:
    """tests/realplacement/populate.py's cloud: per host a GPU (3b:00.0), an SR-IOV NIC
    whose 4 VFs are tracked (5e:00.0), a whole PF (01:00.0) and a GPU with resource
    class GPU_GOLD and trait gold (af:00.0); compute1's GPU and two of compute2's VFs
    held. (Its operator-reserved PF and smaller compute nodes are not played.)"""
    root = tmp_path / 'sys'
    add_device(root, '0000:01:00.0', '8086', '1528', totalvfs=4, driver='ixgbe')
    add_device(root, '0000:3b:00.0', '10de', '1eb8', class_code='0x030200', driver='vfio-pci')
    add_device(root, '0000:5e:00.0', '8086', '1528', totalvfs=4, numvfs=4, driver='ixgbe')
    for function in range(1, 5):
        add_device(root, f'0000:5e:00.{function}', '8086', '1515', physfn='0000:5e:00.0',
                   driver='ixgbevf')
    add_device(root, '0000:af:00.0', '10de', '1eb8', class_code='0x030200', driver='vfio-pci')
    return scenario(tmp_path, '''\
rescan_interval: 0
projects:
  - {name: demo}
hosts:
  - hostname: "compute{index}"
    count: 2
    sysfs_root: sys
    device_spec:
      - {vendor_id: "10de", product_id: "1eb8", address: "0000:3b:00.0"}
      - {vendor_id: "8086", product_id: "1515"}
      - {vendor_id: "8086", product_id: "1528", address: "0000:01:00.0"}
      - {vendor_id: "10de", product_id: "1eb8", address: "0000:af:00.0",
         resource_class: GPU_GOLD, traits: gold}
servers:
  - {name: vm-gpu, project: demo, host: compute1, devices: ["0000:3b:00.0"]}
  - {name: vm-vfs, project: demo, host: compute2, devices: ["0000:5e:00.1", "0000:5e:00.2"]}
''')
