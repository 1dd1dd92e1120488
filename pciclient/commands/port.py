"""``sriov-port-list`` (``openstack pci port list``): the PCI devices SR-IOV ports hold."""
from __future__ import annotations

from typing import Any

from pciclient.commands import common
from pciclient.v2 import resource_fields as fields
from pciclient.v2.base import is_uuid_like
from pciclient.v2.sources import SRIOV_VNIC_TYPES

#: One line on stderr when Neutron hid the bindings (the caller has no admin role).
BINDINGS_HIDDEN = ("Warning: Neutron shows ports' bindings to admins only: SR-IOV holders' "
                   'hosts and devices need an admin role (shown without them).')


def warn_hidden(app: Any, hidden: bool) -> None:
    """Say once that the ports' hosts and devices were hidden; the rest stands."""
    if hidden:
        app.stderr.write(BINDINGS_HIDDEN + '\n')


class ListSriovPort(common.Lister):
    """List the ports whose VNIC type holds a PCI device, with the VF each one is bound to."""

    views = (fields.PORT_LIST,)
    long_views = ()

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('--host', metavar='<host>',
                            help='Only ports bound on this host: its hypervisor nodename or '
                                 'its compute service host (asked of Neutron).')
        parser.add_argument('--physical-network', metavar='<name>',
                            help='Only ports bound on this physical network.')
        parser.add_argument('--server', '--instance', dest='server', metavar='<server>',
                            help='Only ports of this server (name or UUID; asked of Neutron).')
        common.all_projects_option(parser, help=common.FIND_SERVER_EVERYWHERE)
        parser.add_argument('--vnic-type', metavar='<type>', choices=SRIOV_VNIC_TYPES,
                            action='append',
                            help='Only ports of this VNIC type (repeatable: '
                                 f'{", ".join(SRIOV_VNIC_TYPES)}).')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        servers = None
        if parsed_args.server:
            servers = [parsed_args.server if is_uuid_like(parsed_args.server)
                       else client.servers.get(parsed_args.server,
                                               all_projects=parsed_args.all_projects).id]
        ports = client.neutron.ports(host=parsed_args.host, servers=servers,
                                     vnic_types=parsed_args.vnic_type,
                                     physical_network=parsed_args.physical_network)
        warn_hidden(self.app, ports.bindings_hidden)
        return common.list_output(fields.PORT_LIST, (port.to_dict() for port in ports))


__all__ = ['ListSriovPort']
