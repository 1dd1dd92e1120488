"""The scenario's vGPUs: a host's physical GPUs serving mediated devices, and the servers
holding some::

    hosts:
      - hostname: gpu1
        generate: {gpus: 0}
        vgpus:                      # [devices] enabled_mdev_types, per physical GPU
          - {address: "0000:84:00.0", total: 16}                 # resource class VGPU
          - {address: "0000:85:00.0", total: 8, resource_class: CUSTOM_NVIDIA_11,
             traits: [CUSTOM_NVIDIA_11]}                  # an operator's trait, by hand
    servers:
      - {name: vm1, project: demo, host: gpu1, vgpus: ["0000:84:00.0"]}   # one per entry

``resource_class`` is Nova's ``[mdev_<type>] mdev_class`` (``VGPU`` or ``CUSTOM_…``, the
option's own pattern); ``total`` how many mediated devices the GPU can hold.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import yaml

from pciclient.fakeserver.model.catalog import HostService, PhysicalGpu
from pciclient.fakeserver.model.sysfs import ADDRESS_RE
from pciclient.fakeserver.scenario.yaml_nodes import (
    Problem,
    integer,
    line_of,
    mapping,
    scalar_text,
    sequence,
    string,
)

__all__ = ['held_vgpus', 'physical_gpus', 'with_vgpus']

# nova.conf.devices: the mdev_class option's regex.
_MDEV_CLASS = re.compile(r'^(VGPU|CUSTOM_[A-Z0-9_]+)$')
_TRAIT = re.compile(r'^[A-Z0-9_]{1,255}$')
# What one physical GPU can hold: far above any real mdev count, a typo stopper.
MAX_VGPUS = 4096


def _address(node: yaml.Node, what: str) -> str:
    text = scalar_text(node, what).strip()
    if not ADDRESS_RE.match(text.lower()):
        raise Problem(line_of(node), f'{what} {text!r} is not a PCI address like 0000:84:00.0')
    return text.lower()


def physical_gpus(node: yaml.Node) -> tuple[PhysicalGpu, ...]:
    """A host's ``vgpus`` list, checked (no address twice)."""
    gpus: dict[str, PhysicalGpu] = {}
    for item in sequence(node, 'vgpus'):
        fields = mapping(item, 'a vgpus entry', ('address', 'total', 'resource_class', 'traits'),
                         required=('address', 'total'))
        address = _address(fields['address'], 'vgpus address')
        if address in gpus:
            raise Problem(line_of(item), f'vgpus: physical GPU {address} is listed twice')
        resource_class = 'VGPU'
        if 'resource_class' in fields:
            resource_class = string(fields['resource_class'], 'vgpus resource_class')
            if not _MDEV_CLASS.match(resource_class):
                raise Problem(line_of(fields['resource_class']),
                              f'vgpus resource_class {resource_class!r} is not VGPU or '
                              'CUSTOM_ followed by A-Z, 0-9, _ (Nova\'s mdev_class)')
        traits: set[str] = set()
        for trait_node in sequence(fields['traits'], 'vgpus traits') if 'traits' in fields \
                else []:
            trait = string(trait_node, 'a trait')
            if not _TRAIT.match(trait):
                raise Problem(line_of(trait_node), f'trait {trait!r} is not a trait name '
                                                   '(A-Z, 0-9, _)')
            traits.add(trait)
        gpus[address] = PhysicalGpu(address, integer(fields['total'], 'vgpus total', 1, MAX_VGPUS),
                                    resource_class, frozenset(traits))
    return tuple(gpus.values())


def with_vgpus(service: HostService, fields: Mapping[str, yaml.Node]) -> HostService:
    """A host entry's service with the physical GPUs of its ``vgpus`` key, if any."""
    if 'vgpus' not in fields:
        return service
    return dataclasses.replace(service, vgpus=physical_gpus(fields['vgpus']))


def held_vgpus(fields: Mapping[str, yaml.Node], server: str, hostname: str,
               services: Mapping[str, HostService],
               used: dict[tuple[str, str], int]) -> tuple[str, ...]:
    """A server entry's ``vgpus``: one physical GPU address per vGPU it holds, each a GPU
    of its host with a mediated device left (``used`` counts them across servers)."""
    if 'vgpus' not in fields:
        return ()
    service = services.get(hostname)
    by_address = {gpu.address: gpu for gpu in (service.vgpus if service else ())}
    held = []
    for item in sequence(fields['vgpus'], 'vgpus'):
        address = _address(item, 'vgpus address')
        gpu = by_address.get(address)
        if gpu is None:
            raise Problem(line_of(item), f'server {server!r}: host {hostname!r} has no '
                                         f'physical GPU {address} in its vgpus')
        key = (hostname, address)
        if used.get(key, 0) >= gpu.total:
            raise Problem(line_of(item), f'server {server!r}: physical GPU {address} of '
                                         f'{hostname!r} has no vGPU left (total {gpu.total})')
        used[key] = used.get(key, 0) + 1
        held.append(address)
    return tuple(held)
