"""Hypervisors and their PCI pools: ``GET os-hypervisors[/detail|/{id}|/{pattern}/search]``."""
from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient import jsondoc
from pciclient.v2.base import (
    Manager,
    Resource,
    is_int_like,
    is_uuid_like,
    normalise_hex_id,
    path_segment,
)

#: The keys a pool has in the normalised model; every other key is a tag.
POOL_KEYS = ('vendor_id', 'product_id', 'numa_node', 'dev_type', 'count')

#: Where the pools live, in order of preference: the blueprint, then merged Nova.
POOL_SOURCES = ('pci_stats', 'os-pci:pci_stats')


def _unwrap(value: Any) -> Any:
    """Undo the encodings Nova has used for pools: JSON text and versioned objects."""
    if isinstance(value, str):
        try:
            value = jsondoc.loads(value)
        except ValueError:
            raise exc.InvalidResponse('pci_stats is text that is not JSON.') from None
    if isinstance(value, dict) and 'nova_object.data' in value:
        value = value['nova_object.data']
        if isinstance(value, dict) and 'objects' in value:
            value = value['objects']
    return value


def normalise_pool(pool: Any) -> dict[str, Any]:
    """``{vendor_id, product_id, numa_node, dev_type, count, tags}``.

    ``tags`` collects every other key, whether the cloud nests them in an
    ``extra_info`` (or ``tags``) object, as the blueprint does, or flattens them
    into the pool, as merged Nova did.
    """
    pool = _unwrap(pool)
    if not isinstance(pool, dict):
        raise exc.InvalidResponse(f'A PCI pool is not an object: {str(pool)[:80]}')
    normalised: dict[str, Any] = {key: pool.get(key) for key in POOL_KEYS}
    tags: dict[str, Any] = {}
    for key, value in pool.items():
        if key in POOL_KEYS:
            continue
        if key in ('extra_info', 'tags') and isinstance(value, dict):
            tags.update(value)
        else:
            tags[key] = value
    if normalised['dev_type'] is None and 'dev_type' in tags:
        # Nova's own PciDevicePool keeps dev_type among the tags.
        normalised['dev_type'] = tags.pop('dev_type')
    normalised['tags'] = tags
    return normalised


def normalise_pools(value: Any) -> list[dict[str, Any]]:
    value = _unwrap(value)
    if not isinstance(value, list):
        raise exc.InvalidResponse('pci_stats is not a list of pools.')
    return [normalise_pool(pool) for pool in value]


#: How many of the closest names a "no such host" error offers, and how alike they must be.
CLOSEST = 3
_ALIKE = 0.6


def closest_names(name: str, names: Iterable[str], limit: int = CLOSEST) -> list[str]:
    """The names most like ``name``, best first: those differing only in case, then by
    similarity (ties in name order), so that a typo's error shows the name meant."""
    from difflib import SequenceMatcher  # only when a name was not found

    wanted = name.lower()
    scored = []
    for candidate in set(names):
        lowered = candidate.lower()
        score = 2.0 if lowered == wanted else SequenceMatcher(None, wanted, lowered).ratio()
        if score >= _ALIKE:
            scored.append((-score, candidate))
    return [candidate for _, candidate in sorted(scored)[:limit]]


class NoSuchHost(exc.NotFound):
    """``name`` is no host of the cloud (no hypervisor, or no compute node in Placement):
    a typo must not look like a host without devices. ``candidates`` are the closest names
    the cloud has (see :func:`closest_names`); none when nothing is alike."""

    def __init__(self, name: str, candidates: Iterable[str], *, where: str = '',
                 what: str = 'hypervisor named', otherwise: str = '') -> None:
        self.name = name
        self.candidates = builtins.list(candidates)
        close = (f' (closest: {", ".join(self.candidates)})' if self.candidates
                 else otherwise)
        super().__init__(f"No {what} '{name}'{where}{close}")

    def _decorated(self, message: str) -> str:
        return message  # told from a listing, not from a 404 of the cloud

    def led_by(self, lead: str) -> NoSuchHost:
        """This error as the reason ``lead`` failed ("No PCI device …: no hypervisor …")."""
        self._before = f'{lead}: {self._before[:1].lower()}{self._before[1:]}'
        self.message = self._before
        self.args = (self.message,)
        return self


class Hypervisor(Resource):
    """A compute node. ``pci_stats`` is its list of normalised pools, or ``None``
    when the cloud does not report pools at all (today's Nova never does)."""

    human_name = 'hypervisor'

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        fields = {key: value for key, value in info.items() if key not in POOL_SOURCES}
        pools = None
        for source in POOL_SOURCES:
            if info.get(source) is not None:
                pools = normalise_pools(info[source])
                break
        fields['pci_stats'] = pools
        cpu_info = fields.get('cpu_info')
        if isinstance(cpu_info, str) and cpu_info.lstrip().startswith('{'):
            # A JSON string before microversion 2.28, an object from 2.28: one model.
            try:
                fields['cpu_info'] = jsondoc.loads(cpu_info)
            except ValueError:
                pass
        return fields


class HypervisorManager(Manager[Hypervisor]):
    resource_class = Hypervisor

    def __init__(self, http: Any) -> None:
        super().__init__(http)
        self._hostnames: dict[str, str] | None = None

    def list(self, detailed: bool = False) -> list[Hypervisor]:
        return self._list('os-hypervisors/detail' if detailed else 'os-hypervisors', 'hypervisors')

    def hostnames(self) -> dict[str, str]:
        """``{str(id): hypervisor_hostname}`` from one listing, kept for this client's life."""
        if self._hostnames is None:
            self._hostnames = {str(h.id): h.hypervisor_hostname for h in self.list()
                               if 'id' in h.raw and 'hypervisor_hostname' in h.raw}
        return self._hostnames

    def check_host(self, name: str) -> None:
        """:class:`NoSuchHost` with the closest names unless a hypervisor is called exactly
        ``name`` (Nova's database may match another case; its answers do not): from the
        one listing :meth:`hostnames` keeps."""
        known = self.hostnames().values()
        if name not in known:
            raise NoSuchHost(name, closest_names(name, known))

    def pools(self, host: str | None = None, vendor_id: str | None = None,
              product_id: str | None = None,
              ) -> tuple[builtins.list[dict[str, Any]], builtins.list[str]]:
        """Every host's PCI pools from one ``os-hypervisors/detail`` listing.

        Returns ``(pools, silent_hosts)``: each pool is a normalised pool plus
        ``host``; ``silent_hosts`` are hypervisors that report no pools at all (not
        the same as reporting none free). Filters compare as ``pci_devices.list`` does;
        a ``host`` no hypervisor is called is :class:`NoSuchHost` (from the same listing).
        """
        pools: list[dict[str, Any]] = []
        silent: list[str] = []
        listed = self.list(detailed=True)
        names = [str(h.raw.get('hypervisor_hostname')) for h in listed]
        if host is not None and host not in names:
            raise NoSuchHost(host, closest_names(host, names))
        for hypervisor in listed:
            hostname = hypervisor.raw.get('hypervisor_hostname')
            if host is not None and hostname != host:
                continue
            if hypervisor.pci_stats is None:
                silent.append(str(hostname))
                continue
            for pool in hypervisor.pci_stats:
                if vendor_id is not None and normalise_hex_id(pool['vendor_id'] or '') \
                        != normalise_hex_id(vendor_id):
                    continue
                if product_id is not None and normalise_hex_id(pool['product_id'] or '') \
                        != normalise_hex_id(product_id):
                    continue
                pools.append({'host': hostname, **pool})
        return pools, silent

    @property
    def _uuid_ids(self) -> bool:
        """From microversion 2.53 hypervisor ids are UUIDs (an integer is a 400)."""
        return self.http.microversion >= (2, 53)

    def search(self, pattern: str) -> builtins.list[Hypervisor]:
        """Hypervisors whose hostname contains ``pattern`` (Nova matches substrings).

        Below 2.53 Nova offers ``os-hypervisors/{pattern}/search``; from 2.53 the
        listing's ``hypervisor_hostname_pattern`` filter, on the detailed listing so
        that no second request is needed. Both answer 404 when nothing matches.
        """
        try:
            if self._uuid_ids:
                return self._list('os-hypervisors/detail', 'hypervisors',
                                  {'hypervisor_hostname_pattern': pattern})
            return self._get_list_once(f'os-hypervisors/{path_segment(pattern)}/search',
                                       'hypervisors')
        except exc.NotFound:  # Nova's answer to "nothing matches", in both forms
            return []

    def get(self, id_or_hostname: int | str) -> Hypervisor:
        """One hypervisor by id or by exact hostname.

        An id of the kind the microversion takes (an integer below 2.53, a UUID
        from 2.53: the other kind is never sent) is tried first; a hostname goes
        through Nova's substring search and must match exactly one hypervisor; a
        server that answers the blueprint's ``os-hypervisors/{hostname}`` is asked
        that last. A hostname that looks like an integer still works.
        """
        key = str(id_or_hostname)
        tried_direct = False
        if is_uuid_like(key) if self._uuid_ids else is_int_like(key):
            tried_direct = True
            try:
                return self._get(f'os-hypervisors/{path_segment(key)}', 'hypervisor')
            except (exc.NotFound, exc.BadRequest):
                pass
        matches = [h for h in self.search(key) if h.raw.get('hypervisor_hostname') == key]
        if len(matches) > 1:
            ids = ', '.join(str(h.raw.get('id')) for h in matches)
            raise exc.NoUniqueMatch(
                f'More than one hypervisor is named {key!r} (ids {ids}); use an id.')
        if matches:
            if self._uuid_ids and 'service' in matches[0].raw:
                return matches[0]  # already the detailed document
            return self._get(f'os-hypervisors/{path_segment(matches[0].id)}', 'hypervisor')
        if not tried_direct and not self._uuid_ids:
            try:
                found = self._get(f'os-hypervisors/{path_segment(key)}', 'hypervisor')
            except (exc.NotFound, exc.BadRequest):
                found = None
            if found is not None and str(found.raw.get('hypervisor_hostname')) == key:
                return found
        if tried_direct:
            raise exc.NotFound(f'No hypervisor with ID or hostname {key!r}')
        # A hostname that is none: the closest ones from one listing, asked only now.
        known = self.hostnames().values()
        raise NoSuchHost(key, closest_names(key, known), what='hypervisor with ID or hostname')
