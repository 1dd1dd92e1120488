"""PCI devices: ``GET os-pci``, ``os-pci/detail`` and ``os-pci/{id}``, else Placement's PCI
providers; plus the devices of SR-IOV ports, from Neutron (:mod:`pciclient.v2.port_rows`)."""
from __future__ import annotations

import builtins
import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pciclient import exceptions as exc
from pciclient.v2.base import (
    Manager,
    Resource,
    is_int_like,
    is_uuid_like,
    matches_filters,
    normalise_hex_id,
    path_segment,
)
from pciclient.v2.device_lists import DeviceList, DeviceStream, page_of
from pciclient.v2.hypervisors import NoSuchHost
from pciclient.v2.pci_addresses import parse_address, split_host_address
from pciclient.v2.placement import NoDeviceAt, PlacementDevice, PlacementManager, judge
from pciclient.v2.placement_rows import PLACEMENT_STATUSES
from pciclient.v2.port_rows import PortRows, PortsRead
from pciclient.v2.sources import (
    NO_DEVICE_SOURCE,
    SERVER_DEVICE_FIELDS,
    SERVER_PLACEMENT_DEVICE_FIELDS,
    split_sources,
)

#: Device states as Nova names them (nova.objects.fields.PciDeviceStatus).
STATUSES = ('available', 'claimed', 'allocated', 'removed', 'deleted',
            'unclaimable', 'unavailable')
#: Every status a row can have: Nova's, and Placement's ``partial`` (some units used).
ALL_STATUSES = tuple(dict.fromkeys(STATUSES + PLACEMENT_STATUSES))

#: Device types as Nova names them (nova.objects.fields.PciDeviceType).
DEV_TYPES = ('type-PCI', 'type-PF', 'type-VF', 'vdpa')

#: The query parameters ``list()`` sends and also applies to the answer.
FILTERS = ('host', 'status', 'vendor_id', 'product_id', 'dev_type', 'instance_uuid', 'address')


def normalise_dev_type(value: str) -> str:
    """Accept ``pf``, ``type-pf`` or ``type-PF`` for Nova's ``type-PF``."""
    text = str(value).strip()
    lowered = text.lower()
    for dev_type in DEV_TYPES:
        if lowered in (dev_type.lower(), dev_type.lower().removeprefix('type-')):
            return dev_type
    return text


class PciDevice(Resource):
    """A PCI device (a whole device, an SR-IOV PF or VF, or a vDPA device).

    ``instance_uuid`` is the server holding it, whichever key the cloud used
    (the blueprint's ``instance_uuid`` or merged Nova's ``server_uuid``);
    ``host`` is the hypervisor hostname of ``compute_node_id`` once the manager
    has resolved it (``None`` when unknown).
    """

    human_name = 'PCI device'

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        fields = dict(info)
        if 'server_uuid' in fields:
            server_uuid = fields.pop('server_uuid')
            if fields.get('instance_uuid') is None:
                fields['instance_uuid'] = server_uuid
        fields.setdefault('host', None)
        if 'instance_uuid' in fields:  # the holder, in the shape every source shares
            holder = fields['instance_uuid']
            fields['servers'] = [{'id': holder, 'name': None, 'amount': 1}] if holder else []
        else:
            fields['servers'] = None
        fields['source'] = 'os-pci'
        return fields

    def set_holder_names(self, names: dict[str, str | None]) -> None:
        for server in self._fields.get('servers') or ():
            server['name'] = names.get(str(server['id']))

    def set_host(self, host: str | None) -> None:
        self._fields['host'] = host

    def add_port(self, fields: dict[str, Any]) -> None:
        """What Neutron tells of this device (its port, physical network, holder)."""
        for key, value in fields.items():
            if key == 'servers' and self._fields.get('servers'):
                continue  # os-pci named the holder itself
            self._fields[key] = value


@contextlib.contextmanager
def _os_pci_api() -> Iterator[None]:
    """A router 404 under ``os-pci`` means the API is missing, not the device."""
    try:
        yield
    except exc.ApiNotFound as error:
        raise exc.NoPciApi(request_id=error.request_id, url=error.url,
                           http_status=404) from None


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [str(value)] if isinstance(value, (str, int)) else [str(v) for v in value]


#: A streamed detailed listing names the holders of this many devices at a time.
NAME_BATCH = 1000


class PciDeviceManager(Manager[PciDevice]):
    resource_class = PciDevice

    def __init__(self, http: Any, hypervisors: Any, placement: PlacementManager | None = None,
                 source: str = 'auto', *, servers: Any = None, neutron: Any = None) -> None:
        super().__init__(http)
        device_source, neutron_mode = split_sources(source)
        self._hypervisors = hypervisors
        self._servers = servers
        self.placement = placement or PlacementManager(None)
        #: Whether listings read the compute hosts' devices (not with ``neutron`` alone);
        #: one device is still found by ``source`` (``auto`` then).
        self.lists_devices = device_source != NO_DEVICE_SOURCE
        self.source = device_source if self.lists_devices else 'auto'
        self.ports = PortRows(neutron, neutron_mode)

    def _holder_names(self, ids: Iterable[str]) -> dict[str, str | None]:
        ids = list(ids)
        if self._servers is None or not ids:
            return {}
        names: dict[str, str | None] = self._servers.names(ids)
        return names

    def _fallback(self, error: exc.NoPciApi) -> bool:
        """Whether a missing os-pci API should be answered from Placement instead."""
        if self.source == 'auto' and self.placement.available():
            return True
        if self.source == 'os-pci':
            raise exc.NoPciApi(f'{exc.NoPciApi.message} Read them from Placement with ',
                               hint=exc.Hint.PCI_SOURCE_PLACEMENT, then='.', http_status=404,
                               request_id=error.request_id, url=error.url) from None
        raise exc.NoPciApi(f'{exc.NoPciApi.message} Placement could tell, but no endpoint is '
                           'known for it: it is not in the catalog; give ',
                           hint=exc.Hint.PLACEMENT_ENDPOINT, then='.', http_status=404,
                           request_id=error.request_id, url=error.url) from None

    def list(self, detailed: bool = False, *, resolve_hosts: bool = True,
             limit: int | None = None, marker: int | str | None = None,
             name_holders: bool = True,
             **filters: str | Iterable[str] | None) -> DeviceList:
        """Devices of the cloud, optionally filtered; ``.source`` says where from.

        Each filter (``host``, ``status``, ``vendor_id``, ``product_id``, ``dev_type``,
        ``instance_uuid``, ``address``; a value or a list of values) is sent to the
        server and applied again to its answer, so filters work against servers that
        ignore them. Filtering by ``dev_type`` or ``instance_uuid`` reads the detailed
        listing, because only it carries those fields. ``limit`` caps the number of
        devices returned (further pages are fetched only as needed); ``marker``
        starts after the device with that id. Without os-pci (``source`` auto or
        placement) the devices are Nova's PCI providers in Placement. A detailed
        listing names its holders (``servers``) unless ``name_holders`` is False.
        An ``address`` is as :func:`parse_address` reads it (a slot: its functions); a
        ``host`` that no hypervisor (compute node) is called is :class:`NoSuchHost`, with
        the closest names, never an empty listing.
        """
        wanted = _wanted(filters, limit)
        if self.lists_devices and self.source != 'placement':
            try:
                # os-pci's first page before Neutron: a failing login is told (and retried)
                # once, by the request that needs it, never taken for "no Neutron".
                pci_rows = self._os_pci_rows(detailed, resolve_hosts, limit, marker, wanted)
                ports = self._ports_for_os_pci(detailed, wanted)
                devices = list(self.ports.annotated(pci_rows, ports))
            except exc.NoPciApi as error:
                self._fallback(error)
            else:
                if detailed and name_holders:
                    names = self._holder_names(i for d in devices
                                               for i in _holders(d.to_dict()))
                    for device in devices:
                        device.set_holder_names(names)
                return DeviceList(devices, 'os-pci', bindings_hidden=ports.bindings_hidden)
        return self._with_port_rows(detailed, limit, marker, wanted, name_holders,
                                    self.ports.read(wanted))

    def _ports_for_os_pci(self, detailed: bool, wanted: dict[str, builtins.list[str]],
                          ) -> PortsRead:
        """The ports whose fields join os-pci's rows: only a detailed listing shows them
        (os-pci lists the VFs already), so a brief one asks Neutron nothing."""
        return self.ports.read(wanted) if detailed else PortsRead()

    def _with_port_rows(self, detailed: bool, limit: int | None, marker: int | str | None,
                        wanted: dict[str, builtins.list[str]], name_holders: bool,
                        ports: Any) -> DeviceList:
        """Placement's rows (none with ``neutron`` alone), then the devices of SR-IOV
        ports: Nova never reports a physnet device to Placement, so none is listed twice."""
        if not ports.read_any and self.lists_devices:
            return self._placement_list(detailed, limit, marker, wanted, name_holders)
        listed = DeviceList([], 'neutron')
        if self.lists_devices:
            listed = self._placement_list(detailed, None, None, wanted, name_holders)
        rows = self.ports.device_rows(ports, wanted)
        if detailed and name_holders:
            names = self._holder_names(i for d in rows for i in _holders(d.to_dict()))
            for row in rows:
                row.set_holder_names(names)
        devices = page_of([*listed, *rows], marker, limit)
        return DeviceList(devices, listed.source, listed.unjudged, ports.bindings_hidden)

    def stream(self, detailed: bool = False, *, resolve_hosts: bool = True,
               limit: int | None = None, marker: int | str | None = None,
               name_holders: bool = True,
               **filters: str | Iterable[str] | None) -> DeviceStream:
        """:meth:`list` as a stream: from os-pci, each page of devices is filtered, named
        and handed on before the next is asked for, so that memory stays flat however
        long the listing (the first page is read here: it tells whether os-pci is there).
        The holders of a detailed listing are named :data:`NAME_BATCH` devices at a time
        (see :class:`~pciclient.v2.servers.NameBook`: at most its GETs and one listing of
        every server in all). From Placement the rows are read, sorted and judged as
        :meth:`list` does, then handed on.
        """
        wanted = _wanted(filters, limit)
        if self.lists_devices and self.source != 'placement':
            try:
                pci_rows = self._os_pci_rows(detailed, resolve_hosts, limit, marker, wanted)
                ports = self._ports_for_os_pci(detailed, wanted)  # after the first page
                rows = self.ports.annotated(pci_rows, ports)
            except exc.NoPciApi as error:
                self._fallback(error)
            else:
                if detailed and name_holders and self._servers is not None:
                    rows = _named(rows, self._servers.name_book())
                return DeviceStream(rows, 'os-pci', bindings_hidden=ports.bindings_hidden)
        listed = self._with_port_rows(detailed, limit, marker, wanted, name_holders,
                                      self.ports.read(wanted))
        return DeviceStream(listed, listed.source, listed.unjudged, listed.bindings_hidden)

    def _os_pci_rows(self, detailed: bool, resolve_hosts: bool, limit: int | None,
                     marker: int | str | None, wanted: dict[str, builtins.list[str]],
                     ) -> Iterator[PciDevice]:
        """The devices that pass the filters, page by page; the first page is asked for
        now (a missing os-pci shows here, as :class:`NoPciApi`), the others as the rows
        are read (an error there fails the listing, whatever was read before)."""
        if 'dev_type' in wanted or 'instance_uuid' in wanted:
            detailed = True
        params: builtins.list[tuple[str, str | int]] = [
            (key, value) for key, values in wanted.items() for value in values]
        if limit is not None:
            params.append(('limit', limit))
        if marker is not None:
            params.append(('marker', marker))
        path = 'os-pci/detail' if detailed else 'os-pci'
        items = self.http.iter_list(path, 'pci_devices', params)
        with _os_pci_api():
            first = next(items, None)
            hosts = self._hypervisors.hostnames() if first is not None and (
                resolve_hosts or 'host' in wanted) else {}
        for host in wanted.get('host') or ():
            # A typo is no host without devices: one hypervisor listing (the one that
            # names the devices' hosts) tells, with the closest names.
            self._hypervisors.check_host(host)
        if first is None:
            return iter(())
        return self._kept(itertools.chain((first,), items), hosts, wanted, limit)

    def _kept(self, items: Iterable[dict[str, Any]], hosts: dict[str, str],
              wanted: dict[str, builtins.list[str]], limit: int | None) -> Iterator[PciDevice]:
        kept = 0
        for item in items:
            for device in self._keep(item, hosts, wanted):
                yield device
                kept += 1
            if limit is not None and kept >= limit:
                return

    @staticmethod
    def _keep(item: dict[str, Any], hosts: dict[str, str],
              wanted: dict[str, builtins.list[str]]) -> builtins.list[PciDevice]:
        device = PciDevice(item)
        device.set_host(hosts.get(str(device.to_dict().get('compute_node_id'))))
        return [device] if matches_filters(device.to_dict(), wanted) else []

    def _placement_list(self, detailed: bool, limit: int | None, marker: int | str | None,
                        wanted: dict[str, builtins.list[str]],
                        name_holders: bool = True) -> DeviceList:
        """Only what the filters need: one host's tree, or one server's providers, else
        every PCI provider; the filters are then applied to the rows read."""
        hosts, holders = wanted.get('host') or [], wanted.get('instance_uuid') or []
        host = hosts[0] if len(hosts) == 1 else None
        consumer = holders[0] if len(holders) == 1 else None
        filters = wanted
        if host is not None and consumer is None:
            # Reading the host's tree answered the host filter, however the name was spelt
            # (Placement on MySQL finds COMPUTE1 for compute1).
            filters = {key: values for key, values in wanted.items() if key != 'host'}
        devices: builtins.list[PlacementDevice] = []
        unjudged: dict[str, int] = {}
        read = self.placement.devices(
            host=host, consumer=consumer, consumers=detailed or bool(holders), traits=detailed,
            holders=self._holder_names if detailed and name_holders else None)
        for device in read:
            verdict, reason = judge(device.to_dict(), filters)
            if verdict:
                devices.append(device)
            elif verdict is None:
                unjudged[reason] = unjudged.get(reason, 0) + 1
        return DeviceList(page_of(devices, marker, limit), 'placement', unjudged)

    def get(self, device_id: int | str, *, host: str | None = None,
            resolve_host: bool = True) -> Resource:
        """One device by its id (a provider UUID in Placement), by ``HOST_ADDRESS``
        (``compute1_0000:04:00.0``, the name of its provider in Placement) or, with
        ``host``, by its address on that host (see :meth:`find`); :class:`NotFound` says
        "No PCI device with ID …"."""
        if host is not None:
            return self.find(host, str(device_id))
        if not (is_int_like(device_id) or is_uuid_like(str(device_id))):
            named = split_host_address(str(device_id))
            if named is not None:
                return self.find(*named)
        if self.source != 'placement':
            try:
                device = self._os_pci_get(device_id, resolve_host)
            except exc.NoPciApi as error:
                self._fallback(error)
            else:
                device.set_holder_names(self._holder_names(_holders(device.to_dict())))
                return device
        return self.placement.get(str(device_id), holders=self._holder_names)

    def find(self, host: str, address: str) -> Resource:
        """The device at ``address`` (one function; lspci's short form too) on the
        hypervisor ``host``, asked alone whatever the size of the cloud: from os-pci one
        filtered listing (and the hypervisor listing that names hosts), from Placement its
        provider by name. :class:`NoSuchHost` (with the closest names) when no hypervisor
        is called ``host``; :class:`NoDeviceAt` when it has no device there."""
        addresses = parse_address(address)
        if len(addresses) != 1:
            raise ValueError(f'{address!r} is a slot, not one device: give its function '
                             f'too, e.g. {addresses[0]}')
        try:
            if self.source != 'placement':
                try:
                    device = self._os_pci_find(host, addresses[0])
                except exc.NoPciApi as error:
                    self._fallback(error)
                else:
                    device.set_holder_names(self._holder_names(_holders(device.to_dict())))
                    return device
            return self.placement.find(host, addresses[0], holders=self._holder_names)
        except NoSuchHost as error:
            raise error.led_by(f'No PCI device {host}_{addresses[0]}') from None

    def _os_pci_find(self, host: str, address: str) -> PciDevice:
        wanted = {'host': [host], 'address': [address]}
        # Two at most: a second one would make the answer ambiguous (rows stop being read
        # there, so a cloud that ignores the filters is not read to its end either).
        found = builtins.list(itertools.islice(
            self._os_pci_rows(True, True, None, None, wanted), 2))
        if not found:
            raise NoDeviceAt(f'No PCI device {host}_{address}: {host} has none at {address}')
        if len(found) > 1:
            raise exc.NoUniqueMatch(f'More than one PCI device at {address} on {host} (ids '
                                    f'{found[0].id}, {found[1].id}); use an ID.')
        return found[0]

    def _os_pci_get(self, device_id: int | str, resolve_host: bool) -> PciDevice:
        path = f'os-pci/{path_segment(device_id)}'
        try:
            with _os_pci_api():
                device = self._get(path, 'pci_device')
        except exc.NoPciApi:
            raise
        except exc.NotFound as error:
            raise exc.NotFound(f'No PCI device with ID {device_id}',
                               request_id=error.request_id, url=error.url) from None
        if resolve_host:
            hosts = self._hypervisors.hostnames()
            device.set_host(hosts.get(str(device.to_dict().get('compute_node_id'))))
        return device

    def for_server(self, server_uuid: str, device_ids: Iterable[Any]) -> builtins.list[PciDevice]:
        """The devices a server holds, in the server's order, from one detailed listing
        (not one request per device). An id the listing lacks comes back with only its id."""
        device_ids = list(device_ids)
        ids = [str(i) for i in device_ids]
        devices = {str(d.id): d for d in self.list(detailed=True, instance_uuid=server_uuid,
                                                   name_holders=False)}
        if set(ids) - set(devices):
            # A server that records the holder differently: look in the full listing once.
            devices = {str(d.id): d for d in self.list(detailed=True, name_holders=False)}
        return [devices.get(str(i)) or PciDevice({'id': i}) for i in device_ids]

    def held_by(self, server: Any, detailed: bool = False,
                ) -> tuple[builtins.list[Any] | None, str | None]:
        """What a server holds and where that was read: its ``os-pci:pci_devices`` ids,
        or the PCI providers its Placement allocations touch; ``(None, None)`` when the
        cloud tells neither. ``detailed`` gives each device's address, ids, type, host."""
        if server.pci_devices is not None and self.source != 'placement':
            if not detailed:
                return list(server.pci_devices), 'os-pci'
            held = self.for_server(server.id, server.pci_devices) if server.pci_devices else []
            return [{key: d.to_dict().get(key) for key in SERVER_DEVICE_FIELDS}
                    for d in held], 'os-pci'
        if self.source == 'os-pci' or not self.placement.available():
            return None, None
        rows = self.placement.consumer_devices(server.id)
        if not detailed:
            return [row['id'] for row in rows], 'placement'
        return [{key: row.get(key) for key in SERVER_PLACEMENT_DEVICE_FIELDS}
                for row in rows], 'placement'

    def annotate_servers(self, servers: Iterable[Any]) -> None:
        """Fill ``pci_devices`` of servers the compute API says nothing about (of every
        server with ``source='placement'``) from the consumers of every PCI provider
        (one listing, not one request per server)."""
        for _ in self.annotated(servers):
            pass

    def annotated(self, servers: Iterable[Any],
                  refused: Callable[[exc.Forbidden], None] | None = None) -> Iterator[Any]:
        """:meth:`annotate_servers` as the servers stream past: Placement is read (once)
        when the first server that needs it arrives, and only what each PCI provider's
        consumers hold is kept (it grows with the cloud's devices in use, not with the
        servers listed).

        ``refused``: told of Placement's 403 (it is admin only: a project member may
        list their servers, not what Placement knows of them), whereupon the servers
        pass with what the compute API said; without it the 403 is raised."""
        held: dict[str, builtins.list[str]] | None = None
        usable = self.source != 'os-pci'
        for server in servers:
            if usable and (self.source == 'placement' or server.pci_devices is None):
                if held is None:
                    usable = self.placement.available()
                    try:
                        held = self._consumers_held() if usable else {}
                    except exc.Forbidden as error:
                        if refused is None:
                            raise
                        refused(error)
                        usable, held = False, {}
                if usable:
                    server.set_pci_devices(held.get(str(server.id), []), 'placement')
            yield server

    def _consumers_held(self) -> dict[str, builtins.list[str]]:
        held: dict[str, builtins.list[str]] = {}
        for device in self.placement.devices(consumers=True):
            for consumer in _holders(device.to_dict()):
                held.setdefault(consumer, []).append(device.id)
        return held


def _wanted(filters: dict[str, str | Iterable[str] | None],
            limit: int | None) -> dict[str, builtins.list[str]]:
    """The filters as every source compares them (see :meth:`PciDeviceManager.list`)."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise TypeError(f'unknown filter(s): {", ".join(sorted(unknown))}')
    if limit is not None and limit < 1:
        raise ValueError('limit must be a positive number')
    wanted = {key: _as_list(value) for key, value in filters.items() if value is not None}
    for key in ('vendor_id', 'product_id'):
        if key in wanted:
            wanted[key] = [normalise_hex_id(v) for v in wanted[key]]
    if 'address' in wanted:  # as Nova and Placement write them: full, lower-case
        wanted['address'] = builtins.list(dict.fromkeys(
            full for value in wanted['address'] for full in parse_address(value)))
    if 'instance_uuid' in wanted:
        wanted['instance_uuid'] = [v.lower() for v in wanted['instance_uuid']]
    if 'dev_type' in wanted:
        wanted['dev_type'] = [normalise_dev_type(v) for v in wanted['dev_type']]
    return wanted


def _named(devices: Iterator[PciDevice],
           names: Callable[[Iterable[str]], dict[str, str | None]]) -> Iterator[PciDevice]:
    """``devices`` with their holders named, :data:`NAME_BATCH` at a time."""
    while batch := builtins.list(itertools.islice(devices, NAME_BATCH)):
        found = names(i for device in batch for i in _holders(device.to_dict()))
        for device in batch:
            device.set_holder_names(found)
        yield from batch


def _holders(fields: dict[str, Any]) -> builtins.list[str]:
    """The ids of the servers a device row names as its holders."""
    return [str(server['id']) for server in fields.get('servers') or ()]
