"""``GET /resource_providers`` query parameters: checked per microversion, applied via indexes.

Placement validates the query string against a JSON schema chosen by
microversion, so a parameter newer than the request's version is "unexpected"
(400), as is any unknown one: ``name``/``uuid`` (1.0), ``member_of`` (1.3),
``resources`` (1.4), ``in_tree`` (1.14), ``required`` (1.18; ``!TRAIT`` from
1.22; ``in:A,B`` and repeated ``required`` from 1.39). Filters are ANDed.

``member_of`` matches the providers that are members themselves (the compute nodes
of the scenario's aggregates; Placement does not extend it to their children here).
Which traits
exist is known only partly (os-traits is not copied here): traits some
provider has, and any standard-looking name (no ``CUSTOM_`` prefix) count as
known; an unknown one is Placement's 400 "No such trait(s)".
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from pciclient.fakeserver.placement.errors import PlacementBadRequest
from pciclient.fakeserver.placement.microversion import Microversion
from pciclient.fakeserver.placement.params import member_of_values, resources_value
from pciclient.fakeserver.placement.provider_tree import ProviderTree, ResourceProvider

__all__ = ['filter_providers', 'known_trait']

# Parameter -> the first 1.x microversion accepting it.
_SINCE = {'name': 0, 'uuid': 0, 'member_of': 3, 'resources': 4, 'in_tree': 14, 'required': 18}
_FORBIDDEN_TRAITS_MINOR = 22
_ANY_TRAITS_MINOR = 39
_NAME_MAX = 200
_TRAIT_RE = re.compile(r'^[A-Z0-9_]+$')
# JSON schema's "uuid" format as Placement checks it: dashed, either case.
_UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                      r'[0-9a-fA-F]{12}$')

Predicate = Callable[[ResourceProvider], bool]


def _bad(message: str) -> PlacementBadRequest:
    return PlacementBadRequest(f'Invalid query string parameters: {message}')


def _check_known(query: Sequence[tuple[str, str]], version: Microversion) -> None:
    unexpected: list[str] = []
    for key, _ in query:
        since = _SINCE.get(key)
        if (since is None or not version.at_least(since)) and key not in unexpected:
            unexpected.append(key)
    if unexpected:
        verb = 'was' if len(unexpected) == 1 else 'were'
        listed = ', '.join(repr(key) for key in unexpected)
        raise _bad(f'Additional properties are not allowed ({listed} {verb} unexpected)')


def _uuid(value: str) -> str:
    if not _UUID_RE.match(value):
        raise _bad(f"{value!r} is not a 'uuid'")
    return value


class _Selection:
    """Ascending position lists to intersect, and predicates every survivor must pass."""

    def __init__(self, tree: ProviderTree) -> None:
        self.tree = tree
        self.lists: list[Sequence[int]] = []
        self.predicates: list[Predicate] = []

    def only(self, positions: Sequence[int]) -> None:
        self.lists.append(positions)

    def where(self, predicate: Predicate) -> None:
        self.predicates.append(predicate)

    def positions(self) -> list[int]:
        providers = self.tree.providers
        if self.lists:
            smallest = min(self.lists, key=len)
            others = [set(found) for found in self.lists if found is not smallest]
            candidates: Iterable[int] = (p for p in smallest if all(p in o for o in others))
        else:
            candidates = range(len(providers))
        predicates = self.predicates
        if not predicates:
            return list(candidates)
        return [p for p in candidates if all(test(providers[p]) for test in predicates)]


def _one(position: int | None) -> Sequence[int]:
    return () if position is None else (position,)


def _last(query: Sequence[tuple[str, str]], key: str) -> str | None:
    values = [value for name, value in query if name == key]
    return values[-1] if values else None


def _member_of(values: list[str], version: Microversion, selection: _Selection) -> None:
    """Providers that are members themselves: of one of each ``in:`` list, of none refused."""
    required, forbidden = member_of_values(values, version)
    tree = selection.tree
    for any_of in required:
        selection.only(sorted({p for aggregate in any_of for p in tree.in_aggregate(aggregate)}))
    if forbidden:
        selection.where(lambda provider: not (provider.aggregates & forbidden))


def _resources(value: str, tree: ProviderTree, selection: _Selection) -> None:
    wanted = resources_value(value)
    for rc in wanted:
        if rc not in tree.resource_classes:
            raise PlacementBadRequest('Invalid resource class in resources parameter: '
                                      f'No such resource class {rc}.')

    def has_room(provider: ResourceProvider) -> bool:
        for rc, amount in wanted.items():
            record = provider.inventories.get(rc)
            if record is None or not record.fits(provider.usages.get(rc, 0), amount):
                return False
        return True
    selection.where(has_room)


def known_trait(tree: ProviderTree, name: str) -> bool:
    if tree.has_trait_anywhere(name):
        return True
    return bool(_TRAIT_RE.match(name)) and not name.startswith('CUSTOM_')


def _required(values: list[str], version: Microversion, tree: ProviderTree,
              selection: _Selection) -> None:
    allow_forbidden = version.at_least(_FORBIDDEN_TRAITS_MINOR)
    allow_any = version.at_least(_ANY_TRAITS_MINOR)
    if not allow_any:
        values = values[-1:]
    form = 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' if allow_forbidden else 'HW_CPU_X86_VMX,CUSTOM_MAGIC'
    required: set[str] = set()
    forbidden: set[str] = set()
    any_of: list[set[str]] = []
    any_form = 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC'
    for value in values:
        if value.startswith('in:') and not allow_any:
            raise _bad(f"The format '{any_form}' only supported since microversion 1.39. "
                       f'Got: {value}')
        any_group = value.startswith('in:')
        items = [item.strip() for item in (value[3:] if any_group else value).split(',')]
        if not all(items):
            expected = any_form if any_group else form
            raise _bad(f"Expected 'required' parameter value of the form: {expected}. "
                       f'Got an empty trait in: {value}')
        if any_group and any(item.startswith('!') for item in items):
            raise _bad(f"The format '{any_form}' does not support forbidden traits. "
                       f'Got: {value}')
        if not allow_forbidden and any(item.startswith('!') for item in items):
            raise _bad(f"Expected 'required' parameter value of the form: {form}. "
                       f'Got: {value}')
        unknown = [item.lstrip('!') for item in items
                   if not known_trait(tree, item.lstrip('!'))]
        if unknown:  # Placement names the first one
            raise PlacementBadRequest('Invalid trait(s) in "required" parameter: '
                                      f'No such trait(s): {unknown[0]}.')
        if any_group:
            any_of.append(set(items))
            continue
        for item in items:
            if item.startswith('!'):
                forbidden.add(item[1:])
            else:
                required.add(item)
    for trait in sorted(required):
        selection.only(tree.with_trait(trait))
    for group in any_of:
        selection.only(sorted(set().union(*(tree.with_trait(t) for t in group))))
    if forbidden:
        selection.where(lambda provider: not (provider.traits & forbidden))


def filter_providers(query: Sequence[tuple[str, str]], version: Microversion,
                     tree: ProviderTree) -> list[ResourceProvider]:
    """The providers a ``GET /resource_providers`` answers, in Placement's order."""
    _check_known(query, version)
    selection = _Selection(tree)
    name = _last(query, 'name')
    if name is not None:
        if len(name) > _NAME_MAX:
            raise _bad(f'{name!r} is too long')
        selection.only(_one(tree.named(name)))
    wanted_uuid = _last(query, 'uuid')
    if wanted_uuid is not None:
        selection.only(_one(tree.position(_uuid(wanted_uuid))))
    in_tree = _last(query, 'in_tree')
    if in_tree is not None:
        selection.only(tree.tree_of(_uuid(in_tree)))
    member_of = [value for key, value in query if key == 'member_of']
    if member_of:
        _member_of(member_of, version, selection)
    resources = _last(query, 'resources')
    if resources is not None:
        _resources(resources, tree, selection)
    required = [value for key, value in query if key == 'required']
    if required:
        _required(required, version, tree, selection)
    providers = tree.providers
    return [providers[position] for position in selection.positions()]
