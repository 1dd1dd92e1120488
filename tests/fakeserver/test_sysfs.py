"""The sysfs reader: the standard tree, then every kind of breakage it must survive."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pciclient.fakeserver.model import sysfs
from pciclient.fakeserver.model.sysfs import PciFunction, address_sort_key, read_functions
from tests.support.sysfs_tree import (
    STANDARD_PROBLEM_ENTRIES,
    STANDARD_VALID_ADDRESSES,
    add_device,
    add_odd_entry,
    build_standard_tree,
    device_dir,
)


def _problem_for(scan: sysfs.SysfsScan, key: str) -> str:
    reasons = [reason for where, reason in scan.problems if where.endswith(key)]
    assert len(reasons) == 1, scan.problems
    return reasons[0]


# --- the standard tree ---------------------------------------------------------------------

def test_standard_tree_functions_in_address_order(standard_scan: sysfs.SysfsScan) -> None:
    assert [f.address for f in standard_scan.functions] == list(STANDARD_VALID_ADDRESSES)


def test_standard_tree_problems(standard_scan: sysfs.SysfsScan) -> None:
    assert len(standard_scan.problems) == len(STANDARD_PROBLEM_ENTRIES)
    assert _problem_for(standard_scan, '0000:00:1f.3') == 'vendor: file missing'
    assert 'not a PCI address' in _problem_for(standard_scan, 'not-an-address')


def test_standard_tree_pf(standard_scan: sysfs.SysfsScan) -> None:
    pf = standard_scan.functions[1]
    assert pf == PciFunction(
        address='0000:04:00.0', vendor='8086', device='10fb', class_code='020000', numa_node=0,
        driver='ixgbe', sriov_totalvfs=4, sriov_numvfs=2, physfn=None,
        virtfns=('0000:04:10.0', '0000:04:10.2'))
    assert pf.is_pf and not pf.is_vf


def test_standard_tree_vfs(standard_scan: sysfs.SysfsScan) -> None:
    vfs = [f for f in standard_scan.functions if f.is_vf]
    assert [vf.address for vf in vfs] == ['0000:04:10.0', '0000:04:10.2']
    for vf in vfs:
        assert (vf.vendor, vf.device, vf.driver) == ('8086', '10ed', 'ixgbevf')
        assert vf.physfn == '0000:04:00.0'
        assert vf.sriov_totalvfs is None and not vf.is_pf


def test_standard_tree_gpu_and_missing_numa(standard_scan: sysfs.SysfsScan) -> None:
    by_address = {f.address: f for f in standard_scan.functions}
    gpu = by_address['0000:3b:00.0']
    assert (gpu.vendor, gpu.device, gpu.class_code, gpu.numa_node, gpu.driver) == (
        '10de', '1eb8', '030200', 1, None)
    sata = by_address['0000:00:1f.2']
    assert sata.numa_node is None
    assert (sata.vendor, sata.device, sata.driver) == ('8086', 'a352', 'ahci')


def test_root_given_as_str_or_path(standard_tree: Path) -> None:
    assert read_functions(str(standard_tree)) == read_functions(standard_tree)


# --- skipped entries -------------------------------------------------------------------------

def test_missing_bus_directory_gives_one_problem(tmp_path: Path) -> None:
    scan = read_functions(tmp_path / 'nothing-here')
    assert scan.functions == []
    assert len(scan.problems) == 1
    assert scan.problems[0][0].endswith(os.path.join('bus', 'pci', 'devices'))
    assert scan.listed is False and scan.unreadable == frozenset()


def test_unlistable_bus_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_standard_tree(tmp_path)

    def denied(path: object) -> list[str]:
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(sysfs.os, 'listdir', denied)
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert scan.problems == [(str(tmp_path / 'bus/pci/devices'), 'cannot list (Permission denied)')]
    assert scan.listed is False


def test_unreadable_names_only_address_entries(standard_scan: sysfs.SysfsScan) -> None:
    """A rescan must tell "there but unreadable" (an address) from junk in the bus directory."""
    assert standard_scan.listed is True
    assert standard_scan.unreadable == frozenset({'0000:00:1f.3'})


def test_missing_device_file(tmp_path: Path) -> None:
    add_device(tmp_path, '0000:01:00.0', '8086', '1520', omit=('device',))
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert scan.problems == [('0000:01:00.0', 'device: file missing')]


@pytest.mark.parametrize('content', [b'hello\n', b'0x123\n', b'0x12345\n', b'8086\n', b'\n',
                                     b'0x80 86\n', b'-0x8086\n'])
def test_garbage_vendor(tmp_path: Path, content: bytes) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520')
    (directory / 'vendor').write_bytes(content)
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert 'vendor: not a 16-bit hex id' in _problem_for(scan, '0000:01:00.0')


def test_non_utf8_vendor(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520')
    (directory / 'vendor').write_bytes(b'0x\xff\xfe86\n')
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert _problem_for(scan, '0000:01:00.0') == 'vendor: not UTF-8 text'


def test_vendor_is_a_directory(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520', omit=('vendor',))
    (directory / 'vendor').mkdir()
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert _problem_for(scan, '0000:01:00.0') == 'vendor: is a directory'


def test_vendor_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / 'secret'
    secret.write_text('0x8086\n')
    directory = add_device(tmp_path / 'sys', '0000:01:00.0', '8086', '1520', omit=('vendor',))
    os.symlink(secret, directory / 'vendor')
    scan = read_functions(tmp_path / 'sys')
    assert scan.functions == []
    assert 'symlink' in _problem_for(scan, '0000:01:00.0')


def test_vendor_fifo_does_not_hang(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520', omit=('vendor',))
    os.mkfifo(directory / 'vendor')
    result: list[sysfs.SysfsScan] = []
    worker = threading.Thread(target=lambda: result.append(read_functions(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), 'reading a FIFO attribute blocked the scan'
    assert result[0].functions == []
    assert _problem_for(result[0], '0000:01:00.0') == 'vendor: not a regular file'


def test_vendor_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root ignores file modes, so simulate the kernel's EACCES for that one file.
    add_device(tmp_path, '0000:01:00.0', '8086', '1520')
    add_device(tmp_path, '0000:02:00.0', '8086', '1521')
    real_open = os.open
    denied_dir = os.stat(device_dir(tmp_path, '0000:01:00.0'))

    def fake_open(path: str, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if path == 'vendor' and dir_fd is not None:
            st = os.fstat(dir_fd)
            if (st.st_dev, st.st_ino) == (denied_dir.st_dev, denied_dir.st_ino):
                raise PermissionError(13, 'Permission denied')
        return real_open(path, flags, mode, dir_fd=dir_fd)
    monkeypatch.setattr(sysfs.os, 'open', fake_open)
    scan = read_functions(tmp_path)
    assert [f.address for f in scan.functions] == ['0000:02:00.0']
    assert scan.problems == [('0000:01:00.0', 'vendor: permission denied')]


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads files regardless of their mode')
def test_vendor_unreadable_mode(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520')
    (directory / 'vendor').chmod(0)
    scan = read_functions(tmp_path)
    assert scan.problems == [('0000:01:00.0', 'vendor: permission denied')]


def test_dangling_bus_symlink(tmp_path: Path) -> None:
    add_odd_entry(tmp_path, '0000:09:00.0', kind='dangling')
    scan = read_functions(tmp_path)
    assert scan.functions == []
    assert scan.problems == [('0000:09:00.0', 'dangling symlink')]


def test_bus_entry_that_is_a_file(tmp_path: Path) -> None:
    add_odd_entry(tmp_path, '0000:09:00.0', kind='file')
    scan = read_functions(tmp_path)
    assert scan.problems == [('0000:09:00.0', 'not a directory')]


def test_bus_symlink_leaving_the_tree_is_refused(tmp_path: Path) -> None:
    outside = add_device(tmp_path / 'elsewhere', '0000:09:00.0', '8086', '1520',
                         omit=('bus_link',))
    bus = tmp_path / 'sys' / 'bus' / 'pci' / 'devices'
    bus.mkdir(parents=True)
    os.symlink(outside, bus / '0000:09:00.0')
    scan = read_functions(tmp_path / 'sys')
    assert scan.functions == []
    assert scan.problems == [('0000:09:00.0', 'points outside the sysfs root')]


@pytest.mark.parametrize('name', ['0000:00:1F.2', '0000:00:1f.8', '00:1f.2', '0000:00:1f',
                                  '.hidden', '0000:00:1f.2 ', 'uevent'])
def test_names_that_are_not_addresses(tmp_path: Path, name: str) -> None:
    add_odd_entry(tmp_path, name)
    scan = read_functions(tmp_path)
    assert scan.functions == []
    entry = str(tmp_path / 'bus/pci/devices' / name)
    assert scan.problems == [(entry, 'name is not a PCI address')]


def test_non_utf8_entry_name_is_reported_printably(tmp_path: Path) -> None:
    bus = tmp_path / 'bus' / 'pci' / 'devices'
    bus.mkdir(parents=True)
    os.mkdir(os.path.join(os.fsencode(bus), b'bad-\xff-name'))
    scan = read_functions(tmp_path)
    where, reason = scan.problems[0]
    assert reason == 'name is not a PCI address'
    assert where.endswith('bad-\\xff-name')
    where.encode('utf-8')  # loggable: no lone surrogates


# --- accepted oddities and degraded optional fields -------------------------------------------

def test_real_directory_bus_entry_is_accepted(tmp_path: Path) -> None:
    entry = tmp_path / 'bus' / 'pci' / 'devices' / '0000:05:00.0'
    entry.mkdir(parents=True)
    (entry / 'vendor').write_text('0x15B3\n')
    (entry / 'device').write_text('0x101B\n')
    scan = read_functions(tmp_path)
    assert scan.problems == []
    assert scan.functions == [PciFunction(address='0000:05:00.0', vendor='15b3', device='101b')]


@pytest.mark.parametrize('name, content', [
    ('numa_node', b'abc\n'), ('numa_node', b'-1\n'), ('numa_node', b'-7\n'),
    ('numa_node', b'\xff\n'), ('class', b'0x02\n'), ('class', b'network\n'),
    ('sriov_totalvfs', b'-3\n'), ('sriov_totalvfs', b'lots\n'), ('sriov_numvfs', b'\x00\n'),
])
def test_garbage_optional_file_degrades_field(tmp_path: Path, name: str, content: bytes) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520', totalvfs=8, numvfs=1)
    (directory / name).write_bytes(content)
    scan = read_functions(tmp_path)
    assert scan.problems == []
    (function,) = scan.functions
    field = {'class': 'class_code'}.get(name, name)
    assert getattr(function, field) is None
    assert (function.vendor, function.device) == ('8086', '1520')


def test_optional_file_that_is_a_directory_degrades(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520', omit=('numa_node', 'class'))
    (directory / 'numa_node').mkdir()
    (directory / 'class').mkdir()
    scan = read_functions(tmp_path)
    assert scan.problems == []
    assert (scan.functions[0].numa_node, scan.functions[0].class_code) == (None, None)


def test_all_optional_files_missing(tmp_path: Path) -> None:
    add_device(tmp_path, '0000:01:00.0', '8086', '1520', omit=('class', 'numa_node'))
    (function,) = read_functions(tmp_path).functions
    assert function == PciFunction(address='0000:01:00.0', vendor='8086', device='1520')
    assert not function.is_pf and not function.is_vf


def test_zero_totalvfs_is_not_a_pf(tmp_path: Path) -> None:
    add_device(tmp_path, '0000:01:00.0', '8086', '1520', totalvfs=0)
    (function,) = read_functions(tmp_path).functions
    assert function.sriov_totalvfs == 0 and not function.is_pf


def test_dangling_physfn_link_still_names_the_pf(tmp_path: Path) -> None:
    # Only the link text matters: the reader never resolves physfn.
    directory = add_device(tmp_path, '0000:01:10.0', '8086', '1520')
    os.symlink('../0000:01:00.0', directory / 'physfn')
    (function,) = read_functions(tmp_path).functions
    assert function.physfn == '0000:01:00.0' and function.is_vf


def test_physfn_not_naming_an_address_is_ignored(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:10.0', '8086', '1520')
    os.symlink('../../etc', directory / 'physfn')
    (function,) = read_functions(tmp_path).functions
    assert function.physfn is None


def test_virtfns_ordered_numerically(tmp_path: Path) -> None:
    add_device(tmp_path, '0000:01:00.0', '8086', '1520', totalvfs=16, numvfs=11)
    for index in range(11):
        add_device(tmp_path, f'0000:01:10.{index % 8}' if index < 8 else f'0000:01:11.{index - 8}',
                   '8086', '1520', physfn='0000:01:00.0')
    pf = read_functions(tmp_path).functions[0]
    assert pf.virtfns[:9] == tuple(f'0000:01:10.{i}' for i in range(8)) + ('0000:01:11.0',)
    assert len(pf.virtfns) == 11


def test_uppercase_ids_are_lowered(tmp_path: Path) -> None:
    directory = add_device(tmp_path, '0000:01:00.0', '8086', '1520')
    (directory / 'vendor').write_text('0x10DE\n')
    (directory / 'class').write_text('0x03020A\n')
    (function,) = read_functions(tmp_path).functions
    assert (function.vendor, function.class_code) == ('10de', '03020a')


def test_long_domains_sort_after_short_ones(tmp_path: Path) -> None:
    for address in ['10000:00:00.0', '0000:ff:1f.7', '0000:00:00.0']:
        add_device(tmp_path, address, '8086', '1520')
    addresses = [f.address for f in read_functions(tmp_path).functions]
    assert addresses == ['0000:00:00.0', '0000:ff:1f.7', '10000:00:00.0']
    assert address_sort_key('0001:02:03.4') == (1, 2, 3, 4)


def test_one_bad_entry_does_not_hide_the_others(standard_tree: Path) -> None:
    (device_dir(standard_tree, '0000:3b:00.0') / 'device').write_text('garbage\n')
    scan = read_functions(standard_tree)
    assert '0000:3b:00.0' not in [f.address for f in scan.functions]
    assert len(scan.functions) == len(STANDARD_VALID_ADDRESSES) - 1
    assert 'device: not a 16-bit hex id' in _problem_for(scan, '0000:3b:00.0')
