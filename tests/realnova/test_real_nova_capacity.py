"""How many servers of a flavor real Nova 34 places per host, and whether ``pci-cli
capacity`` predicts it (issue 13, "the decision").

A second harness runs the capacity scenario (``capacity_cloud.py``): per host VCPU
2 x 4.0 = 8, MEMORY_MB 8192 - 512 = 7680, DISK_GB 1028, two GPU providers of 1 unit and
two VF providers of 1 and 3 units. :data:`EXPECTED` is worked out by hand from those
numbers; ``test_boots_until_no_valid_host_counts_per_host`` shows it is what Nova decides
(servers booted one at a time until one ends in ERROR with NoValidHost), and
``test_pci_cli_capacity_predicts_what_nova_decides`` compares ``pci-cli capacity`` with it.
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

from tests.realnova.capacity_cloud import FLAVORS, CapacityCloud, start_capacity_nova
from tests.realnova.cli import run_cli

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


# -- what Nova decides ---------------------------------------------------------------

@pytest.mark.parametrize('flavor', list(EXPECTED))
def test_boots_until_no_valid_host_counts_per_host(capacity_nova, flavor, record_property):
    since = capacity_nova.log_size()
    counts = capacity_nova.boot_until_full(flavor)
    queries = capacity_nova.allocation_candidate_queries(since)
    record_property('allocation_candidates', queries)
    print(f'{flavor}: {counts}; queries: {json.dumps(queries)}')
    assert counts == dict.fromkeys(HOSTS, EXPECTED[flavor].per_host), queries
    assert 'No valid host was found' in (capacity_nova.last_fault or '')
    # One query per boot, the failing one included, all alike but for the suffixes (the
    # server's PCI request id, new each boot; no host was forced).
    assert len(queries) == sum(counts.values()) + 1
    assert len({UUID.sub('<request-id>', query) for query in queries}) == 1, queries
    params = dict(urllib.parse.parse_qsl(queries[0]))
    spec = next(f for f in FLAVORS if f.name == flavor)
    assert params.pop('resources') == f'DISK_GB:{spec.disk},MEMORY_MB:{spec.ram},VCPU:{spec.vcpus}'
    assert params.pop('root_required') == 'OWNER_NOVA,!COMPUTE_STATUS_DISABLED'
    assert params.pop('limit') == '1000'
    alias, count = spec.extra_specs['pci_passthrough:alias'].split(':')
    # Without group_policy in the flavor Nova adds 'none' when it made 2+ numbered groups.
    assert params.pop('group_policy', None) == spec.extra_specs.get(
        'group_policy', 'none' if int(count) > 1 else None)
    # One numbered group of one device per requested device, each requiring OWNER_NOVA.
    suffixes = sorted(key.removeprefix('resources') for key in params
                      if key.startswith('resources'))
    rc = GPU_RC if alias == 'gpu' else VF_RC
    assert sorted(params) == sorted([f'resources{s}' for s in suffixes]
                                    + [f'required{s}' for s in suffixes]), params
    assert len(suffixes) == int(count)
    for suffix in suffixes:
        assert (params[f'resources{suffix}'], params[f'required{suffix}']) \
            == (f'{rc}:1', 'OWNER_NOVA')


# -- what pci-cli predicts ---------------------------------------------------------------

@pytest.mark.parametrize('flavor', list(EXPECTED))
def test_pci_cli_capacity_predicts_what_nova_decides(capacity_nova, flavor):
    """Needs ``pci-cli capacity``; run on an empty cloud (every boot test cleans up)."""
    done = run_cli(capacity_nova,  # run_cli reads only .url of its RealNova
                   '--os-placement-endpoint-override', capacity_nova.placement_url,
                   'capacity', '--flavor', flavor, '--pci-alias', str(capacity_nova.alias_file),
                   '-f', 'json')
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert sorted(row['Host'] for row in rows) == list(HOSTS), rows
    expected = EXPECTED[flavor]
    for row in rows:
        assert set(row) >= {'Host', 'Flavor', 'Fits', 'Limited By', 'Free'}, row
        assert row['Flavor'] in (flavor, capacity_nova.flavors[flavor]), row
        assert row['Fits'] == expected.per_host, row
        assert row['Limited By'] == expected.limited_by, row
        assert row['Free'] == expected.free, row
