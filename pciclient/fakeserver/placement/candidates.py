"""The allocation candidate search over one provider tree, with Placement's semantics.

The facts (``objects/allocation_candidate.py``, ``objects/research_context.py``):

- groups are searched in query order; a group that finds nothing ends the search with
  an empty answer before later groups are even checked (so their unknown traits are no
  400 then). Unknown resource classes and traits are a 400; ``root_required`` is
  checked first, against root providers only (``_get_roots_with_traits``);
- a numbered group, and the unnumbered one when no provider anywhere has a parent, is
  satisfied by one provider having every class with room, every required trait (one of
  each ``in:`` set), no forbidden trait, and itself in the aggregates of ``member_of``;
- otherwise the unnumbered group may spread its classes over the providers of one
  tree: for each class the providers with room (``member_of`` met by the provider or
  its root), the trees having all classes, then every combination of one provider per
  class whose providers together have the required traits and none a forbidden one;
- room: ``used + amount <= (total - reserved) * allocation_ratio``, ``min_unit <=
  amount <= max_unit`` and ``amount % step_size == 0``;
- candidates of the groups are combined per tree, each combination checked against
  ``group_policy=isolate`` (the numbered groups on as many providers as there are
  numbered groups), ``same_subtree`` (one of the providers is an ancestor of all) and
  capacity once amounts on the same provider are added up (``used + amount <=
  capacity`` and ``amount <= max_unit``); equal candidates count once;
- before 1.29 a candidate taking from two providers of one tree is left out; ``limit``
  keeps the first candidates and the summaries of their trees only.

Placement's order of candidates is whatever its database and sets give; this search
lists trees in provider order and, in a tree, combinations in group and provider order.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pciclient.fakeserver.placement.candidate_query import CandidateRequest, Group
from pciclient.fakeserver.placement.errors import PlacementBadRequest
from pciclient.fakeserver.placement.provider_tree import ProviderTree, ResourceProvider
from pciclient.fakeserver.placement.query import known_trait

__all__ = ['Candidate', 'Found', 'find_candidates']

# ((provider position, resource class), amount) pairs, and suffix -> provider positions
Amounts = tuple[tuple[tuple[int, str], int], ...]


@dataclass(frozen=True)
class Candidate:
    """One allocation request: what it takes where, and which group took from where."""

    root: int
    amounts: Amounts
    mappings: tuple[tuple[str, frozenset[int]], ...]
    same_provider: bool = False

    @property
    def providers(self) -> frozenset[int]:
        return frozenset(position for (position, _), _ in self.amounts)


@dataclass(frozen=True)
class Found:
    candidates: list[Candidate]
    summaries: list[int]     # positions of the providers summarised


class _NothingFound(Exception):
    """A group (or root_required) matches no provider: Placement's empty answer."""


def _satisfies(traits: frozenset[str], required: Sequence[frozenset[str]],
               forbidden: frozenset[str]) -> bool:
    return all(any_of & traits for any_of in required) and not (traits & forbidden)


class _Search:
    def __init__(self, tree: ProviderTree, request: CandidateRequest) -> None:
        self.tree = tree
        self.request = request
        self.providers = tree.providers
        self.root_of = [tree.position(p.root_uuid) or 0 for p in self.providers]
        self.anchors: set[int] | None = None

    # checks of names, in Placement's order

    def _known_traits(self, names: Iterable[str]) -> None:
        unknown = sorted(name for name in names if not known_trait(self.tree, name))
        if unknown:
            raise PlacementBadRequest(f'No such trait(s): {unknown[0]}.')

    def anchor_roots(self) -> None:
        request = self.request
        if not (request.root_required or request.root_forbidden):
            return
        self._known_traits(request.root_required | request.root_forbidden)
        self.anchors = {n for n, p in enumerate(self.providers) if p.parent_uuid is None
                        and request.root_required <= p.traits
                        and not (p.traits & request.root_forbidden)}
        if not self.anchors:
            raise _NothingFound()

    def _in_aggregates(self, group: Group) -> set[int] | None:
        """Providers that are members of one of each ``member_of`` set (None: no filter)."""
        if not group.member_of:
            return None
        members: set[int] | None = None
        for any_of in group.member_of:
            found = {n for agg in any_of for n in self.tree.in_aggregate(agg)}
            members = found if members is None else members & found
        return members or set()

    def _bad_aggregates(self, group: Group) -> set[int]:
        return {n for agg in group.forbidden_aggregates for n in self.tree.in_aggregate(agg)}

    def _tree_root(self, group: Group) -> int | None:
        if group.in_tree is None:
            return None
        position = self.tree.position(group.in_tree)
        if position is None:
            raise _NothingFound()
        return self.root_of[position]

    def _with_room(self, rc: str, amount: int, root: int | None) -> set[int]:
        found = set()
        positions: Iterable[int] = range(len(self.providers)) if root is None \
            else self.tree.tree_of(self.providers[root].uuid)
        for n in positions:
            record = self.providers[n].inventories.get(rc)
            if record is not None and record.fits(self.providers[n].usages.get(rc, 0), amount):
                found.add(n)
        return found

    def prepare(self, group: Group) -> tuple[set[int] | None, dict[str, set[int]], int | None]:
        """Research context of one group: classes known, aggregates, traits, room."""
        for rc in group.resources:
            if rc not in self.tree.resource_classes:
                raise PlacementBadRequest('Invalid resource class in resources parameter: '
                                          f'No such resource class {rc}.')
        members = self._in_aggregates(group)
        if members is not None and not members:
            raise _NothingFound()
        self._known_traits(set().union(*group.required, group.forbidden))
        root = self._tree_root(group)
        room = {}
        for rc, amount in group.resources.items():
            room[rc] = self._with_room(rc, amount, root)
            if not room[rc]:
                raise _NothingFound()
        return members, room, root

    # one group

    def _anchored(self, position: int) -> bool:
        return self.anchors is None or self.root_of[position] in self.anchors

    def single(self, group: Group, members: set[int] | None, room: dict[str, set[int]]
               ) -> list[Candidate]:
        bad = self._bad_aggregates(group)
        if room:
            positions = set.intersection(*room.values())
        else:  # a resourceless group (1.36): any provider passing the filters
            positions = set(range(len(self.providers)))
        if members is not None:
            positions &= members
        found = []
        for n in sorted(positions - bad):
            provider = self.providers[n]
            if not _satisfies(provider.traits, group.required, group.forbidden):
                continue
            if not self._anchored(n):
                continue
            amounts = tuple(((n, rc), amount) for rc, amount in group.resources.items())
            found.append(Candidate(self.root_of[n], amounts,
                                   ((group.suffix, frozenset({n})),), group.same_provider))
        return found

    def spread(self, group: Group, members: set[int] | None, room: dict[str, set[int]]
               ) -> list[Candidate]:
        if group.required:
            wanted = set().union(*group.required)
            if not any(self.tree.with_trait(trait) for trait in wanted):
                return []
        bad = self._bad_aggregates(group)
        by_rc: dict[str, set[int]] = {}
        for rc, positions in room.items():
            kept = {n for n in positions if self._anchored(n)
                    and (members is None or {n, self.root_of[n]} & members)
                    and not ({n, self.root_of[n]} & bad)}
            by_rc[rc] = kept
        roots = set.intersection(*({self.root_of[n] for n in kept} for kept in by_rc.values()))
        found: list[Candidate] = []
        seen: set[Amounts] = set()
        for root in sorted(roots):
            choices = [sorted(n for n in by_rc[rc] if self.root_of[n] == root) for rc in by_rc]
            for chosen in itertools.product(*choices):
                traits = frozenset().union(*(self.providers[n].traits for n in chosen))
                if any(self.providers[n].traits & group.forbidden for n in chosen):
                    continue
                if not all(any_of & traits for any_of in group.required):
                    continue
                amounts = tuple(((n, rc), group.resources[rc])
                                for n, rc in zip(chosen, by_rc, strict=True))
                if amounts in seen:
                    continue
                seen.add(amounts)
                found.append(Candidate(root, amounts, (('', frozenset(chosen)),)))
        return found

    # all groups together

    def _ancestors(self, position: int) -> set[int]:
        found = {position}
        provider: ResourceProvider = self.providers[position]
        while provider.parent_uuid is not None:
            parent = self.tree.position(provider.parent_uuid)
            if parent is None:
                break
            found.add(parent)
            provider = self.providers[parent]
        return found

    def _same_subtree(self, parts: Sequence[Candidate]) -> bool:
        for suffixes in self.request.same_subtrees:
            positions = {n for part in parts for suffix, chosen in part.mappings
                         if suffix in suffixes for n in chosen}
            if len(positions) <= 1:
                continue
            common = set.intersection(*(self._ancestors(n) for n in positions))
            if not common & positions:
                return False
        return True

    def _isolated(self, parts: Sequence[Candidate]) -> bool:
        numbered = [part for part in parts if part.same_provider]
        if self.request.group_policy != 'isolate':
            return True
        used = set().union(*(part.mappings[0][1] for part in numbered))
        return len(used) == sum(g.same_provider for g in self.request.groups.values())

    def _fits(self, amounts: dict[tuple[int, str], int]) -> bool:
        for (n, rc), amount in amounts.items():
            provider = self.providers[n]
            record = provider.inventories[rc]
            capacity = int((record.total - record.reserved) * record.allocation_ratio)
            if provider.usages.get(rc, 0) + amount > capacity or amount > record.max_unit:
                return False
        return True

    def merge(self, by_group: dict[str, list[Candidate]]) -> list[Candidate]:
        by_root: dict[int, dict[str, list[Candidate]]] = {}
        for suffix, found in by_group.items():
            for candidate in found:
                by_root.setdefault(candidate.root, {}).setdefault(suffix, []).append(candidate)
        merged: list[Candidate] = []
        seen: set[tuple[Amounts, tuple[tuple[str, frozenset[int]], ...]]] = set()
        for root in sorted(by_root):
            lists = by_root[root]
            if len(lists) != len(by_group):
                continue
            for parts in itertools.product(*(lists[suffix] for suffix in by_group)):
                if not self._isolated(parts) or not self._same_subtree(parts):
                    continue
                amounts: dict[tuple[int, str], int] = {}
                for part in parts:
                    for key, amount in part.amounts:
                        amounts[key] = amounts.get(key, 0) + amount
                if not self._fits(amounts):
                    continue
                mappings = tuple(sorted(m for part in parts for m in part.mappings))
                identity = (tuple(sorted(amounts.items())), mappings)
                if identity in seen:
                    continue
                seen.add(identity)
                merged.append(Candidate(root, tuple(amounts.items()), mappings))
        return merged

    def run(self) -> Found:
        by_group: dict[str, list[Candidate]] = {}
        try:
            self.anchor_roots()
            for suffix, group in self.request.groups.items():
                members, room, _ = self.prepare(group)
                if group.same_provider or not self.tree.has_nested:
                    found = self.single(group, members, room)
                else:
                    found = self.spread(group, members, room)
                if not found:
                    return Found([], [])
                by_group[suffix] = found
        except _NothingFound:
            return Found([], [])
        return self._finish(self.merge(by_group))

    def _finish(self, candidates: list[Candidate]) -> Found:
        request = self.request
        only: set[int] | None = None
        if not request.nested_aware and self.tree.has_nested:
            candidates = [c for c in candidates
                          if len({self.root_of[n] for n in c.providers}) == len(c.providers)]
            only = set().union(*(c.providers for c in candidates))
        if request.limit is not None:
            candidates = candidates[:request.limit]
        roots = {c.root for c in candidates}
        summaries = [n for n in range(len(self.providers)) if self.root_of[n] in roots
                     and (only is None or n in only)]
        return Found(candidates, summaries)


def find_candidates(tree: ProviderTree, request: CandidateRequest) -> Found:
    """The allocation candidates of ``request`` and the providers to summarise."""
    return _Search(tree, request).run()
