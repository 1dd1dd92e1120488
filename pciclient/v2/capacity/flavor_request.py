"""A flavor turned into the Placement request Nova 34's scheduler sends for it.

Step by step as ``nova/scheduler/utils.py`` does (``ResourceRequest.from_request_spec``
and ``resources_from_request_spec``), with the request filters of
``nova/scheduler/request_filter.py`` that the flavor alone decides
(``compute_status_filter``, ``owner_nova_filter``, ``accelerators_filter``,
``packed_virtqueue_filter``, ``ephemeral_encryption_filter``, ``virtio_sound_filter``,
``tpm_secret_security_filter``) and the CPU policy checks Nova's API makes before it
schedules (``cpu_policies``). ``tests/realnova/test_capacity_translation.py`` compares
the query string with the one Nova's own code builds, flavor by flavor.

What needs more than the flavor is left to the caller or named in ``not_counted``: the
image (its ``traits_required`` and ``hw_*`` properties are taken as absent; memory
encryption is counted as if the image allowed it), availability zones and aggregates
(``member_of``: :func:`with_aggregates`), a target host (``in_tree``), neutron ports and
Cyborg device profiles, and the config-gated filters (tenant and isolated aggregates,
image type, image metadata, routed networks).
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pciclient.v2.capacity.aliases import (
    STANDARD_RESOURCE_CLASSES,
    PciAlias,
    alias_config_problem,
    custom_name,
    pci_requests,
)
from pciclient.v2.capacity.cpu_policies import (
    NovaRefuses,
    check_cpu_policies,
    choice,
    translate_pinning,
)
from pciclient.v2.capacity.request import PlacementRequest, RequestGroup

#: Nova's ``ResourceRequest.XS_KEYPAT``: ``resources[$S]:RC`` and ``trait[$S]:TRAIT``.
XS_KEYPAT = re.compile(r'^(resources|trait)([a-zA-Z0-9_-]{1,64})?:(.*)$')
#: Placement's request group suffixes (what a PCI group's suffix must be).
PCI_SUFFIX_PREFIX = '_pci'
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_MEM_ENCRYPTION_TRAITS = {
    'amd-sev': 'HW_CPU_X86_AMD_SEV', 'amd-sev-es': 'HW_CPU_X86_AMD_SEV_ES',
    'amd-sev-snp': 'HW_CPU_X86_AMD_SEV_SNP', 'intel-tdx': 'HW_CPU_X86_INTEL_TDX',
}
_SOUND_MODELS = ('sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'virtio')
_NUMA_SPECS = ('hw:numa_nodes', 'hw:mem_page_size', 'hw:numa_cpus.', 'hw:numa_mem.')


def _truthy(value: object) -> bool:
    """oslo's ``bool_from_string`` (not strict): anything unknown is False."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


class _Groups:
    """Nova's ``_rg_by_id``: groups by suffix in the order they were made."""

    def __init__(self) -> None:
        self.by_suffix: dict[str | None, RequestGroup] = {}

    def get(self, suffix: str | None) -> RequestGroup:
        if suffix not in self.by_suffix:
            self.by_suffix[suffix] = RequestGroup(
                suffix, origin='flavor' if suffix is None else f'extra spec resources{suffix}')
        return self.by_suffix[suffix]

    def add_resource(self, rc: str, amount: object, suffix: str | None = None) -> None:
        group = self.get(suffix)  # made even when the resource is then skipped, as Nova does
        if not (rc.startswith('CUSTOM_') or rc in STANDARD_RESOURCE_CLASSES):
            return
        try:
            units = int(amount)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return
        if units >= 0:
            group.resources[rc] = units

    def add_trait(self, trait: str, kind: str, suffix: str | None = None) -> None:
        group = self.get(suffix)
        if kind == 'required':
            group.required.add(trait)
        elif kind == 'forbidden':
            group.forbidden.add(trait)

    def numbered(self) -> int:
        return sum(1 for suffix in self.by_suffix if suffix is not None)

    def merged(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for group in self.by_suffix.values():
            for rc, amount in group.resources.items():
                merged[rc] = merged.get(rc, 0) + amount
        return merged


def _size(flavor: Mapping[str, Any], key: str) -> int:
    value = flavor.get(key)
    return int(value) if value not in (None, '') else 0


def _pci_suffixes(taken: Iterable[str | None]) -> str:
    """A prefix for PCI group suffixes that no flavor suffix starts with (Nova uses the PCI
    request's random uuid; ours is readable and stable: ``_pci1-0`` is device 0 of the
    first alias requested)."""
    prefix = PCI_SUFFIX_PREFIX
    while any(suffix and suffix.startswith(prefix) for suffix in taken):
        prefix += '_'
    return prefix


def _extra_specs(groups: _Groups, request: PlacementRequest, specs: Mapping[str, str]) -> None:
    for key, value in specs.items():
        if key == 'group_policy':
            if value in ('none', 'isolate'):
                request.group_policy = value
            continue
        match = XS_KEYPAT.match(key)
        if not match:
            continue
        prefix, suffix, name = match.groups()
        if prefix == 'resources':
            groups.add_resource(name, value, suffix)
        else:
            groups.add_trait(name, value, suffix)


def _pci_groups(groups: _Groups, request: PlacementRequest, specs: Mapping[str, str],
                aliases: Mapping[str, list[PciAlias]] | None, *, pci_in_placement: bool,
                owner_nova: bool) -> None:
    try:
        requests, unknown = pci_requests(specs, aliases)
    except ValueError as exc:
        raise NovaRefuses(f'pci_passthrough:alias: {exc}') from None
    request.unknown_aliases.extend(unknown)
    if requests and aliases:
        problem = alias_config_problem(aliases, pci_in_placement=pci_in_placement)
        if problem:
            raise NovaRefuses(problem)
    if not requests:
        return
    if not pci_in_placement:
        request.not_counted.append(
            'pci_passthrough:alias: PCI devices are not in Placement here (pci_in_placement '
            'off); they are counted from the PCI pools')
        return
    prefix = _pci_suffixes(groups.by_suffix)
    for k, pci in enumerate(requests, 1):
        alias = pci.specs[0]
        for i in range(pci.count):
            group = RequestGroup(f'{prefix}{k}-{i}', resources={alias.resource_class or '': 1},
                                 required=set(alias.traits),
                                 origin=f'PCI alias {pci.alias} (device {i + 1} of {pci.count})',
                                 alias=pci.alias)
            if owner_nova:
                group.required.add('OWNER_NOVA')
            groups.by_suffix[group.suffix] = group


def _late_translations(groups: _Groups, specs: Mapping[str, str]) -> None:
    """Memory encryption, vPMEMs, vTPM, PCI NUMA socket, secure boot, maxphysaddr: what
    ``from_request_spec`` adds after the root resources, in its order."""
    if _truthy(specs.get('hw:mem_encryption')):
        model = choice(specs, 'hw:mem_encryption_model', _MEM_ENCRYPTION_TRAITS) or 'amd-sev'
        groups.add_resource('MEM_ENCRYPTION_CONTEXT', 1)
        groups.add_trait(_MEM_ENCRYPTION_TRAITS[model], 'required')
    labels = [label.strip() for label in (specs.get('hw:pmem') or '').split(',')]
    pmems: dict[str, int] = {}
    for label in filter(None, labels):
        rc = custom_name('PMEM_NAMESPACE_' + label)
        pmems[rc] = pmems.get(rc, 0) + 1
    for rc, amount in pmems.items():
        groups.add_resource(rc, amount)
    version = choice(specs, 'hw:tpm_version', ('1.2', '2.0'))
    if version:
        model = choice(specs, 'hw:tpm_model', ('tpm-tis', 'tpm-crb')) or 'tpm-tis'
        if model == 'tpm-crb' and version != '2.0':
            raise NovaRefuses('hw:tpm_model tpm-crb needs hw:tpm_version 2.0')
        groups.add_trait('COMPUTE_SECURITY_TPM_CRB' if model == 'tpm-crb'
                         else 'COMPUTE_SECURITY_TPM_TIS', 'required')
        groups.add_trait('COMPUTE_SECURITY_TPM_2_0' if version == '2.0'
                         else 'COMPUTE_SECURITY_TPM_1_2', 'required')
    numa = choice(specs, 'hw:pci_numa_affinity_policy',
                   ('required', 'legacy', 'preferred', 'socket'))
    if numa == 'socket':
        groups.add_trait('COMPUTE_SOCKET_PCI_NUMA_AFFINITY', 'required')
    if choice(specs, 'os:secure_boot', ('required', 'disabled', 'optional')) == 'required':
        groups.add_trait('COMPUTE_SECURITY_UEFI_SECURE_BOOT', 'required')
    mode = choice(specs, 'hw:maxphysaddr_mode', ('passthrough', 'emulate'))
    if mode:
        groups.add_trait('COMPUTE_ADDRESS_SPACE_PASSTHROUGH' if mode == 'passthrough'
                         else 'COMPUTE_ADDRESS_SPACE_EMULATED', 'required')


def _root_traits(request: PlacementRequest, specs: Mapping[str, str], owner_nova: bool) -> None:
    """The request filters that put traits on the root provider for this flavor."""
    request.root_forbidden.add('COMPUTE_STATUS_DISABLED')
    if specs.get('accel:device_profile'):
        request.root_required.add('COMPUTE_ACCELERATORS')
        request.not_counted.append('accel:device_profile: the Cyborg device profile\'s '
                                   'request groups are not counted')
    if _truthy(specs.get('hw:virtio_packed_ring')):
        request.root_required.add('COMPUTE_NET_VIRTIO_PACKED')
    if _truthy(specs.get('hw:ephemeral_encryption')):
        request.root_required.add('COMPUTE_EPHEMERAL_ENCRYPTION')
        fmt = choice(specs, 'hw:ephemeral_encryption_format', ('plain', 'luks', 'luksv2'))
        if fmt:
            request.root_required.add(f'COMPUTE_EPHEMERAL_ENCRYPTION_{fmt.upper()}')
    if choice(specs, 'hw:sound_model', _SOUND_MODELS) == 'virtio':
        request.root_required.add('COMPUTE_SOUND_MODEL_VIRTIO')
    if specs.get('hw:tpm_version'):
        security = specs.get('hw:tpm_secret_security') or 'user'
        if security not in ('user', 'host', 'deployment'):
            raise NovaRefuses(f'hw:tpm_secret_security {security!r} is not supported')
        request.root_required.add(f'COMPUTE_SECURITY_TPM_SECRET_SECURITY_{security.upper()}')
    if owner_nova:
        request.root_required.add('OWNER_NOVA')


def _numa_caveats(request: PlacementRequest, specs: Mapping[str, str]) -> None:
    named = sorted({key for key in specs if key.startswith(_NUMA_SPECS)})
    if named:
        request.not_counted.append(f'{", ".join(named)}: the guest NUMA topology is checked '
                                   'by the NUMATopologyFilter after Placement')


def flavor_request(flavor: Mapping[str, Any], *,
                   aliases: Mapping[str, list[PciAlias]] | None, pci_in_placement: bool,
                   boot_from_volume: bool = False, owner_nova: bool = True,
                   extra_specs: Mapping[str, str] | None = None,
                   pinning_translate: bool = True) -> PlacementRequest:
    """What Nova's scheduler asks Placement for to boot one server of ``flavor``.

    ``flavor`` is the compute API's flavor document (``vcpus``, ``ram``, ``disk``,
    ``OS-FLV-EXT-DATA:ephemeral``, ``swap``, ``extra_specs`` from 2.61); ``extra_specs``
    replaces the latter (read from ``os-extra_specs``). ``aliases`` is nova.conf's
    ``[pci] alias`` (:func:`~pciclient.v2.capacity.aliases.load_aliases`), None when not
    known; ``pci_in_placement`` is ``[filter_scheduler] pci_in_placement``;
    ``owner_nova`` whether every compute is new enough for ``owner_nova_filter`` to
    require ``OWNER_NOVA`` (Nova 34 computes are). ``pinning_translate=False`` gives
    the second query Nova sends for a pinned flavor (VCPU instead of PCPU, the
    ``vcpu_pin_set`` fallback). A flavor Nova would not boot comes back with
    ``invalid`` set and no groups; PCI requests without ``pci_in_placement`` are left
    to the caller (``aliases.pci_requests``).
    """
    specs: Mapping[str, str] = (extra_specs if extra_specs is not None
                                else flavor.get('extra_specs') or {})
    vcpus = _size(flavor, 'vcpus')
    request = PlacementRequest()
    groups = _Groups()
    try:
        check_cpu_policies(specs, vcpus)
        _root_traits(request, specs, owner_nova)
        _extra_specs(groups, request, specs)
        from_flavor = groups.numbered()
        if pinning_translate:
            pinning = translate_pinning(specs, vcpus)
            for rc, amount in pinning.resources:
                groups.add_resource(rc, amount)
            for trait, kind in pinning.traits:
                groups.add_trait(trait, kind)
            if pinning.fallback_query:
                request.not_counted.append(
                    'hw:cpu_policy=dedicated: Nova also asks with VCPU instead of PCPU '
                    '(unless [workarounds] disable_fallback_pcpu_query); only the PCPU '
                    'request is counted here')
        _pci_groups(groups, request, specs, aliases, pci_in_placement=pci_in_placement,
                    owner_nova=owner_nova)
        merged = groups.merged()
        if 'VCPU' not in merged and 'PCPU' not in merged:
            groups.add_resource('VCPU', vcpus)
        if 'MEMORY_MB' not in merged:
            groups.add_resource('MEMORY_MB', _size(flavor, 'ram'))
        if 'DISK_GB' not in merged:
            swap_mib = _size(flavor, 'swap')
            disk = _size(flavor, 'OS-FLV-EXT-DATA:ephemeral') + -(-swap_mib // 1024)
            if not boot_from_volume:
                disk += _size(flavor, 'disk')
            if disk:
                groups.add_resource('DISK_GB', disk)
        _late_translations(groups, specs)
    except NovaRefuses as exc:
        return PlacementRequest(invalid=f'Nova refuses to boot this flavor: {exc}',
                                unknown_aliases=request.unknown_aliases)
    _numa_caveats(request, specs)
    for group in groups.by_suffix.values():  # strip_zeros
        group.resources = {rc: n for rc, n in group.resources.items() if n != 0}
    kept = [group for group in groups.by_suffix.values() if not group.is_empty()]
    request.groups = sorted(kept, key=lambda group: group.numbered)
    numbered = sum(1 for group in kept if group.numbered)
    if numbered >= 2 and request.group_policy is None:
        if from_flavor <= 1:
            request.group_policy = 'none'
        else:
            request.invalid = ('the flavor has several numbered request groups but no '
                               'group_policy, which Placement refuses')
    resourceless = [group.suffix or '(unnumbered)' for group in kept if not group.resources]
    if resourceless and request.invalid is None:
        request.invalid = (f'request group {resourceless[0]} asks traits but no resources: '
                           'Nova sends it with empty resources, which Placement refuses')
    return request


def with_aggregates(request: PlacementRequest,
                    aggregates: Iterable[Iterable[str]]) -> PlacementRequest:
    """A copy of ``request`` confined to aggregates: every inner list is one ``member_of``
    (any of its aggregates), all must hold; what Nova adds for an availability zone that
    has aggregates (``map_az_to_placement_aggregate``) or a tenant's aggregates."""
    confined = copy.deepcopy(request)
    confined.member_of.extend(sorted(set(ored)) for ored in aggregates)
    return confined
