"""Every ``pci-cli`` command as hypothesis draws it: options, formats, and the routes it reads."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzz import world as w
from tests.fuzz.harness import WITH_PLACEMENT
from tests.fuzz.wrong_answers import Plan, plans

LIST_FORMATS = ('json', 'json', 'json', 'table', 'csv', 'value', 'yaml')
SHOW_FORMATS = ('json', 'json', 'json', 'table', 'shell', 'value', 'yaml')
PROVIDER_KINDS = ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages', 'rp_traits',
                  'rp_allocations')


@dataclass(frozen=True)
class Command:
    name: str
    shape: type                      # list (Lister) or dict (ShowOne)
    compute: tuple[str, ...]         # the compute routes it may read
    placement: tuple[str, ...]       # the Placement routes it may read
    options: Callable[[w.World], st.SearchStrategy[list[str]]]


def _flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [name]])


def _maybe(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """``[]`` or ``[f'{flag}=VALUE']`` (the ``=`` form keeps odd values out of option parsing)."""
    return st.one_of(st.just([]), values.map(lambda value: [f'{flag}={value}']))


@st.composite
def _pci_list_options(draw, world: w.World) -> list[str]:
    argv = draw(_flag('--long'))
    hosts = st.sampled_from(world.hostnames()) | w.arg_texts() if world.hypervisors \
        else w.arg_texts()
    for flag, values in (
            ('--host', hosts),
            ('--status', st.sampled_from(w.STATUSES)),
            ('--vendor-id', st.sampled_from(['8086', '0x8086', '10DE']) | w.arg_texts()),
            ('--product-id', st.sampled_from(['1520', '0X1EB8']) | w.arg_texts()),
            ('--type', st.sampled_from([*w.DEV_TYPES, 'pf', 'VF', 'pci'])),
            ('--address', w.addresses | w.arg_texts()),
            ('--server', w.server_names(world)),
            ('--limit', st.integers(1, 5).map(str)),
            ('--marker', w.device_keys(world))):
        if draw(st.integers(0, 5)) == 0:   # each filter in one run out of six
            argv += draw(_maybe(flag, values))
    return argv


@st.composite
def _pool_list_options(draw, world: w.World) -> list[str]:
    argv: list[str] = []
    hosts = st.sampled_from(world.hostnames()) | w.arg_texts() if world.hypervisors \
        else w.arg_texts()
    for flag, values in (('--host', hosts), ('--vendor-id', w.hex4 | w.arg_texts()),
                         ('--product-id', w.hex4 | w.arg_texts())):
        if draw(st.integers(0, 3)) == 0:
            argv += draw(_maybe(flag, values))
    return argv


@st.composite
def _hypervisor_show_options(draw, world: w.World) -> list[str]:
    version = draw(st.sampled_from([[], [], ['--os-compute-api-version', '2.53'],
                                    ['--os-compute-api-version', 'latest']]))
    return [*version, 'hypervisor-show', draw(w.hypervisor_keys(world))]


COMMANDS = {
    'pci-list': Command(
        'pci-list', list, ('pci_list', 'pci_detail', 'hyp_list', 'srv_detail', 'srv_get'),
        PROVIDER_KINDS, lambda world: _pci_list_options(world).map(lambda o: ['pci-list', *o])),
    'pci-show': Command(
        'pci-show', dict, ('pci_get', 'hyp_list'), PROVIDER_KINDS,
        lambda world: w.device_keys(world).map(lambda key: ['pci-show', key])),
    'pci-pool-list': Command(
        'pci-pool-list', list, ('hyp_detail',), PROVIDER_KINDS,
        lambda world: _pool_list_options(world).map(lambda o: ['pci-pool-list', *o])),
    'hypervisor-list': Command(
        'hypervisor-list', list, ('hyp_list', 'hyp_detail'), (),
        lambda world: _flag('--long').map(lambda o: ['hypervisor-list', *o])),
    # Where the compute API reports no pools, the host's tree in Placement tells them.
    'hypervisor-show': Command(
        'hypervisor-show', dict, ('version', 'hyp_get', 'hyp_search', 'hyp_detail'),
        PROVIDER_KINDS, _hypervisor_show_options),
    'server-list': Command(
        'server-list', list, ('srv_detail',), PROVIDER_KINDS,
        lambda world: _flag('--all-projects').map(lambda o: ['server-list', *o])),
    'server-show': Command(
        'server-show', dict, ('srv_get', 'srv_detail', 'pci_detail', 'hyp_list'),
        PROVIDER_KINDS + ('allocs',),
        lambda world: st.tuples(w.server_names(world), _flag('--long')).map(
            lambda t: ['server-show', t[0], *t[1]])),
}

#: How the PCI source is chosen: os-pci only, Placement only, or os-pci falling back.
SOURCES = {
    'os-pci': ('--pci-source', 'os-pci'),
    'placement': ('--pci-source', 'placement', *WITH_PLACEMENT),
    'auto': ('--pci-source', 'auto', *WITH_PLACEMENT),
}


@dataclass
class Invocation:
    argv: list[str]
    fmt: str
    plan: Plan
    command: Command


#: Mostly none: a retried answer is the same answer again (the harness does not sleep).
_RETRIES = st.sampled_from([[], [], [], ['--os-retries', '1'], ['--os-retries', '2']])


@st.composite
def invocations(draw, name: str, source: str, mode: str = 'any') -> Invocation:
    """``name`` run with PCI source ``source`` on a world broken as ``mode`` says
    (see :func:`tests.fuzz.wrong_answers.plans`)."""
    command = COMMANDS[name]
    kinds = command.compute + (command.placement if source != 'os-pci' else ())
    os_pci = True if source == 'os-pci' else None
    plan = draw(plans(kinds, os_pci=os_pci, mode=mode))
    argv = draw(command.options(plan.world))
    fmt = draw(st.sampled_from(LIST_FORMATS if command.shape is list else SHOW_FORMATS))
    extra = draw(st.sampled_from([[], [], ['--noindent']])) if fmt == 'json' else []
    retries = draw(_RETRIES)
    return Invocation(argv=[*retries, *SOURCES[source], *argv, '-f', fmt, *extra], fmt=fmt,
                      plan=plan, command=command)
