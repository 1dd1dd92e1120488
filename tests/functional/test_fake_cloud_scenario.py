"""A scenario cloud through real HTTP: allocation states, pools, filters, pages, rescans,
token expiry and scenario errors, with the installed pci-cli and pci-fake-server."""
from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.functional.helpers import run_cli
from tests.support.cli_process import clean_env, console_script
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import add_device, build_standard_tree, bus_devices_dir

SCENARIO = '''\
rescan_interval: 0
hosts:
  - hostname: compute1
    sysfs_root: {sysfs}
    device_spec:
      - {{vendor_id: "8086", product_id: "10ed", physical_network: physnet1}}
      - {{vendor_id: "8086", product_id: "10fb"}}
      - {{vendor_id: "10de"}}
  - hostname: "gen-{{index}}"
    count: 3
    generate: {{pfs: 4, vfs_per_pf: 100, gpus: 2, numa_nodes: 2}}
servers:
  - {{name: vm-vf, project: demo, host: compute1, devices: ["0000:04:10.0"]}}
  - {{name: vm-pf, project: demo, host: gen-1, devices: ["{gen_pf}"]}}
'''


def generated_pf(tmp_path: Path) -> str:
    """The address of gen-1's first PF, read from a scenario without servers."""
    plain = tmp_path / 'probe.yaml'
    plain.write_text('hosts:\n  - {hostname: gen-1, generate: {pfs: 1, vfs_per_pf: 1}}\n')
    server = FakeServerProcess('--noauth', '--scenario', str(plain), log=tmp_path / 'probe.log')
    try:
        rows = run_cli('pci-list', '--type', 'pf', '-f', 'json', endpoint=server.url).json()
    finally:
        server.stop()
    return rows[0]['Address']


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('scenario-cloud')
    sysfs = build_standard_tree(workdir / 'sys')
    scenario = workdir / 'cloud.yaml'
    scenario.write_text(SCENARIO.format(sysfs=sysfs, gen_pf=generated_pf(workdir)))
    server = FakeServerProcess('--noauth', '--scenario', str(scenario), log=workdir / 'server.log')
    server.sysfs = sysfs
    yield server
    server.stop()


def cli_json(cloud, *args):
    return run_cli(*args, '-f', 'json', endpoint=cloud.url).json()


def test_allocation_states(cloud):
    allocated = cli_json(cloud, 'pci-list', '--status', 'allocated', '--long')
    assert sorted(row['Host'] for row in allocated) == ['compute1', 'gen-1']
    servers = {row['Name']: row['ID'] for row in cli_json(cloud, 'server-list')}
    assert {row['Instance UUID'] for row in allocated} == set(servers.values())
    unclaimable = cli_json(cloud, 'pci-list', '--status', 'unclaimable')
    assert [(row['Host'], row['Address']) for row in unclaimable] == [('compute1', '0000:04:00.0')]
    unavailable = cli_json(cloud, 'pci-list', '--status', 'unavailable', '--long')
    assert len(unavailable) == 100
    assert {row['Host'] for row in unavailable} == {'gen-1'}
    assert {row['Type'] for row in unavailable} == {'type-VF'}


def test_device_spec_tracks_only_matching_devices_with_tags(cloud):
    rows = cli_json(cloud, 'pci-list', '--host', 'compute1')
    # The SATA controller matches no device_spec entry: not tracked.
    assert [row['Address'] for row in rows] == ['0000:04:00.0', '0000:04:10.0', '0000:04:10.2',
                                                '0000:3b:00.0']


def test_pools(cloud):
    pools = cli_json(cloud, 'pci-pool-list', '--host', 'compute1')
    by_type = {row['Type']: row for row in pools}
    assert by_type['type-VF']['Count'] == 1  # one of two VFs is held
    assert by_type['type-VF']['Tags']['physical_network'] == 'physnet1'
    assert by_type['type-PF']['Count'] == 0  # unclaimable, yet the pool stays
    assert by_type['type-PCI']['Count'] == 1
    gen1 = cli_json(cloud, 'pci-pool-list', '--host', 'gen-1', '--vendor-id', '10de')
    assert sum(row['Count'] for row in gen1) == 2


def test_filters_and_pages(cloud):
    everything = cli_json(cloud, 'pci-list')
    assert len(everything) == 4 + 3 * (4 * 101 + 2)  # more than one 1000-device page
    assert len({row['ID'] for row in everything}) == len(everything)
    vfs = cli_json(cloud, 'pci-list', '--host', 'gen-2', '--type', 'vf')
    assert len(vfs) == 400
    first = cli_json(cloud, 'pci-list', '--limit', '5')
    following = cli_json(cloud, 'pci-list', '--limit', '5', '--marker', str(first[-1]['ID']))
    assert [row['ID'] for row in first + following] == [row['ID'] for row in everything[:10]]
    one = cli_json(cloud, 'pci-list', '--address', '0000:3B:00.0')
    assert [(row['Host'], row['Vendor ID']) for row in one] == [('compute1', '10de')]


def test_rescan_on_sighup(cloud):
    before = {row['Address']: row for row in cli_json(cloud, 'pci-list', '--host', 'compute1')}
    (bus_devices_dir(cloud.sysfs) / '0000:3b:00.0').unlink()
    add_device(cloud.sysfs, '0000:af:00.0', '10de', '20b5', class_code='0x030200', numa_node=1)
    cloud.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after = {row['Address']: row for row in cli_json(cloud, 'pci-list', '--host', 'compute1')}
        if '0000:af:00.0' in after:
            break
        time.sleep(0.2)
    assert after['0000:3b:00.0']['Status'] == 'removed'
    assert after['0000:3b:00.0']['ID'] == before['0000:3b:00.0']['ID']
    assert after['0000:04:10.0']['ID'] == before['0000:04:10.0']['ID']
    assert after['0000:af:00.0']['ID'] not in {row['ID'] for row in before.values()}


def test_token_expiry(tmp_path):
    sysfs = build_standard_tree(tmp_path / 'sys')
    server = FakeServerProcess('--sysfs-root', str(sysfs), '--admin-password', 'pw-expiry',
                               '--token-ttl', '2', log=tmp_path / 'server.log')
    try:
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'name': 'Default'}, 'password': 'pw-expiry'}}},
            'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}
        request = urllib.request.Request(server.root + '/identity/v3/auth/tokens',
                                         data=json.dumps(body).encode(), method='POST',
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=10) as answer:
            token = answer.headers['X-Subject-Token']
        argv = ('--os-auth-type', 'admin_token', '--os-endpoint', server.url, '--os-token', token,
                'hypervisor-list', '-f', 'json')
        assert run_cli(*argv).json()[0]['Hostname']
        time.sleep(2.5)
        expired = run_cli(*argv)
        assert expired.code == 1 and expired.out == ''
        assert len(expired.err.strip().splitlines()) == 1
        assert '(HTTP 401)' in expired.err
        assert token not in expired.err
    finally:
        server.stop()


def test_bad_scenario_is_refused_with_its_line(tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('hosts:\n  - hostname: a\n    generate: {pfs: -1}\n')
    done = subprocess.run([console_script('pci-fake-server'), '--port', '0',
                           '--scenario', str(bad)],
                          capture_output=True, text=True, env=clean_env(), timeout=30,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stdout == ''
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f'{bad}:3:' in lines[0]
