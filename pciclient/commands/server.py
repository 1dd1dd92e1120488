"""``server-list`` / ``server-show`` (``openstack pci server …``): which server holds which
device."""
from __future__ import annotations

from typing import Any

from pciclient.commands import common
from pciclient.commands.columns import PciDevicesColumn
from pciclient.v2 import resource_fields as fields


def _all_projects_option(parser: Any) -> None:
    parser.add_argument('--all-projects', '--all-tenants', action='store_true',
                        help='Servers of every project (admin only).')


class ListServer(common.Lister):
    """List servers with the ids of the PCI devices each one holds."""

    views = (fields.SERVER_LIST,)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        _all_projects_option(parser)
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        # Page by page, from the first request to the formatter (see common.Lister).
        servers = client.servers.iter(detailed=True, all_projects=parsed_args.all_projects)
        return common.list_output(fields.SERVER_LIST, (
            s.to_dict() for s in client.pci_devices.annotated(servers)))


class ShowServer(common.ShowOne):
    """Show a server with the PCI devices it holds."""

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('server', metavar='<server>', help='Name or UUID of the server.')
        parser.add_argument('--long', action='store_true',
                            help='Resolve each PCI device to its address, vendor, product '
                                 '(ids and names), type and host (one more request).')
        _all_projects_option(parser)
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        server = client.servers.get(parsed_args.server, all_projects=parsed_args.all_projects)
        data = server.to_dict()
        data['pci_devices'], data['pci_source'] = client.pci_devices.held_by(
            server, detailed=parsed_args.long)
        devices = data['pci_devices']
        if parsed_args.long and isinstance(devices, list) and \
                all(isinstance(device, dict) for device in devices):
            data['pci_devices'] = list(common.with_names(self.app, devices))
        overrides = {'pci_devices': PciDevicesColumn} if parsed_args.long else None
        return common.show_output(fields.SERVER_SHOW, data, overrides)
