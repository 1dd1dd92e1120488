"""What ``pci-cli capacity`` must print for :mod:`benchmarks.capacity_population`'s cloud,
worked out from the population alone, so a fast but wrong answer is never measured.

The population is regular (one provider per PCI class per host, every group of a server
asking one unit), so a host's Fits is the plain ``free // needed`` minimum over the
classes the flavor asks, and the disabled host fits 0. ``Limited By`` must be one of the
classes that would run out for one more server (the one when it is alone); ``Free`` must
be the free units of exactly the classes the flavor asks.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.capacity_compute import FLAVORS
from benchmarks.capacity_population import DISABLED_HOST, Cloud

# The resource class each alias of capacity_compute.PCI_ALIASES asks.
ALIAS_CLASSES = {'gpu': 'CUSTOM_PCI_10DE_1EB8', 'vf': 'CUSTOM_PCI_8086_1515',
                 'gold': 'CUSTOM_GPU_GOLD'}
# The traits each alias requires (its devices' providers must have them).
ALIAS_TRAITS = {'gold': frozenset({'CUSTOM_GOLD'})}

Validator = Callable[[Any], 'str | None']


@dataclass(frozen=True)
class Expected:
    fits: int
    limited_by: frozenset[str]
    free: dict[str, int]


def needs(name: str) -> dict[str, int]:
    """What one server of flavor ``name`` asks, by resource class (Nova: disk = root +
    ephemeral + swap in GiB rounded up)."""
    row = next(r for r in FLAVORS if r[1] == name)
    _, _, vcpus, ram, disk, ephemeral, swap, specs = row
    asked = {'VCPU': vcpus, 'MEMORY_MB': ram, 'DISK_GB': disk + ephemeral + math.ceil(swap / 1024)}
    for item in filter(None, specs.get('pci_passthrough:alias', '').split(',')):
        alias, _, count = item.partition(':')
        asked[ALIAS_CLASSES[alias]] = asked.get(ALIAS_CLASSES[alias], 0) + int(count)
    return asked


def traits_named(name: str) -> frozenset[str]:
    """The custom traits flavor ``name``'s request names (through its aliases)."""
    specs = next(r for r in FLAVORS if r[1] == name)[7]
    aliases = [item.partition(':')[0]
               for item in filter(None, specs.get('pci_passthrough:alias', '').split(','))]
    return frozenset().union(*(ALIAS_TRAITS.get(a, frozenset()) for a in aliases))


def expected(cloud: Cloud, host: str, flavor: str) -> Expected:
    asked = needs(flavor)
    capacity, used = cloud.capacity(host), cloud.used(host)
    free = {rc: capacity[rc] - used.get(rc, 0) for rc in asked}
    alone = {rc: free[rc] // asked[rc] for rc in asked}
    fits = min(alone.values())
    if host == DISABLED_HOST:
        return Expected(0, frozenset({'disabled'}), free)
    return Expected(fits, frozenset(rc for rc, n in alone.items() if n == fits), free)


def _row_problem(cloud: Cloud, row: dict[str, Any]) -> str | None:
    want = expected(cloud, row.get('Host', ''), row.get('Flavor', ''))
    if row.get('Fits') != want.fits:
        return f'{row["Host"]} {row["Flavor"]}: Fits {row.get("Fits")}, expected {want.fits}'
    if row.get('Limited By') not in want.limited_by:
        return (f'{row["Host"]} {row["Flavor"]}: Limited By {row.get("Limited By")}, '
                f'expected one of {sorted(want.limited_by)}')
    if row.get('Free') != want.free:
        return f'{row["Host"]} {row["Flavor"]}: Free {row.get("Free")}, expected {want.free}'
    return None


def rows_check(cloud: Cloud, flavors: list[str], host: str | None = None,
               verified: bool = False) -> Validator:
    """Every (host, flavor) row once, each as the population says."""
    hosts = [host] if host else cloud.hosts

    def check(data: Any) -> str | None:
        if not isinstance(data, list):
            return 'not a JSON list'
        if len(data) != len(hosts) * len(flavors):
            return f'{len(data)} rows, expected {len(hosts)} hosts × {len(flavors)} flavors'
        keys = {(r.get('Host'), r.get('Flavor')) for r in data}
        if keys != {(h, f) for h in hosts for f in flavors}:
            return 'rows are not every (host, flavor) pair once'
        for row in data:
            problem = _row_problem(cloud, row)
            if problem:
                return problem
            if verified and row.get('Verified') is not True:
                return f'{row["Host"]} {row["Flavor"]}: Verified {row.get("Verified")}'
        return None
    return check


def summary_check(cloud: Cloud, flavors: list[str]) -> Validator:
    """Per flavor, Fits summed over the hosts and Hosts that fit at least one."""
    def check(data: Any) -> str | None:
        if not isinstance(data, list) or [r.get('Flavor') for r in data] != flavors:
            return f'not one row per flavor in order {flavors}'
        for row in data:
            counts = [expected(cloud, h, row['Flavor']).fits for h in cloud.hosts]
            want = (sum(counts), sum(1 for c in counts if c))
            if (row.get('Fits'), row.get('Hosts')) != want:
                return (f'{row["Flavor"]}: Fits/Hosts {row.get("Fits")}/{row.get("Hosts")}, '
                        f'expected {want[0]}/{want[1]}')
        return None
    return check


def totals(cloud: Cloud) -> dict[str, tuple[int, int]]:
    """Per flavor, (servers that fit, hosts that fit one): for the report."""
    result = {}
    for row in FLAVORS:
        counts = [expected(cloud, h, row[1]).fits for h in cloud.hosts]
        result[row[1]] = (sum(counts), sum(1 for c in counts if c))
    return result
