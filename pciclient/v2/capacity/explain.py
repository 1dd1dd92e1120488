"""The parts of ``--explain`` that belong to the request, not to a host: what the flavor
became, and what no count here can see. Hosts' own stages come from ``fit``."""
from __future__ import annotations

from pciclient.v2.capacity.outcome import Stage
from pciclient.v2.capacity.request import PlacementRequest

#: Why Fits is an upper bound: what decides a boot after (or besides) Placement.
CAVEATS = (
    'NUMA affinity and the PciPassthroughFilter/NUMATopologyFilter checks happen after '
    'Placement and are not judged here',
    'quotas, server groups and [scheduler] max_placement_results can stop a boot too',
)
UPPER_BOUND = 'Fits is an upper bound: ' + '; '.join(CAVEATS)


def _traits(required: set[str], forbidden: set[str]) -> str:
    words = sorted(required) + [f'!{t}' for t in sorted(forbidden)]
    return f' traits {",".join(words)}' if words else ''


def request_stages(request: PlacementRequest) -> list[Stage]:
    """How the flavor was turned into request groups, as Nova 34 does it."""
    stages = []
    for group in request.groups:
        name = 'unnumbered group' if group.suffix is None else f'group {group.suffix}'
        resources = ', '.join(f'{rc}={amount}' for rc, amount in group.resources.items())
        stages.append(Stage(f'request: {name}', True,
                            f'{group.origin}: {resources or "no resources"}'
                            f'{_traits(group.required, group.forbidden)}'))
    if request.group_policy:
        stages.append(Stage('request: group_policy', True, request.group_policy))
    if request.root_required or request.root_forbidden:
        stages.append(Stage('request: root_required', True,
                            _traits(request.root_required, request.root_forbidden).strip()))
    for ored in request.member_of:
        stages.append(Stage('request: member_of', True, 'in:' + ','.join(sorted(ored))))
    for alias in request.unknown_aliases:
        stages.append(Stage(f'request: PCI alias {alias}', False,
                            'not among the aliases given: its devices are not counted'))
    if request.invalid:
        stages.append(Stage('request: valid', False, request.invalid))
    for item in request.not_counted:
        stages.append(Stage('request: not counted', None, item))
    stages.append(Stage('caveat', None, UPPER_BOUND))
    return stages
