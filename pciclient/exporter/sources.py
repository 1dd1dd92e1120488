"""What one refresh reads from the cloud: each source is one function.

A source takes the :class:`Context` (the library's client, the exporter's settings, the
PCI names) and returns :data:`Samples` for families of :mod:`pciclient.exporter.metrics`.
The refresh loop runs every source of :data:`SOURCES` on its own: a source that fails keeps
its last good samples (stale) while the others move on. Adding a source is one function
here, its families in ``metrics``, and one line in :data:`SOURCES`.

Sources ask the library only (the managers ``pci-cli`` commands use), so every number
here is one that ``pci-cli pci-list --long``, ``sriov-port-list`` or ``capacity`` shows.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pciclient import exceptions as exc

#: Family name → [(label values in the family's order, value)].
Samples = dict[str, list[tuple[tuple[str, ...], float]]]

#: os-pci states whose device a server holds; ``available`` is free, any other is reserved.
_USED_STATES = ('claimed', 'allocated')
#: ``pci-list``'s ``Type`` of a physical GPU's provider (its units are vGPUs).
_VGPU = 'vgpu'


class BindingsHidden(exc.ClientException):
    """Neutron left the ports' binding fields out (the exporter's user has neither the
    ``admin`` nor the ``service`` role): which host and network a port is bound to is
    unknown, so no SR-IOV series is shown rather than wrong ones."""

    message = ('Neutron hides the SR-IOV ports\' binding:host_id and binding:profile from '
               'this user: give it the admin or service role to see ports per host.')


@dataclass
class Settings:
    """What the exporter's options ask of a refresh (the library knows no flags)."""

    per_device: bool = False
    #: ``--flavor`` names; empty: every flavor that asks for PCI devices or VGPUs.
    flavors: list[str] = field(default_factory=list)
    #: nova.conf's PCI aliases (``--pci-alias``'s text), or None.
    aliases_text: str | None = None
    pci_in_placement: str = 'auto'


@dataclass
class Context:
    client: Any
    settings: Settings
    #: ``pciclient.commands.pciids.PciNames``: vendor and product names, as pci-cli's.
    names: Any


def _text(value: Any) -> str:
    """A label value: '' for what is unknown (Prometheus treats it as absent)."""
    return '' if value is None else str(value)


def _pci_class(vendor_id: Any, product_id: Any) -> str:
    """The resource class Nova gives a device in Placement unless its spec names one."""
    return f'CUSTOM_PCI_{_text(vendor_id).upper()}_{_text(product_id).upper()}'


# -- devices ----------------------------------------------------------------------------------
def devices(ctx: Context) -> Samples:
    """Devices (os-pci) or device providers (Placement), as ``pci-list --long`` lists them:
    per host and resource class, and with ``--per-device`` per device and per holder."""
    client = ctx.client
    listed = client.pci_devices.list(detailed=True, name_holders=False)
    rows = [device.to_dict() for device in listed]
    pools = _pool_index(_os_pci_pools(client)) if listed.source == 'os-pci' and rows else {}
    samples: Samples = {}
    totals: dict[tuple[str, ...], list[float]] = {}
    holders: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for row in rows:
        tags = _pool_tags(row, pools.get(_pool_key(row), ())) \
            if listed.source == 'os-pci' else {}
        units = _units(row)
        rc = row.get('resource_class') or _resource_class_tag(tags) \
            or _pci_class(row.get('vendor_id'), row.get('product_id'))
        source = _text(row.get('source') or listed.source)   # a port's device: neutron
        vendor_name = ctx.names.vendor(row.get('vendor_id'))
        product_name = ctx.names.product(row.get('vendor_id'), row.get('product_id'))
        key: tuple[str, ...] = (_text(row.get('host')), rc, _text(row.get('vendor_id')),
               _text(row.get('product_id')), _text(vendor_name), _text(product_name),
               source)
        sums = totals.setdefault(key, [0, 0, 0, 0, 0])
        for index, value in enumerate((1, *units)):
            sums[index] += value
        if ctx.settings.per_device:
            labels = (_text(row.get('host')), _text(row.get('address')),
                      _text(row.get('vendor_id')), _text(row.get('product_id')),
                      _text(vendor_name), _text(product_name), _text(row.get('dev_type')),
                      rc, _text(tags.get('physical_network') or row.get('physical_network')),
                      _text(row.get('numa_node')), source)
            for name, value in zip(('capacity', 'used', 'reserved', 'free'), units,
                                   strict=True):
                samples.setdefault(f'pci_device_{name}_units', []).append((labels, value))
            holders += [(row, server, rc) for server in row.get('servers') or ()]
    for group, sums in totals.items():
        for name, value in zip(('devices', 'capacity_units', 'used_units', 'reserved_units',
                                'free_units'), sums, strict=True):
            samples.setdefault(f'pci_host_{name}', []).append((group, value))
    if ctx.settings.per_device:
        samples['pci_server_device_units'] = _holder_samples(client, holders)
    samples.update(_vgpu_samples(rows))
    return samples


def _vgpu_samples(rows: list[dict[str, Any]]) -> Samples:
    """vGPUs per physical GPU: the ``vgpu`` rows (Placement's pGPU providers) of the same
    listing, so no request more; none where the devices come from os-pci, which has no
    vGPU, as ``pci-list`` shows none there."""
    total: list[tuple[tuple[str, ...], float]] = []
    used: list[tuple[tuple[str, ...], float]] = []
    for row in rows:
        if row.get('dev_type') != _VGPU:
            continue
        labels = (_text(row.get('host')), _text(row.get('address')),
                  _text(row.get('resource_class')))
        total.append((labels, float(row.get('total') or 0)))
        used.append((labels, float(row.get('used') or 0)))
    return {'pci_pgpu_vgpu_capacity_units': total, 'pci_pgpu_vgpu_used_units': used}


def _units(row: dict[str, Any]) -> tuple[float, float, float, float]:
    """(capacity, used, reserved, free) of a row: Placement's numbers, or one os-pci
    device by its state."""
    if row.get('source') == 'placement':
        return (row.get('total') or 0, row.get('used') or 0, row.get('reserved') or 0,
                row.get('free') or 0)
    status = row.get('status')
    if status in _USED_STATES:
        return 1, 1, 0, 0
    if status == 'available':
        return 1, 0, 0, 1
    return 1, 0, 1, 0


def _os_pci_pools(client: Any) -> list[dict[str, Any]]:
    """The hypervisors' PCI pools, whose tags say a device's physical network (no device
    document does); none when the compute API will not tell."""
    try:
        pools, _silent = client.hypervisors.pools()
    except (exc.Forbidden, exc.NotFound):
        return []
    return list(pools)


_PoolKey = tuple[Any, Any, Any]


def _pool_key(item: dict[str, Any]) -> _PoolKey:
    return item.get('host'), item.get('vendor_id'), item.get('product_id')


def _pool_index(pools: Iterable[dict[str, Any]]) -> dict[_PoolKey, list[dict[str, Any]]]:
    """The pools by (host, vendor, product): a device is matched against its host's few
    pools, not every pool of the cloud (20,000 devices × 4,000 pools took minutes)."""
    index: dict[_PoolKey, list[dict[str, Any]]] = {}
    for pool in pools:
        index.setdefault(_pool_key(pool), []).append(pool)
    return index


def _pool_tags(row: dict[str, Any], pools: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The tags of the one pool a device belongs to (same host, ids, type, NUMA node and,
    where the pool names one, address or PF address); {} when none or several differ."""
    extra = row.get('extra_info') if isinstance(row.get('extra_info'), dict) else {}
    addresses = {row.get('address'), (extra or {}).get('phys_function')}
    found: list[dict[str, Any]] = []
    for pool in pools:
        tags: dict[str, Any] = pool['tags'] if isinstance(pool.get('tags'), dict) else {}
        if (pool.get('host'), pool.get('vendor_id'), pool.get('product_id')) != \
                (row.get('host'), row.get('vendor_id'), row.get('product_id')):
            continue
        if pool.get('dev_type') not in (None, row.get('dev_type')):
            continue
        if pool.get('numa_node') not in (None, row.get('numa_node')):
            continue
        if tags.get('address') not in (None, *addresses):
            continue
        found.append(tags)
    unique = {tuple(sorted((k, str(v)) for k, v in t.items())) for t in found}
    return dict(found[0]) if len(unique) == 1 else {}


def _resource_class_tag(tags: dict[str, Any]) -> str | None:
    if not tags.get('resource_class'):
        return None
    from pciclient.v2.capacity.aliases import normalize_resource_class
    return normalize_resource_class(str(tags['resource_class']))


def _holder_samples(client: Any, holders: list[tuple[dict[str, Any], dict[str, Any], str]],
                    ) -> list[tuple[tuple[str, ...], float]]:
    """One sample per (server, device): names and projects from one listing of every
    project's servers (as ``pci-list --long`` names them beyond 20 holders)."""
    known: dict[str, tuple[Any, Any]] = {}
    if holders:
        try:
            for server in client.servers.iter(detailed=True, all_projects=True):
                row = server.row()
                known[str(row.get('id'))] = (row.get('name'), row.get('project_id'))
        except (exc.Forbidden, exc.Unauthorized):
            known = {}
    samples: list[tuple[tuple[str, ...], float]] = []
    for device, server, rc in holders:
        name, project = known.get(str(server.get('id')), (server.get('name'), None))
        samples.append(((_text(server.get('id')), _text(name), _text(project),
                         _text(device.get('host')), _text(device.get('address')), rc),
                        float(server.get('amount') or 1)))
    return samples


# -- SR-IOV ports -----------------------------------------------------------------------------
def sriov_ports(ctx: Context) -> Samples:
    """SR-IOV ports in use per host and physical network, as ``sriov-port-list`` lists
    them: one listing of the ports (no holder names). Nothing where the cloud has no
    Neutron; :class:`BindingsHidden` (the source fails, no series) where Neutron hides
    the bindings, since every port would then look unbound."""
    neutron = ctx.client.neutron
    if not neutron.available():
        return {}
    ports = neutron.ports(name_holders=False)
    if ports.bindings_hidden:
        raise BindingsHidden()
    counts: dict[tuple[str, ...], float] = {}
    for port in ports:
        fields = port.to_dict()
        if fields.get('host') and fields.get('server_id'):
            key = (str(fields['host']), _text(fields.get('physical_network')))
            counts[key] = counts.get(key, 0) + 1
    return {'pci_sriov_ports_in_use': sorted(counts.items())}


# -- capacity ---------------------------------------------------------------------------------
def _asks_devices(flavor: dict[str, Any]) -> bool:
    """Whether a flavor asks for PCI devices (an alias) or vGPUs (``resources*:VGPU``)."""
    specs = flavor.get('extra_specs')
    if not isinstance(specs, dict):
        return False
    return bool(specs.get('pci_passthrough:alias')) or any(
        str(key).startswith('resources') and str(key).endswith(':VGPU') for key in specs)


def capacity(ctx: Context) -> Samples:
    """How many more servers of each flavor fit per host and cloud-wide, as
    ``pci-cli capacity`` and ``capacity --summary`` count them."""
    from pciclient.v2.capacity.aliases import load_aliases
    from pciclient.v2.capacity.summary import summarise

    manager = ctx.client.capacity
    settings = ctx.settings
    wanted = manager.flavors(settings.flavors)
    if not settings.flavors:
        wanted = [item for item in wanted if _asks_devices(item.flavor)]
    if not wanted:
        return {'pci_flavor_host_fits': [], 'pci_flavor_fits': [],
                'pci_flavor_hosts_fitting': []}
    aliases = load_aliases(settings.aliases_text) if settings.aliases_text else None
    answer = manager.capacity(wanted, aliases=aliases,
                              pci_in_placement=settings.pci_in_placement)
    per_host: list[tuple[tuple[str, ...], float]] = [
        ((row.flavor, row.host, row.fit.limited_by[0] if row.fit.limited_by else 'none'),
         _fits(row.fit.fits)) for row in answer.rows]
    summary = summarise(answer.rows)
    cloud: list[tuple[tuple[str, ...], float]] = [
        ((line['flavor'], line['limited_by'] or 'none'), _fits(line['fits']))
        for line in summary]
    hosts: list[tuple[tuple[str, ...], float]] = [
        ((line['flavor'],), float(line['hosts'])) for line in summary]
    return {
        'pci_flavor_host_fits': per_host,
        'pci_flavor_fits': cloud,
        'pci_flavor_hosts_fitting': hosts,
    }


def _fits(value: int | None) -> float:
    return math.nan if value is None else float(value)


#: Every source, by the name its health metrics carry, in the order a refresh runs them.
SOURCES: dict[str, Callable[[Context], Samples]] = {
    'devices': devices,
    'sriov_ports': sriov_ports,
    'capacity': capacity,
}
