"""What capacity says of one host and one flavor: a number, what stops the next server,
and the stages of the decision (``--explain``).

``Limited By`` is a closed vocabulary, so that scripts can match it:

- a resource class (``VCPU``, ``MEMORY_MB``, ``CUSTOM_PCI_10DE_1EB8``…): it runs out first;
- ``disabled``: the compute service is disabled (``COMPUTE_STATUS_DISABLED`` on the root);
- ``down``: the compute service is down (``os-services``);
- ``missing trait T`` / ``forbidden trait T``: no provider that could serve has T, or
  every one has it (including the root's ``root_required``);
- ``no provider of RC``: nothing in the tree has inventory of RC (or none whose
  min_unit/max_unit/step_size allow the amount asked);
- ``not in aggregate``: the host is outside the availability zone or aggregate asked for;
- ``invalid request``: Placement would refuse the query itself;
- ``PCI not reported``: the flavor asks PCI devices and this cloud reports them nowhere;
- ``unknown alias A``: the flavor names a PCI alias that was not given (``--pci-alias``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

DISABLED = 'disabled'
DOWN = 'down'
NOT_IN_AGGREGATE = 'not in aggregate'
INVALID_REQUEST = 'invalid request'
PCI_NOT_REPORTED = 'PCI not reported'


def missing_trait(trait: str) -> str:
    return f'missing trait {trait}'


def forbidden_trait(trait: str) -> str:
    return f'forbidden trait {trait}'


def no_provider_of(rc: str) -> str:
    return f'no provider of {rc}'


def unknown_alias(alias: str) -> str:
    return f'unknown alias {alias}'


@dataclass
class Stage:
    """One step of the decision, as ``--explain`` tells it."""

    name: str       # e.g. 'host enabled', 'VCPU', 'group 1 (PCI alias gpu, device 1 of 1)'
    ok: bool | None  # None: not judged (e.g. not counted)
    detail: str


@dataclass
class Fit:
    """How many more servers of one request one host holds."""

    #: The largest k such that k servers' worth of every group fits at once; None when
    #: it cannot be known (PCI not reported, unknown alias).
    fits: int | None
    #: Every reason the next server does not fit, most telling first (the column shows
    #: the first): vocabulary above.
    limited_by: list[str] = field(default_factory=list)
    #: Resource class → free units in the host's tree, for the classes the request asks.
    free: dict[str, int] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
