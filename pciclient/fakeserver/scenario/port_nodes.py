"""A server's held device as the scenario names it: an address, or one with a VNIC type.

::

    servers:
      - name: vm1
        host: compute1
        devices:
          - "0000:04:10.0"                                 # a physnet VF: a direct port
          - {address: "0000:04:10.2", vnic_type: macvtap}  # the port's VNIC type said

A device whose device_spec tags a ``physical_network`` is held through a Neutron
port (``network/ports.py``): ``direct`` for a VF, ``direct-physical`` for a PF
unless ``vnic_type`` says otherwise. Only physnet devices have a port, so a
``vnic_type`` on any other device is a mistake and refused. The values are
Neutron's VNIC types that hold a PCI device (``portbindings.VNIC_TYPES``).
"""
from __future__ import annotations

from collections.abc import Callable

import yaml

from pciclient.fakeserver.model.hosts import HostScan
from pciclient.fakeserver.scenario.yaml_nodes import Problem, line_of, mapping, sequence, string

__all__ = ['PCI_VNIC_TYPES', 'check_vnic_type', 'held_device_node', 'held_devices']

PCI_VNIC_TYPES = ('direct', 'direct-physical', 'macvtap', 'remote-managed', 'vdpa',
                  'virtio-forwarder', 'accelerator-direct', 'accelerator-direct-physical')


def held_device_node(node: yaml.Node) -> tuple[yaml.Node, str | None]:
    """The address node of a ``devices`` item and its ``vnic_type``, if it gives one."""
    if not isinstance(node, yaml.MappingNode):
        return node, None
    fields = mapping(node, 'a held device', ('address', 'vnic_type'), required=('address',))
    if 'vnic_type' not in fields:
        return fields['address'], None
    vnic = string(fields['vnic_type'], 'vnic_type').strip()
    if vnic not in PCI_VNIC_TYPES:
        raise Problem(line_of(fields['vnic_type']), f'vnic_type must be one of '
                                                    f'{", ".join(PCI_VNIC_TYPES)}, not {vnic!r}')
    return fields['address'], vnic


def check_vnic_type(node: yaml.Node, address: str, scan: HostScan) -> None:
    """Refuse a ``vnic_type`` on a device no physnet tag makes Neutron's."""
    for function, tags in scan.tracked:
        if function.address == address:
            if dict(tags).get('physical_network', '').strip():
                return
            break
    raise Problem(line_of(node), f'device {address} has a vnic_type but its device_spec '
                                 'tags no physical_network: only physnet devices have a port')


def held_devices(node: yaml.Node | None, scan: HostScan, hold: Callable[[yaml.Node], str],
                 ) -> tuple[list[str], dict[str, str]]:
    """A server's ``devices`` (None: none): the addresses ``hold`` checked, and the VNIC
    types given."""
    addresses: list[str] = []
    vnic_types: dict[str, str] = {}
    if node is None:
        return addresses, vnic_types
    for item in sequence(node, 'devices'):
        address_node, vnic = held_device_node(item)
        address = hold(address_node)
        addresses.append(address)
        if vnic is not None:
            check_vnic_type(item, address, scan)
            vnic_types[address] = vnic
    return addresses, vnic_types
