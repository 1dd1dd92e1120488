"""Issue 18, item 11: a bus entry swapped between the reader's check and its open never
serves a device from outside ``--sysfs-root``, and no file's contents reach a problem line.

The swap is injected at the check (``os.path.realpath`` of the entry), not raced: the
reader's next step then meets the swapped tree every time.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pciclient.fakeserver.model import sysfs
from pciclient.fakeserver.model.sysfs import read_functions
from tests.support.sysfs_tree import add_device, bus_devices_dir, device_dir

ADDRESS = '0000:05:00.0'
OUTSIDE_VENDOR = 'beef'


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """An inside tree with one device (vendor 8086), and an outside directory with a
    device of vendor beef that must never be served."""
    root = tmp_path / 'sys'
    add_device(root, ADDRESS, vendor='8086', product='1572')
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'vendor').write_text(f'0x{OUTSIDE_VENDOR}\n')
    (outside / 'device').write_text('0x0001\n')
    return root, outside


def _swap_after_check(monkeypatch: pytest.MonkeyPatch, entry: Path,
                      swap: Callable[[], None]) -> list[str]:
    """Run ``swap`` right after the reader resolves ``entry``: the window of the race."""
    real_realpath = os.path.realpath
    calls: list[str] = []

    def realpath_then_swap(path: str | os.PathLike[str], **kwargs: bool) -> str:
        resolved = real_realpath(path, **kwargs)
        if os.fspath(path) == os.fspath(entry) and not calls:
            calls.append(resolved)
            swap()
        return resolved
    monkeypatch.setattr(os.path, 'realpath', realpath_then_swap)
    return calls


def _vendors(root: Path) -> list[str]:
    return [function.vendor for function in read_functions(root).functions]


def test_bus_link_swapped_after_the_check(trees: tuple[Path, Path],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the swapped link was opened, and the outside device served."""
    root, outside = trees
    entry = bus_devices_dir(root) / ADDRESS

    def swap() -> None:
        entry.unlink()
        entry.symlink_to(outside)
    calls = _swap_after_check(monkeypatch, entry, swap)
    assert _vendors(root) == ['8086']  # what was inside at the check, never the outside
    assert calls, 'the swap was never injected'


def test_device_directory_swapped_after_the_check(trees: tuple[Path, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolved path itself changed under us: the opened directory's own path tells."""
    root, outside = trees
    entry = bus_devices_dir(root) / ADDRESS
    inside = device_dir(root, ADDRESS)

    def swap() -> None:
        inside.rename(inside.with_name('moved-away'))
        inside.symlink_to(outside)
    calls = _swap_after_check(monkeypatch, entry, swap)
    scan = read_functions(root)
    assert calls, 'the swap was never injected'
    assert OUTSIDE_VENDOR not in [function.vendor for function in scan.functions]
    assert (ADDRESS, 'points outside the sysfs root') in scan.problems


def test_unverifiable_directory_is_refused(trees: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = trees
    monkeypatch.setattr(sysfs, '_fd_path', lambda fd: None)
    scan = read_functions(root)
    assert scan.functions == []
    assert [where for where, _ in scan.problems] == [ADDRESS]


def test_file_contents_never_reach_a_problem(trees: tuple[Path, Path], tmp_path: Path) -> None:
    """A hard link to an outside file looks like any file: only say it is unusable."""
    root, _ = trees
    secret = tmp_path / 'secret'
    secret.write_text('SECRET-TOKEN-0123456789\n')
    vendor = device_dir(root, ADDRESS) / 'vendor'
    vendor.unlink()
    try:
        os.link(secret, vendor)
    except OSError as exc:  # e.g. a file system without hard links
        pytest.skip(f'cannot hard-link here: {exc}')
    scan = read_functions(root)
    assert scan.functions == []
    assert scan.problems == [(ADDRESS, 'vendor: not a 16-bit hex id')]
    assert 'SECRET' not in repr(scan.problems)
