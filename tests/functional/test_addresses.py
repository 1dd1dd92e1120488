"""Lookups by the addresses operators have, end to end against the fake cloud, from os-pci
and from Placement: ``pci-show HOST_ADDRESS`` and ``--host H ADDRESS``, lspci's short
form and slots for ``--address``, whose address a Placement row shows, and a ``--host``
that names no hypervisor. The requests are counted in the server's access log, in a
cloud of 3 hosts and one of 12: a question about one host or device costs the same.
"""
from __future__ import annotations

import json

import pytest

from tests.functional.helpers import run_cli
from tests.support.fake_cloud import FakeServerProcess

SCENARIO = """\
rescan_interval: 0
hosts:
  - hostname: "sriov-{{index:02d}}"
    count: {count}
    generate: {{pfs: 1, vfs_per_pf: 4, gpus: 1, numa_nodes: 1}}
  - hostname: bare-01
    generate: {{pfs: 0, vfs_per_pf: 0, gpus: 0, numa_nodes: 1}}
servers:
  - {{name: vm1, project: admin, host: sriov-01, devices: ["0000:02:00.0"]}}
"""
SOURCES = ('os-pci', 'placement')


@pytest.fixture(scope='module')
def clouds(tmp_path_factory):
    started = {}
    try:
        for count in (3, 12):
            workdir = tmp_path_factory.mktemp(f'addresses-{count}')
            scenario = workdir / 'cloud.yaml'
            scenario.write_text(SCENARIO.format(count=count))
            started[count] = FakeServerProcess('--noauth', '--scenario', str(scenario),
                                               log=workdir / 'server.log')
        yield started
    finally:
        for server in started.values():
            server.stop()


def _gets(server: FakeServerProcess) -> int:
    return sum('"GET ' in line for line in server.log_text().splitlines())


def ask(server: FakeServerProcess, source: str, *argv: str):
    """(exit code, stdout, stderr, GET requests the command sent)."""
    before = _gets(server)
    result = run_cli('--pci-source', source, '--os-placement-endpoint-override',
                     server.root + '/placement', *argv, endpoint=server.url)
    return result.code, result.out, result.err, _gets(server) - before


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('argv', [('sriov-01_0000:02:00.0',),
                                  ('--host', 'sriov-01', '02:00.0')])
def test_show_by_the_address_on_a_host(clouds, source, argv):
    answers = []
    for count in (3, 12):
        code, out, err, cost = ask(clouds[count], source, 'pci-show', *argv, '-f', 'json',
                                   '-c', 'address', '-c', 'host', '-c', 'servers',
                                   '-c', 'source')
        assert (code, err) == (0, ''), (out, err)
        answers.append((out, cost))
    (small, small_cost), (big, big_cost) = answers
    assert small == big and small_cost == big_cost
    assert '"address": "0000:02:00.0"' in small and '"host": "sriov-01"' in small
    assert '"name": "vm1"' in small and f'"source": "{source}"' in small
    # os-pci: the filtered listing, the hypervisor listing, the holder; Placement: the
    # provider by name, its root, inventories, allocations, traits, the holder.
    assert small_cost <= (3 if source == 'os-pci' else 6)


@pytest.mark.parametrize('source', SOURCES)
def test_show_of_a_device_a_host_does_not_have(clouds, source):
    code, out, err, _ = ask(clouds[3], source, 'pci-show', '--host', 'sriov-01', '07:00.0')
    assert (code, out) == (1, '')
    assert err.startswith('No PCI device sriov-01_0000:07:00.0')
    assert err.count('\n') == 1
    code, out, err, _ = ask(clouds[3], source, 'pci-show', 'sriov-9_0000:02:00.0')
    assert (code, out, err.count('\n')) == (1, '', 1)
    assert err.startswith("No PCI device sriov-9_0000:02:00.0: no ") and "named 'sriov-9'" in err
    assert '(closest: sriov-01, sriov-02, sriov-03)' in err


@pytest.mark.parametrize('source', SOURCES)
def test_addresses_as_lspci_shows_them(clouds, source):
    def addresses(value):
        code, out, err, _ = ask(clouds[3], source, 'pci-list', '--host', 'sriov-02',
                                '--address', value, '-f', 'value', '-c', 'Address')
        assert code == 0, err
        return out.split()
    full = addresses('0000:02:00.0')
    assert full == ['0000:02:00.0']
    assert addresses('02:00.0') == addresses('0000:02:00.0'.upper()) == full
    # A slot: every function of it. The VFs' slot from os-pci; Placement knows no VF
    # address, only the PF's (its provider's).
    if source == 'os-pci':
        assert addresses('01:01') == [f'0000:01:01.{f}' for f in range(4)]
    else:
        assert addresses('01:01') == []
        assert addresses('0000:01:00') == ['0000:01:00.0']


def test_garbage_addresses_are_usage_errors(clouds):
    for argv in (('pci-list', '--address', 'intel'), ('pci-show', '--host', 'h', 'x'),
                 ('pci-show', '--host', 'h', '01:00')):
        code, out, err, cost = ask(clouds[3], 'os-pci', *argv)
        assert (code, out, cost) == (2, '', 0)
        assert err.count('\n') == 1


def test_placement_rows_say_their_address_is_the_providers(clouds):
    code, out, err, _ = ask(clouds[3], 'placement', 'pci-list', '--host', 'sriov-01',
                            '-f', 'json')
    assert code == 0, err
    rows = {row['Address']: row['Address Of'] for row in json.loads(out)}
    assert rows == {'0000:01:00.0': 'PF', '0000:02:00.0': 'device or PF'}
    code, out, _, _ = ask(clouds[3], 'placement', 'pci-list', '--long', '--host', 'sriov-01',
                          '-c', 'Address', '-c', 'Address Of', '-c', 'Total')
    assert code == 0 and '| 0000:01:00.0 | PF ' in out and 'Address Of' in out
    code, out, _, _ = ask(clouds[3], 'placement', 'pci-show', 'sriov-01_0000:01:00.0',
                          '-f', 'value', '-c', 'address_of')
    assert (code, out) == (0, 'PF\n')


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('command', ['pci-list', 'pci-pool-list'])
def test_a_host_typo_says_so_with_the_closest_names(clouds, source, command):
    costs = []
    for count, typo in ((3, 'sriov-0'), (12, 'sriov-0'), (12, 'SRIOV-01')):
        code, out, err, cost = ask(clouds[count], source, command, '--host', typo,
                                   '-f', 'json')
        assert (code, out) == (1, ''), err
        assert err.count('\n') == 1
        assert f"named '{typo}'" in err and '(closest: sriov-0' in err
        costs.append(cost)
    assert "(closest: sriov-01, " in err  # another case of the same name comes first
    assert costs[0] == costs[1] <= 3  # the same in a cloud of 3 hosts and one of 12
    # A real host without devices stays an empty answer.
    code, out, err, _ = ask(clouds[12], source, command, '--host', 'bare-01', '-f', 'json')
    assert (code, out.strip()) == (0, '[]'), err
