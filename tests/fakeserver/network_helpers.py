"""A small cloud with SR-IOV ports on two physnets, and requests to its ``/network``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pciclient.fakeserver.scenario.loader import Scenario, load_scenario
from tests.fakeserver.cloud_helpers import call
from tests.fakeserver.helpers import Response

DEMO = '0123456789abcdef0123456789abcdef'
OTHER = 'fedcba9876543210fedcba9876543210'
VM1 = '11111111-1111-4111-8111-111111111111'   # demo: two physnet1 VFs, one as macvtap
VM2 = '22222222-2222-4222-8222-222222222222'   # other: the physnet2 PF
VM3 = '33333333-3333-4333-8333-333333333333'   # demo: a GPU (no port) on compute2
SCENARIO = f'''\
rescan_interval: 0
projects:
  - {{name: demo, id: {DEMO}}}
  - {{name: other, id: {OTHER}}}
users:
  - {{name: root, password: root-pw, project: demo, roles: [admin]}}
  - {{name: alice, password: alice-pw, project: demo, roles: [member]}}
  - {{name: nova, password: nova-pw, project: other, roles: [service]}}
hosts:
  - hostname: compute1
    generate: {{pfs: 2, vfs_per_pf: 4}}
    device_spec:
      - {{vendor_id: "8086", physical_network: physnet1}}
      - {{vendor_id: "15b3", physical_network: physnet2}}
  - hostname: compute2
    generate: {{gpus: 1}}
servers:
  - name: vm1
    id: {VM1}
    project: demo
    host: compute1
    devices: ["0000:01:01.0", {{address: "0000:01:01.1", vnic_type: macvtap}}]
  - {{name: vm2, id: {VM2}, project: other, host: compute1, devices: ["0000:02:00.0"]}}
  - {{name: vm3, id: {VM3}, project: demo, host: compute2, devices: ["0000:01:00.0"]}}
'''


def network_scenario(tmp_path: Path, text: str = SCENARIO) -> Scenario:
    path = tmp_path / 'cloud.yaml'
    path.write_text(text)
    return load_scenario(str(path))


def get(app: Any, path: str, query: str = '', headers: dict[str, str] | None = None,
        method: str = 'GET') -> Response:
    return call(app, '/network' + path, method=method, query=query, headers=headers)


def ports(response: Response) -> list[dict[str, Any]]:
    assert response.status == 200, response.raw
    return list(response.json['ports'])
