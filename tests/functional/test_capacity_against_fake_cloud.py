"""``pci-cli capacity`` end to end against the fake cloud: disabled, down and zoned hosts,
PCI in Placement and from pools, ``--verify`` against the fake's allocation candidates,
and a host's question costing the same in a cloud of 4 hosts and one of 30."""
from __future__ import annotations

import pytest

from tests.functional.helpers import run_cli
from tests.support.fake_cloud import FakeServerProcess

HOSTS = """\
  - {hostname: c1, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}}
  - {hostname: c2, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}, disabled: true}
  - {hostname: c3, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}, down: true}
  - {hostname: c4, generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}}
"""
BIG_HOSTS = """\
  - hostname: "c{index}"
    count: 30
    generate: {pfs: 1, vfs_per_pf: 4, gpus: 2}
"""
CATALOG = """\
flavors:
  - {name: small, vcpus: 1, ram: 2048, disk: 20}
  - {name: gpu, vcpus: 2, ram: 1024, disk: 10, extra_specs: {"pci_passthrough:alias": "gpu:1"}}
  - {name: gpu2, vcpus: 2, ram: 1024, disk: 10, extra_specs: {"pci_passthrough:alias": "gpu:2"}}
  - {name: vf3, vcpus: 1, ram: 512, disk: 1,
     extra_specs: {"pci_passthrough:alias": "vf:3", "group_policy": "isolate"}}
pci_aliases:
  - {name: gpu, vendor_id: "10de", product_id: "1eb8", device_type: type-PCI}
  - {name: vf, vendor_id: "8086", product_id: "1889", device_type: type-VF}
aggregates:
  - {name: fast, hosts: [c4], availability_zone: az1}
servers:
  - {name: vm1, project: admin, host: c1, flavor: gpu}
"""
ALIASES = """\
[pci]
alias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", "device_type": "type-PCI"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "1889", "device_type": "type-VF"}
"""
GPU, VF = 'CUSTOM_PCI_10DE_1EB8', 'CUSTOM_PCI_8086_1889'


@pytest.fixture(scope='module')
def clouds(tmp_path_factory):
    started = {}
    for name, hosts in (('small', HOSTS), ('big', BIG_HOSTS)):
        workdir = tmp_path_factory.mktemp(f'capacity-{name}')
        scenario = workdir / 'cloud.yaml'
        scenario.write_text('rescan_interval: 0\nhosts:\n' + hosts + CATALOG)
        started[name] = FakeServerProcess('--noauth', '--scenario', str(scenario),
                                          log=workdir / 'server.log')
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope='module')
def aliases(tmp_path_factory):
    path = tmp_path_factory.mktemp('aliases') / 'nova.conf'
    path.write_text(ALIASES)
    return str(path)


def capacity(server: FakeServerProcess, aliases: str, *argv: str):
    return run_cli('--os-placement-endpoint-override', server.root + '/placement', 'capacity',
                   '--pci-alias', aliases, *argv, endpoint=server.url)


def rows(server, aliases, *argv) -> dict[tuple[str, str], dict]:
    return {(r['Host'], r['Flavor']): r
            for r in capacity(server, aliases, *argv, '-f', 'json').json()}


def test_every_host_and_flavor_with_what_stops_it(clouds, aliases):
    got = rows(clouds['small'], aliases, '--verify')
    assert len(got) == 4 * 4
    # c1 runs vm1 (2 vCPU, 1 GiB, 10 GB): 14848 MiB free / 2048 → 7
    assert (got['c1', 'small']['Fits'], got['c1', 'small']['Limited By']) == (7, 'MEMORY_MB')
    assert got['c1', 'small']['Free'] == {'VCPU': 30, 'MEMORY_MB': 14848, 'DISK_GB': 1014}
    assert (got['c1', 'gpu']['Fits'], got['c1', 'gpu']['Limited By']) == (2, GPU)
    assert (got['c1', 'gpu2']['Fits'], got['c4', 'gpu2']['Fits']) == (1, 1)
    # three VFs on three distinct providers (isolate), but all four sit on one PF
    assert (got['c4', 'vf3']['Fits'], got['c4', 'vf3']['Limited By']) == (0, VF)
    assert {got['c2', f]['Limited By'] for f in ('small', 'gpu')} == {'disabled'}
    assert {got['c3', f]['Limited By'] for f in ('small', 'gpu')} == {'down'}
    assert all(got['c2', f]['Fits'] == got['c3', f]['Fits'] == 0
               for f in ('small', 'gpu', 'gpu2', 'vf3'))
    # Placement itself (the fake's allocation candidates) agrees wherever it decides
    assert {r['Verified'] for (host, _), r in got.items() if host != 'c3'} == {True}
    assert {r['Verified'] for (host, _), r in got.items() if host == 'c3'} == {None}


def test_a_zone_selects_its_aggregates_hosts(clouds, aliases):
    summary = capacity(clouds['small'], aliases, '--availability-zone', 'az1', '--summary',
                       '-f', 'json').json()
    assert {r['Flavor']: (r['Fits'], r['Hosts']) for r in summary} == {
        'small': (7, 1), 'gpu': (2, 1), 'gpu2': (1, 1), 'vf3': (0, 0)}


def test_the_default_zone_adds_no_filter_and_says_so(clouds, aliases):
    result = capacity(clouds['small'], aliases, '--availability-zone', 'nova',
                      '--flavor', 'small', '-f', 'json')
    assert {r['Host'] for r in result.json()} == {'c1', 'c2', 'c3', 'c4'}
    assert 'has no host aggregate' in result.err


def test_a_zone_or_aggregate_that_does_not_exist_is_an_error(clouds, aliases):
    for option, value in (('--availability-zone', 'az9'), ('--aggregate', 'slow')):
        result = capacity(clouds['small'], aliases, option, value)
        assert (result.code, result.out) == (1, ''), result
        assert value in result.err and result.err.count('\n') == 1


def test_a_host_outside_the_aggregate(clouds, aliases):
    got = rows(clouds['small'], aliases, '--aggregate', 'fast', '--host', 'c1',
               '--flavor', 'small')
    assert got['c1', 'small']['Fits'] == 0
    assert got['c1', 'small']['Limited By'] == 'not in aggregate'


def test_pci_from_the_hypervisors_pools(clouds, aliases):
    got = rows(clouds['small'], aliases, '--pci-in-placement', 'no', '--host', 'c4')
    # without PCI in Placement isolate binds no PCI device: 4 VFs in one pool / 3
    assert got['c4', 'vf3']['Fits'] == 1
    assert got['c4', 'gpu2']['Fits'] == 1


def test_a_hosts_question_costs_the_same_in_a_small_and_a_big_cloud(clouds, aliases):
    counts = []
    for name in ('small', 'big'):
        server = clouds[name]
        before = _placement_requests(server)
        got = rows(server, aliases, '--host', 'c1', '--flavor', 'gpu')
        assert got['c1', 'gpu']['Fits'] >= 1
        counts.append(_placement_requests(server) - before)
    assert counts[0] == counts[1], counts


def _placement_requests(server: FakeServerProcess) -> int:
    return sum(' /placement/' in line for line in server.log_text().splitlines()
               if '"GET ' in line)
