"""Read the PCI functions of a Linux sysfs tree, tolerating anything odd in it.

The fake server must start on any machine, including containers and test trees
with half-populated or deliberately broken entries, so nothing here raises for
bad data: a function that cannot be identified is skipped with a recorded
reason, and an optional attribute that cannot be read just becomes ``None``.

Only a fixed set of attribute files is opened, relative to each device
directory and never through a symlink; the links ``physfn``, ``virtfnN`` and
``driver`` are only read with ``readlink`` (their target is never opened).

A bus entry is itself a symlink (``bus/pci/devices/ADDR -> ../../../devices/…``), so
``O_NOFOLLOW`` cannot guard it. Whoever can write in the tree could swap a link (or a
directory on its path) between a check and an open, so the check comes after the open:
the entry is resolved against the root, the resolved path is opened, and the directory
actually opened must still be inside the root, by its descriptor's own path
(``/proc/self/fd``). No path check can see a hard link to a file outside the tree, so
what a file holds is never put in a log line or a problem: only that it is unusable.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    'ADDRESS_RE',
    'PciFunction',
    'SysfsScan',
    'address_sort_key',
    'read_functions',
]

ADDRESS_RE = re.compile(r'^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$')

_ID_RE = re.compile(r'^0x([0-9a-fA-F]{4})$')
_CLASS_RE = re.compile(r'^0x([0-9a-fA-F]{6})$')
_VIRTFN_RE = re.compile(r'^virtfn([0-9]{1,5})$')
# Sysfs attributes are a few bytes; a bigger file is not what we are after.
_MAX_ATTR_BYTES = 4096


@dataclass(frozen=True)
class PciFunction:
    """One PCI function as the kernel describes it, ids normalised to Nova's form."""

    address: str
    vendor: str
    device: str
    class_code: str | None = None
    numa_node: int | None = None
    driver: str | None = None
    sriov_totalvfs: int | None = None
    sriov_numvfs: int | None = None
    physfn: str | None = None
    virtfns: tuple[str, ...] = ()

    @property
    def is_vf(self) -> bool:
        """A function with a parent PF link is a virtual function."""
        return self.physfn is not None

    @property
    def is_pf(self) -> bool:
        """Only a function able to create VFs counts as an SR-IOV PF."""
        return not self.is_vf and (self.sriov_totalvfs or 0) > 0


@dataclass
class SysfsScan:
    """Everything one scan found, plus why anything was left out.

    ``listed`` is False when the bus directory itself could not be listed: such
    a scan says nothing about which devices exist, so a rescan must not read it
    as "every device is gone".
    """

    root: str
    functions: list[PciFunction] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    listed: bool = True

    @property
    def unreadable(self) -> frozenset[str]:
        """Addresses that have a bus entry which could not be read this time."""
        return frozenset(where for where, _ in self.problems if ADDRESS_RE.match(where))


class _AttrError(Exception):
    """An attribute file exists in some form but cannot give us a value."""


def address_sort_key(address: str) -> tuple[int, int, int, int]:
    """Order addresses numerically so 8-digit domains sort after 4-digit ones."""
    domain, bus, rest = address.split(':')
    slot, function = rest.split('.')
    return int(domain, 16), int(bus, 16), int(slot, 16), int(function, 16)


def _printable(text: str) -> str:
    """Keep undecodable file names loggable instead of crashing a stderr write."""
    return text.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def _read_attr(dir_fd: int, name: str) -> str | None:
    """Return a small attribute's text, ``None`` if absent; raise _AttrError if unusable.

    Opening relative to the device directory with O_NOFOLLOW keeps the read
    inside that directory; O_NONBLOCK stops a planted FIFO from hanging startup.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except PermissionError:
        raise _AttrError(f'{name}: permission denied') from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
            raise _AttrError(f'{name}: is a symlink, not an attribute file') from None
        raise _AttrError(f'{name}: cannot open ({exc.strerror})') from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _AttrError(f'{name}: is a directory')
        if not stat.S_ISREG(mode):
            raise _AttrError(f'{name}: not a regular file')
        try:
            data = os.read(fd, _MAX_ATTR_BYTES + 1)
        except PermissionError:
            raise _AttrError(f'{name}: permission denied') from None
        except OSError as exc:
            raise _AttrError(f'{name}: cannot read ({exc.strerror})') from None
    finally:
        os.close(fd)
    if len(data) > _MAX_ATTR_BYTES:
        raise _AttrError(f'{name}: unexpectedly large')
    try:
        return data.decode('utf-8').strip()
    except UnicodeDecodeError:
        raise _AttrError(f'{name}: not UTF-8 text') from None


def _read_id(dir_fd: int, name: str) -> str:
    """Vendor and device ids are mandatory: without them there is no device to serve."""
    text = _read_attr(dir_fd, name)
    if text is None:
        raise _AttrError(f'{name}: file missing')
    match = _ID_RE.match(text)
    if not match:
        raise _AttrError(f'{name}: not a 16-bit hex id')  # never its text: see the top
    return match.group(1).lower()


def _optional_attr(dir_fd: int, name: str) -> str | None:
    """Optional attributes degrade to None rather than costing us the device."""
    try:
        return _read_attr(dir_fd, name)
    except _AttrError:
        return None


def _optional_int(dir_fd: int, name: str, minimum: int) -> int | None:
    text = _optional_attr(dir_fd, name)
    if text is None:
        return None
    try:
        value = int(text, 10)
    except ValueError:
        return None
    return value if value >= minimum else None


def _optional_class(dir_fd: int) -> str | None:
    text = _optional_attr(dir_fd, 'class')
    match = _CLASS_RE.match(text) if text is not None else None
    return match.group(1).lower() if match else None


def _link_basename(dir_fd: int, name: str) -> str | None:
    """What a sysfs link names, without ever resolving it."""
    try:
        target = os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None
    base = os.path.basename(target.rstrip('/'))
    return base or None


def _link_address(dir_fd: int, name: str) -> str | None:
    base = _link_basename(dir_fd, name)
    return base if base is not None and ADDRESS_RE.match(base) else None


def _virtfns(dir_fd: int) -> tuple[str, ...]:
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return ()
    indexed = []
    for name in names:
        match = _VIRTFN_RE.match(name)
        if match:
            address = _link_address(dir_fd, name)
            if address is not None:
                indexed.append((int(match.group(1)), address))
    return tuple(address for _, address in sorted(indexed))


def _read_function(address: str, dir_fd: int) -> PciFunction:
    vendor = _read_id(dir_fd, 'vendor')
    device = _read_id(dir_fd, 'device')
    return PciFunction(
        address=address,
        vendor=vendor,
        device=device,
        class_code=_optional_class(dir_fd),
        numa_node=_optional_int(dir_fd, 'numa_node', minimum=0),
        driver=_link_basename(dir_fd, 'driver'),
        sriov_totalvfs=_optional_int(dir_fd, 'sriov_totalvfs', minimum=0),
        sriov_numvfs=_optional_int(dir_fd, 'sriov_numvfs', minimum=0),
        physfn=_link_address(dir_fd, 'physfn'),
        virtfns=_virtfns(dir_fd),
    )


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _fd_path(fd: int) -> str | None:
    """Where an open descriptor really is (Linux's /proc, macOS's F_GETPATH), or None."""
    try:
        return os.readlink(f'/proc/self/fd/{fd}')
    except OSError:
        pass
    try:
        import fcntl
        get_path = getattr(fcntl, 'F_GETPATH', None)
        if get_path is not None:
            raw = fcntl.fcntl(fd, get_path, bytes(1024))
            return os.fsdecode(raw.split(b'\0', 1)[0])
    except (ImportError, OSError):
        pass
    return None


def _open_device_dir(entry: str, real_root: str) -> int:
    """Open one bus entry's device directory, refusing anything that leaves the tree.

    The resolved path is what is opened (a link swapped after ``realpath`` is not
    followed again), and the opened directory's own path is checked afterwards (a
    directory on that path swapped for a link is caught there).
    """
    real = os.path.realpath(entry)
    if not _is_within(real, real_root):
        raise _AttrError('points outside the sysfs root')
    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, 'O_CLOEXEC', 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        if os.path.islink(entry):
            raise _AttrError('dangling symlink') from None
        raise _AttrError('vanished while scanning') from None
    except NotADirectoryError:
        raise _AttrError('not a directory') from None
    except PermissionError:
        raise _AttrError('permission denied') from None
    except OSError as exc:
        raise _AttrError(f'cannot open ({exc.strerror})') from None
    opened = _fd_path(fd)
    if opened is None or not _is_within(opened, real_root):
        os.close(fd)
        raise _AttrError('points outside the sysfs root' if opened is not None
                         else 'cannot tell where it leads (no /proc/self/fd)')
    return fd


def read_functions(sysfs_root: str | Path = '/sys') -> SysfsScan:
    """Scan ``ROOT/bus/pci/devices`` once; never raises for what it finds there."""
    root = os.fspath(sysfs_root)
    scan = SysfsScan(root=root)
    bus_dir = os.path.join(root, 'bus', 'pci', 'devices')
    try:
        names = os.listdir(bus_dir)
    except FileNotFoundError:
        scan.problems.append((_printable(bus_dir), 'no such directory: no PCI bus to scan'))
        scan.listed = False
        return scan
    except OSError as exc:
        scan.problems.append((_printable(bus_dir), f'cannot list ({exc.strerror})'))
        scan.listed = False
        return scan
    real_root = os.path.realpath(root)
    found: dict[str, PciFunction] = {}
    for name in names:
        entry = os.path.join(bus_dir, name)
        if not ADDRESS_RE.match(name):
            scan.problems.append((_printable(entry), 'name is not a PCI address'))
            continue
        try:
            dir_fd = _open_device_dir(entry, real_root)
            try:
                found[name] = _read_function(name, dir_fd)
            finally:
                os.close(dir_fd)
        except _AttrError as exc:
            scan.problems.append((name, str(exc)))
    scan.functions = [found[a] for a in sorted(found, key=address_sort_key)]
    scan.problems.sort()
    return scan
