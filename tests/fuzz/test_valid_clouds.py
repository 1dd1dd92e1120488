"""The other half of fuzzing: clouds whose answers are all well formed (any hostnames,
names, ids, pool encodings, page sizes, either dialect) are listed completely and exactly.
A decoder that rejected good answers would pass every "garbage in" test."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness, jsontext
from tests.fuzz import world as w
from tests.fuzz.commands import SOURCES
from tests.fuzz.documents import COMPUTE_KINDS, PLACEMENT_KINDS
from tests.fuzz.wrong_answers import Plan, plans

ALL_KINDS = (*COMPUTE_KINDS, *PLACEMENT_KINDS)


def listing(argv: list[str], plan: Plan, source: str = 'os-pci') -> list[dict]:
    outcome = harness.run([*SOURCES[source], *argv, '-f', 'json'], plan)
    rows = harness.check(outcome, 'json', list)
    assert outcome.code == 0, outcome
    return rows


def _hosts(world: w.World) -> dict:
    return {h['id']: h['hypervisor_hostname'] for h in world.hypervisors}


@given(plan=plans(ALL_KINDS, os_pci=True, mode='pristine'), long=st.booleans())
def test_pci_list_from_os_pci(plan, long):
    rows = listing(['pci-list', *(['--long'] if long else [])], plan)
    world = plan.world
    assert [row['ID'] for row in rows] == [d['id'] for d in world.devices]
    assert [row['Host'] for row in rows] == [_hosts(world).get(d['compute_node_id'])
                                            for d in world.devices]
    assert [row['Address'] for row in rows] == [d['address'] for d in world.devices]
    assert {row['Source'] for row in rows} <= {'os-pci'}
    if long:
        holders = [d.get('instance_uuid', d.get('server_uuid')) for d in world.devices]
        assert [row['Instance UUID'] for row in rows] == holders
        assert [row['Extra Info'] for row in rows] == [d['extra_info'] for d in world.devices]


@given(plan=plans(ALL_KINDS, mode='pristine'), long=st.booleans())
def test_pci_list_from_placement(plan, long):
    rows = listing(['pci-list', *(['--long'] if long else [])], plan, 'placement')
    world = plan.world
    assert sorted(row['ID'] for row in rows) == sorted(p['uuid'] for p in world.providers)
    roots = {uuid: root['name'] for uuid, root in world.roots.items()}
    for row in rows:
        provider = next(p for p in world.providers if p['uuid'] == row['ID'])
        expected = provider['name'].rsplit('_', 1)[0] if provider['name'] != 'custom-board' \
            else roots[provider['root_provider_uuid']]
        assert row['Host'] == expected and row['Source'] == 'placement'
        if long:
            detail = world.details[row['ID']]
            [(resource_class, inventory)] = detail['inventories'].items()
            assert row['Free'] == (inventory['total'] - inventory['reserved']
                                   - detail['usages'][resource_class])
            names = {s['id']: s['name'] for s in world.servers}
            assert row['Servers'] == [
                {'id': consumer, 'name': names.get(consumer),
                 'amount': sum(detail['allocations'][consumer]['resources'].values())}
                for consumer in sorted(detail['allocations'])]


@given(plan=plans(ALL_KINDS, os_pci=True, mode='pristine'), long=st.booleans())
def test_hypervisor_list(plan, long):
    rows = listing(['hypervisor-list', *(['--long'] if long else [])], plan)
    assert [(row['ID'], row['Hostname']) for row in rows] == [
        (h['id'], h['hypervisor_hostname']) for h in plan.world.hypervisors]


@given(plan=plans(ALL_KINDS, os_pci=True, mode='pristine'))
def test_server_list(plan):
    rows = listing(['server-list'], plan)
    assert [(row['ID'], row['Name'], row['PCI Devices']) for row in rows] == [
        (s['id'], s['name'], [d['id'] for d in s['os-pci:pci_devices']])
        for s in plan.world.servers]


def _pool_count(value) -> int:
    if isinstance(value, jsontext.Raw):
        value = json.loads(json.loads(value.text))
    if isinstance(value, dict):
        value = value['nova_object.data']['objects']
    return len(value)


@given(plan=plans(ALL_KINDS, os_pci=True, mode='pristine'))
def test_pci_pool_list(plan):
    rows = listing(['pci-pool-list'], plan)
    expected = sum(_pool_count(h.get('pci_stats', h.get('os-pci:pci_stats')))
                   for h in plan.world.hypervisors)
    assert len(rows) == expected


@pytest.mark.parametrize('source', ['os-pci', 'placement'])
@given(data=st.data())
def test_every_device_shows(source, data):
    plan = data.draw(plans(ALL_KINDS, os_pci=True, mode='pristine'))
    world = plan.world
    keys = [str(d['id']) for d in world.devices] if source == 'os-pci' else \
        [p['uuid'] for p in world.providers]
    if not keys:
        return
    key = data.draw(st.sampled_from(keys))
    outcome = harness.run([*SOURCES[source], 'pci-show', key, '-f', 'json'], plan)
    shown = harness.check(outcome, 'json', dict)
    assert outcome.code == 0, outcome
    assert str(shown['id']) == key and shown['source'] == source
