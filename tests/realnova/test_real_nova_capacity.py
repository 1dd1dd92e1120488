"""How many servers of a flavor real Nova 34 places per host, and whether ``pci-cli
capacity`` predicts it (issue 13, "the decision").

A second harness runs the capacity scenario (``capacity_cloud.py``): per host VCPU
2 x 4.0 = 8, MEMORY_MB 8192 - 512 = 7680, DISK_GB 1028, two GPU providers of 1 unit and
two VF providers of 1 and 3 units. :data:`EXPECTED` is worked out by hand from those
numbers; ``test_pci_cli_predicts_what_nova_decides`` asks ``pci-cli capacity`` first,
then boots servers one at a time until one ends in ERROR with NoValidHost, and checks
that Nova placed on each host what pci-cli predicted (and :data:`EXPECTED`).
Each flavor starts from an empty cloud: ``boot_until_full`` deletes its servers (cheaper
than a harness per flavor, which costs a Nova start-up each).
"""
from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pciclient.v2.capacity.aliases import load_aliases
from pciclient.v2.capacity.flavor_request import flavor_request
from tests.realnova.capacity_cloud import FLAVORS, CapacityCloud, start_capacity_nova
from tests.realnova.test_real_nova_placement import run_placement_cli

GPU_RC = 'CUSTOM_PCI_10DE_1EB8'
VF_RC = 'CUSTOM_PCI_8086_1515'
HOSTS = ('compute1', 'compute2')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
# What an empty host offers: (total - reserved) x allocation_ratio.
EMPTY = {'VCPU': 8, 'MEMORY_MB': 7680, 'DISK_GB': 1028, GPU_RC: 2, VF_RC: 4}


@dataclass(frozen=True)
class Expected:
    per_host: int
    limited_by: str
    free: dict[str, int]   # on an empty host, for the classes the flavor asks for


def _free(*classes: str) -> dict[str, int]:
    return {rc: EMPTY[rc] for rc in classes}


EXPECTED = {
    # VCPU 8/1, MEMORY_MB 7680/1024 = 7, GPU 2/1 = 2: the GPUs run out first.
    'cap.gpu': Expected(2, GPU_RC, _free('VCPU', 'MEMORY_MB', 'DISK_GB', GPU_RC)),
    # VCPU 8, MEMORY_MB 7, VFs 4/2 = 2 (one server takes a VF from each provider).
    'cap.vf2': Expected(2, VF_RC, _free('VCPU', 'MEMORY_MB', 'DISK_GB', VF_RC)),
    # Two VFs from two different providers: after one server the 1-VF provider is
    # empty, so 1 fits although 4 free / 2 needed says 2.
    'cap.vf2.isolate': Expected(1, VF_RC, _free('VCPU', 'MEMORY_MB', 'DISK_GB', VF_RC)),
    # VCPU 8/2 = 4, MEMORY_MB 7680/2048 = 3, VFs 4/1 = 4: RAM runs out before PCI.
    'cap.ram': Expected(3, 'MEMORY_MB', _free('VCPU', 'MEMORY_MB', 'DISK_GB', VF_RC)),
}
assert set(EXPECTED) == {flavor.name for flavor in FLAVORS}


@pytest.fixture(scope='module')
def capacity_nova(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CapacityCloud]:
    with start_capacity_nova(tmp_path_factory.mktemp('realnova-capacity')) as cloud:
        yield cloud


# -- what the hand computation rests on (Placement as Nova wrote it) --------------------

def test_roots_hold_the_configured_inventories(capacity_nova):
    for hypervisor in capacity_nova.hypervisors:
        inventories = capacity_nova.placement(
            f'/resource_providers/{hypervisor["id"]}/inventories')['inventories']
        assert {rc: (inv['total'], inv['reserved'], inv['allocation_ratio'])
                for rc, inv in inventories.items()} == {
            'VCPU': (2, 0, 4.0), 'MEMORY_MB': (8192, 512, 1.0), 'DISK_GB': (1028, 0, 1.0)}


def test_pci_providers_per_host(capacity_nova):
    providers = capacity_nova.placement('/resource_providers?required=COMPUTE_MANAGED_PCI_DEVICE')
    roots = {h['id']: h['hypervisor_hostname'] for h in capacity_nova.hypervisors}
    found: dict[str, list[tuple[str, str, int, list[str]]]] = {}
    for rp in providers['resource_providers']:
        [(rc, inventory)] = capacity_nova.placement(
            f'/resource_providers/{rp["uuid"]}/inventories')['inventories'].items()
        traits = capacity_nova.placement(f'/resource_providers/{rp["uuid"]}/traits')['traits']
        host = roots[rp['root_provider_uuid']]
        found.setdefault(host, []).append(
            (rp['name'].removeprefix(host + '_'), rc, inventory['total'], sorted(traits)))
    nova = ['COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA']
    for host in HOSTS:
        assert sorted(found[host]) == [
            ('0000:01:00.0', VF_RC, 1, nova),            # PF 01:00.0's one VF
            ('0000:02:00.0', VF_RC, 3, nova),            # PF 02:00.0's three VFs
            ('0000:03:00.0', 'CUSTOM_PCI_8086_1528', 1, sorted(['CUSTOM_GOLD', *nova])),
            ('0000:04:00.0', GPU_RC, 1, nova),
            ('0000:AF:00.0', GPU_RC, 1, nova),
        ], found


# -- what pci-cli predicts, and what Nova decides ----------------------------------------

def capacity_json(cloud: CapacityCloud, *args: str) -> list[dict]:
    """``pci-cli capacity … -f json`` at the scenario's Nova and Placement (admin token)."""
    done = run_placement_cli(cloud, 'capacity', '--pci-alias', str(cloud.alias_file), *args,
                             '-f', 'json')
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _normal_suffixes(query: str) -> list[tuple[str, str]]:
    """A query's parameters with the PCI groups' suffixes (Nova: the request id and the
    device; ours: the alias and the device) replaced by their order of appearance."""
    params = sorted(urllib.parse.parse_qsl(query))
    suffixes: list[str] = []
    for key, _ in params:
        for prefix in ('resources', 'required'):
            tail = key.removeprefix(prefix)
            if key.startswith(prefix) and tail and tail not in suffixes:
                suffixes.append(tail)
    names = {suffix: f'<{number}>' for number, suffix in enumerate(sorted(suffixes))}
    return sorted((next((k.replace(s, n) for s, n in names.items() if k.endswith(s)), k), v)
                  for k, v in params)


@pytest.mark.parametrize('flavor', list(EXPECTED))
def test_pci_cli_predicts_what_nova_decides(capacity_nova, flavor, record_property):
    """Predict, then boot servers of the flavor one at a time until Nova answers
    NoValidHost: the ACTIVE servers on each host are the prediction; the full cloud then
    fits 0, named by the resource that ran out, and ``--explain`` tells it."""
    expected = EXPECTED[flavor]
    rows = capacity_json(capacity_nova, '--flavor', flavor, '--verify')
    assert sorted(row['Host'] for row in rows) == list(HOSTS), rows
    for row in rows:
        assert row['Flavor'] == flavor, row
        assert (row['Fits'], row['Limited By'], row['Free']) == (
            expected.per_host, expected.limited_by, expected.free), row
        assert row['Verified'] is True, row   # Placement itself has a candidate there
    predicted = {row['Host']: row['Fits'] for row in rows}

    since = capacity_nova.log_size()
    try:
        counts = capacity_nova.boot_until_full(flavor, keep=True)
        queries = capacity_nova.allocation_candidate_queries(since)
        record_property('allocation_candidates', queries)
        assert counts == predicted, queries
        assert 'No valid host was found' in (capacity_nova.last_fault or '')
        full = capacity_json(capacity_nova, '--flavor', flavor, '--verify')
        for row in full:
            assert (row['Fits'], row['Limited By'], row['Verified']) == (
                0, expected.limited_by, True), row
        stages = capacity_json(capacity_nova, '--flavor', flavor, '--explain', HOSTS[0])
        assert stages[-1]['Stage'] == 'fits' and stages[-1]['OK'] is False, stages
        assert expected.limited_by in stages[-1]['Detail'], stages[-1]
    finally:
        capacity_nova.delete_servers()

    # Nova's own query, one per boot (the failing one too), is the one we derive.
    assert len(queries) == sum(counts.values()) + 1
    assert len({UUID.sub('<request-id>', query) for query in queries}) == 1, queries
    spec = next(f for f in FLAVORS if f.name == flavor)
    ours = flavor_request({'vcpus': spec.vcpus, 'ram': spec.ram, 'disk': spec.disk,
                           'OS-FLV-EXT-DATA:ephemeral': 0, 'swap': '',
                           'extra_specs': spec.extra_specs},
                          aliases=load_aliases(capacity_nova.alias_file.read_text()),
                          pci_in_placement=True)
    assert _normal_suffixes(ours.query(limit=1000)) == _normal_suffixes(queries[0])
    params = dict(urllib.parse.parse_qsl(queries[0]))
    assert params['root_required'] == 'OWNER_NOVA,!COMPUTE_STATUS_DISABLED'
    alias, count = spec.extra_specs['pci_passthrough:alias'].split(':')
    # Without group_policy in the flavor Nova adds 'none' when it made 2+ numbered groups.
    assert params.get('group_policy') == spec.extra_specs.get(
        'group_policy', 'none' if int(count) > 1 else None)
