"""The devices of SR-IOV ports as rows of the device listing, beside os-pci's or Placement's.

An ``os-pci`` cloud already lists every physnet VF: its rows are kept, and a port bound
to one (same host, same address) adds its fields to it (``port_id``,
``physical_network``, ``vnic_type``), so that no VF is ever listed twice. Placement never
has a physnet device (Nova leaves them out of it), so there each bound port's device is
a row of its own, with ``source`` ``neutron``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pciclient.v2.base import Resource, matches_filters
from pciclient.v2.neutron import NeutronManager, PortList

#: What a port adds to the os-pci row of its device.
PORT_FIELDS_ON_ROWS = ('port_id', 'physical_network', 'vnic_type', 'servers')


class PortDevice(Resource):
    """The device of a bound SR-IOV port as a device row (``id``: the port's)."""

    human_name = 'SR-IOV port device'

    def set_holder_names(self, names: dict[str, str | None]) -> None:
        for server in self._fields.get('servers') or ():
            server['name'] = names.get(str(server['id']))


class PortsRead(PortList):
    """Ports read for a listing; ``read_any``: Neutron was asked at all."""

    def __init__(self, ports: Iterable[Any] = (), bindings_hidden: bool = False,
                 read_any: bool = False) -> None:
        super().__init__(ports, bindings_hidden)
        self.read_any = read_any

    def by_place(self) -> dict[tuple[str, str], Any]:
        return {(str(p.host), str(p.address)): p for p in self if p.host and p.address}


class PortRows:
    """Reads the ports a device listing needs and puts them among its rows.

    ``mode``: ``on`` (Neutron is required), ``auto`` (when it is in the catalog), ``off``.
    """

    def __init__(self, neutron: NeutronManager | None, mode: str) -> None:
        self.neutron = neutron
        self.mode = mode

    def on(self) -> bool:
        """Whether Neutron is read (``on``: an error when the cloud tells no endpoint)."""
        if self.neutron is None or self.mode == 'off':
            return False
        if self.mode == 'on':
            self.neutron.require()
            return True
        return self.neutron.available()

    def read(self, wanted: dict[str, list[str]]) -> PortsRead:
        """The ports the filters can match: one host's or some servers' ports are asked
        of Neutron by that filter (a bound port's device is ``allocated``: none is read
        for a listing of other states)."""
        statuses = wanted.get('status')
        if (statuses is not None and 'allocated' not in statuses) or not self.on():
            return PortsRead()
        assert self.neutron is not None
        hosts = wanted.get('host') or []
        found = self.neutron.ports(host=hosts[0] if len(hosts) == 1 else None,
                                   servers=wanted.get('instance_uuid'), name_holders=False)
        return PortsRead(found, found.bindings_hidden, read_any=True)

    @staticmethod
    def annotated(rows: Iterable[Any], ports: PortsRead) -> Iterator[Any]:
        """os-pci's rows, each with the fields of the port bound to it, if any."""
        places = ports.by_place()
        for row in rows:
            fields = row.to_dict()
            port = places.get((str(fields.get('host')), str(fields.get('address')).lower()))
            if port is not None:
                shown = port.device_row()
                row.add_port({key: shown[key] for key in PORT_FIELDS_ON_ROWS})
            yield row

    @staticmethod
    def device_rows(ports: PortsRead, wanted: dict[str, list[str]]) -> list[PortDevice]:
        """The devices of the bound ports (a host and an address known) that pass the
        filters, as rows."""
        rows = []
        for port in ports:
            if not (port.host and port.address):
                continue
            row = port.device_row()
            if matches_filters(row, wanted):
                rows.append(PortDevice(row))
        return rows

    def held_by(self, server_id: str) -> PortList | None:
        """The SR-IOV ports of one server (its ``device_id``), None without Neutron."""
        if not self.on():
            return None
        assert self.neutron is not None
        return self.neutron.ports(servers=[server_id], name_holders=False)
