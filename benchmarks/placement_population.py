"""Filling :mod:`benchmarks.placement_scale`'s Placement as Nova's report client does, at scale.

The calls, microversions, devices and traits are those of :mod:`tests.realplacement.populate`
(the real-Placement test tier), so the benchmark measures the cloud the tests check, only
bigger. The host names and the measured host are fixed (``compute0001`` …, ``compute0100``)
so reports of different runs compare the same commands.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from benchmarks.placement_runs import say

PROVIDERS_PER_HOST = 4        # len(populate.DEVICES)


def hostname(i: int) -> str:
    return f'compute{i:04d}'


def measured_index(hosts: int) -> int:
    """The host the targeted commands ask about: compute0100 when there are 100 or more."""
    return min(99, hosts - 1)


@dataclass
class Population:
    hosts: list[str]
    providers: dict[tuple[str, str], dict]     # (host, device key) -> provider
    servers: list[str] = field(default_factory=list)
    reserved: tuple[str, str] = ('', '')
    seconds: float = 0.0
    requests: int = 0

    @property
    def pci_providers(self) -> int:
        return len(self.providers)


def populate(url: str, hosts: int, servers: int, say=say) -> Population:
    """``hosts`` compute nodes with the test tier's 4 PCI providers each, ``servers`` servers
    holding one device each (spread over the hosts) and one device reserved: the calls of
    :mod:`tests.realplacement.populate`, at scale."""
    from tests.realplacement import populate as nova

    started = time.monotonic()
    api = nova.PlacementAPI(url, 'admin')
    names = [hostname(i) for i in range(1, hosts + 1)]
    pop = Population(hosts=names, providers={})
    roots: dict[str, str] = {}
    try:
        for done, host in enumerate(names, start=1):
            root = api.create_provider(host)
            api.set_inventory(root, nova.ROOT_INVENTORY)
            api.set_traits(root, set(nova.ROOT_TRAITS))
            roots[host] = root['uuid']
            for spec in nova.DEVICES:
                child = api.create_provider(nova.provider_name(host, spec.address),
                                            parent=root['uuid'])
                total = spec.vfs or 1
                api.set_inventory(child, {nova.resource_class(spec): {'total': total,
                                                                      'max_unit': total}})
                api.set_traits(child, set(nova.PCI_TRAITS) | set(spec.traits))
                pop.providers[(host, spec.key)] = child
            if done % max(1, hosts // 10) == 0 or done == hosts:
                elapsed = time.monotonic() - started
                say(f'   {done}/{hosts} hosts, {len(pop.providers)} PCI providers, '
                    f'{api.count} requests, {elapsed:.0f} s')
        specs = {s.key: s for s in nova.DEVICES}
        # One device reserved by the operator, on the last host (not a measured host).
        pop.reserved = (names[-1], 'pf')
        api.reserve(pop.providers[pop.reserved], nova.resource_class(specs['pf']), 1)
        # Servers: a GPU, two VFs or a gold GPU each; three per host, the measured host
        # first, the others spread over the cloud.
        kinds = [('gpu', 1), ('sriov', 2), ('gold', 1)]
        spread = max(1, hosts // max(1, -(-servers // len(kinds))))
        for i in range(servers):
            key, count = kinds[i % len(kinds)]
            host = names[(measured_index(hosts) + (i // len(kinds)) * spread) % hosts]
            consumer = str(uuid.uuid4())
            api.claim(consumer, roots[host], nova.FLAVOR, nova.resource_class(specs[key]),
                      count, required=specs[key].traits)
            pop.servers.append(consumer)
        say(f'   {servers} servers claimed, 1 device reserved ({api.count} requests)')
    finally:
        api.close()
    pop.seconds = time.monotonic() - started
    pop.requests = api.count
    return pop
