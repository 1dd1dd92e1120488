"""Odd sysfs trees, from the reader up to a running server: it keeps serving and says what it
skipped.

Single broken attributes (unreadable, non-hex, FIFOs, symlinks …) are covered
reader-side in ``test_sysfs.py``; this file adds dangling ``virtfn`` links, a
device directory that disappears in the middle of a scan, and a 10,000-entry
bus served by the real ``pci-fake-server`` process.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model import sysfs
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.model.sysfs import read_functions
from tests.fakeserver.helpers import call_app
from tests.fakeserver.process_helpers import _env
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import add_device, bus_devices_dir, device_dir

# --- dangling SR-IOV links ------------------------------------------------------------------------


def _half_linked_tree(root: Path) -> Path:
    """A PF whose second VF is gone, and a VF whose PF is gone: only the link texts remain."""
    add_device(root, '0000:05:00.0', '15b3', '1017', totalvfs=8, numvfs=2)
    add_device(root, '0000:05:00.1', '15b3', '1018', physfn='0000:05:00.0')
    os.symlink('../0000:05:00.2', device_dir(root, '0000:05:00.0') / 'virtfn1')  # dangling
    orphan = add_device(root, '0000:06:00.1', '15b3', '1018')
    os.symlink('../0000:06:00.0', orphan / 'physfn')  # dangling: no such PF
    return root


def test_dangling_virtfn_link_still_names_the_vf(tmp_path: Path) -> None:
    scan = read_functions(_half_linked_tree(tmp_path))
    assert scan.problems == []
    pf = next(f for f in scan.functions if f.address == '0000:05:00.0')
    assert pf.is_pf and pf.virtfns == ('0000:05:00.1', '0000:05:00.2')


def test_dangling_sriov_links_are_served(tmp_path: Path) -> None:
    scan = read_functions(_half_linked_tree(tmp_path))
    app = FakeComputeApp(Inventory.from_hosts([('node1', scan.functions)]))
    detail = call_app(app, '/v2.1/os-pci/detail')
    assert detail.status == 200
    by_address = {d['address']: d for d in detail.json['pci_devices']}
    assert by_address['0000:05:00.0']['dev_type'] == 'type-PF'
    assert by_address['0000:06:00.1']['dev_type'] == 'type-VF'
    assert by_address['0000:06:00.1']['extra_info']['phys_function'] == '0000:06:00.0'
    hypervisor = call_app(app, '/v2.1/os-hypervisors/1')
    assert hypervisor.status == 200 and 'pci_stats' in hypervisor.json['hypervisor']


# --- a device that disappears during the scan ---------------------------------------------------

def _three_devices(root: Path) -> Path:
    for address in ('0000:01:00.0', '0000:02:00.0', '0000:03:00.0'):
        add_device(root, address, '8086', '1521')
    return root


def test_device_directory_vanishing_before_it_is_opened(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _three_devices(tmp_path)
    real_open = sysfs._open_device_dir

    def racing(entry: str, real_root: str) -> int:
        if entry.endswith('0000:02:00.0'):  # listed a moment ago, hot-unplugged now
            shutil.rmtree(device_dir(root, '0000:02:00.0'))
        return real_open(entry, real_root)
    monkeypatch.setattr(sysfs, '_open_device_dir', racing)
    scan = read_functions(root)
    assert [f.address for f in scan.functions] == ['0000:01:00.0', '0000:03:00.0']
    assert scan.problems == [('0000:02:00.0', 'dangling symlink')]


def test_device_directory_vanishing_while_it_is_read(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _three_devices(tmp_path)
    real_read = sysfs._read_function

    def racing(address: str, dir_fd: int) -> Any:
        if address == '0000:02:00.0':  # opened, then removed under our open descriptor
            shutil.rmtree(device_dir(root, address))
        return real_read(address, dir_fd)
    monkeypatch.setattr(sysfs, '_read_function', racing)
    scan = read_functions(root)
    assert [f.address for f in scan.functions] == ['0000:01:00.0', '0000:03:00.0']
    assert scan.problems == [('0000:02:00.0', 'vendor: file missing')]


def test_bus_directory_entries_vanishing_between_listing_and_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every device unplugged after the listing: an empty, complete scan, no exception."""
    root = _three_devices(tmp_path)
    real_listdir = os.listdir

    def listing_then_gone(path: Any) -> list[str]:
        names = real_listdir(path)
        if str(path).endswith(os.path.join('bus', 'pci', 'devices')):
            shutil.rmtree(root / 'devices')
        return names
    monkeypatch.setattr(sysfs.os, 'listdir', listing_then_gone)
    scan = read_functions(root)
    assert scan.functions == [] and scan.listed
    assert [reason for _, reason in scan.problems] == ['dangling symlink'] * 3


# --- 10,000 entries -------------------------------------------------------------------------------

VALID = 9000
BROKEN = {'non-hex vendor': 400, 'missing device file': 300, 'dangling bus link': 200,
          'not an address': 100}
ENTRIES = VALID + sum(BROKEN.values())


def _address(index: int) -> str:
    return f'0000:{index // 256:02x}:{(index // 8) % 32:02x}.{index % 8}'


@pytest.fixture(scope='module')
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 bus entries: 9,000 devices and 1,000 broken in four ways."""
    root = tmp_path_factory.mktemp('big') / 'sys'
    bus = bus_devices_dir(root)
    bus.mkdir(parents=True)
    devices = root / 'devices' / 'pci0000:00'
    devices.mkdir(parents=True)
    index = 0

    def device(vendor: str = '0x8086', product: str | None = '0x1521') -> None:
        nonlocal index
        address = _address(index)
        index += 1
        directory = devices / address
        directory.mkdir()
        (directory / 'vendor').write_text(vendor + '\n')
        if product is not None:
            (directory / 'device').write_text(product + '\n')
        os.symlink(f'../../../devices/pci0000:00/{address}', bus / address)
    for _ in range(VALID):
        device()
    for _ in range(BROKEN['non-hex vendor']):
        device(vendor='0xZZ86')
    for _ in range(BROKEN['missing device file']):
        device(product=None)
    for _ in range(BROKEN['dangling bus link']):
        os.symlink('../../../devices/pci0000:00/gone', bus / _address(index))
        index += 1
    for n in range(BROKEN['not an address']):
        (bus / f'odd-entry-{n}').mkdir()
    assert len(os.listdir(bus)) == ENTRIES
    return root


def test_ten_thousand_entries_are_read_and_the_broken_ones_reported(big_tree: Path) -> None:
    scan = read_functions(big_tree)
    assert len(scan.functions) == VALID
    assert len({f.address for f in scan.functions}) == VALID
    reasons = [reason for _, reason in scan.problems]
    assert len(reasons) == sum(BROKEN.values())
    assert sum(r.startswith('vendor: not a 16-bit hex id') for r in reasons) == 400
    assert reasons.count('device: file missing') == 300
    assert reasons.count('dangling symlink') == 200
    assert reasons.count('name is not a PCI address') == 100


@pytest.fixture
def big_server(big_tree: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    log = tmp_path / 'stderr.log'
    server = FakeServerProcess('--noauth', '--sysfs-root', str(big_tree), '--hostname', 'big-host',
                               log=log, env=_env())
    try:
        yield server.url, server.proc, log
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.stop()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_ten_thousand_entries_are_served_and_logged(
        big_server: tuple[str, subprocess.Popen[str], Path]) -> None:
    url, process, log = big_server
    seen: list[int] = []
    query = '?limit=1000'
    for _ in range(20):  # 9 full pages and an empty one at most
        page = _get(url + '/os-pci' + query)
        seen.extend(device['id'] for device in page['pci_devices'])
        links = page.get('pci_devices_links')
        if not links:
            break
        query = '?' + links[0]['href'].split('?', 1)[1]
    assert len(seen) == len(set(seen)) == VALID
    hypervisor = _get(url + '/os-hypervisors/big-host')['hypervisor']
    assert sum(pool['count'] for pool in hypervisor['pci_stats']) == VALID
    process.send_signal(signal.SIGHUP)  # a rescan of the same tree: served the same
    assert len(_get(url + '/os-pci?limit=10')['pci_devices']) == 10
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    err = log.read_text()
    skipped = [line for line in err.splitlines() if ': skipped ' in line]
    assert len(skipped) == sum(BROKEN.values())  # each once, not again on the rescan
    assert f'{VALID} PCI devices of host big-host' in err
    assert 'Traceback' not in err
