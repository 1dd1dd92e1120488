"""What ``pci-cli capacity`` reads of a fuzzed cloud besides devices and pools: compute
nodes' root inventories and usages, flavors with their extra specs, host aggregates and
zones, what Placement answers ``--verify``, and the ``--pci-alias`` file (valid, or
broken as an operator might break nova.conf).

Drawn by :func:`tests.fuzz.world.worlds`: root providers always (every command may meet
them in a listing), the rest only for worlds drawn for capacity.
"""
from __future__ import annotations

import json
import re
import uuid as uuidlib
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.jsontext import ODD_STRINGS

#: Names of PCI aliases the flavors and the alias files share.
ALIAS_NAMES = ('gpu', 'nic', 'vf')
_RATIOS = st.sampled_from([1.0, 1.0, 1.0, 4.0, 16.0, 1.5, 0.5])
_ROOT_TRAITS = st.lists(st.sampled_from(['HW_CPU_X86_AVX2', 'CUSTOM_GOLD', 'COMPUTE_NODE',
                                         'COMPUTE_SOCKET_PCI_NUMA_AFFINITY']),
                        max_size=2, unique=True)
_TOTALS = {'VCPU': st.sampled_from([16, 64, 8, 1, 4, 3]),
           'PCPU': st.sampled_from([8, 16, 1, 3]),
           'MEMORY_MB': st.sampled_from([4096, 65536, 1048576, 512]),
           'DISK_GB': st.sampled_from([1000, 100, 20, 1])}


@st.composite
def _inventory(draw, rc: str) -> tuple[dict[str, Any], int]:
    """One root inventory as Placement stores it (reserved ≤ total, ratio > 0, units
    ≥ 1) and a usage: mostly within capacity, now and then beyond it (a ratio lowered
    under existing allocations, which Placement allows)."""
    total = draw(_TOTALS[rc])
    reserved = draw(st.sampled_from([0, 0, 0, total // 8, total]))
    step = draw(st.sampled_from([1] * 7 + [2]))
    inventory = {'total': total, 'reserved': reserved,
                 'min_unit': draw(st.sampled_from([1, 1, step])),
                 'max_unit': draw(st.sampled_from([total, total, max(1, total // 2)])),
                 'step_size': step, 'allocation_ratio': draw(_RATIOS)}
    capacity = int((total - reserved) * inventory['allocation_ratio'])
    used = draw(st.integers(0, capacity) | st.sampled_from([0, 0, capacity + 1]))
    return inventory, used


@st.composite
def root_details(draw, disabled: bool) -> dict[str, Any]:
    """Inventories, usages and traits of a compute node's root provider. ``disabled``:
    the compute service is; Nova then puts COMPUTE_STATUS_DISABLED on the root (and
    now and then has not yet synced it either way)."""
    classes = ['VCPU', 'MEMORY_MB'] + draw(st.sampled_from(
        [['DISK_GB']] * 5 + [['DISK_GB', 'PCPU']] * 2 + [[]]))
    inventories, usages = {}, {}
    for rc in classes:
        inventories[rc], used = draw(_inventory(rc))
        if used or draw(st.booleans()):
            usages[rc] = used
    traits = draw(_ROOT_TRAITS)
    if draw(st.integers(0, 9)):
        traits.append('OWNER_NOVA')
    if disabled != (draw(st.integers(0, 9)) == 0):
        traits.append('COMPUTE_STATUS_DISABLED')
    return {'inventories': inventories, 'usages': usages, 'traits': traits,
            'allocations': {}, 'aggregates': []}


# --- flavors --------------------------------------------------------------------------
_ALIAS_VALUES = st.sampled_from(['gpu:1', 'gpu:2', 'nic:1', 'vf:2', 'gpu:1,nic:1', 'other:1',
                                 'gpu', 'gpu:x', 'gpu:1:2', ''])
_GOOD_ALIAS_VALUES = st.sampled_from(['gpu:1', 'gpu:2', 'nic:1', 'vf:2', 'gpu:1,nic:1'])
_SPEC_ITEMS = st.one_of(
    st.tuples(st.just('pci_passthrough:alias'), _GOOD_ALIAS_VALUES),
    st.tuples(st.just('pci_passthrough:alias'), _ALIAS_VALUES),
    st.tuples(st.sampled_from(['resources:VCPU', 'resources:MEMORY_MB', 'resources:DISK_GB',
                               'resources:PCPU', 'resources:CUSTOM_GPU_GOLD',
                               'resources1:CUSTOM_GPU_GOLD', 'resources2:VCPU',
                               'resources_a:CUSTOM_PCI_10DE_1EB8', 'resources:custom_x']),
              st.sampled_from(['0', '1', '1', '2', '4096', 'x', '-1', ''])),
    st.tuples(st.sampled_from(['trait:HW_CPU_X86_AVX2', 'trait:CUSTOM_GOLD', 'trait1:CUSTOM_GOLD',
                               'trait:COMPUTE_STATUS_DISABLED', 'trait_a:OWNER_NOVA']),
              st.sampled_from(['required', 'required', 'forbidden', 'maybe'])),
    st.tuples(st.just('group_policy'), st.sampled_from(['none', 'isolate', 'bogus'])),
    st.tuples(st.just('hw:cpu_policy'), st.sampled_from(['dedicated', 'shared', 'mixed',
                                                         'bogus'])),
    st.tuples(st.sampled_from(['hw:cpu_thread_policy', 'hw:emulator_threads_policy',
                               'hw:pci_numa_affinity_policy', 'hw:mem_encryption',
                               'hw:numa_nodes', 'hw:cpu_dedicated_mask', 'hw:tpm_version',
                               'hw:pmem', 'accel:device_profile']),
              st.sampled_from(['isolate', 'require', 'socket', 'true', '1', '2.0', '^0',
                               'SMALL', 'share'])),
)
#: Extra specs per flavor: none as often as not, so that some flavors fit somewhere.
_SPEC_COUNTS = st.sampled_from([0, 0, 0, 1, 1, 2, 3])
_FLAVOR_IDS = st.one_of(st.sampled_from(['1', '2', '3', '42', 'gpu.large', 'm1.tiny']),
                        st.uuids().map(str))
_FLAVOR_NAMES = st.one_of(
    st.sampled_from(['m1.small', 'gpu.large', 'vf.two', 'tiny', '1', 'hôte', '💥']),
    st.text(st.characters(exclude_categories=('Cs',), exclude_characters='\x00'),
            min_size=1, max_size=8))


@st.composite
def flavors(draw) -> list[dict[str, Any]]:
    """1 to 3 flavors as Nova stores them (rendered per microversion by the documents):
    unique ids, names that may repeat, extra specs of every kind the translation reads."""
    items = []
    for flavor_id in draw(st.lists(_FLAVOR_IDS, min_size=1, max_size=3, unique=True)):
        count = draw(_SPEC_COUNTS)
        items.append({
            'id': flavor_id, 'name': draw(_FLAVOR_NAMES),
            'vcpus': draw(st.sampled_from([1, 2, 4, 8, 3])),
            'ram': draw(st.sampled_from([512, 2048, 8192, 1, 65536])),
            'disk': draw(st.sampled_from([10, 0, 40, 1])),
            'OS-FLV-EXT-DATA:ephemeral': draw(st.sampled_from([0, 0, 5])),
            'swap': draw(st.sampled_from([0, 0, 512, 1025])),
            'extra_specs': dict(draw(st.lists(_SPEC_ITEMS, min_size=count, max_size=count)))})
    return items


# --- aggregates and zones ----------------------------------------------------------
_AGGREGATE_NAMES = st.sampled_from(['agg1', 'gpu-hosts', 'az1-hosts', 'agg1', '1']) \
    | _FLAVOR_NAMES
_ZONES = st.sampled_from([None, None, 'az1', 'az2', 'nova', 'zone é'])


@st.composite
def aggregates(draw, service_hosts: list[str]) -> list[dict[str, Any]]:
    """0 to 2 host aggregates (``uuid`` from 2.41: the documents drop it below), some
    of them availability zones, of the given service hosts."""
    items = []
    for index in range(1, draw(st.integers(0, 2)) + 1):
        zone = draw(_ZONES)
        hosts = draw(st.lists(st.sampled_from(service_hosts), unique=True)) \
            if service_hosts else []
        items.append({
            'id': index, 'uuid': str(uuidlib.UUID(int=5000 + index)),
            'name': draw(_AGGREGATE_NAMES), 'availability_zone': zone, 'hosts': hosts,
            'metadata': {'availability_zone': zone} if zone else {},
            'created_at': '2026-01-01T00:00:00.000000', 'updated_at': None,
            'deleted_at': None, 'deleted': False})
    return items


# --- the --pci-alias file -------------------------------------------------------------
_HEX_CLASS = re.compile(r'^CUSTOM_PCI_([0-9A-F]{4})_([0-9A-F]{4})$')
_DEVICE_TYPES = st.sampled_from([None, None, 'type-PCI', 'type-PF', 'type-VF'])
#: Ways an operator's alias configuration goes wrong (each one Nova refuses too).
BROKEN = ('not-json', 'unknown-key', 'bad-vendor', 'not-a-list', 'stray-continuation',
          'bad-section', 'not-utf8', 'twice-untyped', 'no-name', 'missing', 'too-deep')
_DEEP = '[' * 50_000 + ']' * 50_000


def _ids(pci_classes: list[str], pools: list[tuple[str, str]]) -> st.SearchStrategy:
    known = [m.groups() for m in map(_HEX_CLASS.match, pci_classes) if m] + pools
    made_up = st.tuples(st.text('0123456789abcdef', min_size=4, max_size=4),
                        st.text('0123456789abcdef', min_size=4, max_size=4))
    return st.sampled_from(known) | made_up if known else made_up


@st.composite
def _alias(draw, name: str, ids: st.SearchStrategy) -> dict[str, str]:
    spec: dict[str, str] = {'name': name}
    if draw(st.integers(0, 3)):
        vendor, product = draw(ids)
        spec.update(vendor_id=vendor.lower(), product_id=product.lower())
    if not spec.get('vendor_id') or draw(st.integers(0, 5)) == 0:
        spec['resource_class'] = draw(st.sampled_from(['CUSTOM_GPU_GOLD', 'gpu gold',
                                                       'PCI_DEVICE']))
    device_type = draw(_DEVICE_TYPES)
    if device_type:
        spec['device_type'] = device_type
    if draw(st.integers(0, 3)) == 0:
        spec['traits'] = draw(st.sampled_from(['CUSTOM_GOLD', 'gold', 'HW_GPU_API_CUDA']))
    if draw(st.integers(0, 5)) == 0:
        spec['numa_policy'] = draw(st.sampled_from(['required', 'preferred', 'socket']))
    return spec


@st.composite
def alias_files(draw, pci_classes: list[str],
                pools: list[tuple[str, str]]) -> tuple[bytes | None, str | None]:
    """``(content, broken)``: nova.conf's ``[pci] alias`` lines (or a JSON list) for
    aliases of the world's PCI classes and pools, or made-up ids; ``broken`` names what
    is wrong with it (content None: the file does not exist), None when nothing is."""
    specs = [draw(_alias(name, _ids(pci_classes, pools)))
             for name in draw(st.lists(st.sampled_from(ALIAS_NAMES), min_size=1, max_size=3,
                                       unique=True))]
    broken = draw(st.sampled_from(BROKEN)) if draw(st.integers(0, 4)) == 0 else None
    if broken == 'missing':
        return None, broken
    if broken == 'unknown-key':
        specs.append({'name': 'odd', 'colour': 'red'})
    elif broken == 'bad-vendor':
        specs.append({'name': 'odd', 'vendor_id': 'zzzz', 'product_id': '0001'})
    elif broken == 'twice-untyped':
        specs += [{'name': 'twice', 'resource_class': 'CUSTOM_A'},
                  {'name': 'twice', 'resource_class': 'CUSTOM_B'}]
    elif broken == 'no-name':
        specs.append({'vendor_id': '8086', 'product_id': '1520'})
    if broken == 'not-a-list':
        return json.dumps(specs[0] if specs else {'name': 'gpu'}).encode(), broken
    if broken == 'too-deep':
        return (_DEEP if draw(st.booleans()) else f'[pci]\nalias = {_DEEP}\n').encode(), broken
    if draw(st.booleans()) and broken not in ('not-json', 'stray-continuation', 'bad-section'):
        text = json.dumps(specs)
    else:
        lines = ['[DEFAULT]', 'debug = true']
        if broken == 'stray-continuation':
            lines.insert(0, '  orphan = 1')
        lines.append('[pci' if broken == 'bad-section' else '[pci]')
        lines += [f'alias = {json.dumps(spec)}' for spec in specs]
        if broken == 'not-json':
            lines.append('alias = {"name": "gpu",')
        text = '\n'.join(lines) + '\n'
    if broken == 'not-utf8':
        return text.encode() + b'\xff\xfe', broken
    return text.encode(), broken


def odd_name() -> st.SearchStrategy[str]:
    """A name for an option value that names nothing of the world."""
    return st.sampled_from([s for s in ODD_STRINGS
                            if s and not s.startswith('-') and '\x00' not in s])
