"""The other half of fuzzing: clouds whose answers are all well formed (any hostnames,
names, ids, pool encodings, page sizes, either dialect) are listed completely and exactly.
A decoder that rejected good answers would pass every "garbage in" test."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz import harness, jsontext
from tests.fuzz import world as w
from tests.fuzz.commands import (
    ALIAS_FILE,
    RAW_ALIASES,
    RAW_RESOURCES,
    RAW_TRAITS,
    SOURCES,
)
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


# --- capacity -----------------------------------------------------------------------------
_RC = r'[A-Z0-9_]+'
#: The closed "Limited By" vocabulary (pciclient/v2/capacity/outcome.py).
LIMITED_BY = re.compile(rf'^({_RC}|disabled|down|not in aggregate|invalid request|'
                        rf'PCI not reported|(missing|forbidden) trait {_RC}|'
                        rf'no provider of {_RC}|unknown alias .+)$', re.S)


@dataclass
class CapacityAsk:
    argv: list[str]
    hosts: list[str]        # the hosts whose rows are expected
    flavors: int            # how many flavors each host has a row for
    min_fits: int | None = None
    host_given: bool = False


def _zones(world: w.World) -> list[str]:
    named = {a['availability_zone'] for a in world.aggregates if a['availability_zone']}
    if any(not any(h['service']['host'] in a['hosts'] for a in world.aggregates
                   if a['availability_zone']) for h in world.hypervisors):
        named.add('nova')
    return sorted(named)


@st.composite
def capacity_asks(draw, world: w.World) -> CapacityAsk:
    """Options that name only what the world has (flavors by id or unique name, a compute
    node, a zone or aggregate that exists), with a valid alias file if any."""
    argv: list[str] = []
    ids = [f['id'] for f in world.flavors]
    names = [f['name'] for f in world.flavors]
    keys = ids + [n for n in names if names.count(n) == 1 and n not in ids]
    if draw(st.integers(0, 4)) == 0:
        argv += [f'--resources={draw(RAW_RESOURCES)}', f'--alias={draw(RAW_ALIASES)}']
        argv += [f'--required={t}' for t in draw(st.lists(RAW_TRAITS, max_size=1))]
        flavors = 1
    else:
        chosen = draw(st.lists(st.sampled_from(keys), max_size=2)) if keys else []
        argv += [f'--flavor={key}' for key in chosen]
        flavors = len(chosen) or len(world.flavors)
    hosts = sorted(root['name'] for root in world.roots.values())
    host_given = bool(hosts) and draw(st.integers(0, 3)) == 0
    member_of: list[set[str]] = []
    if host_given:
        hosts = [draw(st.sampled_from(hosts))]
        argv.append(f'--host={hosts[0]}')
    if tuple(map(int, world.max_version.split('.'))) >= (2, 41):  # aggregates' uuid
        zones = _zones(world)
        if zones and draw(st.integers(0, 3)) == 0:
            zone = draw(st.sampled_from(zones))
            argv.append(f'--availability-zone={zone}')
            uuids = {a['uuid'] for a in world.aggregates if a['availability_zone'] == zone}
            member_of += [uuids] if uuids else []
        if world.aggregates and draw(st.integers(0, 3)) == 0:
            aggregate = draw(st.sampled_from(world.aggregates))
            key = draw(st.sampled_from([aggregate['uuid'], aggregate['name']]))
            argv.append(f'--aggregate={key}')
            member_of.append({a['uuid'] for a in world.aggregates
                              if key in (a['uuid'], a['name'], str(a['id']))})
    if not host_given:
        hosts = [host for host in hosts
                 if all(ored & set(world.details[world.root_named(host)]['aggregates'])
                        for ored in member_of)]
    for flag in ('--verify', '--boot-from-volume'):
        argv += [flag] if draw(st.booleans()) else []
    argv.append(f'--pci-in-placement={draw(st.sampled_from(["auto", "yes", "no"]))}')
    if world.alias_file is not None and not world.alias_broken:
        argv.append(f'--pci-alias={ALIAS_FILE}')
    min_fits = draw(st.none() | st.integers(0, 3))
    argv += [f'--min-fits={min_fits}'] if min_fits is not None else []
    return CapacityAsk(argv, hosts, flavors, min_fits, host_given)


def _capacity(ask: CapacityAsk, plan: Plan, *extra: str) -> tuple[int, list[dict]]:
    world = plan.world
    files = {'aliases.conf': world.alias_file} if world.alias_file is not None else {}
    outcome = harness.run([*SOURCES['placement'], 'capacity', *ask.argv, *extra, '-f', 'json'],
                          plan, files=files)
    rows = harness.check(outcome, 'json', list, below_minimum=ask.min_fits is not None)
    assert outcome.code in ((0, 3) if ask.min_fits is not None else (0,)), outcome
    return outcome.code, rows


@given(data=st.data())
def test_capacity_of_every_host_and_flavor(data):
    """Rows are hosts × flavors; Fits, Limited By and Free are what the schema says; down
    and disabled hosts fit nothing; --summary adds up the hosts; --min-fits exits 3
    exactly when the rows say so."""
    plan = data.draw(plans(ALL_KINDS, mode='pristine', capacity=True))
    world = plan.world
    ask = data.draw(capacity_asks(world))
    code, rows = _capacity(ask, plan)
    assert len(rows) == len(ask.hosts) * ask.flavors, (ask, rows)
    assert {row['Host'] for row in rows} == (set(ask.hosts) if ask.flavors else set())
    down = {h['hypervisor_hostname'] for h in world.hypervisors if h['state'] == 'down'}
    disabled = {r['name'] for u, r in world.roots.items()
                if 'COMPUTE_STATUS_DISABLED' in world.details[u]['traits']}
    for row in rows:
        fits = row['Fits']
        assert fits is None or (type(fits) is int and fits >= 0), row
        assert row['Limited By'] is None or LIMITED_BY.match(row['Limited By']), row
        assert isinstance(row['Free'], dict), row
        assert all(type(v) is int and v >= 0 for v in row['Free'].values()), row
        if row['Host'] in down | disabled:
            assert fits in (0, None), row
        if row['Host'] in down:
            assert row['Limited By'] == 'down', row
    by_flavor: dict[str, list] = {}
    for row in rows:
        by_flavor.setdefault(row['Flavor'], []).append(row['Fits'])
    _, summary = _capacity(ask, plan, '--summary')
    assert {line['Flavor'] for line in summary} == set(by_flavor)
    for line in summary:
        fits = by_flavor[line['Flavor']]
        assert line['Fits'] == (None if None in fits else sum(fits)), (line, fits)
        assert line['Hosts'] == sum(1 for f in fits if f), (line, fits)
    if ask.min_fits is not None:
        counts = [row['Fits'] for row in rows] if ask.host_given else \
            [line['Fits'] for line in summary]
        below = not counts or any(c is None or c < ask.min_fits for c in counts)
        assert code == (3 if below else 0), (ask, rows, summary)
    event(f'some host fits one: {any(row["Fits"] for row in rows)}; exit {code}')
