"""nova.conf's ``[pci] alias`` read as Nova 34 reads it (nova/pci/request.py)."""
from __future__ import annotations

import json

import pytest

from pciclient.exceptions import ConfigurationError
from pciclient.v2.capacity.aliases import (
    alias_config_problem,
    load_aliases,
    normalize_resource_class,
    normalize_traits,
    parse_alias_request,
    pci_requests,
)

GPU = '{"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", "device_type": "type-PCI"}'


def test_nova_conf_fragment_with_several_lines_quotes_comments_and_other_sections() -> None:
    text = f"""[DEFAULT]
alias = {{"name": "not-pci"}}
[pci]
# a comment
alias = '{GPU}'
alias = {{"name": "vf", "vendor_id": "8086", "product_id": "1515",
  "device_type": "type-VF", "traits": "CUSTOM_PHYSNET_A,blue"}}
device_spec = {{"vendor_id": "8086"}}
"""
    aliases = load_aliases(text)
    assert list(aliases) == ['gpu', 'vf']
    gpu, = aliases['gpu']
    assert (gpu.vendor_id, gpu.product_id, gpu.device_type, gpu.numa_policy) == \
        ('10de', '1eb8', 'type-PCI', 'legacy')
    assert gpu.resource_class == 'CUSTOM_PCI_10DE_1EB8'
    assert gpu.where == 'line 5'
    vf, = aliases['vf']
    assert vf.traits == {'CUSTOM_PHYSNET_A', 'CUSTOM_BLUE'}
    assert vf.where == 'line 6'


def test_bare_alias_lines_and_json_list() -> None:
    assert list(load_aliases(f'alias = {GPU}\n')) == ['gpu']
    listed = load_aliases(json.dumps([json.loads(GPU), {'name': 'x', 'resource_class': 'fpga-x'}]))
    assert listed['x'][0].resource_class == 'CUSTOM_FPGA_X'
    assert listed['x'][0].where == 'item 2'
    assert load_aliases('') == {}


def test_same_name_aliases_are_alternatives_when_they_agree() -> None:
    other = GPU.replace('1eb8', '1eb9')
    aliases = load_aliases(f'[pci]\nalias = {GPU}\nalias = {other}\n')
    assert [spec.product_id for spec in aliases['gpu']] == ['1eb8', '1eb9']


@pytest.mark.parametrize('lines, message', [
    ([GPU, GPU.replace('"type-PCI"', '"type-PF"')], 'line 3: device type mismatch'),
    ([GPU, GPU.replace('}', ', "numa_policy": "required"}')], 'line 3: NUMA policy mismatch'),
    (['{"name": "a", "vendor_id": "10de"}', '{"name": "a", "vendor_id": "10df"}'],
     'line 3: alias \'a\' is defined more than once, so Nova needs a device_type'),
    (['{"name": "a", "device_id": "1"}'], "line 2: unknown key 'device_id'"),
    (['{"vendor_id": "10de"}'], "line 2: 'name' is required"),
    (['{"name": "a", "vendor_id": "10DEX"}'], "vendor_id '10DEX' is not 4 hex digits"),
    (['{"name": "a", "device_type": "vdpa"}'], 'device_type must be one of'),
    (['{"name": "a", "numa_policy": "strict"}'], 'numa_policy must be one of'),
    (['{"name": "a", "live_migratable": "maybe"}'], "live_migratable 'maybe'"),
    (['{"name": "a", "vendor_id": 4318}'], 'vendor_id must be a string'),
    (['{"name": "a",'], 'line 2: not JSON'),
    (['["not", "an", "object"]'], 'must be a JSON object'),
])
def test_what_nova_refuses_is_refused_naming_the_line(lines: list[str], message: str) -> None:
    text = '[pci]\n' + ''.join(f'alias = {line}\n' for line in lines)
    with pytest.raises(ConfigurationError) as caught:
        load_aliases(text)
    assert message in str(caught.value)
    assert '\n' not in str(caught.value)
    assert '--' not in str(caught.value)  # no CLI option names in library messages


def test_bad_ini_and_bad_json_documents() -> None:
    with pytest.raises(ConfigurationError, match="line 2: no '='"):
        load_aliases('[pci]\nalias\n')
    with pytest.raises(ConfigurationError, match='line 2: a continuation line'):
        load_aliases('[pci]\n  continued\n')
    with pytest.raises(ConfigurationError, match='line 1: bad section header'):
        load_aliases('[{"name": "a"}')


def test_json_object_document_is_refused() -> None:
    with pytest.raises(ConfigurationError, match='must be a list of alias objects'):
        load_aliases('{"name": "gpu"}')


def test_resource_class_and_traits_are_normalised_as_nova_does() -> None:
    assert normalize_resource_class('vgpu') == 'VGPU'
    assert normalize_resource_class('custom_x') == 'CUSTOM_X'
    assert normalize_resource_class('fpga-small.v2') == 'CUSTOM_FPGA_SMALL_V2'
    assert normalize_traits('HW_GPU_API_VULKAN,custom_fast,hw_cpu_x86_avx,BLUE') == \
        {'HW_GPU_API_VULKAN', 'CUSTOM_FAST', 'CUSTOM_HW_CPU_X86_AVX', 'CUSTOM_BLUE'}
    # With the exact standard list, a name outside it becomes custom even in HW_.
    assert normalize_traits('HW_MADE_UP,HW_CPU_X86_AVX', {'HW_CPU_X86_AVX'}) == \
        {'CUSTOM_HW_MADE_UP', 'HW_CPU_X86_AVX'}
    assert normalize_traits('') == frozenset()


def test_config_problems_depend_on_pci_in_placement() -> None:
    two = load_aliases(f'alias = {GPU}\nalias = {GPU.replace("1eb8", "1eb9")}\n')
    assert 'several specs' in (alias_config_problem(two, pci_in_placement=True) or '')
    assert alias_config_problem(two, pci_in_placement=False) is None
    rc_only = load_aliases('alias = {"name": "f", "resource_class": "fpga"}\n')
    assert alias_config_problem(rc_only, pci_in_placement=True) is None
    assert 'no vendor_id and product_id' in \
        (alias_config_problem(rc_only, pci_in_placement=False) or '')
    nothing = load_aliases('alias = {"name": "n", "device_type": "type-PF"}\n')
    assert 'neither vendor_id' in (alias_config_problem(nothing, pci_in_placement=True) or '')


def test_flavor_pci_requests_for_the_os_pci_path() -> None:
    aliases = load_aliases(f'alias = {GPU}\n')
    requests, unknown = pci_requests(
        {'pci_passthrough:alias': 'gpu:2, nope:1', 'hw:pci_numa_affinity_policy': 'socket'},
        aliases)
    assert [(r.alias, r.count, r.numa_policy) for r in requests] == [('gpu', 2, 'socket')]
    assert requests[0].specs == tuple(aliases['gpu'])
    assert unknown == ['nope']
    assert pci_requests({}, aliases) == ([], [])
    assert pci_requests({'pci_passthrough:alias': 'gpu:1'}, None) == ([], ['gpu'])
    assert parse_alias_request(' a : 2 ,b:1') == [('a', 2), ('b', 1)]
    for bad in ('a', 'a:1:2', 'a:x'):
        with pytest.raises(ValueError):
            parse_alias_request(bad)
