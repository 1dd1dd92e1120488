"""The exporter's metrics: every name, type, help text and label set, in one place.

Names and labels are an interface (dashboards and alert rules depend on them, and the
README documents them from here): change them only deliberately. The tests check that
the dashboard and the alert rules in ``doc/`` name only metrics listed here.

Cardinality: the default families are per host and resource class (a 1,000-host cloud
with three kinds of device is 3,000 series each, whatever its number of devices); the
per-device and per-holder families come only with ``--per-device``.
"""
from __future__ import annotations

from dataclasses import dataclass

GAUGE, COUNTER = 'gauge', 'counter'

#: The labels of a host's devices of one resource class (the default view).
HOST_LABELS = ('host', 'resource_class', 'vendor_id', 'product_id', 'vendor_name',
               'product_name', 'source')
#: The labels of one device (os-pci) or device provider (Placement): ``--per-device``.
DEVICE_LABELS = ('host', 'address', 'vendor_id', 'product_id', 'vendor_name', 'product_name',
                 'dev_type', 'resource_class', 'physical_network', 'numa_node', 'source')
#: One server holding (units of) one device: ``--per-device``.
HOLDER_LABELS = ('server_id', 'server_name', 'project_id', 'host', 'address',
                 'resource_class')

#: One physical GPU provider (a ``vgpu`` row of ``pci-list``).
PGPU_LABELS = ('host', 'address', 'resource_class')


@dataclass(frozen=True)
class Family:
    """One metric family: ``name`` as exposed (counters without their ``_total``)."""

    name: str
    kind: str
    help: str
    labels: tuple[str, ...]


_FAMILIES = (
    # -- devices, per host and resource class (default) ----------------------------------
    Family('pci_host_devices', GAUGE, 'Devices (os-pci) or device providers (Placement) '
           'of this class on this host.', HOST_LABELS),
    Family('pci_host_capacity_units', GAUGE, 'Units of this class on this host: Placement '
           'inventory totals; one per os-pci device.', HOST_LABELS),
    Family('pci_host_used_units', GAUGE, 'Units held by servers (os-pci: claimed or '
           'allocated devices).', HOST_LABELS),
    Family('pci_host_reserved_units', GAUGE, 'Units reserved (Placement reserved; os-pci: '
           'unavailable, unclaimable or removed devices).', HOST_LABELS),
    Family('pci_host_free_units', GAUGE, 'Units free: capacity - reserved - used.',
           HOST_LABELS),
    # -- per device or device provider (--per-device) ------------------------------------
    Family('pci_device_capacity_units', GAUGE, 'Units of one device or device provider.',
           DEVICE_LABELS),
    Family('pci_device_used_units', GAUGE, 'Units of one device held by servers.',
           DEVICE_LABELS),
    Family('pci_device_reserved_units', GAUGE, 'Units of one device reserved.',
           DEVICE_LABELS),
    Family('pci_device_free_units', GAUGE, 'Units of one device free.', DEVICE_LABELS),
    # -- per holder (--per-device) ---------------------------------------------------------
    Family('pci_server_device_units', GAUGE, 'Units of one device one server holds.',
           HOLDER_LABELS),
    # -- vGPUs per physical GPU (Placement) -------------------------------------------------
    Family('pci_pgpu_vgpu_capacity_units', GAUGE, 'vGPUs one physical GPU provider offers '
           '(its Placement inventory total), as pci-list shows its vgpu row.', PGPU_LABELS),
    Family('pci_pgpu_vgpu_used_units', GAUGE, 'vGPUs of one physical GPU provider held by '
           'servers.', PGPU_LABELS),
    # -- SR-IOV ports (Neutron) -------------------------------------------------------------
    Family('pci_sriov_ports_in_use', GAUGE, 'SR-IOV ports (a VNIC type that holds a PCI '
           'device) bound to this host and held by a server, per physical network, as '
           'sriov-port-list shows them.', ('host', 'physical_network')),
    # -- capacity per flavor ----------------------------------------------------------------
    Family('pci_flavor_host_fits', GAUGE, 'How many more servers of this flavor fit on this '
           'host (an upper bound; NaN: unknown), and what stops the next one.',
           ('flavor', 'host', 'limited_by')),
    Family('pci_flavor_fits', GAUGE, 'How many more servers of this flavor fit in the whole '
           'cloud (NaN: unknown on some host), and the most common limit.',
           ('flavor', 'limited_by')),
    Family('pci_flavor_hosts_fitting', GAUGE, 'Hosts on which at least one more server of '
           'this flavor fits.', ('flavor',)),
    # -- the exporter itself -----------------------------------------------------------------
    Family('pci_exporter_up', GAUGE, '1 if the last refresh of every source succeeded, '
           'else 0 (the data shown is then the last good one: see '
           'pci_exporter_last_success_timestamp_seconds).', ()),
    Family('pci_exporter_source_up', GAUGE, '1 if the last refresh of this source '
           'succeeded.', ('source',)),
    Family('pci_exporter_last_refresh_timestamp_seconds', GAUGE, 'When the last refresh '
           'ended (Unix time), successful or not.', ()),
    Family('pci_exporter_last_success_timestamp_seconds', GAUGE, 'When the data of this '
           'source was last read in full (Unix time); 0 before the first success.',
           ('source',)),
    Family('pci_exporter_last_refresh_duration_seconds', GAUGE, 'How long the last refresh '
           'took.', ()),
    Family('pci_exporter_refreshes', COUNTER, 'Refreshes by result (success, failure).',
           ('result',)),
    Family('pci_exporter_requests', COUNTER, 'HTTP requests to the cloud (Keystone, '
           'compute, Placement, Neutron) that were answered.', ()),
    Family('pci_exporter_errors', COUNTER, 'Failed source refreshes by kind of error '
           '(the pciclient exception class, e.g. ConnectionError, Forbidden, '
           'DeadlinePassed, BindingsHidden).', ('source', 'kind')),
    Family('pci_exporter_series', GAUGE, 'Series the last refresh exposes (all families).',
           ()),
)

#: Every family, by name, in the order they are exposed.
FAMILIES: dict[str, Family] = {family.name: family for family in _FAMILIES}


def exposed_names() -> set[str]:
    """Every metric name a scrape can show (a counter's samples end in ``_total``)."""
    return {family.name + '_total' if family.kind == COUNTER else family.name
            for family in _FAMILIES}
