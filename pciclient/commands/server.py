"""``server-list`` / ``server-show`` (``openstack pci server …``): which server holds which
device."""
from __future__ import annotations

import contextlib
from typing import Any

from pciclient import exceptions
from pciclient.commands import common
from pciclient.commands.columns import PciDevicesColumn
from pciclient.commands.hints import cli_message
from pciclient.v2 import resource_fields as fields


def _warn(app: Any, refusals: list[exceptions.Forbidden], what: str) -> None:
    """One line on stderr for what the caller may not see: the answer stands without it."""
    if refusals:
        app.stderr.write(f'Warning: {what}: {cli_message(refusals[0])}\n')


class ListServer(common.Lister):
    """List servers with the ids of the PCI devices each one holds, and their host."""

    views = (fields.SERVER_LIST,)
    long_views = (fields.SERVER_LIST_LONG,)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        common.all_projects_option(parser)
        parser.add_argument('--host', metavar='<host>',
                            help='Only servers on this compute host (exact name; admin only: '
                                 'Nova shows a server\'s host to admins only). With '
                                 '--all-projects, of every project.')
        parser.add_argument('--long', action='store_true',
                            help='Also show the project and the flavor (its name where the '
                                 'cloud has microversion 2.47, else its id).')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        view = fields.SERVER_LIST_LONG if parsed_args.long else fields.SERVER_LIST
        # Page by page, from the first request to the formatter (see common.Lister).
        servers = client.servers.iter(detailed=True, all_projects=parsed_args.all_projects,
                                      host=parsed_args.host, flavor_names=parsed_args.long)
        refusals: list[exceptions.Forbidden] = []
        rows = (s.row() for s in client.pci_devices.annotated(servers, refusals.append))
        return common.list_output(view, common.then(rows, lambda: _warn(
            self.app, refusals, 'PCI devices from Placement not shown')))


class ShowServer(common.ShowOne):
    """Show a server with the PCI devices it holds."""

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('server', metavar='<server>', help='Name or UUID of the server.')
        parser.add_argument('--long', action='store_true',
                            help='Resolve each PCI device to its address, vendor, product '
                                 '(ids and names), type and host (one more request, admin '
                                 'only: without it the device ids are shown, with a warning).')
        common.all_projects_option(parser)
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        server = client.servers.get(parsed_args.server, all_projects=parsed_args.all_projects)
        data = server.to_dict()
        detailed = parsed_args.long
        try:
            held = client.pci_devices.held_by(server, detailed=detailed)
        except exceptions.Forbidden as error:
            # os-pci (the devices' details) and Placement are admin only, the server is
            # the caller's all the same: show what may be shown, and say what is not.
            detailed, held = False, (None, None)
            if parsed_args.long:
                with contextlib.suppress(exceptions.Forbidden):
                    held = client.pci_devices.held_by(server)
            _warn(self.app, [error], 'PCI device details not shown, only their ids'
                  if held[0] is not None else 'PCI devices not shown')
        data['pci_devices'], data['pci_source'] = held
        devices = data['pci_devices']
        if detailed and isinstance(devices, list) and \
                all(isinstance(device, dict) for device in devices):
            data['pci_devices'] = list(common.with_names(self.app, devices))
        overrides = {'pci_devices': PciDevicesColumn} if detailed else None
        if not parsed_args.long:
            return common.show_output(fields.SERVER_SHOW, data, overrides)
        ports = client.pci_devices.ports.held_by(server.id)
        if ports is not None:
            from pciclient.commands.port import warn_hidden
            warn_hidden(self.app, ports.bindings_hidden)
        data['sriov_ports'] = None if ports is None else [
            {key: port.to_dict().get(key) for key in fields.SERVER_PORT_FIELDS} for port in ports]
        return common.show_output(fields.SERVER_SHOW_LONG, data, overrides)
