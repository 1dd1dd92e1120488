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
#: The compute host of a server: Nova shows it to admins only (policy
#: ``os_compute_api:os-extended-server-attributes``), members get no such key.
HOST_KEY = 'OS-EXT-SRV-ATTR:host'
#: From this microversion a server's ``flavor`` is the flavor itself, with its name in
#: ``original_name``; before it, only the flavor's id (and a link).
FLAVOR_NAME_VERSION = '2.47'


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

    def row(self) -> dict[str, Any]:
        """The fields of a listing row: these of :meth:`to_dict`, and ``host`` (None when
        the caller may not see it), ``project_id`` and ``flavor`` (its name when the
        cloud sent it, from microversion 2.47, else its id) as plain values."""
        flavor = self.raw.get('flavor')
        flavor = flavor if isinstance(flavor, dict) else {}
        name = flavor.get('original_name')
        return {**self._fields, 'host': self.raw.get(HOST_KEY),
                'project_id': self.raw.get('tenant_id'),
                'flavor': name if name is not None else flavor.get('id')}

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

    def __init__(self, http: Any, hypervisors: Any = None) -> None:
        super().__init__(http)
        #: Tells a host with no servers from a host that does not exist (a typo): see
        #: :meth:`iter`. None: no such check.
        self._hypervisors = hypervisors

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
             host: str | None = None, flavor_names: bool = False,
             **filters: Any) -> list[Server]:
        """Servers visible to the caller (every project's with ``all_projects``, for admins).

        Only the detailed listing carries ``os-pci:pci_devices``. See :meth:`iter` for
        ``host`` and ``flavor_names``.
        """
        return list(self.iter(detailed, all_projects=all_projects, host=host,
                              flavor_names=flavor_names, **filters))

    def iter(self, detailed: bool = True, *, all_projects: bool = False,
             host: str | None = None, flavor_names: bool = False,
             **filters: Any) -> Iterator[Server]:
        """:meth:`list`, page by page as the caller reads (nothing is asked until then):
        a listing of any length held one page at a time.

        ``host``: only the servers on that compute host. Nova filters by it for admins
        only and silently drops the filter for anyone else, so the answer is filtered
        again by each server's host; a server whose host the caller may not see (no
        admin role) is a :class:`CommandError`, not a listing that ignored the filter.
        ``flavor_names``: ask at microversion 2.47 (when the client's is older, and the
        cloud has it), whose server documents name their flavor.
        """
        params = {key: value for key, value in filters.items() if value is not None}
        if all_projects:
            params['all_tenants'] = 1
        if host is not None:
            params['host'] = host
            detailed = True   # only the detailed document says where a server runs
        version = None
        if flavor_names and detailed and self.http.microversion < (2, 47):
            version = FLAVOR_NAME_VERSION
        items = self._items('servers/detail' if detailed else 'servers', params, version)
        servers = (Server(item) for item in items)
        return servers if host is None else self._on_host(servers, host)

    def _on_host(self, servers: Iterable[Server], host: str) -> Iterator[Server]:
        """The servers on ``host``, judged by the host each one names (see :meth:`iter`).

        None at all may mean a host without servers or a typo: one hypervisor listing
        tells (:class:`NoSuchHost` with the closest names), asked only then. An account
        that may not list hypervisors (they are admin only) keeps the empty answer.
        """
        found = False
        for server in _on_host(servers, host):
            found = True
            yield server
        if not found and self._hypervisors is not None:
            try:
                self._hypervisors.check_host(host)
            except exc.Forbidden:
                LOG.debug('No hypervisor listing for this account: %r not checked', host)

    def _items(self, path: str, params: dict[str, Any],
               version: str | None) -> Iterator[dict[str, Any]]:
        """The listing's items at ``version`` (None: the client's), or at the client's
        own when the cloud refuses that one (400/406: no microversions that new)."""
        items = self.http.iter_list(path, 'servers', params, microversion=version)
        if version is None:
            yield from items
            return
        try:
            first = next(items, None)
        except exc.HttpError as error:
            if error.http_status not in (400, 406):
                raise
            yield from self.http.iter_list(path, 'servers', params)
            return
        if first is not None:
            yield first
            yield from items

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
            if all_projects or is_uuid_like(key):  # an admin's GET by id sees every project
                raise exc.NotFound(f'No server with a name or ID of {key!r} exists.')
            raise exc.NotFound(f'No server with a name or ID of {key!r} exists in this '
                               "project; an admin finds every project's servers with ",
                               hint=exc.Hint.ALL_PROJECTS, then='.')
        return matches[0]


def _on_host(servers: Iterable[Server], host: str) -> Iterator[Server]:
    """The servers on ``host``, judged by the host each one names (see
    :meth:`ServerManager.iter`)."""
    for server in servers:
        if HOST_KEY not in server.raw:
            raise exc.CommandError(
                'The compute API does not show this account which host a server is on (it '
                'shows it to admins only), so it cannot list the servers of one host.')
        if server.raw[HOST_KEY] == host:
            yield server
