"""The reload in-process: all or nothing, start-only keys, sysfs hosts and the rescanner."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pciclient.fakeserver.model.store import InventoryStore
from pciclient.fakeserver.scenario.loader import load_scenario
from pciclient.fakeserver.scenario.reload import reload_scenario
from tests.support.sysfs_tree import add_device, build_standard_tree

BEFORE = """\
hosts:
  - {hostname: alpha, generate: {gpus: 2}}
  - {hostname: gamma, generate: {gpus: 2}}
servers:
  - {name: vm1, project: demo, host: alpha, devices: ["0000:02:00.0"]}
"""
AFTER = """\
hosts:
  - {hostname: alpha, generate: {gpus: 2}}
  - {hostname: beta, generate: {gpus: 2}}
servers:
  - {name: vm2, project: demo, host: beta, devices: ["0000:02:00.0"]}
"""


def _places(store: InventoryStore) -> dict[tuple[str, str], tuple[int, str]]:
    return {(d.hostname, d.address): (d.id, d.status) for d in store.current.devices}


def test_a_failed_adopt_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / 'cloud.yaml'
    path.write_text(BEFORE)
    scenario = load_scenario(str(path))
    store = scenario.store
    snapshot, places = store.current, _places(store)
    path.write_text(AFTER)
    fresh = load_scenario(str(path)).store

    def broken() -> None:
        raise ValueError('boom')
    with monkeypatch.context() as patch:
        patch.setattr(store, '_snapshot', broken)
        with pytest.raises(ValueError, match='boom'):
            store.adopt(fresh)
    assert store.current is snapshot and _places(store) == places
    changes = store.adopt(fresh)  # nothing half-applied is left over from the failure
    assert (changes.hosts_added, changes.hosts_removed) == (('beta',), ('gamma',))
    assert [(h.hostname, h.id) for h in store.current.hypervisors] == [('alpha', 1), ('beta', 3)]
    assert _places(store)[('beta', '0000:01:00.0')] == (5, 'available')
    assert _places(store)[('alpha', '0000:02:00.0')] == (2, 'available')


def test_start_only_keys_are_kept_and_said(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / 'cloud.yaml'
    path.write_text(BEFORE)
    scenario = load_scenario(str(path))
    path.write_text('users: [{name: bob, password: s3cret-pw, project: demo}]\n'
                    'os_pci: false\n' + AFTER)
    with caplog.at_level(logging.INFO, logger='pciclient.fakeserver'):
        changes = reload_scenario(scenario)
    assert changes is not None and changes.servers_added and changes.servers_removed
    assert scenario.users == [] and scenario.os_pci is True
    assert 'users, os_pci changed' in caplog.text and 's3cret-pw' not in caplog.text


def test_reload_reads_sysfs_and_starts_the_rescanner(tmp_path: Path) -> None:
    """A first sysfs host coming in a reload is read then, and rescanned from then on."""
    tree = build_standard_tree(tmp_path / 'sys')
    path = tmp_path / 'cloud.yaml'
    path.write_text('rescan_interval: 3600\n' + BEFORE)
    scenario = load_scenario(str(path))
    store = scenario.store
    assert not store.rescannable
    path.write_text(f'rescan_interval: 3600\n{BEFORE}'
                    .replace('hosts:\n', f'hosts:\n  - {{hostname: s1, sysfs_root: {tree}}}\n'))
    try:
        assert reload_scenario(scenario) is not None
        first = {d.address: d.id for d in store.current.devices if d.hostname == 's1'}
        assert first and store.rescannable and store._worker is not None
        add_device(tree, '0000:5e:00.0', '10de', '1eb8', class_code='0x030200')
        assert reload_scenario(scenario) is not None
        again = {d.address: d.id for d in store.current.devices if d.hostname == 's1'}
        assert {a: again[a] for a in first} == first
        assert again['0000:5e:00.0'] > max(d.id for d in store.current.devices
                                           if d.hostname != 's1' or d.address in first)
    finally:
        store.stop()
