"""pci-exporter's SR-IOV and vGPU series against the fake cloud (Placement, Neutron), and
its background refresh against a cloud that moves: the scenario file is edited, the fake
server re-reads it on SIGHUP, and /metrics follows within a generous bound, saying what
`pci-cli pci-list --long` and `sriov-port-list` say of the new state."""
from __future__ import annotations

import selectors
import signal
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.functional.helpers import run_cli, run_tool
from tests.functional.test_exporter_against_fake_cloud import _first_line
from tests.support.cli_process import clean_env, console_script
from tests.support.fake_cloud import FakeServerProcess

BOUND = 60  # seconds: a failure, not the normal wait (a refresh takes a fraction of one)

HOSTS = """\
rescan_interval: 0
os_pci: false
hosts:
  - hostname: c1
    generate: {pfs: 1, vfs_per_pf: 3, gpus: 1}
    device_spec:
      - {vendor_id: "8086", physical_network: physnet1}
      - {vendor_id: "10de"}
    vgpus:
      - {address: "0000:84:00.0", total: 4}
  - hostname: c2
    generate: {pfs: 1, vfs_per_pf: 3, gpus: 1}
    device_spec:
      - {vendor_id: "8086", physical_network: physnet2}
      - {vendor_id: "10de"}
    vgpus:
      - {address: "0000:84:00.0", total: 2, resource_class: CUSTOM_NVIDIA_11}
flavors:
  - {name: small, vcpus: 1, ram: 512, disk: 1}
pci_aliases: []
"""
BEFORE = HOSTS + """\
servers:
  - {name: vm-a, project: admin, host: c1, devices: ["0000:01:01.0"], vgpus: ["0000:84:00.0"]}
  - {name: vm-b, project: admin, host: c2, devices: ["0000:01:01.0", "0000:01:01.1"]}
"""
# vm-b goes (c2's ports and devices are free again); vm-c comes on c1 with a VF and 2 vGPUs.
AFTER = HOSTS + """\
servers:
  - {name: vm-a, project: admin, host: c1, devices: ["0000:01:01.0"], vgpus: ["0000:84:00.0"]}
  - {name: vm-c, project: admin, host: c1, devices: ["0000:01:01.1"],
     vgpus: ["0000:84:00.0", "0000:84:00.0"]}
"""

Series = dict[str, list[tuple[dict[str, str], float]]]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[FakeServerProcess]:
    scenario = tmp_path / 'cloud.yaml'
    scenario.write_text(BEFORE)
    with FakeServerProcess('--noauth', '--scenario', str(scenario),
                           log=tmp_path / 'server.log') as server:
        server.scenario = scenario
        yield server


def _options(server: FakeServerProcess) -> list[str]:
    return ['--os-auth-type', 'none', '--os-endpoint', server.url,
            '--os-placement-endpoint-override', server.root + '/placement',
            '--os-network-endpoint-override', server.root + '/network']


def _series(text: str) -> Series:
    got: Series = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            got[sample.name].append((sample.labels, sample.value))
    return got


def _cli(server: FakeServerProcess, *argv: str) -> list[dict]:
    result = run_cli(*_options(server), *argv, '-f', 'json')
    assert result.code == 0, result
    return result.json()


def _vgpus(got: Series) -> dict[tuple[str, str, str], tuple[float, float]]:
    used = {(s['host'], s['address'], s['resource_class']): v
            for s, v in got['pci_pgpu_vgpu_used_units']}
    return {(s['host'], s['address'], s['resource_class']): (v, used[
        s['host'], s['address'], s['resource_class']]) for s, v in
        got['pci_pgpu_vgpu_capacity_units']}


def _ports(got: Series) -> dict[tuple[str, str], float]:
    return {(s['host'], s['physical_network']): v for s, v in got['pci_sriov_ports_in_use']}


def _check_against_the_cli(server: FakeServerProcess, got: Series) -> None:
    """The vGPU, SR-IOV and per-device series are what pci-cli says of the cloud now."""
    rows = _cli(server, 'pci-list', '--long')
    assert _vgpus(got) == {(r['Host'], r['Address'], r['Resource Class']): (r['Total'], r['Used'])
                           for r in rows if r['Type'] == 'vgpu'}
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for port in _cli(server, 'sriov-port-list'):
        if port['Host'] and port['Server']:
            expected[port['Host'], port['Physical Network'] or ''] += 1
    assert _ports(got) == expected
    devices = {(s['host'], s['address'], s['source']): v
               for s, v in got['pci_device_used_units']}
    assert devices == {(r['Host'], r['Address'], r['Source']): float(
        r['Used'] if r['Source'] == 'placement' else 1) for r in rows}
    holders = {(s['server_name'], s['host'], s['address']): v
               for s, v in got['pci_server_device_units']}
    assert holders == {(h['name'], r['Host'], r['Address']): h['amount']
                       for r in rows for h in r['Servers'] or ()}


def test_vgpu_and_sriov_series_are_what_the_cli_says(cloud: FakeServerProcess) -> None:
    result = run_tool('pci-exporter', *_options(cloud), '--once', '--per-device')
    assert result.code == 0, result
    got = _series(result.out)
    assert _vgpus(got) == {('c1', '0000:84:00.0', 'VGPU'): (4, 1),
                           ('c2', '0000:84:00.0', 'CUSTOM_NVIDIA_11'): (2, 0)}
    assert _ports(got) == {('c1', 'physnet1'): 1, ('c2', 'physnet2'): 2}
    _check_against_the_cli(cloud, got)
    assert {s['source'] for s, _ in got['pci_device_used_units']} == {'placement', 'neutron'}
    assert got['pci_exporter_up'] == [({}, 1.0)]


def _scrape(url: str) -> Series:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return _series(answer.read().decode())


def _poll(url: str, proc: subprocess.Popen, done) -> Series:
    deadline = time.monotonic() + BOUND
    while True:
        got = _scrape(url)
        if done(got):
            return got
        assert proc.poll() is None, 'pci-exporter exited'
        assert time.monotonic() < deadline, f'no change within {BOUND} s: {dict(got)}'
        selectors.DefaultSelector().select(0.2)


def _refreshed(got: Series) -> bool:
    return dict((s['result'], v) for s, v in got['pci_exporter_refreshes_total']).get(
        'success', 0) >= 1


def placement_ids(cloud: FakeServerProcess) -> dict[tuple[str, str], str]:
    return {(r['Host'], r['Address']): r['ID'] for r in _cli(cloud, 'pci-list')
            if r['Source'] == 'placement'}


def test_the_refresh_follows_a_moving_cloud(cloud: FakeServerProcess, tmp_path: Path) -> None:
    ids_before = placement_ids(cloud)
    assert len(ids_before) == 4   # per host a GPU and a pGPU (the NIC is Neutron's)
    with open(tmp_path / 'exporter.log', 'wb') as log:
        proc = subprocess.Popen([console_script('pci-exporter'), *_options(cloud), '--listen',
                                 '127.0.0.1:0', '--interval', '1', '--per-device'],
                                stdout=subprocess.PIPE, stderr=log, env=clean_env(),
                                stdin=subprocess.DEVNULL)
        try:
            url = _first_line(proc)
            before = _poll(url, proc, _refreshed)
            assert _ports(before) == {('c1', 'physnet1'): 1, ('c2', 'physnet2'): 2}
            _check_against_the_cli(cloud, before)

            cloud.scenario.write_text(AFTER)
            cloud.proc.send_signal(signal.SIGHUP)
            moved = {('c1', '0000:84:00.0', 'VGPU'): (4, 3),
                     ('c2', '0000:84:00.0', 'CUSTOM_NVIDIA_11'): (2, 0)}
            # A refresh reads its sources one after the other: one that straddles the
            # reload may show ports after it and devices before it. Wait for a refresh
            # wholly after it (the next one, a second later).
            after = _poll(url, proc, lambda got: _ports(got) == {('c1', 'physnet1'): 2}
                          and _vgpus(got) == moved and {
                              s['server_name'] for s, _ in got['pci_server_device_units']}
                          == {'vm-a', 'vm-c'})
            _check_against_the_cli(cloud, after)
            assert {s['server_name'] for s, _ in after['pci_server_device_units']} == \
                {'vm-a', 'vm-c'}
            # Devices stay the same devices: Placement's rows keep their ids (provider
            # uuids) in pci-list, and their series keep their labels.
            assert placement_ids(cloud) == ids_before

            def placement_labels(got: Series) -> list[str]:
                return sorted(repr(sorted(s.items())) for s, _ in got['pci_device_used_units']
                              if s['source'] == 'placement')
            assert placement_labels(after) == placement_labels(before)
            assert after['pci_exporter_up'] == [({}, 1.0)]
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0
    assert 'Traceback' not in (tmp_path / 'exporter.log').read_text()
