"""The client's own arithmetic, timed in-process: ``fit`` over every (host, flavor) of
:mod:`benchmarks.capacity_population`'s cloud, without Placement.

The trees are built from the population model (the same inventories, usages and traits
Placement holds), the requests by the library's ``flavor_request`` from the stand-in's
flavors and aliases, so the figure is what ``pci-cli capacity`` spends computing once
the reads are done: it tells whether the fit or the reads dominate the command's time.
"""
from __future__ import annotations

import time

from benchmarks.capacity_compute import FLAVORS, PCI_ALIASES, flavor_document
from benchmarks.capacity_population import DISABLED_HOST, DISABLED_TRAIT, ROOT_INVENTORY, Cloud


def _tree(cloud: Cloud, host: str):  # -> HostTree
    from pciclient.v2.capacity.trees import HostTree, Inventory, Provider
    from tests.realplacement import populate as nova

    used = cloud.used(host)
    capacity = cloud.capacity(host)
    root_traits = set(nova.ROOT_TRAITS) | ({DISABLED_TRAIT} if host == DISABLED_HOST else set())
    root = Provider(uuid=cloud.roots[host], name=host, traits=root_traits,
                    inventories={rc: Inventory(
                        total=int(inv['total']), reserved=int(inv['reserved']),
                        min_unit=int(inv['min_unit']), max_unit=int(inv['max_unit']),
                        step_size=int(inv['step_size']),
                        allocation_ratio=float(inv['allocation_ratio']))
                        for rc, inv in ROOT_INVENTORY.items()},
                    usages={rc: used.get(rc, 0) for rc in ROOT_INVENTORY})
    providers = [root]
    for spec in nova.DEVICES:
        rc = nova.resource_class(spec)
        total = spec.vfs or 1
        providers.append(Provider(
            uuid=f'{host}-{spec.key}', name=nova.provider_name(host, spec.address),
            parent_uuid=root.uuid, traits=set(nova.PCI_TRAITS) | set(spec.traits),
            inventories={rc: Inventory(total=total, reserved=total - capacity[rc],
                                       max_unit=total)},
            usages={rc: used.get(rc, 0)}))
    return HostTree(root=root, providers=providers)


def time_fit(cloud: Cloud, repeat: int = 3) -> dict[str, float]:
    """Microseconds per (host, flavor) fit, per flavor (best of ``repeat`` passes), and
    the seconds of one pass over every host and flavor (``all``)."""
    from pciclient.v2.capacity.aliases import load_aliases
    from pciclient.v2.capacity.fit import fit
    from pciclient.v2.capacity.flavor_request import flavor_request

    aliases = load_aliases(PCI_ALIASES)
    trees = [_tree(cloud, host) for host in cloud.hosts]
    result: dict[str, float] = {}
    total = 0.0
    for row in FLAVORS:
        request = flavor_request(flavor_document(row, ''), aliases=aliases,
                                 pci_in_placement=True)
        best = float('inf')
        for _ in range(repeat):
            started = time.perf_counter()
            for tree in trees:
                fit(tree, request)
            best = min(best, time.perf_counter() - started)
        result[row[1]] = best / len(trees) * 1e6
        total += best
    result['all'] = total
    return result
