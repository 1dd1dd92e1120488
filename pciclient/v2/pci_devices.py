"""PCI devices: ``GET os-pci``, ``os-pci/detail`` and ``os-pci/{id}``."""
from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator

from pciclient import exceptions as exc
from pciclient.v2.base import Manager, Resource, normalise_hex_id, path_segment

#: Device states as Nova names them (nova.objects.fields.PciDeviceStatus).
STATUSES = ('available', 'claimed', 'allocated', 'removed', 'deleted',
            'unclaimable', 'unavailable')

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
        return fields

    def set_host(self, host: str | None) -> None:
        self._fields['host'] = host


def _match(device: PciDevice, filters: dict[str, list[str]]) -> bool:
    fields = device.to_dict()
    for key, wanted in filters.items():
        value = fields.get(key)
        if value is None:
            return False
        if key in ('vendor_id', 'product_id'):
            value = normalise_hex_id(value)
        elif key == 'address':
            value = str(value).lower()
        if str(value) not in wanted:
            return False
    return True


@contextlib.contextmanager
def _os_pci_api() -> Iterator[None]:
    """A router 404 under ``os-pci`` means the API is missing, not the device."""
    try:
        yield
    except exc.ApiNotFound as error:
        raise exc.NoPciApi(request_id=error.request_id, url=error.url,
                           http_status=404) from None


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, (str, int)) else [str(v) for v in value]


class PciDeviceManager(Manager[PciDevice]):
    resource_class = PciDevice

    def __init__(self, http: Any, hypervisors: Any) -> None:
        super().__init__(http)
        self._hypervisors = hypervisors

    def list(self, detailed: bool = False, *, resolve_hosts: bool = True,
             limit: int | None = None, marker: int | str | None = None,
             **filters: str | Iterable[str] | None) -> list[PciDevice]:
        """Devices of the cloud, optionally filtered.

        Each filter (``host``, ``status``, ``vendor_id``, ``product_id``, ``dev_type``,
        ``instance_uuid``, ``address``; a value or a list of values) is sent to the
        server and applied again to its answer, so filters work against servers that
        ignore them. Filtering by ``dev_type`` or ``instance_uuid`` reads the detailed
        listing, because only it carries those fields. ``limit`` caps the number of
        devices returned (further pages are fetched only as needed); ``marker``
        starts after the device with that id.
        """
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise TypeError(f'unknown filter(s): {", ".join(sorted(unknown))}')
        if limit is not None and limit < 1:
            raise ValueError('limit must be a positive number')
        wanted = {key: _as_list(value) for key, value in filters.items() if value is not None}
        for key in ('vendor_id', 'product_id'):
            if key in wanted:
                wanted[key] = [normalise_hex_id(v) for v in wanted[key]]
        if 'address' in wanted:
            wanted['address'] = [v.lower() for v in wanted['address']]
        if 'dev_type' in wanted:
            wanted['dev_type'] = [normalise_dev_type(v) for v in wanted['dev_type']]
        if 'dev_type' in wanted or 'instance_uuid' in wanted:
            detailed = True
        params = [(key, value) for key, values in wanted.items() for value in values]
        if limit is not None:
            params.append(('limit', limit))
        if marker is not None:
            params.append(('marker', marker))
        path = 'os-pci/detail' if detailed else 'os-pci'
        hosts = self._hypervisors.hostnames() if (resolve_hosts or 'host' in wanted) else {}
        devices: list[PciDevice] = []
        with _os_pci_api():
            for item in self.http.iter_list(path, 'pci_devices', params):
                device = PciDevice(item)
                device.set_host(hosts.get(str(device.to_dict().get('compute_node_id'))))
                if _match(device, wanted):
                    devices.append(device)
                    if limit is not None and len(devices) >= limit:
                        break
        return devices

    def get(self, device_id: int | str, *, resolve_host: bool = True) -> PciDevice:
        """One device by its id; :class:`NotFound` says "No PCI device with ID …"."""
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

    def for_server(self, server_uuid: str, device_ids: Iterable[Any]) -> list[PciDevice]:
        """The devices a server holds, in the server's order, from one detailed listing
        (not one request per device). An id the listing lacks comes back with only its id."""
        device_ids = list(device_ids)
        ids = [str(i) for i in device_ids]
        devices = {str(d.id): d for d in self.list(detailed=True, instance_uuid=server_uuid)}
        if set(ids) - set(devices):
            # A server that records the holder differently: look in the full listing once.
            devices = {str(d.id): d for d in self.list(detailed=True)}
        return [devices.get(str(i)) or PciDevice({'id': i}) for i in device_ids]
