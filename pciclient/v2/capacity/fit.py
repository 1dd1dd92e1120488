"""How many servers of one request one host tree holds at once, and what runs out first.

Pure arithmetic on a :class:`~.trees.HostTree` as Placement reported it, following what
Placement 16 (microversion 1.36) does for ``GET /allocation_candidates`` with ``in_tree``
the host (``placement/objects/allocation_candidate.py``, ``research_context.py``):

- a provider serves an amount of a class when ``used + amount <= (total - reserved) ×
  allocation_ratio`` and ``min_unit <= amount <= max_unit``, ``amount % step_size == 0``;
  when several groups of one server land on one provider, their sum must stay within
  ``max_unit`` and the capacity (``exceeds_capacity`` at the merge);
- ``root_required`` (``!COMPUTE_STATUS_DISABLED`` from Nova) is judged on the root only;
- a numbered group takes all its resources from one provider holding all its required
  traits and none of its forbidden ones;
- the unnumbered group takes each class whole from one provider (never split), classes
  from any providers of the tree; its required traits are judged on the union of the
  providers it takes from, a forbidden trait on none of them;
- ``group_policy=isolate`` puts the numbered groups of one server on distinct providers;
  the unnumbered group is not part of it.

``same_subtree`` is not judged (named in the stages), so Fits may be too high there.
Fits is the most servers the tree holds at once; a scheduler claiming Placement's first
candidate each time can fall short of it where groups compete (seen: a group that may
use either PF handed the PF another group needs). Where Placement 16 itself miscounts
merged candidates, :func:`merge_caveat` says so.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pciclient.v2.capacity import outcome
from pciclient.v2.capacity.outcome import Fit, Stage
from pciclient.v2.capacity.packing import UNBOUNDED, Key, Option, Packer, Problem, Unit
from pciclient.v2.capacity.request import PlacementRequest, RequestGroup
from pciclient.v2.capacity.trees import HostTree, Provider

DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'
#: Provider combinations of the unnumbered group looked at when its traits depend on them.
MAX_COMBINATIONS = 2000


def fit(tree: HostTree, request: PlacementRequest) -> Fit:
    """How many more servers of ``request`` ``tree`` holds, why not one more, and how
    that was decided (``--explain``)."""
    order = request.resource_order()
    result = Fit(fits=None, free={rc: tree.free(rc) for rc in order})
    if request.unknown_aliases:
        names = ', '.join(request.unknown_aliases)
        result.stages.append(Stage('request', None, f'PCI alias not given: {names}; '
                                   'its devices cannot be counted'))
        result.limited_by = [outcome.unknown_alias(a) for a in request.unknown_aliases]
        return result
    if request.invalid:
        result.stages.append(Stage('request', False,
                                   f'Placement refuses the query: {request.invalid}'))
        result.fits, result.limited_by = 0, [outcome.INVALID_REQUEST]
        return result
    if not any(group.resources for group in request.groups):
        result.stages.append(Stage('request', False, 'no resources asked: Placement '
                                   'refuses the query'))
        result.fits, result.limited_by = 0, [outcome.INVALID_REQUEST]
        return result

    blocked = _judge_root(tree, request, result.stages)
    blocked += _judge_aggregates(tree, request, result.stages)
    plan = _Plan(tree, request)
    blocked += plan.judge_groups(result.stages)
    shared = merge_caveat(request)
    if shared:
        result.stages.append(Stage('Placement caveat', None, (
            f'the unnumbered group and a numbered group both ask {", ".join(shared)} with '
            f'group_policy={request.group_policy}: Placement 16 merges such candidates '
            'into shared records and may over-count them, so they fail to claim; Fits '
            'counts what the tree holds')))
    if request.same_subtree:
        groups = '; '.join(','.join(sorted(s)) for s in request.same_subtree)
        result.stages.append(Stage('same_subtree', None, f'not judged ({groups}): Fits '
                                   'counts as if the groups could be anywhere in the tree'))
    if blocked:
        result.fits = 0
        result.limited_by = list(dict.fromkeys(blocked))
        _class_stages(plan, order, {}, result.stages)
        result.stages.append(Stage('fits', False, '0: ' + result.limited_by[0]))
        return result

    if any(judged.too_many for judged in plan.judged):
        _class_stages(plan, order, {}, result.stages)
        result.stages.append(Stage('fits', None, 'not known: too many ways to serve the '
                                   'unnumbered group to count exactly'))
        return result
    packer = Packer(plan.problem())
    result.fits = packer.largest()
    alone = {rc: packer.largest(only=rc) for rc in order}
    rules = _per_server_rules(packer, order) if result.fits == 0 else []
    # When not even one server can be taken from an idle tree, "alone" would say 0 for
    # every class: the classes then tell only free against needed.
    _class_stages(plan, order, {} if rules else alone, result.stages)
    method = ('max-flow' if packer.method == 'flow' else 'exact search') + (
        ', isolate' if request.group_policy == 'isolate' else '')
    if result.fits is None:
        result.stages.append(Stage('fits', None, f'not known: the exact search gave up '
                                   f'after {packer.steps} steps ({method})'))
        return result
    if rules:
        result.stages.append(Stage('one server', False, 'cannot be placed even on an idle '
                                   f'host: {_rules_text(request)} ({", ".join(rules)})'))
    result.limited_by = rules or _limiting_classes(packer, order, alone, result.fits)
    result.stages.append(Stage('fits', result.fits > 0, f'{result.fits} at once ({method})'
                               + (f'; next stopped by {", ".join(result.limited_by)}'
                                  if result.limited_by else '')))
    return result


def merge_caveat(request: PlacementRequest) -> list[str]:
    """Classes for which Placement 16's answer is unreliable: unless ``group_policy`` is
    ``none``, ``_consolidate_allocation_requests`` adds the amounts of two groups taking
    one class from one provider into the *shared* record of the first
    (``copy_arr_if_needed`` copies only under ``none``), so later candidates carry
    inflated amounts (seen: 3 VFs asked of a provider of 1) and fail to claim. Only the
    unnumbered group can meet a numbered one on a provider then (isolate keeps numbered
    groups apart; without a policy there is at most one)."""
    if request.group_policy == 'none':
        return []
    unnumbered = {rc for g in request.groups if not g.numbered for rc in g.resources}
    numbered = {rc for g in request.groups if g.numbered for rc in g.resources}
    return [rc for rc in request.resource_order() if rc in unnumbered & numbered]


def _judge_root(tree: HostTree, request: PlacementRequest, stages: list[Stage]) -> list[str]:
    """``root_required``: Placement's anchor filter, on the root provider only."""
    blocked = []
    traits = tree.root.traits
    if DISABLED_TRAIT in request.root_forbidden:
        disabled = DISABLED_TRAIT in traits
        stages.append(Stage('host enabled', not disabled,
                            f'{DISABLED_TRAIT} on the root' if disabled
                            else f'no {DISABLED_TRAIT} on the root'))
        if disabled:
            blocked.append(outcome.DISABLED)
    missing = sorted(request.root_required - traits)
    present = sorted((request.root_forbidden - {DISABLED_TRAIT}) & traits)
    if request.root_required or request.root_forbidden - {DISABLED_TRAIT}:
        problems = [f'missing {t}' for t in missing] + [f'has {t}' for t in present]
        stages.append(Stage('root traits', not problems,
                            '; '.join(problems) if problems else 'as required'))
    blocked += [outcome.missing_trait(t) for t in missing]
    blocked += [outcome.forbidden_trait(t) for t in present]
    return blocked


def _judge_aggregates(tree: HostTree, request: PlacementRequest,
                      stages: list[Stage]) -> list[str]:
    """``member_of`` (an availability zone, ``--aggregate``): the root's aggregates stand
    for the whole tree, as Placement's ``filter_by_rp_or_tree`` lets them."""
    if not request.member_of:
        return []
    if tree.aggregates is None:
        stages.append(Stage('aggregates', None, 'not judged: aggregates not read'))
        return []
    outside = [ored for ored in request.member_of if not set(ored) & tree.aggregates]
    stages.append(Stage('aggregates', not outside, 'member of every aggregate asked'
                        if not outside else 'in none of ' + ', '.join(sorted(outside[0]))))
    return [outcome.NOT_IN_AGGREGATE] if outside else []


@dataclass
class _Judged:
    """One request group: the providers that can serve it, and why the others cannot."""

    group: RequestGroup
    units: list[Unit] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)   # reason → names
    servers: list[str] = field(default_factory=list)               # provider names
    #: Too many ways to serve it to count exactly.
    too_many: bool = False

    def refuse(self, provider: Provider, reason: str) -> None:
        self.refusals.setdefault(reason, []).append(provider.name)


class _Plan:
    """The request's groups turned into packing units for one tree."""

    def __init__(self, tree: HostTree, request: PlacementRequest) -> None:
        self.tree = tree
        self.request = request
        self.judged: list[_Judged] = []
        self.max_unit: dict[Key, int] = {}
        self.free: dict[Key, int] = {}
        for provider in tree.providers:
            for rc, inventory in provider.inventories.items():
                key = (provider.uuid, rc)
                self.free[key] = provider.free(rc)
                self.max_unit[key] = (inventory.total if inventory.max_unit is None
                                      else inventory.max_unit)

    def problem(self) -> Problem:
        units = [unit for judged in self.judged for unit in judged.units]
        return Problem(units=units, free=self.free, max_unit=self.max_unit)

    def judge_groups(self, stages: list[Stage]) -> list[str]:
        blocked: list[str] = []
        for group in self.request.groups:
            if not group.resources:
                if not group.is_empty():
                    stages.append(Stage(_label(group), None, 'no resources: not judged'))
                continue
            judged = self._numbered(group) if group.numbered else self._unnumbered(group)
            self.judged.append(judged)
            blocked += judged.blocked
            stages.append(Stage(_label(group), not judged.blocked, _detail(judged)))
        return blocked

    def _serves(self, provider: Provider, rc: str, amount: int, judged: _Judged,
                *, tell_missing: bool = True) -> bool:
        inventory = provider.inventories.get(rc)
        if inventory is None:
            if tell_missing:
                judged.refuse(provider, f'no {rc}')
            return False
        if not inventory.accepts(amount):
            max_unit = inventory.total if inventory.max_unit is None else inventory.max_unit
            judged.refuse(provider, f'{rc} {amount} outside min_unit {inventory.min_unit}/'
                          f'max_unit {max_unit}/step_size {inventory.step_size}')
            return False
        return True

    def _numbered(self, group: RequestGroup) -> _Judged:
        judged = _Judged(group)
        with_resources: list[Provider] = []
        options = []
        for provider in self.tree.providers:
            if not all(self._serves(provider, rc, amount, judged)
                       for rc, amount in group.resources.items()):
                continue
            with_resources.append(provider)
            missing = sorted(group.required - provider.traits)
            present = sorted(group.forbidden & provider.traits)
            if missing:
                judged.refuse(provider, f'missing trait {missing[0]}')
            elif present:
                judged.refuse(provider, f'has trait {present[0]}')
            else:
                judged.servers.append(provider.name)
                options.append(Option(tuple(((provider.uuid, rc), amount) for rc, amount
                                            in group.resources.items()), provider.uuid))
        isolated = self.request.group_policy == 'isolate'
        judged.units.append(Unit(_label(group), options, isolated=isolated))
        if not options:
            judged.blocked.append(self._why_none(group, with_resources))
        return judged

    def _why_none(self, group: RequestGroup, with_resources: list[Provider]) -> str:
        """The one word for a group no provider can serve, first cause first."""
        if not with_resources:
            candidates = list(self.tree.providers)
            for rc, amount in group.resources.items():
                candidates = [p for p in candidates if rc in p.inventories
                              and p.inventories[rc].accepts(amount)]
                if not candidates:
                    return outcome.no_provider_of(rc)
        candidates = with_resources
        for trait in sorted(group.required):
            candidates = [p for p in candidates if trait in p.traits]
            if not candidates:
                return outcome.missing_trait(trait)
        present = sorted({t for p in candidates for t in group.forbidden & p.traits})
        return outcome.forbidden_trait(present[0])

    def _unnumbered(self, group: RequestGroup) -> _Judged:
        """Each class from one provider; traits on the union of the providers taken."""
        judged = _Judged(group)
        per_class: dict[str, list[Provider]] = {}
        for rc, amount in group.resources.items():
            per_class[rc] = []
            having = [p for p in self.tree.providers
                      if self._serves(p, rc, amount, judged, tell_missing=False)]
            for provider in having:
                present = sorted(group.forbidden & provider.traits)
                if present:
                    judged.refuse(provider, f'has trait {present[0]}')
                else:
                    per_class[rc].append(provider)
            if not having:
                judged.blocked.append(outcome.no_provider_of(rc))
            elif not per_class[rc]:
                present = sorted({t for p in having for t in group.forbidden & p.traits})
                judged.blocked.append(outcome.forbidden_trait(present[0]))
        judged.servers = [f'{rc} from {"/".join(p.name for p in providers) or "none"}'
                          for rc, providers in per_class.items()]
        if judged.blocked:
            judged.units.append(Unit(_label(group), []))
            return judged
        # A required trait every candidate of some class carries holds in every
        # combination: then the classes are independent units.
        if all(any(all(t in p.traits for p in providers) for providers in per_class.values())
               for t in group.required):
            for rc, providers in per_class.items():
                amount = group.resources[rc]
                judged.units.append(Unit(f'{_label(group)} {rc}', [
                    Option((((p.uuid, rc), amount),)) for p in providers]))
            return judged
        combos = []
        for choice in itertools.islice(itertools.product(*per_class.values()),
                                       MAX_COMBINATIONS + 1):
            if group.required <= set().union(*(p.traits for p in choice)):
                combos.append(Option(tuple(((p.uuid, rc), group.resources[rc])
                                           for rc, p in zip(per_class, choice, strict=True))))
        if len(combos) > MAX_COMBINATIONS:
            judged.too_many = True
            judged.refusals[f'more than {MAX_COMBINATIONS} provider combinations'] = []
        judged.units.append(Unit(_label(group), combos))
        if not combos:
            covered = set().union(*(p.traits for ps in per_class.values() for p in ps))
            lacking = sorted(group.required - covered) or sorted(group.required)
            judged.blocked.append(outcome.missing_trait(lacking[0]))
        return judged


def _label(group: RequestGroup) -> str:
    name = f'group {group.suffix}' if group.numbered else 'unnumbered group'
    return f'{name} ({group.origin})'


def _detail(judged: _Judged) -> str:
    parts = ['served by ' + (', '.join(judged.servers) if judged.servers else 'no provider')]
    for reason, names in judged.refusals.items():
        parts.append(f'{reason}: {", ".join(dict.fromkeys(names))}' if names else reason)
    return '; '.join(parts)


def _class_stages(plan: _Plan, order: list[str], alone: dict[str, int | None],
                  stages: list[Stage]) -> None:
    """Per class: free units in the tree against one server's need, and how many servers
    that class alone would let in."""
    needed = plan.request.merged_resources()
    for rc in order:
        free = plan.tree.free(rc)
        detail = f'{free} free, {needed[rc]} per server'
        count = alone.get(rc)
        if rc in alone:
            detail += f': {count} alone' if count is not None else ': not known'
        ok = (count > 0) if count is not None else (free >= needed[rc])
        stages.append(Stage(rc, ok, detail))


def _limiting_classes(packer: Packer, order: list[str], alone: dict[str, int | None],
                      fits: int) -> list[str]:
    """The classes that stop one more server, in request order: those that alone allow
    no more than ``fits``; failing that (classes that only bind together), those whose
    removal would let more in."""
    named = [rc for rc in order if alone[rc] is not None and alone[rc] == fits]
    if named:
        return named
    relaxed = [rc for rc in order if _largest_without(packer, rc) != fits]
    if relaxed:
        return relaxed
    known = [count for count in alone.values() if count is not None]
    return [rc for rc in order if known and alone[rc] == min(known)]


def _per_server_rules(packer: Packer, order: list[str]) -> list[str]:
    """When not one server fits on the idle host, the classes whose per-server rules
    (``max_unit`` of a merged take, ``isolate``) forbid it; empty when it is free units
    that lack."""
    problem = packer.problem
    if packer.one_fits_idle() is not False:
        return []
    named = []
    for rc in order:
        units = [Unit(u.name, u.options, u.isolated and not any(
            key[1] == rc for option in u.options for key, _ in option.takes))
            for u in problem.units]
        max_unit = {key: amount for key, amount in problem.max_unit.items() if key[1] != rc}
        if Packer(Problem(units, problem.free, max_unit)).one_fits_idle():
            named.append(rc)
    return named or list(order)


def _rules_text(request: PlacementRequest) -> str:
    if request.group_policy == 'isolate':
        return 'group_policy=isolate wants distinct providers, or max_unit bounds one take'
    return 'max_unit bounds what one server takes from one provider'


def _largest_without(packer: Packer, rc: str) -> int | None:
    """Fits with ``rc`` unconstrained and every other class as it is."""
    problem = packer.problem
    free = {key: (amount if key[1] != rc else UNBOUNDED)
            for key, amount in problem.free.items()}
    relaxed = Packer(Problem(units=problem.units, free=free, max_unit=problem.max_unit))
    return relaxed.largest()
