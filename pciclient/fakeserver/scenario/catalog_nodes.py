"""The scenario's flavors, PCI aliases and host aggregates, checked line by line.

::

    flavors:                      # without this key: default_flavors(); [] for none
      - {name: m1.small, id: "2", vcpus: 1, ram: 2048, disk: 20}
      - name: gpu.small
        vcpus: 2
        ram: 4096
        disk: 20                  # GiB; ephemeral (GiB) and swap (MiB) too
        is_public: true
        description: one GPU
        extra_specs: {"pci_passthrough:alias": "gpu:1"}
    pci_aliases:                  # nova.conf [pci] alias entries; no API shows them
      - {name: gpu, vendor_id: "10de", product_id: "1eb8", device_type: type-PCI}
    aggregates:
      - {name: rack1, uuid: 8c5…, hosts: [compute1], availability_zone: az1,
         metadata: {ssd: "true"}}

A flavor's ``id`` defaults to a UUID derived from its name; an aggregate's ``uuid``
likewise, and its ``id`` is its position (1, 2, …) as Nova's database would number
them. Aliases are checked against Nova 34's ``[pci] alias`` schema.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable
from typing import Any

import yaml

from pciclient.fakeserver.model.catalog import Aggregate, Catalog, Flavor, HostService
from pciclient.fakeserver.model.hosts import HostScan
from pciclient.fakeserver.model.inventory import dev_type_of
from pciclient.fakeserver.model.sysfs import PciFunction
from pciclient.fakeserver.scenario.yaml_nodes import (
    Problem,
    boolean,
    free_mapping,
    integer,
    line_of,
    mapping,
    scalar_text,
    sequence,
    string,
)

__all__ = ['DEFAULT_ALIAS_NAME', 'aggregates_from', 'aliases_from', 'catalog_for_functions',
           'default_aliases', 'default_catalog', 'default_flavors', 'flavors_from', 'host_service']

_NAMESPACE = uuid.UUID('3d1f6f64-0c4c-4f55-9b1e-6c7f0c6e2a90')
_FLAVOR_KEYS = ('name', 'id', 'vcpus', 'ram', 'disk', 'ephemeral', 'swap', 'is_public',
                'description', 'extra_specs')
_AGGREGATE_KEYS = ('name', 'uuid', 'hosts', 'availability_zone', 'metadata')
# Nova 34's [pci] alias schema (nova/pci/request.py): keys, and the closed values.
_ALIAS_ENUMS = {
    'capability_type': ('pci',),
    'device_type': ('type-PCI', 'type-PF', 'type-VF'),
    'numa_policy': ('required', 'legacy', 'preferred', 'socket'),
}
_ALIAS_KEYS = ('name', 'capability_type', 'product_id', 'vendor_id', 'device_type',
               'numa_policy', 'resource_class', 'traits', 'live_migratable')
_PCI_ID_RE = re.compile(r'^[0-9a-fA-F]{4}$')
_FLAVOR_ID_RE = re.compile(r'^[\w\.\- ]{1,255}$')
# Nova's flavor limits (nova/api/openstack/compute/schemas/flavors.py).
_MAX_INT = 2**31 - 1
DEFAULT_ALIAS_NAME = 'gpu'


def _unique(items: Iterable[tuple[str, int]], what: str) -> None:
    seen: dict[str, int] = {}
    for value, line in items:
        if value in seen:
            raise Problem(line, f'duplicate {what} {value!r} (also at line {seen[value]})')
        seen[value] = line


def _text_map(node: yaml.Node, what: str) -> dict[str, str]:
    return {key: scalar_text(value, f'{what} {key}')
            for key, _, value in free_mapping(node, what)}


def flavors_from(node: yaml.Node) -> list[Flavor]:
    flavors = []
    names, ids = [], []
    for item in sequence(node, 'flavors'):
        fields = mapping(item, 'a flavor', _FLAVOR_KEYS, required=('name', 'vcpus', 'ram'))
        name = string(fields['name'], 'flavor name')
        flavor_id = str(uuid.uuid5(_NAMESPACE, 'flavor:' + name))
        if 'id' in fields:
            flavor_id = scalar_text(fields['id'], 'flavor id').strip()
            if not _FLAVOR_ID_RE.match(flavor_id):
                raise Problem(line_of(fields['id']), 'flavor id must be 1 to 255 letters, '
                                                     f'digits, ".", "-", "_" or spaces, '
                                                     f'not {flavor_id!r}')
        names.append((name, line_of(fields['name'])))
        ids.append((flavor_id, line_of(item)))
        description = None
        if 'description' in fields:
            description = scalar_text(fields['description'], 'flavor description')
        extra_specs = {}
        if 'extra_specs' in fields:
            extra_specs = _text_map(fields['extra_specs'], 'flavor extra_specs')
        sizes = {key: integer(fields[key], f'flavor {key}', low, _MAX_INT) if key in fields
                 else 0 for key, low in (('vcpus', 1), ('ram', 1), ('disk', 0),
                                         ('ephemeral', 0), ('swap', 0))}
        flavors.append(Flavor(
            id=flavor_id, name=name, vcpus=sizes['vcpus'], ram=sizes['ram'],
            disk=sizes['disk'], ephemeral=sizes['ephemeral'], swap=sizes['swap'],
            is_public=boolean(fields['is_public'], 'is_public') if 'is_public' in fields
            else True,
            extra_specs=extra_specs, description=description))
    _unique(names, 'flavor name')
    _unique(ids, 'flavor id')
    return flavors


def aliases_from(node: yaml.Node) -> list[dict[str, str]]:
    aliases = []
    names = []
    for item in sequence(node, 'pci_aliases'):
        fields = mapping(item, 'a PCI alias', _ALIAS_KEYS, required=('name',))
        alias: dict[str, str] = {}
        for key, value_node in fields.items():
            value = scalar_text(value_node, f'alias {key}').strip()
            allowed = _ALIAS_ENUMS.get(key)
            if allowed is not None and value not in allowed:
                raise Problem(line_of(value_node), f'alias {key} must be one of '
                                                   f'{", ".join(allowed)}, not {value!r}')
            if key in ('vendor_id', 'product_id') and not _PCI_ID_RE.match(value):
                raise Problem(line_of(value_node), f'alias {key} must be 4 hex digits, '
                                                   f'not {value!r}')
            if key == 'name' and not 1 <= len(value) <= 256:
                raise Problem(line_of(value_node), 'alias name must be 1 to 256 characters')
            alias[key] = value
        names.append((alias['name'], line_of(item)))
        aliases.append(alias)
    # Nova merges same-named aliases into one multi-spec alias; the fake keeps them apart.
    _unique(names, 'alias name')
    return aliases


def aggregates_from(node: yaml.Node, hostnames: Collection[str]) -> list[Aggregate]:
    """Aggregates numbered from 1; hosts must be the scenario's, and a host is in one
    availability zone at most (Nova refuses a second one)."""
    aggregates = []
    names, uuids = [], []
    zone_of: dict[str, tuple[str, int]] = {}
    for number, item in enumerate(sequence(node, 'aggregates'), start=1):
        fields = mapping(item, 'an aggregate', _AGGREGATE_KEYS, required=('name',))
        name = string(fields['name'], 'aggregate name')
        agg_uuid = str(uuid.uuid5(_NAMESPACE, 'aggregate:' + name))
        if 'uuid' in fields:
            text = scalar_text(fields['uuid'], 'aggregate uuid').strip()
            try:
                agg_uuid = str(uuid.UUID(text))
            except ValueError:
                raise Problem(line_of(fields['uuid']),
                              f'aggregate uuid must be a UUID, not {text!r}') from None
        names.append((name, line_of(fields['name'])))
        uuids.append((agg_uuid, line_of(item)))
        metadata = _text_map(fields['metadata'], 'aggregate metadata') \
            if 'metadata' in fields else {}
        if 'availability_zone' in fields:
            metadata['availability_zone'] = string(fields['availability_zone'],
                                                   'availability_zone')
        hosts = _aggregate_hosts(fields.get('hosts'), hostnames)
        zone = metadata.get('availability_zone')
        for host, line in hosts:
            other = zone_of.get(host)
            if zone and other is not None and other[0] != zone:
                raise Problem(line, f'host {host!r} is already in availability zone '
                                    f'{other[0]!r} (line {other[1]}); Nova allows one')
            if zone:
                zone_of[host] = (zone, line)
        aggregates.append(Aggregate(id=number, name=name, uuid=agg_uuid,
                                    hosts=tuple(host for host, _ in hosts), metadata=metadata))
    _unique(names, 'aggregate name')
    _unique(uuids, 'aggregate uuid')
    return aggregates


def _aggregate_hosts(node: yaml.Node | None, hostnames: Collection[str]
                     ) -> list[tuple[str, int]]:
    if node is None:
        return []
    hosts: list[tuple[str, int]] = []
    for item in sequence(node, 'aggregate hosts'):
        host = string(item, 'a host')
        if host not in hostnames:
            raise Problem(line_of(item), f'unknown host {host!r}')
        if any(host == known for known, _ in hosts):
            raise Problem(line_of(item), f'host {host!r} is listed twice')
        hosts.append((host, line_of(item)))
    return hosts


def default_aliases(devices: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """One alias for the first kind of whole device a cloud has (a type-PCI device, else
    a type-PF), from (vendor, product, dev_type) triples: something a PCI flavor can ask."""
    found = sorted(set(devices), key=lambda d: (d[2] != 'type-PCI', d))
    for vendor, product, dev_type in found:
        if dev_type in ('type-PCI', 'type-PF'):
            return [{'name': DEFAULT_ALIAS_NAME, 'vendor_id': vendor, 'product_id': product,
                     'device_type': dev_type}]
    return []


def default_flavors(aliases: Collection[dict[str, Any]]) -> list[Flavor]:
    """Two of DevStack's flavors, and one asking a device of the first alias if any."""
    flavors = [Flavor(id='1', name='m1.tiny', vcpus=1, ram=512, disk=1),
               Flavor(id='2', name='m1.small', vcpus=1, ram=2048, disk=20)]
    for alias in list(aliases)[:1]:
        flavors.append(Flavor(id='pci.small', name='pci.small', vcpus=2, ram=4096, disk=20,
                              extra_specs={'pci_passthrough:alias': f'{alias["name"]}:1'},
                              description=f'one {alias["name"]} device'))
    return flavors


def host_service(fields: dict[str, yaml.Node]) -> HostService:
    """A host entry's ``disabled``, ``disabled_reason``, ``down`` (its service stopped
    reporting) and ``forced_down`` (an operator said so, 2.11): both make it ``down``;
    ``report_in_placement`` (default true) whether its PCI devices are in Placement."""
    disabled = boolean(fields['disabled'], 'disabled') if 'disabled' in fields else False
    reason = None
    if 'disabled_reason' in fields:
        if not disabled:
            raise Problem(line_of(fields['disabled_reason']),
                          'disabled_reason needs disabled: true')
        reason = string(fields['disabled_reason'], 'disabled_reason')
    down = boolean(fields['down'], 'down') if 'down' in fields else False
    forced = boolean(fields['forced_down'], 'forced_down') if 'forced_down' in fields else False
    in_placement = boolean(fields['report_in_placement'], 'report_in_placement') \
        if 'report_in_placement' in fields else True
    return HostService(disabled=disabled, disabled_reason=reason, down=down, forced_down=forced,
                       pci_in_placement=in_placement)


def check_pci_in_placement(fields: dict[str, yaml.Node], hostname: str, scan: HostScan) -> None:
    """Refuse a host reporting PCI to Placement whose device_spec tracks a PF and its VFs.

    Nova 34 refuses it (``PciResourceProvider.add_parent``/``add_child`` raise
    ``PlacementPciDependentDeviceException``) and stops reporting the host, so a fake
    serving it would show a cloud no Nova can be. Devices tagged ``physical_network`` are
    Neutron's and not reported, so they never clash. A host without a device_spec tracks
    every function, which is no Nova configuration: there Placement shows a PF through its
    VFs, as Nova does when the device_spec lists the VFs only (unless
    ``report_in_placement: true`` is said outright, which is then checked too).
    """
    explicit = 'report_in_placement' in fields
    if explicit and not boolean(fields['report_in_placement'], 'report_in_placement'):
        return
    if not explicit and 'device_spec' not in fields:
        return
    reported = {function.address: function for function, tags in scan.tracked
                if not dict(tags).get('physical_network', '').strip()}
    children: dict[str, list[str]] = {}
    for address, function in sorted(reported.items()):
        if function.physfn in reported:
            children.setdefault(function.physfn, []).append(address)
    for address, vfs in sorted(children.items()):
        if vfs:
            shown = ', '.join(vfs[:3]) + (f' and {len(vfs) - 3} more' if len(vfs) > 3 else '')
            raise Problem(line_of(fields.get('device_spec', fields['hostname'])),
                          f'host {hostname} reports PCI to Placement but tracks PF {address} '
                          f'and its VFs {shown}: Nova refuses to report such a host; track '
                          'the PF or its VFs, or set report_in_placement: false')


def default_catalog(*scans: HostScan) -> Catalog:
    """The flavors and alias of a cloud whose scenario names none (see the loader's doc)."""
    return catalog_for_functions(f for scan in scans for f, _ in scan.tracked)


def catalog_for_functions(functions: Iterable[PciFunction]) -> Catalog:
    """:func:`default_catalog` of a cloud tracking these functions (``pci-cli --local``)."""
    aliases = default_aliases({(f.vendor, f.device, dev_type_of(f)) for f in functions})
    return Catalog(default_flavors(aliases), pci_aliases=aliases)
