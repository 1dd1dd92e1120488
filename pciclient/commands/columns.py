"""Formattable columns: nested values readable in a table, real JSON in ``-f json``/``-f yaml``."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cliff import columns

from pciclient.text import printable

#: What a table says where the cloud does not report a value at all (JSON: null).
NOT_REPORTED = 'not reported by this cloud'


def _scalar(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return printable(str(value))


def _objects(value: Any) -> bool:
    """None (not reported) or a list of objects: what the device and pool columns show."""
    return value is None or isinstance(value, list) and all(isinstance(v, dict) for v in value)


class StructuredColumn(columns.FormattableColumn):
    """Any dict or list: ``key=value`` or one item per line in a table."""

    def human_readable(self) -> str:
        value = self._value
        if isinstance(value, dict):
            return '\n'.join(f'{key}={_scalar(value[key])}' for key in sorted(value))
        if isinstance(value, list):
            return '\n'.join(_scalar(item) for item in value)
        return _scalar(value)

    def machine_readable(self) -> Any:
        return self._value


class PciDeviceIdsColumn(columns.FormattableColumn):
    """A server's PCI device ids; ``None`` means the cloud does not report them."""

    @staticmethod
    def fits(value: Any) -> bool:
        return value is None or isinstance(value, list)

    def human_readable(self) -> str:
        if self._value is None:
            return NOT_REPORTED
        return ', '.join(str(item) for item in self._value)

    def machine_readable(self) -> Any:
        return self._value


def _names(device: dict[str, Any]) -> str:
    """`` (Intel Corporation I350 …)`` as lspci names a device, when the database knows
    its vendor (an unknown vendor's ``Vendor 8086 Device 1520`` says no more than the
    ids already shown); nothing without names."""
    vendor, product = device.get('vendor_name'), device.get('product_name')
    if not isinstance(vendor, str) or vendor == f'Vendor {device.get("vendor_id")}':
        return ''
    return f' ({vendor} {product})' if isinstance(product, str) else f' ({vendor})'


class PciDevicesColumn(columns.FormattableColumn):
    """A server's PCI devices resolved to address, ids and type, one per line."""

    fits = staticmethod(_objects)

    def human_readable(self) -> str:
        if self._value is None:
            return NOT_REPORTED
        lines = []
        for device in self._value:
            ident = device.get('id')
            address = device.get('address') or '?'
            if device.get('address_of') == 'PF':  # a VF of that PF: its own address unknown
                address = f'{address} (PF)'
            if device.get('vendor_id') or not device.get('resource_class'):
                what = f'{device.get("vendor_id") or "?"}:{device.get("product_id") or "?"}'
            else:  # a custom resource class names no ids: say the class
                what = str(device['resource_class'])
            text = f'{ident}: {address} {what}{_names(device)} {device.get("dev_type") or ""}'
            text = text.rstrip()
            if device.get('amount') is not None:
                text += f' x{device["amount"]}'
            if device.get('host'):
                text += f' on {device["host"]}'
            lines.append(printable(text))
        return '\n'.join(lines)

    def machine_readable(self) -> Any:
        return self._value


class HoldersColumn(columns.FormattableColumn):
    """The servers holding a device: ``name (id)``, with the amount where it is not 1."""

    fits = staticmethod(_objects)

    def human_readable(self) -> str:
        if self._value is None:
            return ''
        lines = []
        for server in self._value:
            name = server.get('name')
            text = f'{_scalar(name)} ({_scalar(server.get("id"))})' if name \
                else _scalar(server.get('id'))
            if server.get('amount') not in (None, 1):
                text += f' x{_scalar(server["amount"])}'
            lines.append(text)
        return '\n'.join(lines)

    def machine_readable(self) -> Any:
        return self._value


class PoolsColumn(columns.FormattableColumn):
    """A hypervisor's PCI pools, one per line; ``None`` means not reported."""

    fits = staticmethod(_objects)

    def human_readable(self) -> str:
        if self._value is None:
            return NOT_REPORTED
        if not self._value:
            return '(no pools)'
        lines = []
        for pool in self._value:
            text = f'{pool.get("vendor_id") or "?"}:{pool.get("product_id") or "?"}'
            if pool.get('dev_type'):
                text += f' {pool["dev_type"]}'
            if pool.get('numa_node') is not None:
                text += f' numa_node={pool["numa_node"]}'
            text += f' count={pool.get("count")}'
            tags = pool.get('tags') or {}
            text += ''.join(f' {key}={_scalar(tags[key])}' for key in sorted(tags))
            lines.append(text)
        return '\n'.join(lines)

    def machine_readable(self) -> Any:
        return self._value


#: Field ids whose values need a special column; other dicts and lists get StructuredColumn.
SPECIAL: dict[str, type[columns.FormattableColumn]] = {
    'pci_stats': PoolsColumn,
    'pci_devices': PciDeviceIdsColumn,
    'servers': HoldersColumn,
}


def format_value(field: str, value: Any,
                 overrides: dict[str, type[columns.FormattableColumn]] | None = None) -> Any:
    """Wrap ``value`` in the column class its field needs (scalars stay as they are).

    A special column only takes a value of its shape: any resource may carry a field
    named ``pci_devices`` or ``pci_stats`` holding something else."""
    return cell_maker(field, overrides)(value)


def cell_maker(field: str, overrides: dict[str, type[columns.FormattableColumn]] | None = None,
               ) -> Callable[[Any], Any]:
    """:func:`format_value` for one field, its column class looked up once: a listing of
    100,000 devices and 19 columns formats 1.9 million cells."""
    special = (overrides or {}).get(field) or SPECIAL.get(field)
    if special is None:
        return _plain_cell
    fits = getattr(special, 'fits', None)

    def make(value: Any) -> Any:
        if fits is None or fits(value):
            return special(value)
        return _plain_cell(value)
    return make


def _plain_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return StructuredColumn(value)
    return value


def sort_key(cell: Any) -> tuple[bool, int, Any]:
    """How ``--sort-column`` orders a cell, whatever it holds: numbers by value, anything
    else (a nested value included) by the text a table shows for it, an unreported value
    last. cliff compares the cells themselves, and a dict, a formattable column or an int
    beside a str cannot be compared: it then gave up after the rows were read, and printed
    none of them."""
    value = cell._value if isinstance(cell, columns.FormattableColumn) else cell
    if value is None:
        return True, 0, 0
    if isinstance(value, (int, float)):
        return False, 0, value
    if isinstance(cell, columns.FormattableColumn):
        return False, 1, cell.human_readable()
    return False, 1, _scalar(value)
