"""Vendor and product names from the system's PCI ID database (``pci.ids``), as lspci shows them.

The database comes with pciutils/hwdata; without it names are lspci's numbers
(``Device 10ed``) and one line on stderr says how to get one.
It is parsed only when a command asks for names, and only once per run.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
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


#: The one line said when names are asked for and no database is found.
NO_DATABASE = ('No PCI ID database (pci.ids) found, so vendor and product names are shown '
               "as lspci shows unknown ones ('Vendor 8086', 'Device 10ed'): install "
               'pciutils or hwdata, or give --pci-ids FILE (env PCI_IDS).')


def _pci_id(value: Any) -> str | None:
    """A vendor or product id as four lower-case hex digits, or None if it is none (a
    cloud may send anything: a number, null, a custom resource class's missing id)."""
    if not isinstance(value, str):
        return None
    digits = value.strip().lower().removeprefix('0x')
    if not 1 <= len(digits) <= 4 or not all(c in _HEX for c in digits):
        return None
    return digits.zfill(4)


class PciNames:
    """Looks names up as ``lspci -vmm`` shows them: the database's name, else ``Vendor
    8086`` / ``Device 10ed`` (pciutils' words for an id it has no name for), and None
    only where there is no id to name.

    ``warn`` gets :data:`NO_DATABASE` once, at the first id looked up without a
    database: the operator learns why every name is a number, and how to fix it.
    """

    def __init__(self, path: Path | None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._names: Names | None = None
        self._warn = warn
        #: Names already looked up, by the ids as the cloud sent them.
        self._vendors: dict[str, str | None] = {}
        self._products: dict[tuple[str, str], str | None] = {}

    def _table(self) -> Names:
        if self._names is None:
            if self.path is None and self._warn is not None:
                self._warn(NO_DATABASE)
            try:
                self._names = load(str(self.path)) if self.path else ({}, {})
            except OSError:
                self._names = ({}, {})
        return self._names

    def vendor(self, vendor_id: Any) -> str | None:
        if isinstance(vendor_id, str):   # the usual case: a cloud has few distinct ids
            if vendor_id not in self._vendors:
                self._vendors[vendor_id] = self._vendor(vendor_id)
            return self._vendors[vendor_id]
        return self._vendor(vendor_id)

    def product(self, vendor_id: Any, product_id: Any) -> str | None:
        if isinstance(vendor_id, str) and isinstance(product_id, str):
            key = (vendor_id, product_id)
            if key not in self._products:
                self._products[key] = self._product(vendor_id, product_id)
            return self._products[key]
        return self._product(vendor_id, product_id)

    def _vendor(self, vendor_id: Any) -> str | None:
        ident = _pci_id(vendor_id)
        if ident is None:
            return None
        return self._table()[0].get(ident) or f'Vendor {ident}'

    def _product(self, vendor_id: Any, product_id: Any) -> str | None:
        ident = _pci_id(product_id)
        if ident is None:
            return None
        vendor = _pci_id(vendor_id)
        name = self._table()[1].get((vendor, ident)) if vendor else None
        return name or f'Device {ident}'


def names_for(app: Any) -> PciNames:
    """The names of this run's database (``--pci-ids``, ``$PCI_IDS`` or the system's),
    saying on stderr, once, when there is none."""
    def warn(line: str) -> None:
        app.stderr.write(line + '\n')

    return PciNames(find_database(getattr(app.options, 'pci_ids', None)), warn)
