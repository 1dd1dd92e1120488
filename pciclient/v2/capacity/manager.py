"""Capacity of a cloud: every selected host against every flavor, from one read of the trees.

The order of the reads is the order of Nova's own decision: the flavors and what they ask
(``flavor_request``), which hosts Placement would consider (trees, aggregates, the
disabled trait), which of those the ComputeFilter drops afterwards (services down), and
how many servers each tree holds (``fit``). Every flavor is answered from the same trees,
so adding a flavor costs no request to Placement.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pciclient import exceptions as exc
from pciclient.v2.capacity import outcome
from pciclient.v2.capacity.aliases import PciAlias
from pciclient.v2.capacity.fit import fit
from pciclient.v2.capacity.flavor_request import flavor_request, with_aggregates
from pciclient.v2.capacity.outcome import Fit, Stage
from pciclient.v2.capacity.placement_trees import TreeReader
from pciclient.v2.capacity.pools import pool_request, pool_trees
from pciclient.v2.capacity.request import CANDIDATES_VERSION, PlacementRequest
from pciclient.v2.capacity.trees import HostTree
from pciclient.v2.placement_rows import PCI_TRAIT

#: The flavor extra spec that asks PCI devices by alias.
ALIAS_SPEC = 'pci_passthrough:alias'


def _asks_pci(flavor: dict[str, Any]) -> bool:
    specs = flavor.get('extra_specs')
    return isinstance(specs, dict) and bool(specs.get(ALIAS_SPEC))

#: Where PCI capacity came from.
PCI_FROM_PLACEMENT, PCI_FROM_POOLS, PCI_UNKNOWN = 'placement', 'os-pci', 'unknown'


@dataclass
class Wanted:
    """One thing to place: a flavor (its compute API document, extra specs inside) or a
    raw request written as one."""

    name: str
    flavor: dict[str, Any]


@dataclass
class HostFit:
    host: str
    flavor: str
    fit: Fit
    request: PlacementRequest
    #: ``--verify``: whether Placement itself has a candidate on this host (None: not asked).
    candidate: bool | None = None


@dataclass
class Capacity:
    rows: list[HostFit] = field(default_factory=list)
    #: One line each: what the answer could not see (told on stderr by the CLI).
    notes: list[str] = field(default_factory=list)
    pci_from: str = PCI_UNKNOWN


class CapacityManager:
    """Answers "how many more servers of these flavors fit, where, and why not"."""

    def __init__(self, client: Any) -> None:
        self.client = client

    # -- what to place ----------------------------------------------------------------------
    def flavors(self, names: Iterable[str] = ()) -> list[Wanted]:
        """The named flavors (by id or exact name), or every flavor the caller can see."""
        manager = self.client.flavors
        names = list(names)
        flavors = [manager.get(n) for n in names] if names else manager.list()
        return [Wanted(str(f.raw.get('name') or f.id), {**f.raw, 'extra_specs': f.extra_specs})
                for f in flavors]

    # -- the answer -------------------------------------------------------------------------
    def capacity(self, wanted: list[Wanted], *, aliases: dict[str, list[PciAlias]] | None,
                 host: str | None = None, zone: str | None = None,
                 aggregate: str | None = None, pci_in_placement: str = 'auto',
                 boot_from_volume: bool = False, verify: bool = False) -> Capacity:
        """Every selected host against every wanted flavor (see :class:`Capacity`)."""
        answer = Capacity()
        member_of = self._member_of(zone, aggregate, answer.notes)
        reader = TreeReader(self.client.placement)
        asks_pci = any(_asks_pci(item.flavor) for item in wanted)
        # A host's tree comes with all its traits: read it first, and let it tell whether
        # PCI is in Placement (a listing of the cloud's PCI providers only if it has none).
        read = reader.trees(host=host, member_of=member_of) if host is not None else None
        if pci_in_placement == 'auto':
            placement_pci = read.pci_reported if read is not None \
                else bool(reader.having(PCI_TRAIT))
        else:
            placement_pci = pci_in_placement == 'yes'
        pools: list[dict[str, Any]] = []
        if asks_pci and not placement_pci:
            pools = self._pools(host)
            answer.pci_from = PCI_FROM_POOLS if pools else PCI_UNKNOWN
            if not pools:
                answer.notes.append(
                    'This cloud reports PCI devices neither in Placement nor as the '
                    'hypervisors\' PCI pools: PCI capacity is unknown (only root resources '
                    'are counted).')
        elif placement_pci:
            answer.pci_from = PCI_FROM_PLACEMENT

        def translate(item: Wanted) -> PlacementRequest:
            request = with_aggregates(flavor_request(
                item.flavor, aliases=aliases, pci_in_placement=placement_pci or bool(pools),
                boot_from_volume=boot_from_volume), member_of)
            return pool_request(request, aliases) if pools else request

        requests = [(item.name, translate(item)) for item in wanted]
        traits = {t for _, r in requests for g in r.groups for t in g.required | g.forbidden}
        traits |= {t for _, r in requests for t in r.root_required | r.root_forbidden}
        if read is None:
            read = reader.trees(member_of=member_of, traits=traits)
        trees = pool_trees(read.trees, pools) if pools else read.trees
        down = self._down_hosts(host, {t.host for t in trees}, answer.notes)
        pci_unknown = {item.name for item in wanted
                       if answer.pci_from == PCI_UNKNOWN and _asks_pci(item.flavor)}
        for tree in trees:
            for name, request in requests:
                answer.rows.append(HostFit(tree.host, name, self._fit(
                    tree, request, name in pci_unknown, down), request))
        if verify:
            self._verify(answer, trees)
        return answer

    @staticmethod
    def _fit(tree: HostTree, request: PlacementRequest, pci_unknown: bool,
             down: set[str]) -> Fit:
        """``fit`` of the tree, then what Placement does not decide: PCI nowhere reported
        (unknown), the compute service down (Nova's ComputeFilter: none)."""
        result = fit(tree, request)
        overridden = False
        if pci_unknown:  # the flavor asks PCI devices that no API of the cloud reports
            result.fits = None
            result.limited_by = [outcome.PCI_NOT_REPORTED] + result.limited_by
            result.stages.append(Stage('PCI devices', None, 'this cloud reports them '
                                       'nowhere: PCI capacity unknown'))
            overridden = True
        if tree.host in down:
            result.stages.append(Stage('compute service', False, 'down: Nova\'s '
                                       'ComputeFilter drops the host after Placement'))
            if result.fits is not None:
                result.fits = 0
            result.limited_by = [outcome.DOWN] + result.limited_by
            overridden = True
        if overridden:
            stages = [s for s in result.stages if s.name != 'fits']
            known = 'unknown' if result.fits is None else str(result.fits)
            stages.append(Stage('fits', bool(result.fits), f'{known}; the next is stopped '
                                f'by {", ".join(result.limited_by)}'))
            result.stages = stages
        return result

    def _pools(self, host: str | None) -> list[dict[str, Any]]:
        """The hypervisors' free PCI pools (each naming its ``host``); none when the
        compute API reports none or will not say."""
        try:
            pools, _silent = self.client.hypervisors.pools(host)
        except exc.ClientException:
            return []
        return pools

    def _member_of(self, zone: str | None, aggregate: str | None,
                   notes: list[str]) -> list[list[str]]:
        member_of: list[list[str]] = []
        if zone is not None:
            uuids = self.client.aggregates.zone(zone)
            if uuids:
                member_of.append(uuids)
            else:
                notes.append(f'Availability zone {zone} has no host aggregate: Nova 34 then '
                             'asks Placement for no aggregate, so every host counts.')
        if aggregate is not None:
            member_of.append(self.client.aggregates.uuids(aggregate))
        return member_of

    def _down_hosts(self, host: str | None, nodes: set[str], notes: list[str]) -> set[str]:
        """Compute nodes whose service is down (or forced down). Services name the
        service's host; a node named otherwise is found through its hypervisor."""
        try:
            services = self.client.services.list(host=host if host in nodes else None)
            if host in nodes and not services:
                # The node's service is named otherwise (a node named by its FQDN, the
                # service by the short name): only the whole listing can tell.
                services = self.client.services.list()
        except (exc.Forbidden, exc.Unauthorized) as error:
            notes.append(f'Compute services are not readable ({error.line()}): hosts whose '
                         'service is down are counted as up.')
            return set()
        down = {str(s.raw.get('host')) for s in services if s.down}
        if down - nodes:
            for hypervisor in self.client.hypervisors.list(detailed=True):
                service = hypervisor.raw.get('service')
                if isinstance(service, dict) and str(service.get('host')) in down:
                    down.add(str(hypervisor.raw.get('hypervisor_hostname')))
        return down & nodes

    def _verify(self, answer: Capacity, trees: list[HostTree]) -> None:
        roots = {t.host: t.root.uuid for t in trees}
        http = self.client.placement.require()
        for row in answer.rows:
            if row.fit.fits is None or row.request.invalid or row.host not in roots \
                    or outcome.DOWN in row.fit.limited_by:
                continue
            query = parse_qsl(row.request.query(in_tree=roots[row.host], limit=1))
            try:
                body = http.get('allocation_candidates', query,
                                microversion=CANDIDATES_VERSION)
            except exc.BadRequest as error:
                # A class no provider of the cloud has ever had is unknown to Placement:
                # it refuses the query, which is "no candidate" for this question.
                if 'No such resource class' not in str(error):
                    raise
                body = {'allocation_requests': []}
            found = body.get('allocation_requests') if isinstance(body, dict) else None
            if not isinstance(found, list):
                raise exc.InvalidResponse('Placement\'s allocation candidates have no '
                                          '"allocation_requests" list.')
            row.candidate = bool(found)
