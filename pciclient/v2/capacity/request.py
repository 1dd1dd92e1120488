"""What Nova's scheduler asks Placement for, as plain data.

A :class:`PlacementRequest` is the library's copy of Nova's ``ResourceRequest``: request
groups (the unnumbered one, the flavor's numbered ones, one per requested PCI device),
the request-wide parameters (``group_policy``, ``root_required``, ``same_subtree``,
``member_of``) and what the translation could not count. Everything downstream (the fit
arithmetic, ``--explain``, ``--verify``'s query) reads this one structure, so the
translation is checked once against Nova's own code and trusted everywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

#: The microversion Nova 34 sends ``GET /allocation_candidates`` with (same_subtree).
CANDIDATES_VERSION = '1.36'


@dataclass
class RequestGroup:
    """One request group. ``suffix`` None is the unnumbered group, whose resource classes
    may each come from a different provider of the tree; a numbered group takes all its
    resources from one provider."""

    suffix: str | None
    #: Resource class → units, in the order the request names them (Limited By's order).
    resources: dict[str, int] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    #: Why the group exists, for ``--explain``: ``flavor``, ``extra spec resources1``,
    #: ``PCI alias gpu (device 1 of 2)``.
    origin: str = 'flavor'
    #: The alias a PCI group was made for (None for any other group).
    alias: str | None = None

    @property
    def numbered(self) -> bool:
        return self.suffix is not None

    def is_empty(self) -> bool:
        return not (self.resources or self.required or self.forbidden)

    def query(self) -> list[tuple[str, str]]:
        """This group's ``resources[$S]``/``required[$S]`` parameters, as Nova writes them."""
        suffix = self.suffix or ''
        params = []
        if self.resources:
            params.append((f'resources{suffix}', ','.join(
                f'{rc}:{amount}' for rc, amount in sorted(self.resources.items()))))
        traits = sorted(self.required) + [f'!{t}' for t in sorted(self.forbidden)]
        if traits:
            params.append((f'required{suffix}', ','.join(traits)))
        return params


@dataclass
class PlacementRequest:
    """Everything one server of a flavor asks Placement for."""

    groups: list[RequestGroup] = field(default_factory=list)
    group_policy: str | None = None
    root_required: set[str] = field(default_factory=set)
    root_forbidden: set[str] = field(default_factory=set)
    same_subtree: list[list[str]] = field(default_factory=list)
    #: Aggregates of the unnumbered group: every inner list is an "in:" (any of them),
    #: all inner lists must hold (an availability zone's aggregates, ``--aggregate``).
    member_of: list[list[str]] = field(default_factory=list)
    #: What the flavor asks that this translation does not count, for ``--explain``.
    not_counted: list[str] = field(default_factory=list)
    #: Why Placement would refuse the query itself (e.g. two numbered groups of the
    #: flavor without ``group_policy``); None when it is a valid query.
    invalid: str | None = None
    #: PCI aliases the flavor names that were not given (their groups are missing).
    unknown_aliases: list[str] = field(default_factory=list)

    def group(self, suffix: str | None) -> RequestGroup:
        """The group with ``suffix``, made (empty) if the request has none yet."""
        for group in self.groups:
            if group.suffix == suffix:
                return group
        made = RequestGroup(suffix)
        self.groups.append(made)
        return made

    def resource_order(self) -> list[str]:
        """Every resource class asked for, in request order (first mention wins)."""
        order: list[str] = []
        for group in self.groups:
            order.extend(rc for rc in group.resources if rc not in order)
        return order

    def merged_resources(self) -> dict[str, int]:
        """Units of each class one server takes in all, whatever group asks them."""
        merged: dict[str, int] = {}
        for group in self.groups:
            for rc, amount in group.resources.items():
                merged[rc] = merged.get(rc, 0) + amount
        return merged

    def query(self, *, in_tree: str | None = None, limit: int | None = None,
              every_group_in_tree: bool = True) -> str:
        """The ``GET /allocation_candidates`` query string, sorted as Nova sorts it.
        ``in_tree`` confines the answer to one host's tree (on every group unless
        ``every_group_in_tree`` is False, as Nova does for a target host)."""
        params: list[tuple[str, str]] = []
        if limit is not None:
            params.append(('limit', str(limit)))
        if self.group_policy is not None:
            params.append(('group_policy', self.group_policy))
        if self.root_required or self.root_forbidden:
            params.append(('root_required', ','.join(
                sorted(self.root_required) + [f'!{t}' for t in sorted(self.root_forbidden)])))
        for suffixes in self.same_subtree:
            params.append(('same_subtree', ','.join(sorted(suffixes))))
        for group in self.groups:
            params.extend(group.query())
            suffix = group.suffix or ''
            if group.suffix is None:
                for ored in self.member_of:
                    params.append(('member_of', 'in:' + ','.join(sorted(ored))))
            if in_tree is not None and (every_group_in_tree or group.suffix is None):
                params.append((f'in_tree{suffix}', in_tree))
        return urlencode(sorted(params))
