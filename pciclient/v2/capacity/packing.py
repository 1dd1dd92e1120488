"""How many servers fit at once: an exact search over one host's providers.

The fit arithmetic (:mod:`.fit`) turns a request into *units*: what one server needs from
one request group, with every way the tree can serve it (its *options*). A numbered group
is one unit whose options are its candidate providers; the unnumbered group is one unit
per resource class when its traits cannot depend on the providers chosen, else one unit
whose options are the provider combinations Placement would accept. Servers compete for
the same providers, so the answer is not free/needed per class: it is the largest k such
that k copies of every unit can be served at once, within each provider's free units and
the per-server rules Placement applies when it merges a candidate (``max_unit`` on the
amount one server takes from a provider, ``group_policy=isolate``).

Feasibility is monotone in k, so :meth:`Packer.largest` searches k between 0 and the
per-class bound. Each k is decided exactly: when every option takes one amount of one
class, the same amount from a provider whatever unit takes it, a max-flow decides it
(per-server rules become capacities, exact by König's edge-colouring theorem, see
:meth:`Packer._flow_feasible`); otherwise a depth-first search over multisets of whole
servers, bounded by :data:`NODE_LIMIT`. Past that bound the answer is None, never a guess.
"""
from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

Key = tuple[str, str]            # (provider uuid, resource class)
Config = tuple[tuple[int, int], ...]
#: Capacity standing for "not constrained" (a class left out of a what-if).
UNBOUNDED = 10 ** 12
#: Steps (search nodes plus per-server configurations) one fit may take in all.
NODE_LIMIT = 200_000
#: Distinct ways to serve one server the search accepts (it recurses once per way).
MAX_CONFIGURATIONS = 500


@dataclass(frozen=True)
class Option:
    """One way to serve a unit for one server: what it takes, and from which provider
    (the provider ``isolate`` counts; None for the unnumbered group)."""

    takes: tuple[tuple[Key, int], ...]
    provider: str | None = None


@dataclass
class Unit:
    name: str
    options: list[Option]
    #: Counts for ``group_policy=isolate`` (numbered groups when the policy is isolate).
    isolated: bool = False


@dataclass
class Problem:
    units: list[Unit]
    free: dict[Key, int]
    max_unit: dict[Key, int] = field(default_factory=dict)

    def demand(self) -> dict[str, int]:
        """Units of each class one server takes at least (the least any option of a unit
        takes; from fit, every option of a unit takes the same)."""
        demand: dict[str, int] = {}
        for unit in self.units:
            least: dict[str, int] | None = None
            for option in unit.options:
                takes: dict[str, int] = {}
                for (_, rc), amount in option.takes:
                    takes[rc] = takes.get(rc, 0) + amount
                least = takes if least is None else {
                    rc: min(amount, takes[rc]) for rc, amount in least.items() if rc in takes}
            for rc, amount in (least or {}).items():
                demand[rc] = demand.get(rc, 0) + amount
        return demand


class SearchTooLarge(Exception):
    """The exact search passed :data:`NODE_LIMIT`."""


class Packer:
    """Answers "do k servers fit?" and "how many at most?" for one :class:`Problem`."""

    def __init__(self, problem: Problem, limit: int | None = None) -> None:
        self.problem = problem
        self.steps = 0
        self.limit = NODE_LIMIT if limit is None else limit
        self.method = 'flow' if _flow_shaped(problem) else 'search'
        self._idle: bool | None = None

    def largest(self, only: str | None = None) -> int | None:
        """The largest k that fits; ``only``: with every other class unconstrained.
        None when the search passed its bound."""
        free = self._free(only)
        try:
            if any(not unit.options for unit in self.problem.units):
                return 0
            if all(len(unit.options) == 1 for unit in self.problem.units):
                return self._single_way(free)
            fixed = _fixed_takes(self.problem)
            if only is not None and all(key in fixed for key in free if key[1] == only):
                # Every server takes the same from this class's providers, whatever
                # else it chooses: the class alone is a division.
                if not self.one_fits_idle():
                    return 0
                return min((free[key] // fixed[key] for key in fixed if key[1] == only),
                           default=UNBOUNDED)
            configs = None if self.method == 'flow' else self._configurations(free)
            if not self._feasible(1, free, configs):
                return 0
            low, high = 1, self._upper_bound(free)
            while low < high:
                middle = (low + high + 1) // 2
                if self._feasible(middle, free, configs):
                    low = middle
                else:
                    high = middle - 1
            return low
        except SearchTooLarge:
            return None

    def one_fits_idle(self) -> bool | None:
        """Whether one server fits on the host with nothing used (per-server rules only);
        then, with unbounded free units, any number does."""
        if self._idle is None:
            idle = {key: UNBOUNDED for key in self.problem.free}
            if any(not unit.options for unit in self.problem.units):
                return False
            try:
                configs = None if self.method == 'flow' else self._configurations(idle)
                self._idle = self._feasible(1, idle, configs)
            except SearchTooLarge:
                return None
        return self._idle

    # -- bounds -----------------------------------------------------------------------

    def _free(self, only: str | None) -> dict[Key, int]:
        if only is None:
            return self.problem.free
        return {key: (amount if key[1] == only else UNBOUNDED)
                for key, amount in self.problem.free.items()}

    def _upper_bound(self, free: dict[Key, int]) -> int:
        """Per class: free units on every provider some option uses, over the demand;
        per provider and class every server takes the same from: free over that take."""
        used_keys = {key for unit in self.problem.units for option in unit.options
                     for key, _ in option.takes}
        bound = UNBOUNDED
        for rc, amount in self.problem.demand().items():
            if amount <= 0:
                continue
            total = sum(free.get(key, 0) for key in used_keys if key[1] == rc)
            bound = min(bound, total // amount)
        for key, amount in _fixed_takes(self.problem).items():
            bound = min(bound, free.get(key, 0) // amount)
        return bound

    def _single_way(self, free: dict[Key, int]) -> int:
        """Every unit has one way to be served: one server's take, repeated."""
        taken: dict[Key, int] = {}
        providers = []
        for unit in self.problem.units:
            option = unit.options[0]
            if unit.isolated:
                providers.append(option.provider)
            for key, amount in option.takes:
                taken[key] = taken.get(key, 0) + amount
        if len(set(providers)) != len(providers) or any(
                amount > self.problem.max_unit.get(key, UNBOUNDED)
                for key, amount in taken.items()):
            return 0
        return min((free.get(key, 0) // amount for key, amount in taken.items()),
                   default=0)

    def _feasible(self, k: int, free: dict[Key, int], configs: list[Config] | None) -> bool:
        if k == 0:
            return True
        if configs is None:
            return self._flow_feasible(k, free)
        return self._search_feasible(k, free, configs)

    def _step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limit:
            raise SearchTooLarge(self.steps)

    # -- max-flow ---------------------------------------------------------------------

    def _flow_feasible(self, k: int, free: dict[Key, int]) -> bool:
        """Source → unit (k) → provider-class node (free // amount) → sink.

        With isolate, isolated units pass a node per provider capped at k first. Why this
        is exact: a flow of k per unit is a bipartite multigraph (units × providers, or
        units × copies of a provider-class node, one copy per unit of ``max_unit //
        amount``) whose degrees are at most k; König's theorem colours its edges with k
        colours, each colour one server that serves every unit once, uses a provider at
        most once among isolated units and a provider-class node at most ``max_unit //
        amount`` times. ``_flow_shaped`` admits only problems where the two kinds of
        per-server rule never meet on one node, so the colourings combine server by
        server."""
        units = self.problem.units
        graph = _FlowGraph()
        amounts = _uniform_amounts(self.problem)
        sharers = _sharers(self.problem)
        iso_edges: set[Key] = set()
        for index, unit in enumerate(units):
            unit_node = ('unit', index)
            graph.add('source', unit_node, k)
            for option in unit.options:
                ((key, _),) = option.takes
                if unit.isolated:
                    graph.add(unit_node, ('iso', key[0]), k)
                    iso_edges.add(key)
                else:
                    graph.add(unit_node, ('key', key), k)
        for key in iso_edges:
            graph.add(('iso', key[0]), ('key', key), k)
        for key, amount in amounts.items():
            capacity = free.get(key, 0) // amount
            per_server = self.problem.max_unit.get(key, UNBOUNDED) // amount
            if per_server < sharers[key]:
                capacity = min(capacity, k * per_server)
            graph.add(('key', key), 'sink', capacity)
        self._step(len(units) + len(amounts))
        return graph.max_flow('source', 'sink') >= k * len(units)

    # -- depth-first search -------------------------------------------------------------

    def _search_feasible(self, k: int, free: dict[Key, int], configs: list[Config]) -> bool:
        """Choose how many servers take each configuration, first to last, most first;
        failed states are remembered."""
        keys = sorted(free)
        start = tuple(free[key] for key in keys)
        failed: set[tuple[int, tuple[int, ...], int]] = set()

        def place(number: int, remaining: tuple[int, ...], left: int) -> bool:
            if left == 0:
                return True
            if number == len(configs):
                return False
            state = (number, remaining, left)
            if state in failed:
                return False
            self._step()
            config = configs[number]
            most = min([left] + [remaining[i] // amount for i, amount in config if amount])
            for count in range(most, -1, -1):
                after = list(remaining)
                for i, amount in config:
                    after[i] -= count * amount
                if place(number + 1, tuple(after), left - count):
                    return True
            failed.add(state)
            return False

        return place(0, start, k)

    def _configurations(self, free: dict[Key, int]) -> list[Config]:
        """Every way one server can be served (per-server rules applied), as sparse
        (index into the sorted keys, amount) tuples, duplicates removed. The search
        recurses once per configuration, so their number is bounded too."""
        index = {key: i for i, key in enumerate(sorted(free))}
        seen: set[Config] = set()
        found: list[Config] = []
        max_unit = self.problem.max_unit
        for choice in itertools.product(*(unit.options for unit in self.problem.units)):
            self._step()
            isolated = [option.provider for unit, option in zip(self.problem.units, choice,
                                                                  strict=True)
                        if unit.isolated]
            if len(set(isolated)) != len(isolated):
                continue
            taken: dict[Key, int] = {}
            for option in choice:
                for key, amount in option.takes:
                    taken[key] = taken.get(key, 0) + amount
            if any(amount > max_unit.get(key, UNBOUNDED) or amount > free.get(key, 0)
                   for key, amount in taken.items()):
                continue
            config = tuple(sorted((index[key], amount) for key, amount in taken.items()))
            if config not in seen:
                seen.add(config)
                found.append(config)
                if len(found) > MAX_CONFIGURATIONS:
                    raise SearchTooLarge(len(found))
        return found


def _fixed_takes(problem: Problem) -> dict[Key, int]:
    """Provider-class pairs only units with one way to be served take from, with what
    one server takes there (the root's VCPU, MEMORY_MB, DISK_GB in most requests)."""
    fixed: dict[Key, int] = {}
    shared: set[Key] = set()
    for unit in problem.units:
        for option in unit.options:
            for key, amount in option.takes:
                if len(unit.options) == 1:
                    fixed[key] = fixed.get(key, 0) + amount
                else:
                    shared.add(key)
    return {key: amount for key, amount in fixed.items() if key not in shared}


def _uniform_amounts(problem: Problem) -> dict[Key, int]:
    amounts: dict[Key, int] = {}
    for unit in problem.units:
        for option in unit.options:
            for key, amount in option.takes:
                amounts.setdefault(key, amount)
    return amounts


def _sharers(problem: Problem) -> dict[Key, int]:
    """How many takers one server can put on each provider-class node: every unit that
    may use it, isolated units counting once per provider."""
    plain: dict[Key, int] = {}
    isolated: set[Key] = set()
    for unit in problem.units:
        for key in {key for option in unit.options for key, _ in option.takes}:
            if unit.isolated:
                isolated.add(key)
            else:
                plain[key] = plain.get(key, 0) + 1
    keys = set(plain) | isolated
    return {key: plain.get(key, 0) + (1 if key in isolated else 0) for key in keys}


def _flow_shaped(problem: Problem) -> bool:
    """Whether the max-flow decides this problem exactly: every option takes one amount
    of one class; a provider-class node is always asked the same amount; isolated units
    use one class per provider; and where isolated units meet a ``max_unit`` that could
    bind within one server, the search decides instead."""
    amounts: dict[Key, int] = {}
    isolated_class: dict[str, str] = {}
    for unit in problem.units:
        for option in unit.options:
            if len(option.takes) != 1:
                return False
            ((key, amount),) = option.takes
            if amounts.setdefault(key, amount) != amount:
                return False
            if unit.isolated and isolated_class.setdefault(key[0], key[1]) != key[1]:
                return False
    sharers = _sharers(problem)
    for key, amount in amounts.items():
        binding = problem.max_unit.get(key, UNBOUNDED) // amount < sharers[key]
        if binding and key[0] in isolated_class:
            return False
    return True


class _FlowGraph:
    """A small max-flow (Edmonds-Karp: shortest augmenting paths), enough for a few
    dozen nodes."""

    def __init__(self) -> None:
        self.capacity: dict[object, dict[object, int]] = {}

    def add(self, tail: object, head: object, capacity: int) -> None:
        self.capacity.setdefault(tail, {})
        self.capacity.setdefault(head, {})
        self.capacity[tail][head] = self.capacity[tail].get(head, 0) + capacity
        self.capacity[head].setdefault(tail, 0)

    def max_flow(self, source: object, sink: object) -> int:
        if source not in self.capacity or sink not in self.capacity:
            return 0
        residual = {node: dict(edges) for node, edges in self.capacity.items()}
        total = 0
        while True:
            parent: dict[object, object] = {source: source}
            queue = deque([source])
            while queue and sink not in parent:
                node = queue.popleft()
                for head, capacity in residual[node].items():
                    if capacity > 0 and head not in parent:
                        parent[head] = node
                        queue.append(head)
            if sink not in parent:
                return total
            path = []
            node = sink
            while node != source:
                path.append((parent[node], node))
                node = parent[node]
            pushed = min(residual[tail][head] for tail, head in path)
            for tail, head in path:
                residual[tail][head] -= pushed
                residual[head][tail] += pushed
            total += pushed
