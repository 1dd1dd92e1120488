"""Clouds of the blueprint: PCI capacity from the hypervisors' ``pci_stats`` pools.

Where Nova does not report PCI devices to Placement, its PciPassthroughFilter matches a
flavor's aliases against each host's pools (vendor, product, device type). To answer
with the same arithmetic as Placement's trees, every pool becomes a pseudo provider under
its host's root: inventory ``CUSTOM_PCI_<VENDOR>_<PRODUCT>`` of ``count`` free devices, a
trait naming its device type; each alias group then asks that class and that trait. Root
resources still come from Placement (the hypervisors' own vCPU and RAM figures ignore
allocation ratios, and Nova stops sending them at 2.88).

What pools cannot say stays a caveat: NUMA affinity, and that a PF and its VFs are one
device (taking one makes the others unavailable), so pools of PFs and of VFs of the same
card are counted as if independent.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pciclient import exceptions as exc
from pciclient.v2.capacity.aliases import PciAlias
from pciclient.v2.capacity.placement_trees import MAX_AMOUNT
from pciclient.v2.capacity.request import PlacementRequest, RequestGroup
from pciclient.v2.capacity.trees import HostTree, Inventory, Provider

#: Pseudo traits the pools' device types become (never sent to Placement).
POOL_TYPE_TRAIT = 'POOL_DEVICE_TYPE_'
POOL_CAVEAT = ('counted from the hypervisors\' PCI pools: NUMA affinity is not judged, and '
               'PF and VF pools of one card are counted as independent')


def pool_class(vendor_id: Any, product_id: Any) -> str:
    """The class a pool (or an alias) of these ids is counted in."""
    def hex_id(value: Any) -> str:
        text = str(value or '').strip().lower()
        return (text[2:] if text.startswith('0x') else text).upper()
    return f'CUSTOM_PCI_{hex_id(vendor_id)}_{hex_id(product_id)}'


def type_trait(dev_type: Any) -> str:
    return POOL_TYPE_TRAIT + str(dev_type or 'unknown').upper().replace('-', '_')


def pool_trees(trees: list[HostTree], pools: Iterable[dict[str, Any]]) -> list[HostTree]:
    """``trees`` with each host's pools (``host`` naming the hypervisor) added as pseudo
    providers; Placement's own PCI providers, if any, are left out so nothing counts twice."""
    by_host: dict[str, list[dict[str, Any]]] = {}
    for pool in pools:
        by_host.setdefault(str(pool.get('host')), []).append(pool)
    result = []
    for tree in trees:
        providers = [p for p in tree.providers if 'COMPUTE_MANAGED_PCI_DEVICE' not in p.traits]
        for index, pool in enumerate(by_host.get(tree.host, [])):
            count = pool.get('count')
            if isinstance(count, bool) or not isinstance(count, int) \
                    or not 0 <= count <= MAX_AMOUNT:
                # Counted as none, a garbled pool would be a silent "no provider of".
                raise exc.InvalidResponse(f'Hypervisor {tree.host} reports a PCI pool whose '
                                          f'count is no number of devices: {str(count)[:30]}')
            if count == 0:
                continue
            rc = pool_class(pool.get('vendor_id'), pool.get('product_id'))
            numa = pool.get('numa_node')
            providers.append(Provider(
                uuid=f'{tree.root.uuid}/pool-{index}',
                name=f'pool {rc} {pool.get("dev_type")} NUMA {numa}',
                parent_uuid=tree.root.uuid, inventories={rc: Inventory(total=count)},
                traits={type_trait(pool.get('dev_type'))}))
        result.append(HostTree(root=tree.root, providers=providers, aggregates=tree.aggregates))
    return result


def pool_request(request: PlacementRequest,
                 aliases: dict[str, list[PciAlias]] | None) -> PlacementRequest:
    """``request`` with its PCI groups asking pools: the alias' vendor/product class and
    device type instead of its Placement resource class and traits."""
    groups: list[RequestGroup] = []
    for group in request.groups:
        specs = (aliases or {}).get(group.alias or '') if group.alias else None
        if not specs:
            groups.append(group)
            continue
        spec = specs[0]
        required = {type_trait(spec.device_type)} if spec.device_type else set()
        groups.append(replace(group, resources={pool_class(spec.vendor_id, spec.product_id): 1},
                              required=required, forbidden=set()))
    notes = list(request.not_counted)
    policy = request.group_policy
    if any(g.alias for g in request.groups):
        notes.append(POOL_CAVEAT)
        own = sum(1 for g in request.groups if g.numbered and not g.alias)
        if policy == 'isolate' and own <= 1:
            # Without PCI in Placement the devices are no request groups: isolate binds
            # only the flavor's own numbered groups, and with one or none it binds nothing.
            policy = 'none'
        elif policy == 'isolate':
            notes.append('group_policy=isolate is applied to the PCI devices too (Nova '
                         'applies it to the flavor\'s own groups only)')
    return replace(request, groups=groups, not_counted=notes, group_policy=policy)
