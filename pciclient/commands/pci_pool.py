"""``pci-pool-list`` (``openstack pci pool list``): the cloud-wide view of free PCI capacity."""
from __future__ import annotations

import logging
from typing import Any

from pciclient.commands import common
from pciclient.commands.pci_device import hex_id
from pciclient.text import printable
from pciclient.v2 import resource_fields as fields

LOG = logging.getLogger(__name__)

#: Said under pools from Placement where the cloud has Neutron: free SR-IOV VFs are in none.
PHYSNET_NOTE = ('Note: devices whose device_spec names a physical_network (SR-IOV VFs for '
                'Neutron ports) are not in Placement, so no API counts the free ones; '
                'sriov-port-list shows those in use.\n')


class ListPciPool(common.Lister):
    """List every host's PCI pools: how many devices of each kind are free where."""

    views = (fields.PCI_POOL_LIST,)
    long_views = (fields.PCI_POOL_LIST_LONG,)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        parser.add_argument('--host', metavar='<hostname>',
                            help='Only pools of this hypervisor (exact hostname; one that '
                                 'names no hypervisor is an error with the closest names).')
        parser.add_argument('--vendor-id', metavar='<vendor-id>', type=hex_id,
                            help='Only pools of this PCI vendor (hex, e.g. 8086).')
        parser.add_argument('--product-id', metavar='<product-id>', type=hex_id,
                            help='Only pools with this PCI product id (hex, e.g. 10ed).')
        parser.add_argument('--long', action='store_true',
                            help='Also show vendor and product names (from the PCI ID '
                                 'database, as lspci shows them).')
        return parser

    def take_action(self, parsed_args: Any) -> Any:
        client = common.compute_client(self.app)
        pools = client.pci_pools.list(
            host=parsed_args.host, vendor_id=parsed_args.vendor_id,
            product_id=parsed_args.product_id)
        common.say_unjudged(self.app, pools.unjudged, 'PCI pool')
        if pools.source == 'placement' and client.neutron.available():
            # Pools from Placement look complete; on a cloud with SR-IOV ports they are not.
            self.app.stderr.write(PHYSNET_NOTE)
        if pools.silent_hosts:
            LOG.warning('Hypervisors that report no PCI pools: %s',
                        printable(', '.join(str(host) for host in pools.silent_hosts)))
        if parsed_args.long:
            return common.list_output(fields.PCI_POOL_LIST_LONG, common.with_names(self.app, pools))
        return common.list_output(fields.PCI_POOL_LIST, pools)
