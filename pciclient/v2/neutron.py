"""SR-IOV ports from Neutron: which VF (or PF, vDPA device) each port of a server was bound to.

Nova never reports a device whose ``[pci] device_spec`` names a ``physical_network`` to
Placement, and without ``os-pci`` no Nova API shows one. Neutron does: when Nova binds a
port whose ``binding:vnic_type`` holds a PCI device (:data:`SRIOV_VNIC_TYPES`), it writes
the device into the port's ``binding:profile`` (``pci_slot``, the device's own address;
``pci_vendor_info``, ``vendor:product``; ``physical_network``), and ``binding:host_id``
is the compute service's host.

Requests stay bounded: ``GET /v2.0/ports`` asks only for the fields used (``fields=``),
filters on the server side only by what Neutron accepts as filters (``binding:host_id``
and ``device_id``: ``binding:vnic_type`` is no filter attribute, and a Neutron that
validates filters refuses it), so VNIC types and physical networks are filtered here,
and pages with ``limit``/``marker`` through ``ports_links``.

Neutron's default policy shows ``binding:host_id`` and ``binding:profile`` to admins (and
the ``service`` role) only, and simply leaves them out of a member's answer:
:attr:`PortList.bindings_hidden` says so, the ports are still listed.
"""
from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient.http import HTTPClient
from pciclient.v2.base import Resource, normalise_hex_id
from pciclient.v2.hypervisors import NoSuchHost, closest_names
from pciclient.v2.optional_service import OptionalService
from pciclient.v2.sources import SRIOV_VNIC_TYPES

#: Neutron's service type in the catalog.
NETWORK_SERVICE_TYPE = 'network'
#: The port listing, relative to the network endpoint (which has no version in its path).
PORTS_PATH = 'v2.0/ports'
#: The only fields asked for (``fields=``): the port, its server, the binding.
PORT_FIELDS = ('id', 'device_id', 'status', 'binding:host_id', 'binding:vnic_type',
               'binding:profile')
#: Ports per page (``limit``); Neutron caps it with ``pagination_max_limit`` if set.
PAGE_SIZE = 500
#: The binding fields Neutron's default policy shows to admins and services only.
ADMIN_FIELDS = ('binding:host_id', 'binding:profile')

#: Nova's device type of the device a VNIC type is bound to (None: not Nova's to say).
_DEV_TYPES = {'direct-physical': 'type-PF', 'vdpa': 'vdpa', 'direct': 'type-VF',
              'macvtap': 'type-VF', 'remote-managed': 'type-VF', 'virtio-forwarder': 'type-VF'}


def _vendor_product(profile: dict[str, Any]) -> tuple[str | None, str | None]:
    """``pci_vendor_info`` (``8086:154c``, as Nova writes it) as two hex ids."""
    info = profile.get('pci_vendor_info')
    if not isinstance(info, str) or ':' not in info:
        return None, None
    vendor, _, product = info.partition(':')
    return normalise_hex_id(vendor).zfill(4), normalise_hex_id(product).zfill(4)


class SriovPort(Resource):
    """A port whose VNIC type holds a PCI device, with the device it is bound to.

    ``host`` is the hypervisor's nodename once the manager has joined it (the compute
    service host ``service_host`` until then, or when no hypervisor can be read);
    ``address``, ``vendor_id``, ``product_id``, ``physical_network`` are from
    ``binding:profile`` (None where unbound or hidden); ``servers`` is the holder in the
    shape every device source shares.
    """

    human_name = 'port'

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        profile = info.get('binding:profile')
        profile = profile if isinstance(profile, dict) else {}
        vendor_id, product_id = _vendor_product(profile)
        slot = profile.get('pci_slot')
        server = info.get('device_id') or None
        vnic_type = info.get('binding:vnic_type')
        host = info.get('binding:host_id') or None
        return {
            'id': info.get('id'),
            'port_id': info.get('id'),
            'server_id': server,
            'servers': [{'id': server, 'name': None, 'amount': 1}] if server else [],
            'service_host': host,
            'host': host,
            'address': str(slot).lower() if isinstance(slot, str) and slot else None,
            'vendor_id': vendor_id,
            'product_id': product_id,
            'physical_network': profile.get('physical_network'),
            'vnic_type': vnic_type,
            'dev_type': _DEV_TYPES.get(str(vnic_type)),
            'status': info.get('status'),
            'bindings_visible': all(field in info for field in ADMIN_FIELDS),
        }

    def set_host(self, host: str | None) -> None:
        self._fields['host'] = host

    def set_holder_names(self, names: dict[str, str | None]) -> None:
        for server in self._fields.get('servers') or ():
            server['name'] = names.get(str(server['id']))

    def device_row(self) -> dict[str, Any]:
        """The port's device as a ``pci-list`` row: ``source`` ``neutron``, ``allocated``
        (a bound port's device is Nova's claim for its server), the port as its id."""
        fields = self.to_dict()
        return {**{key: fields[key] for key in (
            'id', 'address', 'host', 'vendor_id', 'product_id', 'dev_type', 'servers',
            'physical_network', 'port_id', 'vnic_type')},
            'address_of': 'device' if fields['address'] else None,
            'instance_uuid': fields['server_id'], 'status': 'allocated', 'source': 'neutron'}


class PortList(builtins.list):
    """SR-IOV ports; ``bindings_hidden``: Neutron left their binding fields out (the
    caller has no admin role), so their hosts and devices are unknown."""

    def __init__(self, items: Iterable[SriovPort], bindings_hidden: bool = False) -> None:
        super().__init__(items)
        self.bindings_hidden = bindings_hidden


class HostNames:
    """Compute service hosts (``binding:host_id``) and hypervisor nodenames (Placement's
    roots, ``os-pci`` rows), joined through ``os-hypervisors/detail`` (each hypervisor's
    ``service.host``). ``known`` is False when the hypervisors cannot be read (a member):
    hosts are then shown and asked for as given."""

    def __init__(self, hypervisors: Iterable[dict[str, Any]] | None) -> None:
        self.known = hypervisors is not None
        self.nodes: dict[str, builtins.list[str]] = {}
        self.service_of: dict[str, str] = {}
        for item in hypervisors or ():
            service = item.get('service')
            node = item.get('hypervisor_hostname')
            host = service.get('host') if isinstance(service, dict) else None
            if isinstance(node, str) and isinstance(host, str):
                self.nodes.setdefault(host, []).append(node)
                self.service_of[node] = host

    def nodename(self, service_host: str | None) -> str | None:
        """The hypervisor of a service host; the service host itself where it has none or
        several (an Ironic service), so that a row never names the wrong node."""
        nodes = self.nodes.get(str(service_host)) if service_host else None
        return nodes[0] if nodes and len(nodes) == 1 else service_host

    def service_host(self, host: str) -> str:
        """``host`` (a nodename or a service host) as Neutron's ``binding:host_id``;
        :class:`NoSuchHost` with the closest names when it is neither."""
        if not self.known or host in self.nodes:
            return host
        if host in self.service_of:
            return self.service_of[host]
        raise NoSuchHost(host, closest_names(host, [*self.nodes, *self.service_of]),
                         what='compute host or hypervisor named')


class NeutronManager(OptionalService):
    """Reads SR-IOV ports from Neutron; ``http`` is None where the cloud has no Neutron
    known to this client."""

    def __init__(self, http: HTTPClient | None, hypervisors: Any, servers: Any = None) -> None:
        super().__init__(http)
        self._hypervisors = hypervisors
        self._servers = servers
        self._hosts: HostNames | None = None

    def missing(self) -> exc.ConfigurationError:
        return exc.ConfigurationError(
            'No Neutron endpoint: the catalog has no network service; ',
            hint=exc.Hint.ENDPOINT, hint_args={'service': 'network'}, then='.')

    def host_names(self) -> HostNames:
        """One ``os-hypervisors/detail`` listing, kept for this client's life (admin only:
        without it hosts stay as Neutron names them)."""
        if self._hosts is None:
            try:
                listed = [h.raw for h in self._hypervisors.list(detailed=True)]
            except exc.Forbidden:
                listed = None
            self._hosts = HostNames(listed)
        return self._hosts

    def ports(self, *, host: str | None = None, servers: Iterable[str] | None = None,
              vnic_types: Iterable[str] | None = None,
              physical_network: str | None = None, name_holders: bool = True) -> PortList:
        """The ports whose VNIC type holds a PCI device, with their devices.

        ``host`` (a hypervisor nodename or a compute service host) and ``servers`` (UUIDs)
        are asked of Neutron (``binding:host_id``, ``device_id``): a question about one
        host or server reads only its ports. ``vnic_types`` (default every type of
        :data:`SRIOV_VNIC_TYPES`) and ``physical_network`` are filtered here. Each port's
        ``host`` becomes its hypervisor's nodename; ``name_holders`` names the servers.
        """
        http = self.require()
        kinds = set(vnic_types or SRIOV_VNIC_TYPES)
        unknown = kinds - set(SRIOV_VNIC_TYPES)
        if unknown:
            raise ValueError(f'VNIC type(s) {", ".join(sorted(unknown))} hold no PCI device; '
                             f'use {", ".join(SRIOV_VNIC_TYPES)}')
        hosts = self.host_names()
        params: list[tuple[str, Any]] = [('fields', field) for field in PORT_FIELDS]
        if host is not None:
            params.append(('binding:host_id', hosts.service_host(host)))
        params += [('device_id', server) for server in servers or ()]
        params.append(('limit', PAGE_SIZE))
        found: list[SriovPort] = []
        hidden = False
        for item in http.iter_list(PORTS_PATH, 'ports', params):
            if item.get('binding:vnic_type') not in kinds:
                continue
            port = SriovPort(item)
            hidden = hidden or not port.bindings_visible
            if physical_network is not None and port.physical_network != physical_network:
                continue
            port.set_host(hosts.nodename(port.service_host))
            found.append(port)
        if name_holders and self._servers is not None:
            names = self._servers.names(
                dict.fromkeys(s for p in found if (s := p.server_id) is not None))
            for port in found:
                port.set_holder_names(names)
        return PortList(found, hidden)
