"""The output schema, in one place: which fields each view shows, in which order, under which label.

List views show labels (Title Case: cliff's JSON keys are the column names);
show views use the field ids themselves (the API's snake_case). Scripts depend
on both, so change them only deliberately. Nothing else spells a column name.
"""
from __future__ import annotations

from typing import NamedTuple

# What the library tells of each device a server holds is the library's to say (it
# returns them); ``server-show --long`` shows exactly that, so the schema names them too.
from pciclient.v2.sources import (  # noqa: F401
    SERVER_DEVICE_FIELDS,
    SERVER_PLACEMENT_DEVICE_FIELDS,
    SERVER_PORT_FIELDS,
)

#: Label of every field a list view can show.
LABELS: dict[str, str] = {
    'id': 'ID',
    'address': 'Address',
    'address_of': 'Address Of',
    'host': 'Host',
    'vendor_id': 'Vendor ID',
    'product_id': 'Product ID',
    'status': 'Status',
    'dev_type': 'Type',
    'dev_id': 'Dev ID',
    'label': 'Label',
    'numa_node': 'NUMA Node',
    'instance_uuid': 'Instance UUID',
    'extra_info': 'Extra Info',
    'hypervisor_hostname': 'Hostname',
    'state': 'State',
    'name': 'Name',
    'pci_devices': 'PCI Devices',
    'tags': 'Tags',
    'source': 'Source',
    'resource_class': 'Resource Class',
    'total': 'Total',
    'reserved': 'Reserved',
    'used': 'Used',
    'free': 'Free',
    'traits': 'Traits',
    'servers': 'Servers',
    'vendor_name': 'Vendor Name',
    'product_name': 'Product Name',
    'hypervisor_type': 'Hypervisor Type',
    'host_ip': 'Host IP',
    'vcpus': 'vCPUs',
    'vcpus_used': 'vCPUs Used',
    'memory_mb': 'Memory MB',
    'memory_mb_used': 'Memory MB Used',
    'local_gb': 'Local GB',
    'local_gb_used': 'Local GB Used',
    'running_vms': 'Running VMs',
    'count': 'Count',
    'flavor': 'Flavor',
    'fits': 'Fits',
    'limited_by': 'Limited By',
    'hosts': 'Hosts',
    'verified': 'Verified',
    'stage': 'Stage',
    'ok': 'OK',
    'detail': 'Detail',
    'port_id': 'Port ID',
    'physical_network': 'Physical Network',
    'vnic_type': 'VNIC Type',
}


class View(NamedTuple):
    """An ordered set of fields. ``fields`` are field ids; ``labels`` their column names.
    (A named tuple, not a dataclass: making a dataclass costs a millisecond of every
    start-up.)"""

    fields: tuple[str, ...]
    #: Labels this view spells differently from :data:`LABELS`.
    relabel: tuple[tuple[str, str], ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        special = dict(self.relabel)
        return tuple(special.get(field) or LABELS[field] for field in self.fields)

    def extend(self, *fields: str) -> View:
        return View(self.fields + fields, self.relabel)


# --- PCI devices -------------------------------------------------------------
#: ``Source`` says where the rows were read: ``os-pci``, ``placement`` or ``neutron`` (the
#: device of an SR-IOV port; with ``--long`` its ``Port ID``, ``Physical Network``,
#: ``VNIC Type``, also on the os-pci row of the same device).
PCI_DEVICE_LIST = View(('id', 'address', 'host', 'vendor_id', 'product_id', 'status', 'source'))
#: Vendor and product names come from the PCI ID database, as ``lspci -vmm`` shows them
#: (``Vendor 8086``/``Device 10ed`` for an id it has no name for; null: no id).
#: ``Servers`` (``{"id", "name", "amount"}`` each) is the holder in every source's shape.
PCI_DEVICE_LIST_LONG = PCI_DEVICE_LIST.extend(
    'dev_type', 'dev_id', 'label', 'numa_node', 'instance_uuid', 'servers', 'extra_info',
    'vendor_name', 'product_name', 'physical_network', 'port_id', 'vnic_type')
#: From Placement a row is a device provider (``ID`` its UUID) and ``Address`` the one
#: in its name: ``Address Of`` says whose (``PF``: the provider counts that PF's VFs, whose
#: own addresses are unknown; ``device or PF``: one unit, which Placement cannot tell).
PCI_DEVICE_LIST_PLACEMENT = View(('id', 'address', 'address_of', 'host', 'vendor_id',
                                  'product_id', 'status', 'source'))
#: ``Type`` is only known for a PF's VFs (null otherwise), and the consumers are the
#: servers holding it.
PCI_DEVICE_LIST_LONG_PLACEMENT = PCI_DEVICE_LIST_PLACEMENT.extend(
    'dev_type', 'resource_class', 'total', 'reserved', 'used', 'free', 'traits', 'servers',
    'vendor_name', 'product_name', 'physical_network', 'port_id', 'vnic_type')
#: ``pci-show`` always has these fields (null when the cloud does not send one),
#: then any other field the cloud sends, all in alphabetical order.
PCI_DEVICE_SHOW = View(('address', 'compute_node_id', 'created_at', 'deleted', 'deleted_at',
                        'dev_id', 'dev_type', 'extra_info', 'host', 'id', 'instance_uuid',
                        'label', 'numa_node', 'product_id', 'product_name', 'servers', 'source',
                        'status', 'updated_at', 'vendor_id', 'vendor_name'))
PCI_DEVICE_SHOW_PLACEMENT = View(('address', 'address_of', 'dev_type', 'free', 'host', 'id',
                                  'instance_uuid', 'name', 'parent_provider_uuid', 'product_id',
                                  'product_name', 'reserved', 'resource_class',
                                  'root_provider_uuid', 'servers', 'source', 'status', 'total',
                                  'traits', 'used', 'vendor_id', 'vendor_name'))

# --- SR-IOV ports (Neutron) ------------------------------------------------------
#: One row per port whose VNIC type holds a PCI device. ``Server`` is its holder as
#: ``Servers`` is for devices (``{"id", "name", "amount"}``); ``Host`` the hypervisor's
#: nodename (the compute service host where no hypervisor can be read); ``PCI Slot``,
#: ``Physical Network``, the ids: from ``binding:profile`` (null: unbound, or hidden from
#: a caller without an admin role); ``Status`` the port's (``ACTIVE``, ``DOWN``, …).
PORT_LIST = View(('port_id', 'servers', 'host', 'address', 'physical_network', 'vnic_type',
                  'vendor_id', 'product_id', 'status'),
                 relabel=(('servers', 'Server'), ('address', 'PCI Slot')))
#: ``pci-list --long`` rows of a device bound to an SR-IOV port also carry these (null
#: elsewhere): the port, and the physical network Nova bound it on.
PORT_DEVICE_FIELDS = ('physical_network', 'port_id', 'vnic_type')

# --- Hypervisors ---------------------------------------------------------------
HYPERVISOR_LIST = View(('id', 'hypervisor_hostname', 'state', 'status'))
#: The usage fields are null where the cloud does not send them (Nova from 2.88).
HYPERVISOR_LIST_LONG = HYPERVISOR_LIST.extend(
    'hypervisor_type', 'host_ip', 'vcpus', 'vcpus_used', 'memory_mb', 'memory_mb_used',
    'local_gb', 'local_gb_used', 'running_vms')
#: ``pci_stats`` from the compute API, else Placement's pools of its tree (``pci_source``).
HYPERVISOR_SHOW = View(('hypervisor_hostname', 'id', 'pci_source', 'pci_stats', 'state',
                        'status'))

# --- PCI pools (free capacity per host) -----------------------------------------
#: ``Tags`` is not the same concept in both sources. From ``os-pci`` (a hypervisor's
#: ``pci_stats``) it is the pool's tags as Nova keeps them: ``physical_network``,
#: ``trusted``, ``remote_managed`` and any other tag of the ``[pci] device_spec`` entry
#: that matched the devices. From Placement a pool is one resource class of one host:
#: ``resource_class`` (always) and ``traits``, the provider traits beyond the two every
#: Nova PCI provider has (those a device spec's ``traits`` tag asked for), as a list.
#: Neither source's keys are invented for the other: ``Source`` says which meaning a row has.
PCI_POOL_LIST = View(('host', 'vendor_id', 'product_id', 'dev_type', 'numa_node', 'tags', 'count',
                      'source'), relabel=(('numa_node', 'NUMA'),))
#: ``--long``: names from the PCI ID database, as for devices.
PCI_POOL_LIST_LONG = PCI_POOL_LIST.extend('vendor_name', 'product_name')

# --- Servers -------------------------------------------------------------------
#: ``Host`` is the compute host (null where Nova does not show it: to members); it comes
#: last so that the fields before it keep their places in ``-f value``/``csv`` output.
SERVER_LIST = View(('id', 'name', 'status', 'pci_devices', 'host'))
#: ``Flavor`` is the flavor's name (Nova names it from microversion 2.47), else its id.
SERVER_LIST_LONG = View(SERVER_LIST.fields + ('project_id', 'flavor'),
                        relabel=(('project_id', 'Project ID'),))
SERVER_SHOW = View(('id', 'name', 'pci_devices', 'pci_source', 'status'))
#: ``--long`` adds the server's SR-IOV ports, each as :data:`SERVER_PORT_FIELDS` (null:
#: the cloud has no Neutron known to the client).
SERVER_SHOW_LONG = View(SERVER_SHOW.fields + ('sriov_ports',))

# --- Capacity ------------------------------------------------------------------
#: One row per host and flavor. ``Fits``: how many more such servers (null when it cannot
#: be known); ``Limited By``: what stops the next one (a closed vocabulary, see
#: :mod:`pciclient.v2.capacity.outcome`); ``Free``: resource class → free units on the
#: host, for the classes the flavor asks.
CAPACITY_LIST = View(('host', 'flavor', 'fits', 'limited_by', 'free'))
#: ``--verify``: whether Placement's own answer agrees (true/false; null: not asked).
CAPACITY_LIST_VERIFY = CAPACITY_LIST.extend('verified')
#: ``--summary``: one row per flavor; ``Hosts`` fit at least one, ``Limited By`` the
#: most common reason over the hosts.
CAPACITY_LIST_SUMMARY = View(('flavor', 'fits', 'hosts', 'limited_by'))
#: ``--explain``: the decision stage by stage (``OK`` null: not judged).
CAPACITY_LIST_EXPLAIN = View(('host', 'flavor', 'stage', 'ok', 'detail'))

#: What a pool of ``pci_stats`` holds. What ``server-show --long`` tells of each device is
#: :data:`SERVER_DEVICE_FIELDS` (:data:`SERVER_PLACEMENT_DEVICE_FIELDS` from Placement),
#: defined by the library that returns them.
POOL_FIELDS = ('vendor_id', 'product_id', 'numa_node', 'dev_type', 'count', 'tags')
