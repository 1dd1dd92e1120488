"""Build fake Linux sysfs PCI trees for tests that must not depend on the host's hardware.

The layout copies the kernel's so the reader is exercised on the same shapes it
meets on a real machine::

    ROOT/devices/pci0000:00/<addr>/        real directory with attribute files
        vendor device class numa_node sriov_totalvfs sriov_numvfs
        physfn   -> ../<pf addr>           (VFs)
        virtfnN  -> ../<vf addr>           (PFs)
        driver   -> ../../../bus/pci/drivers/<name>
    ROOT/bus/pci/devices/<addr> -> ../../../devices/pci0000:00/<addr>
    ROOT/bus/pci/drivers/<name>/
"""
from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

__all__ = [
    'STANDARD_PROBLEM_ENTRIES',
    'STANDARD_VALID_ADDRESSES',
    'add_device',
    'add_odd_entry',
    'build_standard_tree',
    'bus_devices_dir',
    'device_dir',
]

# What build_standard_tree leaves readable, in address order (= device ids 1..5
# for a single host), and the bus entries a scan must report as problems.
STANDARD_VALID_ADDRESSES = (
    '0000:00:1f.2',
    '0000:04:00.0',
    '0000:04:10.0',
    '0000:04:10.2',
    '0000:3b:00.0',
)
STANDARD_PROBLEM_ENTRIES = ('0000:00:1f.3', 'not-an-address')


def bus_devices_dir(root: str | Path) -> Path:
    """Where the reader starts: one entry per PCI function."""
    return Path(root) / 'bus' / 'pci' / 'devices'


def device_dir(root: str | Path, address: str) -> Path:
    """The real directory behind a bus entry."""
    return Path(root) / 'devices' / 'pci0000:00' / address


def _hex(value: str, width: int) -> str:
    digits = value[2:] if value.lower().startswith('0x') else value
    return '0x' + digits.lower().rjust(width, '0')


def _write(directory: Path, name: str, text: str, omit: Collection[str]) -> None:
    if name not in omit:
        (directory / name).write_text(text + '\n')


def _next_virtfn_index(pf_dir: Path) -> int:
    index = 0
    while os.path.lexists(pf_dir / f'virtfn{index}'):
        index += 1
    return index


def add_device(
    root: str | Path,
    address: str,
    vendor: str,
    product: str,
    class_code: str = '0x020000',
    numa_node: int | None = 0,
    driver: str | None = None,
    totalvfs: int | None = None,
    numvfs: int | None = None,
    physfn: str | None = None,
    omit: Collection[str] = (),
) -> Path:
    """Add one function and return its device directory.

    ``vendor``/``product``/``class_code`` may be given with or without ``0x``.
    ``numa_node=None`` writes ``-1`` as the kernel does for "unknown"; name a
    file in ``omit`` (``'vendor'``, ``'numa_node'``, ``'class'``, ...) to leave it
    out entirely, or ``'bus_link'`` to skip the ``bus/pci/devices`` entry.
    ``totalvfs`` makes it an SR-IOV PF (``numvfs`` defaults to 0); ``physfn``
    makes it a VF of that PF, linking both ways (the PF gets the next
    ``virtfnN``), so add the PF first.
    """
    root = Path(root)
    directory = device_dir(root, address)
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory, 'vendor', _hex(vendor, 4), omit)
    _write(directory, 'device', _hex(product, 4), omit)
    _write(directory, 'class', _hex(class_code, 6), omit)
    _write(directory, 'numa_node', str(-1 if numa_node is None else numa_node), omit)
    if totalvfs is not None:
        _write(directory, 'sriov_totalvfs', str(totalvfs), omit)
        _write(directory, 'sriov_numvfs', str(numvfs or 0), omit)
    if driver is not None and 'driver' not in omit:
        (root / 'bus' / 'pci' / 'drivers' / driver).mkdir(parents=True, exist_ok=True)
        os.symlink(f'../../../bus/pci/drivers/{driver}', directory / 'driver')
    if physfn is not None:
        pf_dir = device_dir(root, physfn)
        pf_dir.mkdir(parents=True, exist_ok=True)
        os.symlink(f'../{physfn}', directory / 'physfn')
        os.symlink(f'../{address}', pf_dir / f'virtfn{_next_virtfn_index(pf_dir)}')
    if 'bus_link' not in omit:
        bus = bus_devices_dir(root)
        bus.mkdir(parents=True, exist_ok=True)
        os.symlink(f'../../../devices/pci0000:00/{address}', bus / address)
    return directory


def add_odd_entry(root: str | Path, name: str, kind: str = 'dir') -> Path:
    """Put something that is not a proper device link in ``bus/pci/devices``.

    ``kind`` is ``'dir'`` (empty directory), ``'file'`` (regular file) or
    ``'dangling'`` (symlink to a device directory that does not exist).
    """
    bus = bus_devices_dir(root)
    bus.mkdir(parents=True, exist_ok=True)
    entry = bus / name
    if kind == 'dir':
        entry.mkdir()
    elif kind == 'file':
        entry.write_text('odd\n')
    elif kind == 'dangling':
        os.symlink('../../../devices/pci0000:00/does-not-exist', entry)
    else:
        raise ValueError(f'unknown kind {kind!r}')
    return entry


def build_standard_tree(root: str | Path) -> Path:
    """Create the shared test machine under ``root`` and return ``root`` as a Path.

    Readable functions (sorted, so as the only host they get device ids 1..5):

    1. ``0000:00:1f.2`` 8086:a352 SATA controller, class 010601, driver ahci,
       **no numa_node file** (numa_node degrades to None), type-PCI.
    2. ``0000:04:00.0`` 8086:10fb 82599 SR-IOV PF, class 020000, numa 0,
       sriov_totalvfs 4, sriov_numvfs 2, driver ixgbe, virtfn0/virtfn1 -> the VFs, type-PF.
    3. ``0000:04:10.0`` 8086:10ed VF of 0000:04:00.0, class 020000, numa 0, driver ixgbevf, type-VF.
    4. ``0000:04:10.2`` 8086:10ed VF of 0000:04:00.0, class 020000, numa 0, driver ixgbevf, type-VF.
    5. ``0000:3b:00.0`` 10de:1eb8 GPU, class 030200, numa 1, no driver, type-PCI.

    Skipped and reported in ``SysfsScan.problems`` (see STANDARD_PROBLEM_ENTRIES):
    ``0000:00:1f.3`` (8086:a348 audio, **vendor file missing**) and a bus entry
    named ``not-an-address`` (an empty directory).
    """
    root = Path(root)
    add_device(root, '0000:00:1f.2', '8086', 'a352', class_code='0x010601',
               driver='ahci', omit=('numa_node',))
    add_device(root, '0000:00:1f.3', '8086', 'a348', class_code='0x040300',
               driver='snd_hda_intel', omit=('vendor',))
    add_device(root, '0000:04:00.0', '8086', '10fb', numa_node=0, driver='ixgbe',
               totalvfs=4, numvfs=2)
    add_device(root, '0000:04:10.0', '8086', '10ed', numa_node=0, driver='ixgbevf',
               physfn='0000:04:00.0')
    add_device(root, '0000:04:10.2', '8086', '10ed', numa_node=0, driver='ixgbevf',
               physfn='0000:04:00.0')
    add_device(root, '0000:3b:00.0', '10de', '1eb8', class_code='0x030200', numa_node=1)
    add_odd_entry(root, 'not-an-address')
    return root
