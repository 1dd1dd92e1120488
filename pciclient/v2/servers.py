"""Servers and the PCI devices they hold (``os-pci:pci_devices``)."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
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


class NameBook:
    """Server names asked for batch by batch (a streamed listing names its holders as
    its rows arrive), each server asked for once.

    Asked once, it does what :meth:`ServerManager.names` always did: up to
    :data:`NAME_LOOKUPS` holders cost a GET each, more one listing of every server. Asked
    again, the holders met so far count: past :data:`NAME_LOOKUPS` in all, the one
    listing is read and its names kept (they grow with the servers of the cloud, not
    with its devices), so a batched listing costs at most that many GETs and one
    listing. A name is a courtesy: a server the caller may not see, or a compute API
    that will not say (no admin role, none reachable), leaves it None rather than
    failing the answer.
    """

    def __init__(self, manager: ServerManager) -> None:
        self._manager = manager
        self._known: dict[str, str | None] = {}
        self._everyone: dict[str, str | None] | None = None   # once the listing is read

    def __call__(self, ids: Iterable[str]) -> dict[str, str | None]:
        wanted = sorted({str(i) for i in ids})
        new = [server_id for server_id in wanted if server_id not in self._known]
        if new and self._everyone is None:
            if len(self._known) + len(new) <= NAME_LOOKUPS:
                self._known.update(self._one_by_one(new))
            else:
                self._everyone = self._all_names()
        if self._everyone is not None:
            self._known.update((i, self._everyone.get(i)) for i in new)
        return {server_id: self._known.get(server_id) for server_id in wanted}

    def _one_by_one(self, ids: list[str]) -> dict[str, str | None]:
        names: dict[str, str | None] = dict.fromkeys(ids)
        try:
            for server_id in ids:
                try:
                    server = self._manager._get(f'servers/{path_segment(server_id)}', 'server')
                except (exc.NotFound, exc.Forbidden, exc.ServerError,
                        exc.InvalidResponse) as error:  # this server's name alone
                    LOG.debug('name of server %s unknown: %s', server_id, error)
                    continue
                names[server_id] = _name(server)
        except exc.ClientException as error:  # no compute API to ask, or none for us
            LOG.debug('server names unknown: %s', error)
        return names

    def _all_names(self) -> dict[str, str | None]:
        names: dict[str, str | None] = {}
        try:
            for server in self._manager.iter(detailed=False, all_projects=True):
                names[str(server.id)] = _name(server)
        except exc.ClientException as error:  # no compute API to ask, or none for us
            LOG.debug('server names unknown: %s', error)
        return names


class ServerManager(Manager[Server]):
    resource_class = Server

    def names(self, ids: Iterable[str]) -> dict[str, str | None]:
        """The names of the servers with these ids, for rows that show who holds a device
        (see :class:`NameBook`: a few holders cost a GET each; more, one listing of every
        project's servers, whose pages grow with the servers of the cloud, not with its
        devices)."""
        return NameBook(self)(ids)

    def name_book(self) -> NameBook:
        """Names for holders met batch by batch, each server asked for once."""
        return NameBook(self)

    def list(self, detailed: bool = True, *, all_projects: bool = False,
             **filters: Any) -> list[Server]:
        """Servers visible to the caller (every project's with ``all_projects``, for admins).

        Only the detailed listing carries ``os-pci:pci_devices``.
        """
        return list(self.iter(detailed, all_projects=all_projects, **filters))

    def iter(self, detailed: bool = True, *, all_projects: bool = False,
             **filters: Any) -> Iterator[Server]:
        """:meth:`list`, page by page as the caller reads (nothing is asked until then):
        a listing of any length held one page at a time."""
        params = {key: value for key, value in filters.items() if value is not None}
        if all_projects:
            params['all_tenants'] = 1
        return self._iter('servers/detail' if detailed else 'servers', 'servers', params)

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
