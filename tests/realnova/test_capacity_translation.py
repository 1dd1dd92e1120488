"""The flavor → Placement request translation, against Nova 34's own code.

One process in the Nova venv (``nova_resource_request.py``) builds Nova's
``RequestSpec`` for every flavor below and prints the query string of
``resources_from_request_spec``; each must equal ours (``flavor_request(...).query``).
Nova names a PCI request group ``<random request uuid>-<i>``, we ``_pci<k>-<i>``: both
sides' PCI suffixes are mapped to their position (device by device, in request order)
before comparing. Where Nova refuses the flavor (an exception), ours must be ``invalid``
or name the unknown alias; where Nova sends a query Placement refuses (several numbered
groups without ``group_policy``, a group with traits but no resources, which Nova sends
as an empty ``resources$S=`` that our query leaves out), ours must be ``invalid``.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from pciclient.v2.capacity.aliases import load_aliases
from pciclient.v2.capacity.flavor_request import flavor_request
from pciclient.v2.capacity.request import PlacementRequest
from tests.realnova.conftest import NOVA_REQUIREMENTS
from tests.realservices.venvs import VenvError, ensure_venv

SCRIPT = Path(__file__).with_name('nova_resource_request.py')
ALIASES = [
    {'name': 'gpu', 'vendor_id': '10de', 'product_id': '1eb8', 'device_type': 'type-PCI'},
    {'name': 'vf', 'vendor_id': '8086', 'product_id': '1515', 'device_type': 'type-VF',
     'traits': 'CUSTOM_PHYSNET_A,blue'},
    {'name': 'fpga', 'resource_class': 'fpga-small', 'device_type': 'type-PCI'},
    {'name': 'vgpu', 'vendor_id': '10de', 'product_id': '2236', 'resource_class': 'vgpu',
     'traits': 'HW_GPU_API_DIRECTX_V12,custom_fast', 'numa_policy': 'preferred'},
]
TWO_SPECS = [dict(ALIASES[0]), dict(ALIASES[0], product_id='1eb9')]
BASE = {'vcpus': 2, 'ram': 512, 'disk': 1}


def _flavor(name: str, extra_specs: dict[str, str] | None = None, **sizes: Any) -> dict:
    return {'name': name, **BASE, **sizes, 'extra_specs': extra_specs or {}}


FLAVORS = [
    _flavor('plain', swap=''),
    _flavor('swap-1-mib', swap=1),
    _flavor('swap-1025-mib-ephemeral', swap=1025, **{'OS-FLV-EXT-DATA:ephemeral': 2}),
    _flavor('boot-from-volume', disk=10, boot_from_volume=True,
            **{'OS-FLV-EXT-DATA:ephemeral': 1}),
    _flavor('boot-from-volume-no-disk', disk=10, boot_from_volume=True),
    _flavor('zero-disk', disk=0),
    _flavor('gpu-1', {'pci_passthrough:alias': 'gpu:1'}),
    _flavor('gpu-2', {'pci_passthrough:alias': 'gpu:2'}),
    _flavor('vf-2-gpu-1-isolate', {'pci_passthrough:alias': 'vf:2, gpu:1',
                                   'group_policy': 'isolate'}),
    _flavor('fpga-resource-class', {'pci_passthrough:alias': 'fpga:1'}),
    _flavor('vgpu-standard-rc-traits', {'pci_passthrough:alias': 'vgpu:1'}),
    _flavor('numbered-with-policy', {'resources1:VGPU': '1', 'resources2:VGPU': '1',
                                     'trait2:CUSTOM_B': 'forbidden', 'group_policy': 'none'}),
    _flavor('numbered-without-policy', {'resources1:VGPU': '1', 'resources2:VGPU': '1'}),
    _flavor('one-numbered-and-gpu', {'resources1:VGPU': '1', 'pci_passthrough:alias': 'gpu:1'}),
    _flavor('traits', {'trait:CUSTOM_RED': 'required', 'trait:HW_CPU_X86_AVX2': 'forbidden',
                       'trait:CUSTOM_BAD': 'maybe', 'resources1:CUSTOM_NIC': '2',
                       'trait1:CUSTOM_PHYSNET': 'required'}),
    _flavor('overrides', {'resources:VCPU': '4', 'resources:MEMORY_MB': '0',
                          'resources:DISK_GB': '0', 'resources:CUSTOM_FOO': '3',
                          'resources:bogus': '1', 'resources:VGPU': 'abc',
                          'resources:PGPU': '-1'}, swap=2048),
    _flavor('dedicated', {'hw:cpu_policy': 'dedicated'}),
    _flavor('dedicated-isolate-threads', {'hw:cpu_policy': 'dedicated',
                                          'hw:emulator_threads_policy': 'isolate',
                                          'hw:cpu_thread_policy': 'isolate'}),
    _flavor('dedicated-require-threads', {'hw:cpu_policy': 'dedicated',
                                          'hw:cpu_thread_policy': 'require'}),
    _flavor('mixed-mask', {'hw:cpu_policy': 'mixed', 'hw:cpu_dedicated_mask': '^0'},
            vcpus=4),
    _flavor('mixed-realtime-isolate', {'hw:cpu_policy': 'mixed', 'hw:cpu_realtime': 'yes',
                                       'hw:cpu_realtime_mask': '^0-1',
                                       'hw:emulator_threads_policy': 'isolate'}, vcpus=4),
    _flavor('pci-numa-socket', {'pci_passthrough:alias': 'gpu:1',
                                'hw:pci_numa_affinity_policy': 'socket'}),
    _flavor('vtpm-crb-host', {'hw:tpm_version': '2.0', 'hw:tpm_model': 'tpm-crb',
                              'hw:tpm_secret_security': 'host'}),
    _flavor('vtpm-default', {'hw:tpm_version': '1.2'}),
    _flavor('root-traits', {'os:secure_boot': 'required', 'hw:maxphysaddr_mode': 'emulate',
                            'hw:virtio_packed_ring': 'true', 'hw:sound_model': 'virtio',
                            'hw:ephemeral_encryption': 'yes',
                            'hw:ephemeral_encryption_format': 'luks'}),
    {**_flavor('mem-encryption', {'hw:mem_encryption': 'True'}),
     'image_properties': {'hw_firmware_type': 'uefi'}},
    _flavor('pmem', {'hw:pmem': '4GB, 4GB,SMALL'}),
    _flavor('accelerator', {'accel:device_profile': 'dp1'}),
    _flavor('numa-nodes', {'hw:numa_nodes': '1'}),
    _flavor('string-suffixes', {'resources_gpu:VGPU': '1', 'trait_gpu:CUSTOM_Y': 'required',
                                'resourcesNET-A:CUSTOM_NIC': '1', 'group_policy': 'isolate'}),
    _flavor('bad-group-policy', {'resources1:VGPU': '1', 'resources2:VGPU': '1',
                                 'group_policy': 'spread'}),
    _flavor('zero-groups-count', {'resources1:VGPU': '0', 'resources2:VGPU': '0',
                                  'pci_passthrough:alias': 'gpu:2'}),
    _flavor('zero-group-then-gpu', {'resources1:VGPU': '0', 'pci_passthrough:alias': 'gpu:2'}),
    _flavor('trait-only-group', {'trait1:CUSTOM_X': 'required'}),
    _flavor('thread-policy-unpinned', {'hw:cpu_thread_policy': 'isolate'}),
    _flavor('policy-and-pcpu', {'hw:cpu_policy': 'dedicated', 'resources:PCPU': '2'}),
    _flavor('pcpu-resources', {'resources:PCPU': '2'}),
    _flavor('mixed-without-mask', {'hw:cpu_policy': 'mixed'}),
    _flavor('unknown-alias', {'pci_passthrough:alias': 'nope:1'}),
    _flavor('malformed-alias', {'pci_passthrough:alias': 'gpu'}),
    {**_flavor('gpu-no-owner-check', {'pci_passthrough:alias': 'gpu:2'}), 'owner_nova': False},
    {**_flavor('gpu-not-in-placement-fpga-has-no-ids', {'pci_passthrough:alias': 'gpu:2'}),
     'pci_in_placement': False},
    {**_flavor('gpu-not-in-placement', {'pci_passthrough:alias': 'gpu:2'}),
     'pci_in_placement': False, 'aliases': [json.dumps(alias) for alias in ALIASES[:2]]},
    {**_flavor('two-specs-in-placement', {'pci_passthrough:alias': 'gpu:1'}),
     'aliases': [json.dumps(alias) for alias in TWO_SPECS]},
    {**_flavor('two-specs-not-in-placement', {'pci_passthrough:alias': 'gpu:1'}),
     'aliases': [json.dumps(alias) for alias in TWO_SPECS], 'pci_in_placement': False},
]


def _nova_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PYTHON'))}
    env['OS_NOVA_DISABLE_EVENTLET_PATCHING'] = '1'
    return env


@pytest.fixture(scope='module')
def nova_answers() -> dict[str, dict]:
    try:
        venv = ensure_venv('nova', NOVA_REQUIREMENTS)
    except (VenvError, subprocess.SubprocessError, OSError) as exc:
        pytest.fail(f'could not build the Nova venv: {exc}', pytrace=False)
    document = {'aliases': [json.dumps(alias) for alias in ALIASES],
                'pci_in_placement': True, 'owner_nova': True, 'flavors': FLAVORS}
    done = subprocess.run([str(venv / 'bin' / 'python'), str(SCRIPT)],
                          input=json.dumps(document), capture_output=True, text=True,
                          timeout=300, env=_nova_env())
    if done.returncode != 0:
        pytest.fail(f'{SCRIPT.name} failed:\n{done.stderr[-3000:]}', pytrace=False)
    return {answer['name']: answer for answer in json.loads(done.stdout)}


def _normalised(query: str, pci_suffixes: list[str]) -> list[tuple[str, str]]:
    """The query's parameters, sorted, with PCI suffixes replaced by their position and
    empty ``resources$S`` (which only Nova writes) left out."""
    names = {suffix: f'PCI{position}' for position, suffix in enumerate(pci_suffixes)}
    params = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        for suffix, name in names.items():
            for prefix in ('resources', 'required'):
                if key == prefix + suffix:
                    key = prefix + name
        if key.startswith('resources') and value == '':
            continue
        params.append((key, value))
    return sorted(params)


def _ours(item: dict) -> PlacementRequest:
    lines = item.get('aliases', [json.dumps(alias) for alias in ALIASES])
    aliases = load_aliases('[pci]\n' + ''.join(f'alias = {line}\n' for line in lines))
    return flavor_request(item, aliases=aliases,
                          pci_in_placement=item.get('pci_in_placement', True),
                          boot_from_volume=item.get('boot_from_volume', False),
                          owner_nova=item.get('owner_nova', True))


def _placement_refuses(query: str) -> bool:
    params = parse_qsl(query, keep_blank_values=True)
    empty = any(key.startswith('resources') and value == '' for key, value in params)
    has_policy = any(key == 'group_policy' for key, _ in params)
    return empty or (len(_suffixes(params)) >= 2 and not has_policy)


def _suffixes(params: list[tuple[str, str]]) -> set[str]:
    found = set()
    for key, _ in params:
        for prefix in ('resources', 'required'):
            if key.startswith(prefix) and key != prefix:
                found.add(key[len(prefix):])
    return found


def test_enough_flavors() -> None:
    assert len(FLAVORS) >= 20
    assert len({item['name'] for item in FLAVORS}) == len(FLAVORS)


@pytest.mark.parametrize('item', FLAVORS, ids=[item['name'] for item in FLAVORS])
def test_query_is_novas(item: dict, nova_answers: dict[str, dict]) -> None:
    nova = nova_answers[item['name']]
    ours = _ours(item)
    if nova['error']:
        assert ours.invalid or ours.unknown_aliases, nova['error']
        assert not ours.groups or ours.unknown_aliases
        return
    assert not ours.unknown_aliases
    pci_ours = [group.suffix or '' for group in ours.groups if group.alias]
    assert len(pci_ours) == len(nova['pci_suffixes'])
    assert _normalised(ours.query(limit=1000), pci_ours) == \
        _normalised(nova['query'], nova['pci_suffixes'])
    assert bool(ours.invalid) == _placement_refuses(nova['query']), ours.invalid
