"""Every ``pci-cli`` command as hypothesis draws it: options, formats, and the routes it reads."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    #: Worlds with what capacity reads (flavors, roots' inventories, aggregates, aliases).
    capacity: bool = False
    #: The PCI sources (SOURCES) worth running it with.
    sources: tuple[str, ...] = ('os-pci', 'placement', 'auto')


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
            # ids that are no 1-4 hex digits are usage errors before any request
            # (tests/unit/test_typo_inputs.py): the fuzz draws ids the cloud is asked for
            ('--vendor-id', st.sampled_from(['8086', '0x8086', '10DE', '1']) | w.hex4),
            ('--product-id', st.sampled_from(['1520', '0X1EB8', '0x1e']) | w.hex4),
            ('--type', st.sampled_from([*w.DEV_TYPES, 'pf', 'VF', 'pci'])),
            # as for ids: an address that is none is a usage error (tests/unit/
            # test_addresses.py); drawn as operators type them (short, slot, any case)
            ('--address', w.addresses | w.addresses.map(lambda a: a[5:].upper())
             | w.addresses.map(lambda a: a[:-2])),
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
    for flag, values in (('--host', hosts), ('--vendor-id', w.hex4),
                         ('--product-id', w.hex4)):
        if draw(st.integers(0, 3)) == 0:
            argv += draw(_maybe(flag, values))
    return argv


@st.composite
def _hypervisor_show_options(draw, world: w.World) -> list[str]:
    version = draw(st.sampled_from([[], [], ['--os-compute-api-version', '2.53'],
                                    ['--os-compute-api-version', 'latest']]))
    return [*version, 'hypervisor-show', draw(w.hypervisor_keys(world))]


RAW_RESOURCES = st.sampled_from(['VCPU=1', 'VCPU=0', 'MEMORY_MB=512', 'DISK_GB=10', 'PCPU=2',
                                  'CUSTOM_GPU_GOLD=1', 'CUSTOM_PCI_10DE_1EB8=1',
                                  'CUSTOM_NEVER_SEEN=1'])
RAW_TRAITS = st.sampled_from(['HW_CPU_X86_AVX2', 'CUSTOM_GOLD', 'COMPUTE_STATUS_DISABLED',
                               'OWNER_NOVA', 'CUSTOM_NONE'])
RAW_ALIASES = st.sampled_from(['gpu:1', 'gpu:2', 'nic:1', 'vf:2', 'other:1'])
#: The --pci-alias file's placeholder (see harness.run): the world's alias file.
ALIAS_FILE = '@aliases.conf@'


def flavor_keys(world: w.World) -> st.SearchStrategy[str]:
    return w.mostly([f['id'] for f in world.flavors] + [f['name'] for f in world.flavors])


def aggregate_keys(world: w.World) -> st.SearchStrategy[str]:
    return w.mostly([key for a in world.aggregates
                     for key in (a['uuid'], a['name'], str(a['id']))])


def zone_names(world: w.World) -> st.SearchStrategy[str]:
    return w.mostly(['nova'] + [a['availability_zone'] for a in world.aggregates
                                if a['availability_zone']])


@st.composite
def _capacity_options(draw, world: w.World) -> list[str]:
    """Flavors or a raw request, where, which view, and the switches; always an argv that
    parses (no usage error, exit 2: argparse's own checks are tested elsewhere)."""
    argv: list[str] = []
    raw = draw(st.integers(0, 4)) == 0
    if raw:
        for flag, values in (('--resources', RAW_RESOURCES), ('--required', RAW_TRAITS),
                             ('--forbidden', RAW_TRAITS), ('--alias', RAW_ALIASES)):
            argv += [f'{flag}={value}' for value in draw(st.lists(values, max_size=2))]
        argv = argv or ['--resources=VCPU=1']
    else:
        argv += [f'--flavor={key}' for key in draw(st.lists(flavor_keys(world), max_size=2))]
    hosts = w.hypervisor_keys(world)
    host = draw(hosts) if draw(st.integers(0, 3)) == 0 else None
    argv += [f'--host={host}'] if host is not None else []
    if draw(st.integers(0, 4)) == 0:
        argv.append(f'--availability-zone={draw(zone_names(world))}')
    if draw(st.integers(0, 4)) == 0:
        argv.append(f'--aggregate={draw(aggregate_keys(world))}')
    view = draw(st.sampled_from(['rows', 'rows', 'summary', 'explain']))
    if view == 'summary':
        argv.append('--summary')
    elif view == 'explain':
        alone = raw or sum(a.startswith('--flavor=') for a in argv) == 1
        argv.append('--explain' if alone and draw(st.booleans())
                    else f'--explain={host if host is not None else draw(hosts)}')
    for flag in ('--verify', '--boot-from-volume'):
        argv += [flag] if draw(st.integers(0, 3)) == 0 else []
    if draw(st.integers(0, 3)) == 0:
        argv.append(f'--min-fits={draw(st.integers(0, 5))}')
    if draw(st.integers(0, 3)) == 0:
        argv.append(f'--pci-in-placement={draw(st.sampled_from(["auto", "yes", "no"]))}')
    if (world.alias_file is not None or world.alias_broken) and draw(st.integers(0, 4)):
        argv.append(f'--pci-alias={ALIAS_FILE}')
    return argv


#: Routes capacity reads: flavors (and their extra specs below 2.61), services,
#: aggregates and zones, hypervisors (pools, down services' nodes); Placement's
#: listings, every provider's inventories and usages (a host's: traits, its root's
#: aggregates), allocation candidates (--verify).
CAPACITY_COMPUTE = ('flv_list', 'flv_detail', 'flv_get', 'flv_specs', 'services',
                    'aggregates', 'zones', 'hyp_detail')
CAPACITY_PLACEMENT = ('rp_list', 'rp_inventories', 'rp_usages', 'rp_traits',
                      'root_inventories', 'root_usages', 'root_traits', 'root_aggregates',
                      'candidates')

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
    # Capacity always needs Placement: one source is enough (it never reads os-pci
    # devices, and the hypervisors' pools come from every world with os-pci).
    'capacity': Command(
        'capacity', list, CAPACITY_COMPUTE, CAPACITY_PLACEMENT,
        lambda world: _capacity_options(world).map(lambda o: ['capacity', *o]),
        capacity=True, sources=('placement',)),
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
    #: Files the arguments name (``@NAME@``, see harness.run).
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def below_minimum(self) -> bool:
        """Whether exit 3 is an answer too (capacity with --min-fits)."""
        return self.command.name == 'capacity' and any(
            arg.startswith('--min-fits') for arg in self.argv)

    @property
    def broken_file(self) -> str | None:
        """What is wrong with a --pci-alias file the arguments name (then the command
        must fail with one line, whatever the cloud answers)."""
        world = self.plan.world
        return world.alias_broken if f'--pci-alias={ALIAS_FILE}' in self.argv else None


#: Mostly none: a retried answer is the same answer again (the harness does not sleep).
_RETRIES = st.sampled_from([[], [], [], ['--os-retries', '1'], ['--os-retries', '2']])


@st.composite
def invocations(draw, name: str, source: str, mode: str = 'any') -> Invocation:
    """``name`` run with PCI source ``source`` on a world broken as ``mode`` says
    (see :func:`tests.fuzz.wrong_answers.plans`)."""
    command = COMMANDS[name]
    kinds = command.compute + (command.placement if source != 'os-pci' else ())
    os_pci = True if source == 'os-pci' else None
    plan = draw(plans(kinds, os_pci=os_pci, mode=mode, capacity=command.capacity))
    argv = draw(command.options(plan.world))
    fmt = draw(st.sampled_from(LIST_FORMATS if command.shape is list else SHOW_FORMATS))
    extra = draw(st.sampled_from([[], [], ['--noindent']])) if fmt == 'json' else []
    retries = draw(_RETRIES)
    world = plan.world
    files = {'aliases.conf': world.alias_file} if world.alias_file is not None else {}
    return Invocation(argv=[*retries, *SOURCES[source], *argv, '-f', fmt, *extra], fmt=fmt,
                      plan=plan, command=command, files=files)
