"""Servers and the PCI devices they hold (``os-pci:pci_devices``)."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient.v2.base import Manager, Resource, is_uuid_like, path_segment

LOG = logging.getLogger(__name__)

#: The server attribute the PCI API extension adds.
PCI_DEVICES_KEY = 'os-pci:pci_devices'


def decode_device_ids(value: Any) -> list[Any]:
    """``[{"id": 1}, …]`` (or plain ids) to ``[1, …]``."""
    if not isinstance(value, list):
        raise exc.InvalidResponse(f'{PCI_DEVICES_KEY} is not a list.')
    ids = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get('id'), (int, str)):
            ids.append(item['id'])
        elif isinstance(item, (int, str)) and not isinstance(item, bool):
            ids.append(item)
        else:
            raise exc.InvalidResponse(f'{PCI_DEVICES_KEY} holds an entry without an id.')
    return ids


def _name(server: Resource) -> str | None:
    name = server.raw.get('name')
    return name if isinstance(name, str) else None


class Server(Resource):
    """A server. ``pci_devices`` is the list of PCI device ids it holds, or ``None``
    when the cloud does not report PCI devices on servers at all."""

    human_name = 'server'

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        fields = {key: value for key, value in info.items() if key != PCI_DEVICES_KEY}
        raw = info.get(PCI_DEVICES_KEY)
        fields['pci_devices'] = decode_device_ids(raw) if raw is not None else None
        fields['pci_source'] = 'os-pci' if raw is not None else None
        return fields

    def set_pci_devices(self, devices: list[Any] | None, source: str | None) -> None:
        """What the server holds when another service (Placement) told it."""
        self._fields['pci_devices'] = devices
        self._fields['pci_source'] = source


#: Up to this many holders are named one GET each; more, from one listing of every server.
NAME_LOOKUPS = 20


class ServerManager(Manager[Server]):
    resource_class = Server

    def names(self, ids: Iterable[str]) -> dict[str, str | None]:
        """The names of the servers with these ids, for rows that show who holds a device.

        A few holders cost a GET each; more, one listing of every project's servers
        (its pages grow with the servers of the cloud, not with its devices). A name is
        a courtesy: a server the caller may not see, or a compute API that will not say
        (no admin role, none reachable), leaves it None rather than failing the answer.
        """
        names: dict[str, str | None] = dict.fromkeys(sorted({str(i) for i in ids}))
        try:
            if len(names) <= NAME_LOOKUPS:
                for server_id in names:
                    try:
                        server = self._get(f'servers/{path_segment(server_id)}', 'server')
                    except (exc.NotFound, exc.Forbidden, exc.ServerError,
                            exc.InvalidResponse) as error:  # this server's name alone
                        LOG.debug('name of server %s unknown: %s', server_id, error)
                        continue
                    names[server_id] = _name(server)
            elif names:
                for server in self.list(detailed=False, all_projects=True):
                    if str(server.id) in names:
                        names[str(server.id)] = _name(server)
        except exc.ClientException as error:  # no compute API to ask, or none for us
            LOG.debug('server names unknown: %s', error)
        return names

    def list(self, detailed: bool = True, *, all_projects: bool = False,
             **filters: Any) -> list[Server]:
        """Servers visible to the caller (every project's with ``all_projects``, for admins).

        Only the detailed listing carries ``os-pci:pci_devices``.
        """
        params = {key: value for key, value in filters.items() if value is not None}
        if all_projects:
            params['all_tenants'] = 1
        return self._list('servers/detail' if detailed else 'servers', 'servers', params)

    def get(self, id_or_name: str, *, all_projects: bool = False) -> Server:
        """One server by UUID, or by exact name (an error when several share it)."""
        key = str(id_or_name)
        if is_uuid_like(key):
            try:
                return self._get(f'servers/{path_segment(key)}', 'server')
            except exc.NotFound:
                pass
        # Nova matches names by regular expression: anchor and escape for an exact match.
        candidates = self.list(detailed=True, all_projects=all_projects,
                               name=f'^{re.escape(key)}$')
        matches = [s for s in candidates if s.raw.get('name') == key]
        if len(matches) > 1:
            ids = ', '.join(str(s.raw.get('id')) for s in matches)
            raise exc.NoUniqueMatch(
                f'More than one server is named {key!r} ({ids}); use its ID.')
        if not matches:
            raise exc.NotFound(f'No server with a name or ID of {key!r} exists.')
        return matches[0]
