"""The ports a Neutron would hold for the fake cloud's servers, derived from one snapshot.

Nova binds an SR-IOV port to the device it claimed and writes the binding
profile itself (``nova/network/neutron.py``, ``_get_pci_device_profile``):
``pci_slot`` (the VF's or PF's own address), ``pci_vendor_info``
(``vendor:product``) and ``physical_network``. So every device a server holds
whose device_spec tags a ``physical_network`` is one port here: ``direct`` for
a VF, ``direct-physical`` for a PF (a server's ``vnic_types`` may say otherwise,
e.g. ``macvtap``), bound by Neutron's SR-IOV mechanism driver (``hw_veb`` or
``hostdev_physical``, a VLAN segment of the physnet's network). Each server also
has one ``normal`` port on a tenant network (OVS), so clients must filter.

``binding:host_id`` is the compute service's host, which in this fake is the
hypervisor's hostname. Ids are uuid5 of the server and address (or network
name), so a restart or a rescan keeps them; networks belong to a project no
scenario user is in (the cloud admin's), as provider networks do.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from pciclient.fakeserver.model.inventory import DEV_TYPE_PF, Inventory, PciDevice, Server

__all__ = ['NETWORK_OWNER', 'Network', 'Port', 'PortSet', 'PortSets', 'PortSource', 'build_ports',
           'default_vnic_type']

_NAMESPACE = uuid.UUID('0b6c4f5e-9a43-4e7d-8a0f-5f0e2a6d1c37')
# The project owning the networks: the cloud admin's, as for provider networks.
NETWORK_OWNER = uuid.uuid5(_NAMESPACE, 'project:admin').hex
TENANT_NETWORK = 'private'
_FIRST_VLAN = 100
_OVS_DETAILS = MappingProxyType({'port_filter': True, 'connectivity': 'l2',
                                 'ovs_hybrid_plug': False, 'datapath_type': 'system',
                                 'bridge_name': 'br-int'})


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    physical_network: str | None
    subnet_id: str
    index: int
    vlan: int | None


@dataclass(frozen=True)
class Port:
    """One port; :meth:`document` is what an admin reads."""

    id: str
    network: Network
    project_id: str
    device_id: str
    host: str
    vnic_type: str
    profile: Mapping[str, str]
    ip_address: str
    created_at: str

    @property
    def mac_address(self) -> str:
        digest = hashlib.sha256(self.id.encode()).digest()
        return 'fa:16:3e:' + ':'.join(f'{b:02x}' for b in digest[:3])

    def vif(self) -> tuple[str, dict[str, Any]]:
        """What Neutron's mechanism driver wrote when it bound the port."""
        if self.vnic_type == 'normal':
            details: dict[str, Any] = dict(_OVS_DETAILS)
            details['bound_drivers'] = {'0': 'openvswitch'}
            return 'ovs', details
        # ML2 names the driver that bound each level (``bound_drivers``, as recorded).
        details = {'port_filter': False, 'connectivity': 'l2',
                   'vlan': str(self.network.vlan), 'bound_drivers': {'0': 'sriovnicswitch'}}
        return ('hostdev_physical' if self.vnic_type == 'direct-physical' else 'hw_veb'), details

    def document(self) -> dict[str, Any]:
        """The port as Neutron 29 (ML2, common extensions) answers it to an admin."""
        vif_type, vif_details = self.vif()
        return {
            'id': self.id,
            'name': '',
            'network_id': self.network.id,
            'project_id': self.project_id,
            'mac_address': self.mac_address,
            'admin_state_up': True,
            'status': 'ACTIVE',
            'device_id': self.device_id,
            'device_owner': 'compute:nova',
            'fixed_ips': [{'subnet_id': self.network.subnet_id,
                           'ip_address': self.ip_address}],
            'allowed_address_pairs': [],
            'extra_dhcp_opts': [],
            'security_groups': [_security_group(self.project_id)],
            'description': '',
            'binding:vnic_type': self.vnic_type,
            'binding:host_id': self.host,
            'binding:profile': dict(self.profile),
            'binding:vif_type': vif_type,
            'binding:vif_details': vif_details,
            'port_security_enabled': True,
            'tags': [],
            'created_at': self.created_at,
            'updated_at': self.created_at,
            'revision_number': 4,
            'tenant_id': self.project_id,
        }


def _security_group(project_id: str) -> str:
    """Each project's ``default`` security group."""
    return str(uuid.uuid5(_NAMESPACE, f'security-group:{project_id}:default'))


def _device_mac(device: PciDevice) -> str:
    """A PF's MAC address, made up but stable (the fake's hosts have no netdevs)."""
    digest = hashlib.sha256(f'{device.hostname}:{device.address}'.encode()).digest()
    return '3c:fd:fe:' + ':'.join(f'{b:02x}' for b in digest[:3])


def default_vnic_type(device: PciDevice) -> str:
    """Nova's claim for a ``direct`` port is a VF, for ``direct-physical`` a PF."""
    return 'direct-physical' if device.dev_type == DEV_TYPE_PF else 'direct'


def _network(name: str, physnet: str | None, index: int, vlan: int | None) -> Network:
    return Network(id=str(uuid.uuid5(_NAMESPACE, f'network:{name}')), name=name,
                   physical_network=physnet,
                   subnet_id=str(uuid.uuid5(_NAMESPACE, f'subnet:{name}')), index=index,
                   vlan=vlan)


def _neutron_time(text: str) -> str:
    """Neutron's timestamps: seconds and a ``Z``."""
    return text[:19] + 'Z' if len(text) >= 19 else text


class PortSet:
    """All ports of one snapshot, in id order (Neutron's order when paging)."""

    def __init__(self, ports: list[Port], networks: Mapping[str, Network]) -> None:
        self.ports = tuple(sorted(ports, key=lambda port: port.id))
        self.networks = MappingProxyType(dict(networks))
        self._by_id = {port.id: port for port in self.ports}

    def port(self, port_id: str) -> Port | None:
        return self._by_id.get(port_id)


def build_ports(inventory: Inventory) -> PortSet:
    """Every server's ports: one per physnet device it holds, and one normal port."""
    held: list[tuple[Server, PciDevice, str]] = []
    for server in inventory.servers:
        for device_id in server.device_ids:
            device = inventory.device(device_id)
            physnet = dict(device.tags).get('physical_network', '').strip() if device else ''
            if device is not None and physnet:
                held.append((server, device, physnet))
    networks = {TENANT_NETWORK: _network(TENANT_NETWORK, None, 0, None)}
    for index, physnet in enumerate(sorted({p for _, _, p in held}), start=1):
        networks[physnet] = _network(f'sriov-{physnet}', physnet, index, _FIRST_VLAN + index)
    counters: dict[str, int] = {}
    ports = []

    def address_on(network: Network) -> str:
        n = counters[network.name] = counters.get(network.name, 0) + 1
        return f'10.{network.index}.{n // 250}.{n % 250 + 2}'

    for server in inventory.servers:
        tenant = networks[TENANT_NETWORK]
        ports.append(Port(
            id=str(uuid.uuid5(_NAMESPACE, f'port:{server.id}:normal')), network=tenant,
            project_id=server.tenant_id, device_id=server.id, host=server.host,
            vnic_type='normal', profile={}, ip_address=address_on(tenant),
            created_at=_neutron_time(server.created)))
    for server, device, physnet in held:
        network = networks[physnet]
        vnic = server.vnic_types.get(device.address) or default_vnic_type(device)
        profile = {'pci_slot': device.address,
                   'pci_vendor_info': f'{device.vendor_id}:{device.product_id}',
                   'physical_network': physnet}
        if vnic == 'direct-physical':
            # Nova adds the PF's own MAC for a port holding a whole PF.
            profile['device_mac_address'] = _device_mac(device)
        ports.append(Port(
            id=str(uuid.uuid5(_NAMESPACE, f'port:{server.id}:{device.address}')),
            network=network, project_id=server.tenant_id, device_id=server.id,
            host=server.host, vnic_type=vnic,
            profile=profile,
            ip_address=address_on(network), created_at=_neutron_time(server.created)))
    return PortSet(ports, networks)


class PortSource(Protocol):
    """Anything holding the latest snapshot (the store), like Placement's source."""

    @property
    def current(self) -> Inventory: ...


class PortSets:
    """One :class:`PortSet` per snapshot, rebuilt the first time a request meets a new one."""

    def __init__(self, source: Inventory | PortSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._latest: tuple[Inventory, PortSet] | None = None

    def current(self) -> PortSet:
        source = self._source
        inventory = source if isinstance(source, Inventory) else source.current
        latest = self._latest
        if latest is not None and latest[0] is inventory:
            return latest[1]
        with self._lock:
            latest = self._latest
            if latest is None or latest[0] is not inventory:
                latest = self._latest = (inventory, build_ports(inventory))
            return latest[1]
