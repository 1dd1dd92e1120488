"""``--local`` with a sysfs root that is no sysfs tree: a one-line error (exit 1),
never an empty table that looks like a machine without PCI devices (issue 15)."""
from __future__ import annotations

from tests.functional.helpers import run_cli
from tests.support.cli_process import clean_env


def test_a_sysfs_root_that_does_not_exist(tmp_path):
    missing = tmp_path / 'nonexistent'
    result = run_cli('--local', '--local-sysfs-root', str(missing), 'pci-list', '-f', 'json')
    assert (result.code, result.out) == (1, ''), result
    assert result.err == f'--local-sysfs-root {missing}: no such directory.\n'


def test_a_sysfs_root_without_the_pci_bus(tmp_path):
    (tmp_path / 'bus' / 'usb').mkdir(parents=True)
    for command in ('pci-list', 'pci-pool-list', 'hypervisor-list'):
        result = run_cli('--local', '--local-sysfs-root', str(tmp_path), command)
        assert (result.code, result.out) == (1, ''), result
        assert result.err == (f'--local-sysfs-root {tmp_path} has no bus/pci/devices: '
                              'not a sysfs tree.\n')


def test_the_environment_variable_is_checked_too(tmp_path):
    result = run_cli('--local', 'pci-list',
                     env=clean_env(PCI_CLI_SYSFS_ROOT=str(tmp_path / 'typo')))
    assert result.code == 1 and result.out == '', result
    assert 'no such directory' in result.err and result.err.count('\n') == 1


def test_an_empty_pci_bus_is_still_an_empty_answer(tmp_path):
    (tmp_path / 'bus' / 'pci' / 'devices').mkdir(parents=True)
    result = run_cli('--local', '--local-sysfs-root', str(tmp_path), 'pci-list', '-f', 'json')
    assert (result.code, result.err) == (0, ''), result
    assert result.json() == []


def test_a_real_tree_still_works(sysfs_root):
    result = run_cli('--local', '--local-sysfs-root', str(sysfs_root), 'pci-list', '-f', 'json')
    assert (result.code, result.err) == (0, ''), result
    assert len(result.json()) == 5
