"""Where a fake host's PCI functions come from: a sysfs tree, or a handful of numbers.

Both kinds answer one question, "which functions does this host track right
now, with which tags?", as a :class:`HostScan`; the store neither knows nor
cares how the answer was made. A sysfs host is read again on every rescan; a
generated host never changes, so its one scan is kept and shared by all the
hosts a scenario template makes from the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from pciclient.fakeserver.model.device_spec import DeviceFilter, TrackedFunction, track_all
from pciclient.fakeserver.model.generate import GenerateParams, generate_functions
from pciclient.fakeserver.model.sysfs import SysfsScan, read_functions

__all__ = ['GeneratedHost', 'HostScan', 'HostSource', 'OnceReader', 'Reader', 'SysfsHost',
           'generated_scan']

Reader = Callable[[str], SysfsScan]


@dataclass(frozen=True)
class HostScan:
    """The tracked functions of one host at one moment (address order), and what went wrong.

    ``unreadable`` holds addresses whose entries exist but could not be read:
    they are neither new nor gone. ``listed`` is False when the bus could not
    be listed at all, which tells nothing about the devices.
    """

    tracked: tuple[TrackedFunction, ...]
    unreadable: frozenset[str] = frozenset()
    problems: tuple[tuple[str, str], ...] = ()
    listed: bool = True

    def addresses(self) -> frozenset[str]:
        return frozenset(function.address for function, _ in self.tracked)


class HostSource(Protocol):
    """A host of the fake cloud; ``changes`` says whether rescanning it can tell anything new."""

    @property
    def hostname(self) -> str: ...

    changes: ClassVar[bool]

    def scan(self, read: Reader = read_functions) -> HostScan: ...


@dataclass(frozen=True)
class SysfsHost:
    """A host whose functions are those of a sysfs tree (``root`` plays ``/sys``)."""

    hostname: str
    root: str
    device_filter: DeviceFilter | None = None
    changes: ClassVar[bool] = True

    def scan(self, read: Reader = read_functions) -> HostScan:
        """Read the tree now; ``read`` lets one rescan read a tree shared by hosts only once."""
        found = read(self.root)
        return HostScan(track_all(found.functions, self.device_filter), found.unreadable,
                        tuple(found.problems), found.listed)


@dataclass(frozen=True)
class GeneratedHost:
    """A host whose functions were made up once (see :func:`generated_scan`)."""

    hostname: str
    fixed: HostScan
    changes: ClassVar[bool] = False

    def scan(self, read: Reader = read_functions) -> HostScan:
        return self.fixed


def generated_scan(params: GenerateParams, device_filter: DeviceFilter | None) -> HostScan:
    """The one scan every host generated from ``params`` under ``device_filter`` shares."""
    return HostScan(track_all(generate_functions(params), device_filter))


class OnceReader:
    """A :data:`Reader` that reads each sysfs root once per pass, for hosts sharing a tree."""

    def __init__(self) -> None:
        self._seen: dict[str, SysfsScan] = {}

    def __call__(self, root: str) -> SysfsScan:
        found = self._seen.get(root)
        if found is None:
            found = self._seen[root] = read_functions(root)
        return found
