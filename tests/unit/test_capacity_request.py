"""A flavor turned into Nova 34's Placement query (tests/realnova checks the same against
Nova's own code; these pin the exact strings and the groups)."""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from pciclient.v2.capacity.aliases import load_aliases
from pciclient.v2.capacity.flavor_request import flavor_request, with_aggregates
from pciclient.v2.capacity.request import PlacementRequest

ALIASES = load_aliases("""[pci]
alias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", "device_type": "type-PCI"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "1515", "device_type": "type-VF",
  "traits": "CUSTOM_PHYSNET_A,blue"}
alias = {"name": "fpga", "resource_class": "fpga-small"}
""")
ROOT = 'root_required=OWNER_NOVA,!COMPUTE_STATUS_DISABLED'


def flavor(extra_specs: dict[str, str] | None = None, **sizes: Any) -> dict[str, Any]:
    return {'vcpus': 2, 'ram': 512, 'disk': 1, 'OS-FLV-EXT-DATA:ephemeral': 0, 'swap': '',
            **sizes, 'extra_specs': extra_specs or {}}


def query(request: PlacementRequest) -> str:
    return unquote(request.query(limit=1000))


def translate(extra_specs: dict[str, str] | None = None, **kwargs: Any) -> PlacementRequest:
    sizes = {key: kwargs.pop(key) for key in list(kwargs)
             if key in ('vcpus', 'ram', 'disk', 'swap', 'OS-FLV-EXT-DATA:ephemeral')}
    kwargs.setdefault('aliases', ALIASES)
    kwargs.setdefault('pci_in_placement', True)
    return flavor_request(flavor(extra_specs, **sizes), **kwargs)


@pytest.mark.parametrize('sizes, bfv, resources', [
    ({}, False, 'DISK_GB:1,MEMORY_MB:512,VCPU:2'),
    ({'swap': 1}, False, 'DISK_GB:2,MEMORY_MB:512,VCPU:2'),
    ({'swap': 1025, 'OS-FLV-EXT-DATA:ephemeral': 2}, False, 'DISK_GB:5,MEMORY_MB:512,VCPU:2'),
    ({'swap': 1024}, False, 'DISK_GB:2,MEMORY_MB:512,VCPU:2'),
    ({'disk': 10, 'OS-FLV-EXT-DATA:ephemeral': 1}, True, 'DISK_GB:1,MEMORY_MB:512,VCPU:2'),
    ({'disk': 10}, True, 'MEMORY_MB:512,VCPU:2'),
    ({'disk': 0}, False, 'MEMORY_MB:512,VCPU:2'),
])
def test_root_resources(sizes: dict[str, int], bfv: bool, resources: str) -> None:
    request = translate(boot_from_volume=bfv, **sizes)
    assert query(request) == f'limit=1000&resources={resources}&{ROOT}'
    assert request.groups[0].suffix is None and request.groups[0].origin == 'flavor'
    assert request.invalid is None and request.not_counted == []


def test_overrides_zeros_and_skipped_extra_specs() -> None:
    request = translate({'resources:VCPU': '4', 'resources:MEMORY_MB': '0',
                         'resources:DISK_GB': '0', 'resources:CUSTOM_FOO': '3',
                         'resources:bogus': '1', 'resources:VGPU': 'abc',
                         'resources:PGPU': '-1', 'group_policy': 'spread'}, swap=2048)
    assert query(request) == f'limit=1000&resources=CUSTOM_FOO:3,VCPU:4&{ROOT}'
    assert list(request.groups[0].resources) == ['VCPU', 'CUSTOM_FOO']


def test_traits_and_numbered_groups_with_string_suffixes() -> None:
    request = translate({'trait:CUSTOM_RED': 'required', 'trait:HW_CPU_X86_AVX2': 'forbidden',
                         'trait:CUSTOM_X': 'maybe', 'resources_gpu:VGPU': '1',
                         'trait_gpu:CUSTOM_Y': 'required', 'resourcesNET-A:CUSTOM_NIC': '2',
                         'group_policy': 'isolate'})
    assert query(request) == (
        'group_policy=isolate&limit=1000&required=CUSTOM_RED,!HW_CPU_X86_AVX2'
        '&required_gpu=CUSTOM_Y&resources=DISK_GB:1,MEMORY_MB:512,VCPU:2'
        f'&resourcesNET-A=CUSTOM_NIC:2&resources_gpu=VGPU:1&{ROOT}')
    assert [g.suffix for g in request.groups] == [None, '_gpu', 'NET-A']
    assert request.groups[1].origin == 'extra spec resources_gpu'


def test_two_numbered_groups_of_the_flavor_need_a_group_policy() -> None:
    request = translate({'resources1:VGPU': '1', 'resources2:VGPU': '1'})
    assert request.group_policy is None
    assert request.invalid is not None and 'group_policy' in request.invalid
    assert query(request) == ('limit=1000&resources=DISK_GB:1,MEMORY_MB:512,VCPU:2'
                              f'&resources1=VGPU:1&resources2=VGPU:1&{ROOT}')


def test_pci_groups_one_per_device_with_owner_nova() -> None:
    request = translate({'pci_passthrough:alias': 'vf:2, gpu:1'})
    assert query(request) == (
        'group_policy=none&limit=1000'
        '&required_pci1-0=CUSTOM_BLUE,CUSTOM_PHYSNET_A,OWNER_NOVA'
        '&required_pci1-1=CUSTOM_BLUE,CUSTOM_PHYSNET_A,OWNER_NOVA'
        '&required_pci2-0=OWNER_NOVA&resources=DISK_GB:1,MEMORY_MB:512,VCPU:2'
        '&resources_pci1-0=CUSTOM_PCI_8086_1515:1&resources_pci1-1=CUSTOM_PCI_8086_1515:1'
        f'&resources_pci2-0=CUSTOM_PCI_10DE_1EB8:1&{ROOT}')
    pci = [g for g in request.groups if g.alias]
    assert [(g.alias, g.origin) for g in pci] == [
        ('vf', 'PCI alias vf (device 1 of 2)'), ('vf', 'PCI alias vf (device 2 of 2)'),
        ('gpu', 'PCI alias gpu (device 1 of 1)')]
    assert request.resource_order() == [
        'VCPU', 'MEMORY_MB', 'DISK_GB', 'CUSTOM_PCI_8086_1515', 'CUSTOM_PCI_10DE_1EB8']
    assert request.merged_resources()['CUSTOM_PCI_8086_1515'] == 2


def test_pci_group_policy_defaulting_follows_the_flavors_own_group_count() -> None:
    one = translate({'resources1:VGPU': '1', 'pci_passthrough:alias': 'gpu:1'})
    assert one.group_policy == 'none' and one.invalid is None
    # Two numbered groups of the flavor, zeroed (so stripped), still count: Nova does not
    # default the policy and Placement refuses the PCI groups' query.
    zeroed = translate({'resources1:VGPU': '0', 'resources2:VGPU': '0',
                        'pci_passthrough:alias': 'gpu:2'})
    assert zeroed.group_policy is None and zeroed.invalid is not None
    assert [g.suffix for g in zeroed.groups] == [None, '_pci1-0', '_pci1-1']


def test_pci_suffixes_avoid_the_flavors_suffixes() -> None:
    request = translate({'resources_pci1-0:VGPU': '1', 'pci_passthrough:alias': 'fpga:1',
                         'group_policy': 'none'})
    assert [g.suffix for g in request.groups] == [None, '_pci1-0', '_pci_1-0']
    assert request.groups[2].resources == {'CUSTOM_FPGA_SMALL': 1}


def test_without_owner_nova_and_without_pci_in_placement() -> None:
    request = translate({'pci_passthrough:alias': 'gpu:2'}, owner_nova=False)
    assert 'OWNER_NOVA' not in query(request)
    assert query(request).endswith('root_required=!COMPUTE_STATUS_DISABLED')
    with_ids = {name: specs for name, specs in ALIASES.items() if name != 'fpga'}
    off = translate({'pci_passthrough:alias': 'gpu:2'}, pci_in_placement=False,
                    aliases=with_ids)
    assert query(off) == f'limit=1000&resources=DISK_GB:1,MEMORY_MB:512,VCPU:2&{ROOT}'
    assert 'pci_in_placement off' in off.not_counted[0]


def test_unknown_and_malformed_aliases_and_refused_alias_config() -> None:
    unknown = translate({'pci_passthrough:alias': 'nope:1,gpu:1'})
    assert unknown.unknown_aliases == ['nope']
    assert [g.alias for g in unknown.groups] == [None, 'gpu']
    assert translate({'pci_passthrough:alias': 'gpu:1'}, aliases=None).unknown_aliases == ['gpu']
    malformed = translate({'pci_passthrough:alias': 'gpu'})
    assert malformed.groups == [] and 'NAME:COUNT' in (malformed.invalid or '')
    no_ids = translate({'pci_passthrough:alias': 'gpu:1'}, pci_in_placement=False)
    assert 'fpga' in (no_ids.invalid or '')


@pytest.mark.parametrize('extra_specs, vcpus, resources, traits', [
    ({'hw:cpu_policy': 'dedicated'}, 2, 'DISK_GB:1,MEMORY_MB:512,PCPU:2', ''),
    ({'hw:cpu_policy': 'dedicated', 'hw:emulator_threads_policy': 'isolate',
      'hw:cpu_thread_policy': 'isolate'}, 2, 'DISK_GB:1,MEMORY_MB:512,PCPU:3',
     'required=!HW_CPU_HYPERTHREADING&'),
    ({'hw:cpu_policy': 'dedicated', 'hw:cpu_thread_policy': 'require'}, 2,
     'DISK_GB:1,MEMORY_MB:512,PCPU:2', 'required=HW_CPU_HYPERTHREADING&'),
    ({'hw:cpu_policy': 'mixed', 'hw:cpu_dedicated_mask': '^0'}, 4,
     'DISK_GB:1,MEMORY_MB:512,PCPU:3,VCPU:1', ''),
    ({'hw:cpu_policy': 'mixed', 'hw:cpu_realtime': 'yes', 'hw:cpu_realtime_mask': '^0-1',
      'hw:emulator_threads_policy': 'isolate'}, 4, 'DISK_GB:1,MEMORY_MB:512,PCPU:3,VCPU:2', ''),
    ({'resources:PCPU': '2'}, 2, 'DISK_GB:1,MEMORY_MB:512,PCPU:2', ''),
])
def test_cpu_policies(extra_specs: dict[str, str], vcpus: int, resources: str,
                      traits: str) -> None:
    request = translate(extra_specs, vcpus=vcpus)
    assert request.invalid is None
    assert query(request) == f'limit=1000&{traits}resources={resources}&{ROOT}'


def test_dedicated_fallback_query_without_pinning_translation() -> None:
    request = translate({'hw:cpu_policy': 'dedicated'})
    assert 'disable_fallback_pcpu_query' in request.not_counted[0]
    fallback = translate({'hw:cpu_policy': 'dedicated'}, pinning_translate=False)
    assert query(fallback) == f'limit=1000&resources=DISK_GB:1,MEMORY_MB:512,VCPU:2&{ROOT}'


@pytest.mark.parametrize('extra_specs, reason', [
    ({'hw:cpu_policy': 'bogus'}, "hw:cpu_policy 'bogus'"),
    ({'hw:cpu_thread_policy': 'isolate'}, 'thread policy needs'),
    ({'hw:emulator_threads_policy': 'isolate'}, 'emulator_threads_policy=isolate needs'),
    ({'hw:cpu_policy': 'dedicated', 'resources:PCPU': '2'}, 'cannot go with hw:cpu_policy'),
    ({'resources:PCPU': '3'}, 'resources:PCPU must be 2'),
    ({'resources:VCPU': '2', 'resources:PCPU': '2'}, 'cannot go together'),
    ({'hw:cpu_policy': 'mixed'}, 'needs exactly one of'),
    ({'hw:cpu_policy': 'dedicated', 'hw:cpu_dedicated_mask': '1'}, 'needs hw:cpu_policy=mixed'),
    ({'hw:cpu_policy': 'mixed', 'hw:cpu_dedicated_mask': '0-1'}, 'some but not all'),
    ({'hw:cpu_policy': 'mixed', 'hw:cpu_dedicated_mask': '0-x'}, "invalid CPU range '0-x'"),
    ({'hw:cpu_policy': 'dedicated', 'hw:cpu_realtime': 'yes'}, 'leaving a vCPU'),
    ({'hw:cpu_policy': 'dedicated', 'hw:cpu_thread_policy': 'isolate',
      'trait:HW_CPU_HYPERTHREADING': 'forbidden'}, 'cannot go with hw:cpu_thread_policy'),
    ({'trait:HW_CPU_HYPERTHREADING': 'required'}, 'thread policy needs'),
    ({'hw:tpm_version': '1.2', 'hw:tpm_model': 'tpm-crb'}, 'needs hw:tpm_version 2.0'),
    ({'hw:tpm_version': '2.0', 'hw:tpm_secret_security': 'nobody'}, 'not supported'),
    ({'hw:mem_encryption': 'yes', 'hw:mem_encryption_model': 'rot13'}, 'mem_encryption_model'),
    ({'hw:sound_model': 'beeper'}, "hw:sound_model 'beeper'"),
])
def test_what_nova_refuses(extra_specs: dict[str, str], reason: str) -> None:
    request = translate(extra_specs)
    assert request.invalid is not None and reason in request.invalid
    assert request.invalid.startswith('Nova refuses to boot this flavor: ')
    assert request.groups == []


def test_flavor_only_traits_and_resources() -> None:
    request = translate({'hw:tpm_version': '2.0', 'hw:tpm_model': 'tpm-crb',
                         'os:secure_boot': 'required', 'hw:maxphysaddr_mode': 'passthrough',
                         'hw:virtio_packed_ring': 'true', 'hw:sound_model': 'virtio',
                         'hw:ephemeral_encryption': 'yes',
                         'hw:ephemeral_encryption_format': 'luksv2',
                         'hw:mem_encryption': 'on', 'hw:mem_encryption_model': 'amd-sev-es',
                         'hw:pmem': '4GB, 4GB,SMALL', 'hw:pci_numa_affinity_policy': 'socket',
                         'accel:device_profile': 'dp1', 'hw:numa_nodes': '1'})
    assert query(request) == (
        'limit=1000&required=COMPUTE_ADDRESS_SPACE_PASSTHROUGH,COMPUTE_SECURITY_TPM_2_0,'
        'COMPUTE_SECURITY_TPM_CRB,COMPUTE_SECURITY_UEFI_SECURE_BOOT,'
        'COMPUTE_SOCKET_PCI_NUMA_AFFINITY,HW_CPU_X86_AMD_SEV_ES'
        '&resources=CUSTOM_PMEM_NAMESPACE_4GB:2,CUSTOM_PMEM_NAMESPACE_SMALL:1,DISK_GB:1,'
        'MEMORY_MB:512,MEM_ENCRYPTION_CONTEXT:1,VCPU:2'
        '&root_required=COMPUTE_ACCELERATORS,COMPUTE_EPHEMERAL_ENCRYPTION,'
        'COMPUTE_EPHEMERAL_ENCRYPTION_LUKSV2,COMPUTE_NET_VIRTIO_PACKED,'
        'COMPUTE_SECURITY_TPM_SECRET_SECURITY_USER,COMPUTE_SOUND_MODEL_VIRTIO,OWNER_NOVA,'
        '!COMPUTE_STATUS_DISABLED')
    assert len(request.not_counted) == 2
    assert 'Cyborg' in request.not_counted[0] and 'NUMATopologyFilter' in request.not_counted[1]


def test_trait_only_group_is_refused_by_placement() -> None:
    request = translate({'trait1:CUSTOM_X': 'required'})
    assert request.invalid is not None and 'group 1 asks traits but no resources' in \
        request.invalid


def test_extra_specs_argument_replaces_the_flavors() -> None:
    request = flavor_request(flavor({'hw:cpu_policy': 'bogus'}), aliases=None,
                             pci_in_placement=False, extra_specs={'resources:VCPU': '8'})
    assert query(request) == f'limit=1000&resources=DISK_GB:1,MEMORY_MB:512,VCPU:8&{ROOT}'


def test_with_aggregates_confines_the_unnumbered_group() -> None:
    request = translate({'pci_passthrough:alias': 'gpu:1'})
    confined = with_aggregates(request, [['b', 'a', 'a'], ['c']])
    assert confined.member_of == [['a', 'b'], ['c']]
    assert request.member_of == []
    assert 'member_of=in:a,b&member_of=in:c' in query(confined)
    assert 'member_of_pci' not in query(confined)
