"""Every command, once: its ``pci-cli`` name, its ``openstack`` name and its class.

setup.py builds both apps' entry points from this table, and ``pci-cli`` reads it
directly instead of scanning every installed distribution's entry points at start-up
(which cost more than all of pci-cli's own work). Keep this module free of imports.
"""

#: (pci-cli name, openstack name, "module:Class")
COMMANDS = (
    ('pci-list', 'pci device list', 'pciclient.commands.pci_device:ListPciDevice'),
    ('pci-show', 'pci device show', 'pciclient.commands.pci_device:ShowPciDevice'),
    ('pci-pool-list', 'pci pool list', 'pciclient.commands.pci_pool:ListPciPool'),
    ('hypervisor-list', 'pci hypervisor list', 'pciclient.commands.hypervisor:ListHypervisor'),
    ('hypervisor-show', 'pci hypervisor show', 'pciclient.commands.hypervisor:ShowHypervisor'),
    ('server-list', 'pci server list', 'pciclient.commands.server:ListServer'),
    ('server-show', 'pci server show', 'pciclient.commands.server:ShowServer'),
    ('capacity', 'pci capacity list', 'pciclient.commands.capacity:ListCapacity'),
    ('sriov-port-list', 'pci port list', 'pciclient.commands.port:ListSriovPort'),
)

PCI_CLI_GROUP = 'pci.cli'
OPENSTACK_GROUP = 'openstack.pci.v2'


def entry_points() -> dict[str, list[str]]:
    """The command entry points of both apps, for setup.py."""
    return {
        PCI_CLI_GROUP: [f'{name} = {target}' for name, _, target in COMMANDS],
        OPENSTACK_GROUP: [f'{osc.replace(" ", "_")} = {target}' for _, osc, target in COMMANDS],
    }
