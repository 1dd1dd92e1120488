"""``hypervisor-list`` / ``hypervisor-show`` (``openstack pci hypervisor …``)."""
from __future__ import annotations

from typing import Any

from pciclient.commands import common
from pciclient.v2 import resource_fields as fields


class ListHypervisor(common.Lister):
    """List the hypervisors (compute nodes) of the cloud."""

    views = (fields.HYPERVISOR_LIST,)
    long_views = (fields.HYPERVISOR_LIST_LONG,)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('--long', action='store_true',
                            help='Also show type, host IP and usage (where the cloud '
                                 'still reports usage: Nova stopped at microversion 2.88).')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        hypervisors = common.compute_client(self.app).hypervisors.list(detailed=parsed_args.long)
        view = fields.HYPERVISOR_LIST_LONG if parsed_args.long else fields.HYPERVISOR_LIST
        return common.list_output(view, (h.to_dict() for h in hypervisors))


class ShowHypervisor(common.ShowOne):
    """Show a hypervisor with its PCI pools: how many devices of each kind are free."""

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('hypervisor', metavar='<id-or-hostname>',
                            help='ID or exact hostname of the hypervisor.')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        hypervisor = client.hypervisors.get(parsed_args.hypervisor)
        pools, source = client.pci_pools.of_hypervisor(hypervisor)
        shown = {**hypervisor.to_dict(), 'pci_stats': pools, 'pci_source': source}
        return common.show_output(fields.HYPERVISOR_SHOW, shown)
