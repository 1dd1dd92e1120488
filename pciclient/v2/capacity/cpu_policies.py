"""CPU pinning extra specs as Nova 34 checks them at boot and turns them into resources.

Nova's compute API refuses a flavor whose CPU policies contradict each other
(``nova/virt/hardware.py`` ``numa_get_constraints``), and the scheduler then swaps
``VCPU`` for ``PCPU`` (``ResourceRequest._translate_pinning_policies``). Both are
reproduced here for the flavor alone: an image without properties is assumed, since a
capacity question names no image.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CPU_POLICIES = ('dedicated', 'shared', 'mixed')
THREAD_POLICIES = ('prefer', 'isolate', 'require')
EMULATOR_POLICIES = ('share', 'isolate')
HYPERTHREADING = 'HW_CPU_HYPERTHREADING'
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')


class NovaRefuses(Exception):
    """Nova's API would refuse to boot this flavor; the message says why."""


@dataclass
class Pinning:
    """What the CPU policies add to the unnumbered group, in Nova's order."""

    resources: list[tuple[str, int]] = field(default_factory=list)
    traits: list[tuple[str, str]] = field(default_factory=list)
    #: Whether Nova also asks a second time with VCPU instead of PCPU (the
    #: ``vcpu_pin_set`` fallback query, unless the workaround option disables it).
    fallback_query: bool = False


def parse_cpu_spec(spec: str) -> set[int]:
    """A CPU set such as ``0-3,^2,5`` as Nova's ``parse_cpu_spec`` reads it."""
    wanted: set[int] = set()
    rejected: set[int] = set()
    for rule in spec.split(','):
        rule = rule.strip()
        if not rule:
            continue
        parts = rule.split('-', 1)
        if len(parts) > 1:
            reject = parts[0].startswith('^')
            if reject:
                parts[0] = parts[0][1:]
            try:
                start, end = (int(part.strip()) for part in parts)
            except ValueError:
                raise NovaRefuses(f'invalid CPU range {rule!r}') from None
            if start > end:
                raise NovaRefuses(f'invalid CPU range {rule!r}')
            (rejected if reject else wanted).update(range(start, end + 1))
        elif rule.startswith('^'):
            try:
                rejected.add(int(rule[1:].strip()))
            except ValueError:
                raise NovaRefuses(f'invalid CPU exclusion {rule!r}') from None
        else:
            try:
                wanted.add(int(rule))
            except ValueError:
                raise NovaRefuses(f'invalid CPU {rule!r}') from None
    return wanted - rejected


def _mask(mask: str, vcpus: int) -> set[int]:
    if mask.strip().startswith('^'):
        return parse_cpu_spec(f'0-{vcpus - 1},{mask}')
    return parse_cpu_spec(mask)


def choice(specs: Mapping[str, str], key: str, allowed: Iterable[str]) -> str | None:
    """An extra spec that must be one of ``allowed`` (Nova refuses the flavor otherwise)."""
    value = specs.get(key)
    if not value:
        return None
    if value not in allowed:
        raise NovaRefuses(f'{key} {value!r} is not one of {", ".join(allowed)}')
    return value


def _dedicated_cpus(specs: Mapping[str, str], vcpus: int) -> set[int] | None:
    mask = specs.get('hw:cpu_dedicated_mask')
    if not mask:
        return None
    pcpus = _mask(mask, vcpus)
    cpus = set(range(vcpus))
    if not pcpus or not cpus - pcpus:
        raise NovaRefuses('hw:cpu_dedicated_mask must leave some but not all vCPUs shared')
    if not pcpus <= cpus:
        raise NovaRefuses('hw:cpu_dedicated_mask names vCPUs the flavor does not have')
    return pcpus


def _realtime_cpus(specs: Mapping[str, str], vcpus: int) -> set[int] | None:
    if str(specs.get('hw:cpu_realtime', '')).strip().lower() not in _TRUE:
        return None
    mask = specs.get('hw:cpu_realtime_mask')
    everything = set(range(vcpus))
    realtime = _mask(mask, vcpus) if mask else set(everything)
    if not realtime:
        raise NovaRefuses('hw:cpu_realtime_mask selects no vCPU')
    if realtime == everything and not specs.get('hw:emulator_threads_policy'):
        raise NovaRefuses('hw:cpu_realtime needs a mask leaving a vCPU for the emulator '
                          '(or hw:emulator_threads_policy)')
    if not realtime <= everything:
        raise NovaRefuses('hw:cpu_realtime_mask names vCPUs the flavor does not have')
    return realtime


def _summed(specs: Mapping[str, str], rc: str) -> int:
    total = 0
    for key, value in specs.items():
        if re.match(f'resources([1-9][0-9]*)?:{rc}', key):
            try:
                total += int(value)
            except ValueError:
                pass
    return total


def check_cpu_policies(specs: Mapping[str, str], vcpus: int) -> None:
    """Raise :class:`NovaRefuses` where Nova's API refuses the flavor's CPU policies."""
    cpu_policy = choice(specs, 'hw:cpu_policy', CPU_POLICIES)
    thread_policy = choice(specs, 'hw:cpu_thread_policy', THREAD_POLICIES)
    realtime = _realtime_cpus(specs, vcpus)
    dedicated = _dedicated_cpus(specs, vcpus)
    emulator = choice(specs, 'hw:emulator_threads_policy', EMULATOR_POLICIES)
    vcpu, pcpu = _summed(specs, 'VCPU'), _summed(specs, 'PCPU')
    if cpu_policy and (vcpu or pcpu):
        raise NovaRefuses('resources:VCPU or resources:PCPU cannot go with hw:cpu_policy')
    if vcpu and pcpu:
        raise NovaRefuses('resources:VCPU and resources:PCPU cannot go together')
    if pcpu:
        wanted = vcpus + 1 if emulator == 'isolate' else vcpus
        if pcpu != wanted:
            raise NovaRefuses(f'resources:PCPU must be {wanted} for this flavor')
        cpu_policy = 'dedicated'
    if vcpu:
        cpu_policy = 'shared'
    hyperthreading = next((value for key, value in specs.items()
                           if re.match(f'trait([1-9][0-9]*)?:{HYPERTHREADING}', key)), None)
    if thread_policy and hyperthreading:
        raise NovaRefuses(f'trait:{HYPERTHREADING} cannot go with hw:cpu_thread_policy')
    if hyperthreading == 'forbidden':
        thread_policy = 'isolate'
    elif hyperthreading == 'required':
        thread_policy = 'require'
    if cpu_policy in ('shared', None):
        if thread_policy:
            raise NovaRefuses('a CPU thread policy needs hw:cpu_policy dedicated or mixed')
        if emulator == 'isolate':
            raise NovaRefuses('hw:emulator_threads_policy=isolate needs hw:cpu_policy '
                              'dedicated or mixed')
        if dedicated:
            raise NovaRefuses('hw:cpu_dedicated_mask needs hw:cpu_policy=mixed')
        if realtime:
            raise NovaRefuses('hw:cpu_realtime needs hw:cpu_policy dedicated or mixed')
    elif cpu_policy == 'dedicated':
        if dedicated:
            raise NovaRefuses('hw:cpu_dedicated_mask needs hw:cpu_policy=mixed')
    elif bool(realtime) == bool(dedicated):
        raise NovaRefuses('hw:cpu_policy=mixed needs exactly one of hw:cpu_dedicated_mask '
                          'and hw:cpu_realtime_mask')


def translate_pinning(specs: Mapping[str, str], vcpus: int) -> Pinning:
    """``_translate_pinning_policies``: dedicated asks PCPU = vcpus, mixed asks VCPU for
    the shared vCPUs and PCPU for the dedicated ones, emulator threads ``isolate`` one
    more PCPU; thread policy isolate/require forbids/requires HW_CPU_HYPERTHREADING.
    Call :func:`check_cpu_policies` first."""
    cpu_policy = choice(specs, 'hw:cpu_policy', CPU_POLICIES)
    thread_policy = choice(specs, 'hw:cpu_thread_policy', THREAD_POLICIES)
    emulator = choice(specs, 'hw:emulator_threads_policy', EMULATOR_POLICIES)
    pinning = Pinning()
    pcpus = 0
    if cpu_policy == 'dedicated':
        pinning.fallback_query = True
        pcpus = vcpus
    if cpu_policy == 'mixed':
        pinned = _dedicated_cpus(specs, vcpus) or _realtime_cpus(specs, vcpus) or set()
        pcpus = len(pinned)
        pinning.resources.append(('VCPU', vcpus - pcpus))
    if cpu_policy in ('dedicated', 'mixed'):
        if emulator == 'isolate':
            pcpus += 1
        pinning.resources.append(('PCPU', pcpus))
    kind = {'isolate': 'forbidden', 'require': 'required'}.get(thread_policy or '')
    if kind:
        pinning.traits.append((HYPERTHREADING, kind))
    return pinning
