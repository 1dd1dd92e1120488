"""Where PCI devices are read from, and what each source tells of a device a server holds.

Kept free of imports: the CLI's option registration (which ``openstack`` imports on
every run) and the output schema take these names from here, downwards, so that the
library never has to look up at the CLI for them.
"""
from __future__ import annotations

#: Where PCI devices are read from: ``os-pci`` (the compute API's PCI extension),
#: ``placement`` (Nova's PCI providers) or ``auto`` (os-pci, else Placement).
SOURCES = ('auto', 'os-pci', 'placement')

#: Requests to Placement in flight at once when a listing reads many providers. One
#: Placement worker answers one request at a time; a few in flight hide the round trips
#: without queueing much behind an operator's command (see benchmarks/results).
PLACEMENT_CONCURRENCY = 8

#: What ``held_by(detailed=True)`` tells of each device a server holds.
SERVER_DEVICE_FIELDS = ('id', 'address', 'vendor_id', 'product_id', 'dev_type', 'host')
#: From Placement each also says whose address ``address`` is (the PF's, for a provider
#: of VFs: see ``placement_rows.address_of``), its resource class and how many of it the
#: server holds.
SERVER_PLACEMENT_DEVICE_FIELDS = SERVER_DEVICE_FIELDS + ('address_of', 'resource_class',
                                                         'amount')
