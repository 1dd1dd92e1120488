"""SIGHUP makes a running pci-fake-server re-read its scenario file: a cloud that moves.

A real process (the launcher of ``tests/support/fake_cloud.py``); each test edits the
file, sends SIGHUP and polls, within a generous bound, until the change shows. Ids
and uuids of what did not change must stay; an invalid edit keeps the old cloud.
"""
from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_cloud import FakeServerProcess

BOUND = 60  # seconds; a failure, not the normal wait (a reload takes milliseconds here)

BEFORE = """\
hosts:
  - {hostname: alpha, generate: {gpus: 2}}
  - {hostname: gamma, generate: {gpus: 2}}
servers:
  - {name: vm1, project: demo, host: alpha, devices: ["0000:02:00.0"]}
"""
# beta sorts between alpha and gamma; gamma goes; vm1 holds another device; vm2 comes.
AFTER = """\
hosts:
  - {hostname: alpha, generate: {gpus: 2}}
  - {hostname: beta, generate: {gpus: 2}}
servers:
  - {name: vm1, project: demo, host: alpha, devices: ["0000:01:00.0"]}
  - {name: vm2, project: demo, host: beta, devices: ["0000:02:00.0"]}
"""


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


class _Cloud:
    """What a client sees of the fake cloud at one moment, keyed by names."""

    def __init__(self, server: FakeServerProcess) -> None:
        compute, placement = server.url, server.root + '/placement'
        self.hypervisors = {h['hypervisor_hostname']: h
                            for h in _get(compute + '/os-hypervisors/detail')['hypervisors']}
        host_of = {h['id']: name for name, h in self.hypervisors.items()}
        self.devices = {(host_of[d['compute_node_id']], d['address']): d
                        for d in _get(compute + '/os-pci')['pci_devices']}
        self.servers = {s['name']: s
                        for s in _get(compute + '/servers/detail?all_tenants=1')['servers']}
        self.providers = {p['name']: p['uuid']
                          for p in _get(placement + '/resource_providers')['resource_providers']}
        self.usages = {name: _get(f'{placement}/resource_providers/{uuid}/usages')['usages']
                       for name, uuid in self.providers.items() if '_' in name}
        self.allocations = {name: set(_get(f'{placement}/allocations/{s["id"]}')['allocations'])
                            for name, s in self.servers.items()}


def _wait_for(server: FakeServerProcess, done: Callable[[_Cloud], bool]) -> _Cloud:
    deadline = time.monotonic() + BOUND
    while True:
        try:
            cloud = _Cloud(server)
        except (urllib.error.HTTPError, KeyError):  # the reload came between two requests
            cloud = None
        if cloud is not None and done(cloud):
            return cloud
        assert server.proc.poll() is None, server.log_text()[-2000:]
        assert time.monotonic() < deadline, f'no change after SIGHUP: {server.log_text()[-2000:]}'
        time.sleep(0.1)


def _wait_for_log(server: FakeServerProcess, text: str) -> str:
    deadline = time.monotonic() + BOUND
    while text not in server.log_text():
        assert server.proc.poll() is None, server.log_text()[-2000:]
        assert time.monotonic() < deadline, f'{text!r} not logged: {server.log_text()[-2000:]}'
        time.sleep(0.1)
    return server.log_text()


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / 'cloud.yaml'
    path.write_text(BEFORE)
    return path


@pytest.fixture
def server(scenario: Path, tmp_path: Path) -> Iterator[FakeServerProcess]:
    with FakeServerProcess('--noauth', '--scenario', str(scenario),
                           log=tmp_path / 'server.log') as running:
        yield running
    assert running.proc.returncode == 0, running.log_text()[-2000:]
    assert 'Traceback' not in running.log_text()


def test_reload_moves_servers_and_hosts_keeping_ids(server: FakeServerProcess,
                                                    scenario: Path) -> None:
    before = _Cloud(server)
    assert before.devices[('alpha', '0000:02:00.0')]['status'] == 'allocated'
    scenario.write_text(AFTER)
    server.proc.send_signal(signal.SIGHUP)
    after = _wait_for(server, lambda cloud: 'beta' in cloud.hypervisors)

    # Hosts: alpha keeps its compute node id, gamma is gone, beta gets an unused id.
    assert after.hypervisors['alpha']['id'] == before.hypervisors['alpha']['id']
    assert set(after.hypervisors) == {'alpha', 'beta'}
    assert after.hypervisors['beta']['id'] not in {h['id'] for h in before.hypervisors.values()}
    # Devices: alpha's keep their ids; gamma's are gone; beta's ids were never used.
    for place in [('alpha', '0000:01:00.0'), ('alpha', '0000:02:00.0')]:
        assert after.devices[place]['id'] == before.devices[place]['id']
    assert not [place for place in after.devices if place[0] == 'gamma']
    old_ids = {d['id'] for d in before.devices.values()}
    assert {after.devices[('beta', a)]['id'] for a in ('0000:01:00.0', '0000:02:00.0')} \
        .isdisjoint(old_ids)
    # Statuses and pools follow what the servers now hold.
    assert after.devices[('alpha', '0000:01:00.0')]['status'] == 'allocated'
    assert after.devices[('alpha', '0000:02:00.0')]['status'] == 'available'
    assert after.devices[('beta', '0000:02:00.0')]['status'] == 'allocated'
    free = {p['extra_info']['address']: p['count']
            for p in after.hypervisors['alpha']['pci_stats']}
    assert free == {'0000:01:00.0': 0, '0000:02:00.0': 1}
    # Servers: vm1 keeps its uuid and holds its new device; vm2 is there.
    assert after.servers['vm1']['id'] == before.servers['vm1']['id']
    assert after.servers['vm1']['os-pci:pci_devices'] == [
        {'id': before.devices[('alpha', '0000:01:00.0')]['id']}]
    assert after.servers['vm2']['OS-EXT-SRV-ATTR:host'] == 'beta'
    # Placement: alpha's providers keep their uuids, gamma's are gone, usages and
    # allocations moved with the servers.
    for name in ('alpha', 'alpha_0000:01:00.0', 'alpha_0000:02:00.0'):
        assert after.providers[name] == before.providers[name]
    assert not [name for name in after.providers if name.startswith('gamma')]
    assert sum(after.usages['alpha_0000:01:00.0'].values()) == 1
    assert sum(after.usages['alpha_0000:02:00.0'].values()) == 0
    assert sum(after.usages['beta_0000:02:00.0'].values()) == 1
    assert after.allocations['vm1'] == {after.providers['alpha'],
                                        after.providers['alpha_0000:01:00.0']}
    assert after.allocations['vm2'] == {after.providers['beta'],
                                        after.providers['beta_0000:02:00.0']}
    assert 'reload of' in server.log_text()


def test_host_removed_then_back_gets_new_ids(server: FakeServerProcess, scenario: Path) -> None:
    """A host that leaves and comes back is a new compute node: ids are never reused."""
    before = _Cloud(server)
    scenario.write_text(BEFORE.replace('  - {hostname: gamma, generate: {gpus: 2}}\n', ''))
    server.proc.send_signal(signal.SIGHUP)
    _wait_for(server, lambda cloud: 'gamma' not in cloud.hypervisors)
    scenario.write_text(BEFORE)
    server.proc.send_signal(signal.SIGHUP)
    back = _wait_for(server, lambda cloud: 'gamma' in cloud.hypervisors)
    assert back.hypervisors['gamma']['id'] > max(h['id'] for h in before.hypervisors.values())
    assert back.devices[('gamma', '0000:01:00.0')]['id'] > max(
        d['id'] for d in before.devices.values())
    assert back.devices[('alpha', '0000:02:00.0')] == before.devices[('alpha', '0000:02:00.0')]
    assert back.providers == before.providers  # uuids come from names, as Nova's stay


def test_invalid_edit_is_refused_and_the_old_cloud_kept(server: FakeServerProcess,
                                                        scenario: Path) -> None:
    before = _Cloud(server)
    scenario.write_text(AFTER.replace('host: beta', 'host: delta'))
    server.proc.send_signal(signal.SIGHUP)
    log = _wait_for_log(server, 'reload refused')
    (line,) = [line for line in log.splitlines() if 'reload refused' in line]
    assert f"{scenario}:6: unknown host 'delta'" in line
    still = _Cloud(server)
    assert (still.hypervisors, still.devices, still.servers, still.providers) == (
        before.hypervisors, before.devices, before.servers, before.providers)
    assert still.servers.keys() == {'vm1'}
    # Fixed, the next SIGHUP applies it.
    scenario.write_text(AFTER)
    server.proc.send_signal(signal.SIGHUP)
    _wait_for(server, lambda cloud: 'vm2' in cloud.servers)
