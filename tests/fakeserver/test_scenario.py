"""Scenario files: what a valid one builds, and every kind of mistake with its line."""
from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from pciclient.fakeserver.identity.accounts import Project, stable_id
from pciclient.fakeserver.scenario.loader import (
    DEFAULT_RESCAN_INTERVAL,
    ScenarioError,
    load_scenario,
    single_host_scenario,
)
from tests.support.sysfs_tree import STANDARD_VALID_ADDRESSES, build_standard_tree

Write = Callable[[str], Path]

FULL = """\
rescan_interval: 2.5
projects:
  - name: admin
  - name: demo
    id: 0123456789abcdef0123456789abcdef
users:
  - {name: admin, password: s3cret, project: admin, roles: [admin, member, reader]}
  - {name: alice, password: 0010, project: demo}
  - {name: bob, password: "pw", project: research, roles: [reader]}
hosts:
  - hostname: compute1
    sysfs_root: sys
  - hostname: "gpu-{index:03d}"
    count: 3
    generate: {pfs: 2, vfs_per_pf: 4, gpus: 2, numa_nodes: 2}
servers:
  - {name: vm1, project: demo, host: compute1, devices: [0000:04:10.0], status: active}
  - name: vm2
    project: ops
    host: gpu-002
    devices: ["0000:01:00.0", "0000:02:00.0"]
    id: 6B6BD4A3-94E5-4A9D-9B5C-3F2D1C0E7A11
    user: bob
    status: SHUTOFF
  - {name: idle, project: demo, host: gpu-003}
"""


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a scenario next to a standard tree called ``sys`` and return its path."""
    build_standard_tree(tmp_path / 'sys')

    def _write(text: str) -> Path:
        path = tmp_path / 'scenario.yaml'
        path.write_text(textwrap.dedent(text))
        return path
    return _write


# --- a valid scenario ------------------------------------------------------------------------

def test_full_scenario_accounts(write: Write) -> None:
    scenario = load_scenario(str(write(FULL)))
    assert scenario.rescan_interval == 2.5
    assert [(p.name, p.id) for p in scenario.projects] == [
        ('admin', stable_id('project', 'admin')),
        ('demo', '0123456789abcdef0123456789abcdef'),
        ('research', stable_id('project', 'research')),   # named by a user only
        ('ops', stable_id('project', 'ops')),             # named by a server only
    ]
    assert all(isinstance(p, Project) for p in scenario.projects)
    users = {u.name: u for u in scenario.users}
    assert list(users) == ['admin', 'alice', 'bob']
    assert users['admin'].roles == ('admin', 'member', 'reader') and users['admin'].is_admin
    assert users['alice'].roles == ('member', 'reader')      # the default
    assert users['alice'].password == '0010'                  # as written, not octal 8
    assert (users['bob'].project, users['bob'].roles) == ('research', ('reader',))


def test_full_scenario_hosts_and_servers(write: Write) -> None:
    scenario = load_scenario(str(write(FULL)))
    inventory = scenario.store.current
    assert [h.hostname for h in inventory.hypervisors] == [
        'compute1', 'gpu-001', 'gpu-002', 'gpu-003']
    per_host = {h: [d for d in inventory.devices if d.hostname == h]
                for h in ('compute1', 'gpu-001')}
    assert [d.address for d in per_host['compute1']] == list(STANDARD_VALID_ADDRESSES)
    assert len(per_host['gpu-001']) == 2 * (1 + 4) + 2
    assert [d.id for d in inventory.devices] == list(range(1, len(inventory.devices) + 1))

    vm1, vm2, idle = inventory.servers
    assert vm1.id == str(uuid.uuid5(uuid.UUID('17559878-343d-45f3-86e8-e345b3d32cee'), 'vm1'))
    assert (vm1.status, vm1.tenant_id) == ('ACTIVE', '0123456789abcdef0123456789abcdef')
    assert vm1.user_id == stable_id('user', 'alice')          # first user of the project
    assert vm1.device_ids == (inventory.device_at('compute1', '0000:04:10.0').id,)  # type: ignore
    assert vm2.id == '6b6bd4a3-94e5-4a9d-9b5c-3f2d1c0e7a11'
    assert (vm2.status, vm2.user_id) == ('SHUTOFF', stable_id('user', 'bob'))
    assert vm2.tenant_id == stable_id('project', 'ops')
    assert idle.device_ids == () and idle.user_id == stable_id('user', 'alice')

    held = {d.id: d for d in inventory.devices if d.instance_uuid}
    assert {(d.hostname, d.address, d.instance_uuid) for d in held.values()} == {
        ('compute1', '0000:04:10.0', vm1.id),
        ('gpu-002', '0000:01:00.0', vm2.id),
        ('gpu-002', '0000:02:00.0', vm2.id),
    }
    states = {(d.hostname, d.address): d.status for d in inventory.devices}
    assert states[('compute1', '0000:04:00.0')] == 'unclaimable'   # PF of vm1's VF
    assert states[('gpu-002', '0000:01:01.0')] == 'unavailable'    # VF of vm2's PF
    assert states[('gpu-001', '0000:01:01.0')] == 'available'      # same VF, other host
    assert [h.running_vms for h in inventory.hypervisors] == [1, 0, 1, 1]


def test_defaults_and_minimal_file(write: Write) -> None:
    scenario = load_scenario(str(write('hosts: [{hostname: h1, generate: {}}]\n')))
    assert scenario.rescan_interval == DEFAULT_RESCAN_INTERVAL == 60
    assert scenario.projects == [] and scenario.users == []
    assert scenario.store.current.devices == () and scenario.store.current.servers == ()
    assert [h.hostname for h in scenario.store.current.hypervisors] == ['h1']


def test_absolute_sysfs_root_and_shared_tree(write: Write, tmp_path: Path) -> None:
    path = write(f"""\
        hosts:
          - {{hostname: "c{{index}}", count: 2, sysfs_root: {tmp_path / 'sys'}}}
        rescan_interval: 0
        """)
    scenario = load_scenario(str(path))
    assert scenario.rescan_interval == 0
    devices = scenario.store.current.devices
    assert [(d.id, d.hostname) for d in devices][::5] == [(1, 'c1'), (6, 'c2')]


def test_single_host_scenario(standard_tree: Path) -> None:
    scenario = single_host_scenario(str(standard_tree), 'node9')
    assert (scenario.projects, scenario.users) == ([], [])
    assert scenario.rescan_interval == 60
    inventory = scenario.store.current
    assert [(d.id, d.address) for d in inventory.devices] == list(
        enumerate(STANDARD_VALID_ADDRESSES, start=1))
    assert [h.hostname for h in inventory.hypervisors] == ['node9']


def test_single_host_scenario_tolerates_a_missing_tree(tmp_path: Path) -> None:
    scenario = single_host_scenario(str(tmp_path / 'nothing'), 'node9')
    assert scenario.store.current.devices == ()


# --- mistakes --------------------------------------------------------------------------------

HOST = '  - {hostname: compute1, sysfs_root: sys}\n'
GEN = '  - {hostname: gen1, generate: {pfs: 1, vfs_per_pf: 2}}\n'

ERRORS = [
    # (scenario text, line, message fragment)
    ('hosts:\n' + HOST + 'extra: 1\n', 3, "unknown key 'extra' in the scenario"),
    ('hosts:\n  - {hostname: compute1, sysfs_root: sys, color: red}\n', 2,
     "unknown key 'color' in a host"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, image: x}\n', 4,
     "unknown key 'image' in a server"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, flavor: x}\n', 4,
     "unknown flavor 'x'"),
    ('users:\n  - {name: u, password: p, project: x, email: e}\n' + 'hosts:\n' + HOST, 2,
     "unknown key 'email' in a user"),
    ('projects:\n  - {name: p, domain: d}\n' + 'hosts:\n' + HOST, 2,
     "unknown key 'domain' in a project"),
    ('hosts: compute1\n', 1, 'hosts must be a list'),
    ('hosts: []\n', 1, 'hosts must list at least one host'),
    ('rescan_interval: 60\n', 1, "the scenario needs 'hosts'"),
    ('- hosts\n', 1, 'the scenario must be a mapping'),
    ('hosts:\n  - compute1\n', 2, "a host must be a mapping, not 'compute1'"),
    ('hosts:\n  - {sysfs_root: sys}\n', 2, "a host needs 'hostname'"),
    ('hosts:\n' + HOST + 'rescan_interval: -1\n', 3, 'rescan_interval must be a number'),
    ('hosts:\n' + HOST + 'rescan_interval: soon\n', 3, "not 'soon'"),
    ('hosts:\n  - {hostname: "c{index}", count: two, generate: {}}\n', 2,
     'count must be a whole number from 1 to 100000'),
    ('hosts:\n  - {hostname: c, count: 0, generate: {}}\n', 2, 'count must be a whole number'),
    ('hosts:\n  - {hostname: c, count: 2, generate: {}}\n', 2,
     'hostname must be a template with {index}'),
    ('hosts:\n  - {hostname: "c{name}", count: 2, generate: {}}\n', 2,
     'only {index} (e.g. {index:03d}) can be used'),
    ('hosts:\n  - {hostname: "bad host", generate: {}}\n', 2, 'is not a valid host name'),
    ('hosts:\n' + HOST + HOST, 3, "duplicate hostname 'compute1' (also at line 2)"),
    ('hosts:\n  - {hostname: "c{index}", count: 2, generate: {}}\n'
     '  - {hostname: c2, generate: {}}\n', 3, "duplicate hostname 'c2' (also at line 2)"),
    ('hosts:\n  - {hostname: c, sysfs_root: sys, generate: {}}\n', 2,
     'exactly one of sysfs_root and generate'),
    ('hosts:\n  - {hostname: c}\n', 2, 'exactly one of sysfs_root and generate'),
    ('hosts:\n  - {hostname: c, sysfs_root: nowhere}\n', 2,
     "sysfs_root 'nowhere': no such directory"),
    ('hosts:\n  - {hostname: c, sysfs_root: sys/devices}\n', 2, 'has no bus/pci/devices'),
    ('hosts:\n  - hostname: c\n    generate: {pfs: 1, vfs_per_pf: 300}\n', 3,
     'generate vfs_per_pf must be a whole number from 0 to 256'),
    ('hosts:\n  - hostname: c\n    generate:\n      numa_nodes: 0\n', 4,
     'generate numa_nodes must be a whole number from 1 to 64'),
    ('hosts:\n  - hostname: c\n    generate: {nics: 2}\n', 3, "unknown key 'nics' in generate"),
    ('hosts:\n  - hostname: c\n    generate: 4\n', 3, 'generate must be a mapping'),
    ('hosts:\n  - hostname: "c{index}"\n    count: 100000\n'
     '    generate: {pfs: 256, vfs_per_pf: 256}\n', 2, 'at most 2,000,000 are supported'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {vendor_id: "80867"}\n', 5, 'vendor_id must be "*" or a hex number up to ffff'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - vendor_id: "8086"\n        devname: eth0\n', 6, 'devname is not supported'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {address: "0000:zz:00.0"}\n', 5, 'address bus must be'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {address: "1:2:3:4.0"}\n', 5, 'is not a PCI address glob'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {address: {bus: "("}}\n', 5, 'bad regular expression'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {physical_network: [a, b]}\n', 5, 'physical_network must be a single value'),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec:\n'
     '      - {trusted: maybe}\n', 5, "tag 'trusted' must be true or false"),
    ('hosts:\n  - hostname: c\n    sysfs_root: sys\n    device_spec: {vendor_id: "8086"}\n', 4,
     'device_spec must be a list'),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p}\n', 4, "a server needs 'host'"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute2}\n', 4,
     "unknown host 'compute2'"),
    ('hosts:\n' + HOST + 'servers:\n  - name: a\n    project: p\n    host: compute1\n'
     '    devices: ["0000:04:10.0", "0000:99:00.0"]\n', 7,
     "device 0000:99:00.0 is not on host 'compute1'"),
    ('hosts:\n' + HOST + 'servers:\n  - name: a\n    project: p\n    host: compute1\n'
     '    devices:\n      - 0000:00:1f.3\n', 8,
     "device 0000:00:1f.3 is not on host 'compute1'"),          # unreadable in the tree
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, devices: [x]}\n',
     4, "device 'x' is not a PCI address"),
    ('hosts:\n  - hostname: compute1\n    sysfs_root: sys\n    device_spec: [{vendor_id: "10de"}]\n'
     'servers:\n  - {name: a, project: p, host: compute1, devices: ["0000:04:10.0"]}\n', 6,
     "device 0000:04:10.0 on host 'compute1' is not tracked by its device_spec"),
    ('hosts:\n' + HOST + 'servers:\n'
     '  - {name: a, project: p, host: compute1, devices: ["0000:04:10.0"]}\n'
     '  - {name: b, project: p, host: compute1, devices: ["0000:04:10.0"]}\n', 5,
     "is already held by server 'a' (line 4)"),
    ('hosts:\n' + HOST + 'servers:\n'
     '  - {name: a, project: p, host: compute1, devices: ["0000:04:10.0", "0000:04:10.0"]}\n',
     4, 'is listed twice for this server'),
    ('hosts:\n' + HOST + 'servers:\n'
     '  - {name: a, project: p, host: compute1, devices: ["0000:04:00.0"]}\n'
     '  - {name: b, project: p, host: compute1, devices: ["0000:04:10.2"]}\n', 5,
     "is a VF of 0000:04:00.0, which server 'a' (line 4) holds"),
    ('hosts:\n' + HOST + 'servers:\n'
     '  - {name: a, project: p, host: compute1, devices: ["0000:04:10.2"]}\n'
     '  - {name: b, project: p, host: compute1, devices: ["0000:04:00.0"]}\n', 5,
     "is the PF of 0000:04:10.2, which server 'a' (line 4) holds"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1}\n'
     '  - {name: a, project: p, host: compute1}\n', 5,
     "has the same id", ),
    ('hosts:\n' + HOST + 'servers:\n'
     '  - {name: a, project: p, host: compute1, id: 6b6bd4a3-94e5-4a9d-9b5c-3f2d1c0e7a11}\n'
     '  - {name: b, project: p, host: compute1, id: 6b6bd4a3-94e5-4a9d-9b5c-3f2d1c0e7a11}\n', 5,
     "server 'b' has the same id 6b6bd4a3-94e5-4a9d-9b5c-3f2d1c0e7a11 as server 'a' (line 4)"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, id: 42}\n', 4,
     'server id must be a UUID'),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, status: GONE}\n',
     4, "unknown server status 'GONE'"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, user: eve}\n', 4,
     "unknown user 'eve'"),
    ('hosts:\n' + HOST + 'servers:\n  - {name: a, project: p, host: compute1, devices: x}\n', 4,
     'devices must be a list'),
    ('users:\n  - {name: u, password: a, project: p}\n  - {name: u, password: b, project: p}\n'
     'hosts:\n' + HOST, 3, "duplicate user 'u'"),
    ('users:\n  - {name: u, password: "", project: p}\nhosts:\n' + HOST, 2, 'password is empty'),
    ('users:\n  - {name: u, project: p}\nhosts:\n' + HOST, 2, "a user needs 'password'"),
    ('users:\n  - {name: u, password: p, project: p, roles: admin}\nhosts:\n' + HOST, 2,
     'roles must be a list'),
    ('projects:\n  - {name: p}\n  - {name: p}\nhosts:\n' + HOST, 3,
     "duplicate project 'p' (also at line 2)"),
    ('projects:\n  - {name: p, id: x1}\n  - {name: q, id: x1}\nhosts:\n' + HOST, 3,
     "project 'q' has the same id as project 'p' (line 2)"),
    ('projects:\n  - {name: p, id: "not valid"}\nhosts:\n' + HOST, 2, 'project id must be'),
    ('hosts:\n' + HOST + 'hosts:\n' + HOST, 3, "duplicate key 'hosts' in the scenario "
                                               '(first at line 1)'),
    ('hosts:\n  - {hostname: c, generate: {}\n', 3, 'YAML syntax error'),
    ('hosts:\n  - hostname: c\n   generate: {}\n', 3, 'YAML syntax error'),
    ('hosts:\n' + HOST + 'servers: [\n', 4, 'YAML syntax error'),
    ('hosts:\n' + HOST + '---\nhosts: []\n', 3, 'YAML syntax error'),
    ('', 1, 'the file is empty'),
    ('hosts:\n  - {hostname: c, generate: {}}\n  - \x07\n', 3, 'YAML syntax error'),
]


@pytest.mark.parametrize('text, line, fragment', ERRORS)
def test_mistakes_name_file_and_line(write: Write, text: str, line: int, fragment: str) -> None:
    path = write(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    error = caught.value
    message = str(error)
    assert '\n' not in message
    assert message.startswith(f'{path}:{line}: '), message
    assert fragment in message
    assert (error.path, error.line) == (str(path), line)


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / 'missing.yaml'
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(missing))
    assert str(caught.value) == f'{missing}:0: cannot read the file: No such file or directory'
    with pytest.raises(ScenarioError, match=r':0: cannot read the file: Is a directory'):
        load_scenario(str(tmp_path))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / 'latin1.yaml'
    path.write_bytes(b'hosts:\n  - {hostname: caf\xe9, generate: {}}\n')
    with pytest.raises(ScenarioError, match=r'latin1\.yaml:2: the file is not UTF-8 text$'):
        load_scenario(str(path))


def test_unquoted_addresses_and_ids_are_taken_as_written(write: Write) -> None:
    """YAML 1.1 reads 0000:04:10.0 as a base-60 number and 0010 as octal; we do not."""
    scenario = load_scenario(str(write("""\
        hosts:
          - hostname: compute1
            sysfs_root: sys
            device_spec:
              - {vendor_id: 8086, product_id: 10ed, address: 0000:04:10.*, trusted: yes}
              - {vendor_id: 10de}
        servers:
          - {name: vm, project: p, host: compute1, devices: [0000:04:10.2]}
        """)))
    inventory = scenario.store.current
    assert [(d.address, d.tags) for d in inventory.devices] == [
        ('0000:04:10.0', (('trusted', 'yes'),)),
        ('0000:04:10.2', (('trusted', 'yes'),)),
        ('0000:3b:00.0', ()),
    ]
    assert inventory.devices[1].status == 'allocated'
