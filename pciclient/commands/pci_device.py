"""``pci-list`` / ``pci-show`` (``openstack pci device list|show``)."""
from __future__ import annotations

import argparse
import re
from typing import Any

from pciclient.commands import common
from pciclient.v2 import resource_fields as fields
from pciclient.v2.base import is_uuid_like
from pciclient.v2.pci_addresses import parse_address
from pciclient.v2.pci_devices import ALL_STATUSES, DEV_TYPES, normalise_dev_type


def _statuses(text: str) -> list[str]:
    wanted = [part.strip() for part in text.split(',') if part.strip()]
    unknown = [status for status in wanted if status not in ALL_STATUSES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f'invalid choice: {text!r} (choose from {", ".join(ALL_STATUSES)})')
    return wanted


def hex_id(text: str) -> str:
    """A PCI vendor or product id: 1-4 hex digits, optionally ``0x``; given as four
    lower-case digits, the way Nova and Placement write them.

    Anything else (``intel``, ``8086a``) is a usage error: as a filter it would match
    nothing and print an empty table that looks like an empty cloud.
    """
    digits = text.strip().lower()
    digits = digits[2:] if digits.startswith('0x') else digits
    if not re.fullmatch(r'[0-9a-f]{1,4}', digits):
        raise argparse.ArgumentTypeError(
            f'expected a PCI id of 1-4 hex digits (e.g. 8086 or 0x10ed), not {text!r}')
    return digits.zfill(4)


def address(text: str) -> list[str]:
    """``--address``: the full addresses it means (see :func:`parse_address`: lspci's
    short form, a slot's functions, any case); anything else is a usage error."""
    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'expected a positive whole number, not {text!r}')
    return int(text)


class ListPciDevice(common.Lister):
    """List the PCI devices of the cloud: where they are and whether they are free."""

    views = (fields.PCI_DEVICE_LIST, fields.PCI_DEVICE_LIST_PLACEMENT)
    long_views = (fields.PCI_DEVICE_LIST_LONG, fields.PCI_DEVICE_LIST_LONG_PLACEMENT)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('--long', action='store_true',
                            help='Also show type, dev id, label, NUMA node, the server '
                                 'holding the device and its extra info.')
        parser.add_argument('--host', metavar='<hostname>',
                            help='Only devices of this hypervisor (exact hostname; one that '
                                 'names no hypervisor is an error with the closest names).')
        parser.add_argument('--status', metavar='<status>', type=_statuses, action='append',
                            help='Only devices in one of these states (repeat the option or '
                                 f'separate with commas: {", ".join(ALL_STATUSES)}); exact: '
                                 'from Placement, available means nothing used and partial '
                                 'some units used, some free.')
        parser.add_argument('--vendor-id', metavar='<vendor-id>', type=hex_id,
                            help='Only devices of this PCI vendor (hex, e.g. 8086).')
        parser.add_argument('--product-id', metavar='<product-id>', type=hex_id,
                            help='Only devices with this PCI product id (hex, e.g. 10ed).')
        parser.add_argument('--type', dest='dev_type', metavar='<type>',
                            type=normalise_dev_type, choices=DEV_TYPES,
                            help=f'Only devices of this type ({", ".join(DEV_TYPES)}; '
                                 'pci, pf and vf also work).')
        parser.add_argument('--address', metavar='<address>', type=address,
                            help='Only the device at this PCI address (e.g. 0000:04:10.0, '
                                 'or as lspci shows it, 04:10.0), or every function of a '
                                 'slot (0000:04:10); from Placement, the address of the '
                                 'provider (see the Address Of column).')
        parser.add_argument('--server', '--instance', dest='server', metavar='<server>',
                            help='Only devices held by this server (name or UUID).')
        common.all_projects_option(parser, help=common.FIND_SERVER_EVERYWHERE)
        parser.add_argument('--limit', metavar='<n>', type=_positive_int,
                            help='Show at most this many devices: the first ones in the '
                                 "cloud's order (after --marker), cut before "
                                 '--sort-column sorts them: --limit 3 --sort-column ID '
                                 '--sort-descending shows the first 3 devices, last first '
                                 '(pages are fetched as needed).')
        parser.add_argument('--marker', metavar='<id>',
                            help='Start after the device with this ID (for paging by hand).')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        instance_uuid = None
        if parsed_args.server:
            instance_uuid = parsed_args.server if is_uuid_like(parsed_args.server) \
                else client.servers.get(parsed_args.server,
                                        all_projects=parsed_args.all_projects).id
        statuses = [s for group in parsed_args.status or () for s in group] or None
        # A stream: each page goes through the formatter before the next is asked for
        # (see common.Lister: tables and sorted output still hold every row).
        devices = client.pci_devices.stream(
            detailed=parsed_args.long, host=parsed_args.host, status=statuses,
            vendor_id=parsed_args.vendor_id, product_id=parsed_args.product_id,
            dev_type=parsed_args.dev_type, instance_uuid=instance_uuid,
            address=parsed_args.address,
            limit=parsed_args.limit, marker=parsed_args.marker)
        if devices.bindings_hidden:
            from pciclient.commands.port import warn_hidden
            warn_hidden(self.app, True)
        rows = common.then((device.to_dict() for device in devices), lambda: common.say_unjudged(
            self.app, devices.unjudged, 'PCI device provider'))
        if not parsed_args.long:
            return common.list_output(fields.PCI_DEVICE_LIST_PLACEMENT
                                      if devices.source == 'placement'
                                      else fields.PCI_DEVICE_LIST, rows)
        view = (fields.PCI_DEVICE_LIST_LONG_PLACEMENT if devices.source == 'placement'
                else fields.PCI_DEVICE_LIST_LONG)
        return common.list_output(view, common.with_names(self.app, rows))


class ShowPciDevice(common.ShowOne):
    """Show every detail of one PCI device, with the hypervisor it is on."""

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('device', metavar='<id>',
                            help='ID of the PCI device (from Placement: the provider UUID), '
                                 'or HOST_ADDRESS such as compute1_0000:04:00.0, or with '
                                 '--host its PCI address (0000:04:00.0 or 04:00.0).')
        parser.add_argument('--host', metavar='<hostname>',
                            help='The hypervisor the device is on: <id> is then its PCI '
                                 'address.')
        parse_args = parser.parse_args

        def checked(args: Any = None, namespace: Any = None) -> Any:
            parsed = parse_args(args, namespace)
            if parsed.host is not None:
                try:
                    functions = parse_address(parsed.device)
                except ValueError as error:
                    parser.error(f'argument <id>: with --host, {error}')
                if len(functions) != 1:
                    parser.error(f'argument <id>: {parsed.device!r} is a slot, not one '
                                 f'device: give its function too, e.g. {functions[0]}')
            return parsed
        parser.parse_args = checked
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        device = common.compute_client(self.app).pci_devices.get(
            parsed_args.device, host=parsed_args.host).to_dict()
        [device] = common.with_names(self.app, [device])
        view = (fields.PCI_DEVICE_SHOW_PLACEMENT if device.get('source') == 'placement'
                else fields.PCI_DEVICE_SHOW)
        return common.show_output(view, device)


__all__ = ['ListPciDevice', 'ShowPciDevice']
