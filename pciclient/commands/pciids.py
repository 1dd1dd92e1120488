"""Vendor and product names from the system's PCI ID database (``pci.ids``), as lspci shows them.

The database comes with pciutils/hwdata; without it names are simply unknown.
It is parsed only when a command asks for names, and only once per run.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

#: Where distributions install the database, in order of preference.
SEARCH_PATHS = ('/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids',
                '/usr/local/share/pci.ids', '/usr/share/misc/pci.ids.gz')

_HEX = frozenset('0123456789abcdefABCDEF')

Names = tuple[dict[str, str], dict[tuple[str, str], str]]


def find_database(explicit: str | None = None) -> Path | None:
    """``explicit`` (``--pci-ids``), ``$PCI_IDS``, or the first installed database.

    A database named with ``--pci-ids`` must be there and be a pci.ids file (see
    :func:`check`): falling back to another one, or to no names, would hide the typo.
    """
    if explicit:
        check(explicit)
        return Path(explicit)
    for candidate in (os.environ.get('PCI_IDS'), *SEARCH_PATHS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def check(path: str) -> None:
    """Raise a one-line :class:`CommandError` unless ``path`` reads as a pci.ids file.

    "Reads as" means at least one vendor line (four hex digits, two spaces, a name)
    before the device classes: any other file, empty or binary, would only give
    names that are all unknown. Parsing is cached, so the names cost nothing more.
    """
    import zlib

    from pciclient import exceptions as exc
    from pciclient.text import printable

    where = f'--pci-ids {printable(path)}'
    if not Path(path).is_file():
        raise exc.CommandError(f'{where}: no such file.')
    try:
        vendors, _ = load(path)
    except (OSError, EOFError, zlib.error) as error:
        raise exc.CommandError(
            f'{where}: cannot be read ({printable(str(error) or type(error).__name__)}).'
        ) from None
    if not vendors:
        raise exc.CommandError(f'{where}: not a pci.ids file (no vendor lines such as '
                               '"8086  Intel Corporation").')


@functools.lru_cache(maxsize=4)
def load(path: str) -> Names:
    """Vendors ``{vendor: name}`` and devices ``{(vendor, device): name}`` of a pci.ids file.

    Subsystem lines and the device-class section at the end are skipped; a line that
    does not parse is ignored, so a damaged file degrades to fewer names.
    """
    vendors: dict[str, str] = {}
    devices: dict[tuple[str, str], str] = {}
    opener = _gzip_open if path.endswith('.gz') else _text_open
    vendor = None
    with opener(path) as lines:
        for line in lines:
            if not line.strip() or line.startswith('#'):
                continue
            if line.startswith('C '):
                break  # the device classes: no more vendors
            if line.startswith('\t\t'):
                continue  # subsystems
            ident, _, name = line.strip().partition('  ')
            if len(ident) != 4 or not name or not all(c in _HEX for c in ident):
                continue
            ident = ident.lower()
            if line.startswith('\t'):
                if vendor is not None:
                    devices[(vendor, ident)] = name.strip()
            else:
                vendor = ident
                vendors[vendor] = name.strip()
    return vendors, devices


def _text_open(path: str):  # noqa: ANN202 - a context manager of lines
    return open(path, encoding='utf-8', errors='replace')


def _gzip_open(path: str):  # noqa: ANN202
    import gzip
    return gzip.open(path, 'rt', encoding='utf-8', errors='replace')


class PciNames:
    """Looks names up; an absent or unreadable database gives ``None`` for everything."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._names: Names | None = None

    def _table(self) -> Names:
        if self._names is None:
            try:
                self._names = load(str(self.path)) if self.path else ({}, {})
            except OSError:
                self._names = ({}, {})
        return self._names

    def vendor(self, vendor_id: Any) -> str | None:
        # A cloud may send anything as an id (a number, null): only text has a name.
        if not isinstance(vendor_id, str) or not vendor_id:
            return None
        return self._table()[0].get(vendor_id.lower())

    def product(self, vendor_id: Any, product_id: Any) -> str | None:
        if not isinstance(vendor_id, str) or not isinstance(product_id, str) \
                or not vendor_id or not product_id:
            return None
        return self._table()[1].get((vendor_id.lower(), product_id.lower()))
