"""Where PCI devices are read from, and what each source tells of a device a server holds.

Kept free of imports: the CLI's option registration (which ``openstack`` imports on
every run) and the output schema take these names from here, downwards, so that the
library never has to look up at the CLI for them.
"""
from __future__ import annotations

#: Where PCI devices are read from: ``os-pci`` (the compute API's PCI extension),
#: ``placement`` (Nova's PCI providers), ``neutron`` (the VFs SR-IOV ports are bound to)
#: or ``auto`` (os-pci, else Placement; plus Neutron when the catalog has it). A
#: ``pci_source`` is one of them or several, comma-separated (see :func:`split_sources`).
SOURCES = ('auto', 'os-pci', 'placement', 'neutron')
#: The sources that read every device of the compute hosts (one of them at most).
DEVICE_SOURCES = ('auto', 'os-pci', 'placement')
#: No device source (``pci_source='neutron'``): only the VFs of SR-IOV ports.
NO_DEVICE_SOURCE = 'none'

#: Neutron VNIC types whose ports hold a PCI device (a VF, a PF, a vDPA device or an
#: accelerator's function) that Nova claimed and wrote into ``binding:profile``
#: (neutron-lib ``portbindings.VNIC_*``; ``normal``, ``baremetal`` and ``smart-nic``
#: hold none).
SRIOV_VNIC_TYPES = ('direct', 'direct-physical', 'macvtap', 'remote-managed', 'vdpa',
                    'virtio-forwarder', 'accelerator-direct', 'accelerator-direct-physical')


def split_sources(text: str) -> tuple[str, str]:
    """``pci_source`` as ``(device source, neutron)``: the device source is one of
    :data:`DEVICE_SOURCES` or :data:`NO_DEVICE_SOURCE`; ``neutron`` is ``'on'``, ``'off'``
    or ``'auto'`` (on when the catalog has a network service). ``auto`` alone is both
    autos; naming sources without ``auto`` reads only those. A name that is no source, or
    both os-pci and placement, is a :class:`ValueError` (a typo must not read nothing)."""
    names = [part.strip() for part in str(text).split(',') if part.strip()]
    unknown = [name for name in names if name not in SOURCES]
    if unknown or not names:
        raise ValueError(f'unknown PCI source {",".join(unknown) or text!r}; use one or more '
                         f'of {", ".join(SOURCES)}, comma-separated')
    devices = [name for name in dict.fromkeys(names) if name in DEVICE_SOURCES]
    if len(devices) > 1:
        raise ValueError(f'PCI sources {" and ".join(devices)} exclude each other: give one')
    if 'neutron' in names:
        return (devices[0] if devices else NO_DEVICE_SOURCE), 'on'
    return devices[0], 'auto' if devices[0] == 'auto' else 'off'

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
#: What ``held_by(detailed=True)`` tells of each SR-IOV port of the server: the port and
#: the VF (or PF, vDPA device) Nova bound it to.
SERVER_PORT_FIELDS = ('port_id', 'address', 'vendor_id', 'product_id', 'dev_type', 'host',
                      'physical_network', 'vnic_type')
