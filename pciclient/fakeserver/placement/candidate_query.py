"""``GET /allocation_candidates``: its query string read into request groups, per microversion.

Placement (``handlers/allocation_candidate.py``, ``lib.py``) first checks the query
against the JSON schema of the microversion (1.10 ``resources``; 1.16 ``limit``; 1.17
``required``; 1.21 ``member_of``; 1.25 numbered groups ``resourcesN``/``requiredN``/
``member_ofN`` and ``group_policy``; 1.31 ``in_treeN``; 1.33 string suffixes of 1 to 64
``[a-zA-Z0-9_-]``; 1.35 ``root_required``; 1.36 ``same_subtree``), then reads the
request-wide parameters, then the groups in query order, then checks them as a whole:
orphaned ``required``/``member_of`` before 1.36, resourceless groups outside
``same_subtree`` from 1.36, traits both required and forbidden from 1.22, and a
``group_policy`` whenever two or more numbered groups are asked. Schema errors carry
the first line of jsonschema's message only.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pciclient.fakeserver.placement.errors import PlacementBadRequest
from pciclient.fakeserver.placement.microversion import Microversion
from pciclient.fakeserver.placement.params import (
    in_tree_value,
    member_of_values,
    resources_value,
    traits_values,
)

__all__ = ['CandidateRequest', 'Group', 'parse_candidate_query']

Query = Sequence[tuple[str, str]]
_NUMBERED = r'[1-9][0-9]*'
_NAMED = r'[a-zA-Z0-9_-]{1,64}'
_LIMIT_RE = re.compile(r'^[1-9][0-9]*$')
_POLICIES = ('none', 'isolate')


@dataclass
class Group:
    """One request group: the unnumbered one (``suffix`` ``''``) may take its resources
    from several providers of a tree, a numbered one from one provider."""

    suffix: str
    resources: dict[str, int] = field(default_factory=dict)
    required: list[frozenset[str]] = field(default_factory=list)   # any-of sets, ANDed
    forbidden: frozenset[str] = frozenset()
    member_of: list[frozenset[str]] = field(default_factory=list)  # any-of sets, ANDed
    forbidden_aggregates: frozenset[str] = frozenset()
    in_tree: str | None = None

    @property
    def same_provider(self) -> bool:
        return bool(self.suffix)


@dataclass
class CandidateRequest:
    groups: dict[str, Group]
    limit: int | None = None
    group_policy: str | None = None
    root_required: frozenset[str] = frozenset()
    root_forbidden: frozenset[str] = frozenset()
    same_subtrees: list[frozenset[str]] = field(default_factory=list)
    nested_aware: bool = True           # 1.29: trees, not just single providers
    summaries_all_classes: bool = True  # 1.27: every class in provider summaries
    summaries_traits: bool = True       # 1.17
    summaries_tree: bool = True         # 1.29: parent and root in provider summaries
    mappings: bool = True               # 1.34
    dict_requests: bool = True          # 1.12: allocations keyed by provider


def _bad(message: str) -> PlacementBadRequest:
    return PlacementBadRequest(f'Invalid query string parameters: {message}')


def _prefixes(version: Microversion) -> list[str]:
    return ['resources', 'required', 'member_of'] + (['in_tree'] if version.at_least(31) else [])


def _group_regexes(version: Microversion) -> list[str]:
    """The schema's ``patternProperties``, sorted as jsonschema names them."""
    suffix = _NAMED if version.at_least(33) else _NUMBERED
    return sorted(f'^{prefix}({suffix})?$' for prefix in _prefixes(version))


def _key_pattern(version: Microversion) -> re.Pattern[str]:
    suffix = _NAMED if version.at_least(33) else _NUMBERED
    return re.compile(rf'^({"|".join(_prefixes(version))})({suffix})?$')


def _check_schema(query: Query, version: Microversion) -> None:
    last = dict(query)  # what jsonschema sees: the last value of each key
    if version.at_least(25):
        fixed = {'limit', 'group_policy'}
        fixed |= {'root_required'} if version.at_least(35) else set()
        fixed |= {'same_subtree'} if version.at_least(36) else set()
        pattern = _key_pattern(version)
        extra = [key for key in last if key not in fixed and not pattern.match(key)]
    else:
        known = {'resources'} | ({'limit'} if version.at_least(16) else set())
        known |= {'required'} if version.at_least(17) else set()
        known |= {'member_of'} if version.at_least(21) else set()
        extra = [key for key in last if key not in known]
    # jsonschema's best match: errors of the whole query before those of one parameter,
    # the schema's "required" before its "additionalProperties".
    if not version.at_least(25) and 'resources' not in last:
        raise _bad("'resources' is a required property")
    if extra and version.at_least(25):  # jsonschema's words where patterns are allowed
        verb = 'does' if len(extra) == 1 else 'do'
        regexes = ', '.join(repr(p) for p in _group_regexes(version))
        raise _bad(f'{", ".join(repr(key) for key in extra)} {verb} not match any of the '
                   f'regexes: {regexes}')
    if extra:
        verb = 'was' if len(extra) == 1 else 'were'
        raise _bad(f'Additional properties are not allowed '
                   f'({", ".join(repr(key) for key in extra)} {verb} unexpected)')
    if 'limit' in last and not _LIMIT_RE.match(last['limit']):
        raise _bad(f"'{last['limit']}' does not match '^[1-9][0-9]*$'")
    if 'group_policy' in last and last['group_policy'] not in _POLICIES:
        raise _bad(f"'{last['group_policy']}' is not one of ['none', 'isolate']")


def _values(query: Query, key: str) -> list[str]:
    return [value for name, value in query if name == key]


def _request_wide(query: Query, version: Microversion, request: CandidateRequest) -> None:
    limits = _values(query, 'limit')
    request.limit = int(limits[0]) if limits else None
    policies = _values(query, 'group_policy')
    request.group_policy = policies[0] if policies else None
    roots = _values(query, 'root_required')
    if roots:
        if len(roots) > 1:
            raise PlacementBadRequest("Query parameter 'root_required' may be specified "
                                      'only once.')
        required, forbidden = traits_values(roots, version, allow_forbidden=True,
                                            allow_any=False)
        wanted = frozenset().union(*required) if required else frozenset()
        conflicts = wanted & forbidden
        if conflicts:
            raise PlacementBadRequest('Conflicting required and forbidden traits found in '
                                      f'root_required: {", ".join(sorted(conflicts))}')
        request.root_required, request.root_forbidden = wanted, forbidden
    for value in _values(query, 'same_subtree'):
        suffixes = frozenset(item.strip() for item in value.split(','))
        if '' in suffixes:
            raise PlacementBadRequest('Empty string (unsuffixed group) can not be specified '
                                      'in `same_subtree` ')
        request.same_subtrees.append(suffixes)


def _groups(query: Query, version: Microversion) -> dict[str, Group]:
    pattern = _key_pattern(version)
    groups: dict[str, Group] = {}
    for key, value in query:
        match = pattern.match(key)
        if not match:
            continue
        prefix, suffix = match.group(1), match.group(2) or ''
        group = groups.setdefault(suffix, Group(suffix))
        if prefix == 'resources':
            group.resources = resources_value(value)
        elif prefix == 'required':
            group.required, group.forbidden = traits_values(
                _values(query, 'required' + suffix), version)
        elif prefix == 'member_of':
            group.member_of, group.forbidden_aggregates = member_of_values(
                _values(query, 'member_of' + suffix), version, suffix)
        else:
            group.in_tree = in_tree_value(value)
    return groups


def _check_groups(groups: dict[str, Group], request: CandidateRequest,
                  version: Microversion) -> None:
    if version.at_least(36):
        resourceless = sorted(s for s, g in groups.items() if not g.resources)
        in_subtrees = frozenset().union(*request.same_subtrees)
        if len(resourceless) == len(groups):
            raise PlacementBadRequest('There must be at least one resources or '
                                      'resources[$S] parameter.')
        bad = [suffix for suffix in resourceless if suffix not in in_subtrees]
        if bad:
            raise PlacementBadRequest('Resourceless suffixed group request should be specified '
                                      f'in `same_subtree` query param: bad group(s) - {bad}.')
        missing = [suffix for suffix in sorted(in_subtrees) if suffix not in groups]
        if missing:
            raise PlacementBadRequest(f'Real suffixes should be specified in `same_subtree`: '
                                      f'{missing} not found in {list(groups)}.')
    else:
        _check_orphans(groups)
    if version.at_least(22):
        conflicting = [f'required{s}: ({", ".join(sorted(any_of))})'
                       for s, g in groups.items() for any_of in g.required
                       if any_of <= g.forbidden]
        if conflicting:
            raise PlacementBadRequest('Conflicting required and forbidden traits found in the '
                                      f'following traits keys: {", ".join(sorted(conflicting))}')


def _check_orphans(groups: dict[str, Group]) -> None:
    orphans = [f'required{s}' for s, g in groups.items() if g.required and not g.resources]
    if orphans:
        raise PlacementBadRequest('All traits parameters must be associated with resources.  '
                                  'Found the following orphaned traits keys: '
                                  f'{", ".join(orphans)}')
    orphans = [f'member_of{s}' for s, g in groups.items()
               if not g.resources and (g.member_of or g.forbidden_aggregates)]
    if orphans:
        raise PlacementBadRequest('All member_of parameters must be associated with resources. '
                                  'Found the following orphaned member_of keys: '
                                  f'{", ".join(orphans)}')
    if not all(group.resources for group in groups.values()):
        raise PlacementBadRequest('All request groups must specify resources.')
    if not groups:
        raise PlacementBadRequest('At least one request group (`resources` or '
                                  '`resources{$S}`) is required.')


def parse_candidate_query(query: Query, version: Microversion) -> CandidateRequest:
    """The request a query string makes, or Placement's 400 for it."""
    _check_schema(query, version)
    request = CandidateRequest(
        groups={}, nested_aware=version.at_least(29),
        summaries_all_classes=version.at_least(27), summaries_traits=version.at_least(17),
        summaries_tree=version.at_least(29), mappings=version.at_least(34),
        dict_requests=version.at_least(12))
    _request_wide(query, version, request)
    groups = _groups(query, version)
    _check_groups(groups, request, version)
    if not request.group_policy and sum(g.same_provider for g in groups.values()) > 1:
        raise PlacementBadRequest('The "group_policy" parameter is required when specifying '
                                  'more than one "resources{N}" parameter.')
    request.groups = groups
    return request
