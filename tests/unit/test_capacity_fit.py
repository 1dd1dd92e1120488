"""The fit arithmetic on hand-built trees: how many servers at once, and what stops the
next one. (The same rules against the real Placement: tests/realplacement/
test_capacity_arithmetic.py.)"""
from __future__ import annotations

import itertools
import random

import pytest

from pciclient.v2.capacity import packing
from pciclient.v2.capacity.fit import fit, merge_caveat
from pciclient.v2.capacity.outcome import Fit, Stage
from pciclient.v2.capacity.packing import Option, Packer, Problem, Unit
from pciclient.v2.capacity.request import PlacementRequest, RequestGroup
from pciclient.v2.capacity.trees import HostTree, Inventory, Provider

DISABLED = 'COMPUTE_STATUS_DISABLED'
VF = 'CUSTOM_PCI_8086_1515'
GPU = 'CUSTOM_PCI_10DE_1EB8'


def host(*children: Provider, vcpu: int = 8, ratio: float = 1.0, ram: int = 16384,
         ram_reserved: int = 0, disk: int = 1000, traits: set[str] | None = None,
         used: dict[str, int] | None = None, **inventories: Inventory) -> HostTree:
    root = Provider('root-uuid', 'compute1', None, {
        'VCPU': Inventory(vcpu, allocation_ratio=ratio),
        'MEMORY_MB': Inventory(ram, reserved=ram_reserved),
        'DISK_GB': Inventory(disk), **inventories}, dict(used or {}),
        set(traits or {'COMPUTE_NODE'}))
    for child in children:
        child.parent_uuid = root.uuid
    return HostTree(root, [root, *children])


def device(name: str, rc: str, total: int, *, used: int = 0, traits: set[str] = frozenset(),
           **fields) -> Provider:
    return Provider(f'{name}-uuid', f'compute1_{name}', None,
                    {rc: Inventory(total, **fields)}, {rc: used} if used else {}, set(traits))


def flavor(vcpu: int = 1, ram: int = 512, disk: int = 1, **more: int) -> RequestGroup:
    return RequestGroup(None, {'VCPU': vcpu, 'MEMORY_MB': ram, 'DISK_GB': disk, **more})


def pci(suffix: str, rc: str, amount: int = 1, required: set[str] = frozenset(),
        forbidden: set[str] = frozenset()) -> RequestGroup:
    return RequestGroup(suffix, {rc: amount}, set(required), set(forbidden),
                        origin=f'PCI alias {suffix}', alias=suffix)


def request(*groups: RequestGroup, policy: str | None = None, **fields) -> PlacementRequest:
    return PlacementRequest(groups=list(groups), group_policy=policy,
                            root_forbidden={DISABLED}, **fields)


def stage(result: Fit, name: str) -> Stage:
    (found,) = [s for s in result.stages if s.name == name]
    return found


# -- root resources: reserved, allocation ratios, units -------------------------------

def test_reserved_and_ratio_four():
    # 2 × 4.0 = 8 VCPU; (8192 − 512) // 1024 = 7 MEMORY_MB runs out first.
    result = fit(host(vcpu=2, ratio=4.0, ram=8192, ram_reserved=512),
                 request(flavor(vcpu=1, ram=1024)))
    assert (result.fits, result.limited_by) == (7, ['MEMORY_MB'])
    assert result.free == {'VCPU': 8, 'MEMORY_MB': 7680, 'DISK_GB': 1000}
    assert stage(result, 'VCPU').detail == '8 free, 1 per server: 8 alone'
    assert stage(result, 'MEMORY_MB') == Stage('MEMORY_MB', True,
                                               '7680 free, 1024 per server: 7 alone')


def test_ratio_one_and_a_half_with_usage_floors():
    # 3 × 1.5 = 4.5, 1 used: 3 whole units free; 2 per server → 1.
    result = fit(host(vcpu=3, ratio=1.5, used={'VCPU': 1}), request(flavor(vcpu=2)))
    assert result.free['VCPU'] == 3
    assert (result.fits, result.limited_by) == (1, ['VCPU'])


def test_several_classes_run_out_at_once_in_request_order():
    tree = host(vcpu=4, ram=2048, disk=4)
    result = fit(tree, request(RequestGroup(None, {'DISK_GB': 1, 'MEMORY_MB': 512,
                                                   'VCPU': 1})))
    assert (result.fits, result.limited_by) == (4, ['DISK_GB', 'MEMORY_MB', 'VCPU'])


def test_step_size_and_min_unit():
    tree = host(DISK_GB=Inventory(50, min_unit=10, step_size=5))
    assert fit(tree, request(flavor(disk=15))).fits == 3
    refused = fit(tree, request(flavor(disk=12)))
    assert (refused.fits, refused.limited_by) == (0, ['no provider of DISK_GB'])
    assert 'DISK_GB 12 outside min_unit 10/max_unit 50/step_size 5: compute1' in stage(
        refused, 'unnumbered group (flavor)').detail
    assert fit(tree, request(flavor(disk=5))).limited_by == ['no provider of DISK_GB']


def test_max_unit_refuses_a_take_too_big():
    result = fit(host(VCPU=Inventory(8, max_unit=2)), request(flavor(vcpu=3)))
    assert (result.fits, result.limited_by) == (0, ['no provider of VCPU'])


def test_reserved_all():
    result = fit(host(VCPU=Inventory(4, reserved=4)), request(flavor()))
    assert (result.fits, result.limited_by, result.free['VCPU']) == (0, ['VCPU'], 0)
    assert stage(result, 'VCPU') == Stage('VCPU', False, '0 free, 1 per server: 0 alone')


# -- the root's traits --------------------------------------------------------------------

def test_disabled_host_fits_nothing():
    result = fit(host(traits={'COMPUTE_NODE', DISABLED}), request(flavor()))
    assert (result.fits, result.limited_by) == (0, ['disabled'])
    assert stage(result, 'host enabled') == Stage('host enabled', False,
                                                  'COMPUTE_STATUS_DISABLED on the root')
    assert stage(result, 'fits').detail == '0: disabled'


def test_enabled_host_says_so():
    result = fit(host(), request(flavor()))
    assert stage(result, 'host enabled').ok is True


def test_root_required_and_forbidden_traits():
    req = request(flavor(), root_required={'COMPUTE_NODE', 'CUSTOM_X'})
    req.root_forbidden.add('CUSTOM_Y')
    result = fit(host(traits={'COMPUTE_NODE', 'CUSTOM_Y'}), req)
    assert (result.fits, result.limited_by) == (
        0, ['missing trait CUSTOM_X', 'forbidden trait CUSTOM_Y'])
    assert stage(result, 'root traits') == Stage('root traits', False,
                                                 'missing CUSTOM_X; has CUSTOM_Y')


# -- nested PCI providers ---------------------------------------------------------------

def test_vfs_are_inventory_of_their_pf():
    tree = host(device('pf1', VF, 4, used=1), device('pf2', VF, 2))
    result = fit(tree, request(flavor(), pci('_vf-0', VF)))
    assert (result.fits, result.limited_by, result.free[VF]) == (5, [VF], 5)
    assert stage(result, 'group _vf-0 (PCI alias _vf-0)').detail == (
        'served by compute1_pf1, compute1_pf2; no CUSTOM_PCI_8086_1515: compute1')


def test_ram_limited_before_pci():
    tree = host(device('gpu1', GPU, 1), device('gpu2', GPU, 1), device('gpu3', GPU, 1),
                ram=2048)
    result = fit(tree, request(flavor(ram=1024), pci('_g-0', GPU)))
    assert (result.fits, result.limited_by) == (2, ['MEMORY_MB'])
    assert stage(result, GPU).detail == '3 free, 1 per server: 3 alone'


def test_two_devices_may_share_a_pf_without_isolate():
    tree = host(device('pf', VF, 4))
    result = fit(tree, request(flavor(), pci('_v-0', VF), pci('_v-1', VF), policy='none'))
    assert (result.fits, result.limited_by) == (2, [VF])


def test_what_one_server_takes_from_a_provider_stays_within_max_unit():
    one = host(device('pf', VF, 4, max_unit=1))
    req = request(flavor(), pci('_v-0', VF), pci('_v-1', VF), policy='none')
    result = fit(one, req)
    assert (result.fits, result.limited_by) == (0, [VF])
    assert stage(result, 'one server').ok is False
    two = host(device('pfa', VF, 4, max_unit=1), device('pfb', VF, 3, max_unit=1))
    assert fit(two, req).fits == 3


def test_isolate_two_devices_three_providers_of_one():
    tree = host(device('a', VF, 1), device('b', VF, 1), device('c', VF, 1))
    req = request(flavor(), pci('_v-0', VF), pci('_v-1', VF), policy='isolate')
    result = fit(tree, req)
    assert (result.fits, result.limited_by) == (1, [VF])
    assert stage(result, 'fits').detail == (
        f'1 at once (max-flow, isolate); next stopped by {VF}')


def test_isolate_needs_distinct_providers_not_just_units():
    # 5 free VFs, 2 per server, but every server needs the big PF and another one.
    tree = host(device('big', VF, 4), device('small', VF, 1))
    req = request(flavor(), pci('_v-0', VF), pci('_v-1', VF), policy='isolate')
    assert fit(tree, req).fits == 1
    req.group_policy = 'none'
    assert fit(tree, req).fits == 2


def test_isolate_on_one_provider_is_never_possible():
    result = fit(host(device('pf', VF, 8)),
                 request(flavor(), pci('_v-0', VF), pci('_v-1', VF), policy='isolate'))
    assert (result.fits, result.limited_by) == (0, [VF])
    assert 'group_policy=isolate' in stage(result, 'one server').detail


def test_isolate_leaves_the_unnumbered_group_out():
    # The flavor's VF may come from the provider a numbered group uses.
    tree = host(device('pa', VF, 2), device('pb', VF, 2))
    req = request(flavor(**{VF: 1}), pci('_v-0', VF), policy='isolate')
    assert fit(tree, req).fits == 2


# -- competing groups -------------------------------------------------------------------

def test_groups_compete_for_the_provider_with_the_trait():
    # Ratio says 4 // 2 = 2; group a needs the one VF with the trait: 1.
    tree = host(device('pf1', VF, 1, traits={'CUSTOM_PHYSNET_A'}), device('pf2', VF, 3))
    req = request(flavor(), pci('_a-0', VF, required={'CUSTOM_PHYSNET_A'}),
                  pci('_b-0', VF), policy='none')
    result = fit(tree, req)
    assert (result.fits, result.limited_by) == (1, [VF])
    assert stage(result, 'group _a-0 (PCI alias _a-0)').detail == (
        'served by compute1_pf1; no CUSTOM_PCI_8086_1515: compute1; '
        'missing trait CUSTOM_PHYSNET_A: compute1_pf2')


def test_two_aliases_whose_classes_sit_on_one_pf():
    pf = Provider('pf-uuid', 'compute1_pf', None, {VF: Inventory(4), GPU: Inventory(1)})
    tree = host(pf)
    result = fit(tree, request(flavor(), pci('_v-0', VF), pci('_g-0', GPU), policy='none'))
    assert (result.fits, result.limited_by) == (1, [GPU])
    isolated = fit(tree, request(flavor(), pci('_v-0', VF), pci('_g-0', GPU),
                                 policy='isolate'))
    assert isolated.fits == 0


def test_different_amounts_of_one_class_on_shared_providers():
    # Ratio says 8 // 4 = 2, but the group of 3 only fits on the provider of 5, once.
    tree = host(device('p1', VF, 5), device('p2', VF, 2), device('p3', VF, 1))
    req = request(flavor(), pci('_a-0', VF, 3), pci('_b-0', VF, 1), policy='none')
    result = fit(tree, req)
    assert (result.fits, result.limited_by) == (1, [VF])
    assert 'exact search' in stage(result, 'fits').detail


def test_different_amounts_that_do_fit_twice():
    tree = host(device('p1', VF, 2), device('p2', VF, 2), device('p3', VF, 2))
    req = request(flavor(), pci('_a-0', VF, 2), pci('_b-0', VF, 1), policy='none')
    assert fit(tree, req).fits == 2


# -- the unnumbered group ---------------------------------------------------------------

def test_unnumbered_group_never_splits_one_class():
    tree = host(device('pa', VF, 4, used=3), device('pb', VF, 4, used=3))
    result = fit(tree, request(flavor(**{VF: 2})))
    assert (result.fits, result.limited_by, result.free[VF]) == (0, [VF], 2)


def test_unnumbered_traits_count_on_the_providers_it_takes_from():
    tree = host(device('pf', VF, 2, traits={'CUSTOM_FAST'}))
    takes_vf = RequestGroup(None, {'VCPU': 1, VF: 1}, {'CUSTOM_FAST'})
    assert fit(tree, request(takes_vf)).fits == 2
    root_only = RequestGroup(None, {'VCPU': 1}, {'CUSTOM_FAST'})
    result = fit(tree, request(root_only))
    assert (result.fits, result.limited_by) == (0, ['missing trait CUSTOM_FAST'])


def test_unnumbered_traits_that_depend_on_the_provider_chosen():
    # The trait is on one of two PFs: only combinations using it count.
    tree = host(device('pa', VF, 3, traits={'CUSTOM_FAST'}), device('pb', VF, 5))
    result = fit(tree, request(RequestGroup(None, {'VCPU': 1, VF: 1}, {'CUSTOM_FAST'})))
    assert (result.fits, result.limited_by) == (3, [VF])


def test_unnumbered_forbidden_trait_on_every_provider_of_a_class():
    tree = host(device('pf', VF, 2, traits={'CUSTOM_SLOW'}))
    result = fit(tree, request(RequestGroup(None, {'VCPU': 1, VF: 1}, set(),
                                            {'CUSTOM_SLOW'})))
    assert (result.fits, result.limited_by) == (0, ['forbidden trait CUSTOM_SLOW'])


# -- nothing can ever fit ---------------------------------------------------------------

def test_no_provider_of_a_class():
    result = fit(host(), request(flavor(), pci('_g-0', GPU)))
    assert (result.fits, result.limited_by) == (0, [f'no provider of {GPU}'])
    assert result.free[GPU] == 0
    assert stage(result, 'group _g-0 (PCI alias _g-0)').ok is False


def test_missing_and_forbidden_traits_of_a_numbered_group():
    tree = host(device('gpu', GPU, 1, traits={'CUSTOM_OLD'}))
    missing = fit(tree, request(flavor(), pci('_g-0', GPU, required={'CUSTOM_GOLD'})))
    assert missing.limited_by == ['missing trait CUSTOM_GOLD']
    forbidden = fit(tree, request(flavor(), pci('_g-0', GPU, forbidden={'CUSTOM_OLD'})))
    assert forbidden.limited_by == ['forbidden trait CUSTOM_OLD']
    assert 'has trait CUSTOM_OLD: compute1_gpu' in stage(
        forbidden, 'group _g-0 (PCI alias _g-0)').detail


def test_unknown_alias_cannot_be_counted():
    result = fit(host(), request(flavor(), unknown_aliases=['gpu']))
    assert (result.fits, result.limited_by) == (None, ['unknown alias gpu'])
    assert result.free == {'VCPU': 8, 'MEMORY_MB': 16384, 'DISK_GB': 1000}


def test_invalid_request_fits_nothing():
    result = fit(host(device('pf', VF, 4)),
                 request(flavor(), pci('_v-0', VF), pci('_v-1', VF),
                         invalid='2 numbered groups without group_policy'))
    assert (result.fits, result.limited_by) == (0, ['invalid request'])
    assert stage(result, 'request').detail == (
        'Placement refuses the query: 2 numbered groups without group_policy')


def test_aggregates_of_the_root():
    tree = host()
    tree.aggregates = {'agg-a'}
    inside = fit(tree, request(flavor(), member_of=[['agg-a', 'agg-b']]))
    assert inside.fits == 8
    outside = fit(tree, request(flavor(), member_of=[['agg-c']]))
    assert (outside.fits, outside.limited_by) == (0, ['not in aggregate'])


def test_same_subtree_is_named_as_not_judged():
    result = fit(host(device('pf', VF, 4)),
                 request(flavor(), pci('_v-0', VF), same_subtree=[['_v-0', '_x']]))
    assert stage(result, 'same_subtree').ok is None
    assert result.fits == 4


def test_merge_caveat():
    req = request(flavor(**{VF: 1}), pci('_v-0', VF), policy='isolate')
    assert merge_caveat(req) == [VF]
    assert stage(fit(host(device('pf', VF, 4)), req), 'Placement caveat').ok is None
    req.group_policy = 'none'
    assert merge_caveat(req) == []


# -- the search itself -----------------------------------------------------------------

def test_search_gives_up_instead_of_guessing(monkeypatch):
    monkeypatch.setattr(packing, 'NODE_LIMIT', 3)
    tree = host(device('p1', VF, 5), device('p2', VF, 2), device('p3', VF, 1))
    result = fit(tree, request(flavor(), pci('_a-0', VF, 3), pci('_b-0', VF, 1),
                               policy='none'))
    assert result.fits is None
    assert stage(result, 'fits').ok is None
    assert 'gave up' in stage(result, 'fits').detail


def brute_force(problem: Problem, k: int) -> bool:
    """k servers, every choice tried (small problems only)."""
    servers = []
    for choice in itertools.product(*(unit.options for unit in problem.units)):
        isolated = [o.provider for u, o in zip(problem.units, choice, strict=True)
                    if u.isolated]
        if len(set(isolated)) != len(isolated):
            continue
        taken: dict = {}
        for option in choice:
            for key, amount in option.takes:
                taken[key] = taken.get(key, 0) + amount
        if all(amount <= problem.max_unit.get(key, 10 ** 9) for key, amount in taken.items()):
            servers.append(taken)
    for picked in itertools.combinations_with_replacement(range(len(servers)), k):
        total: dict = {}
        for number in picked:
            for key, amount in servers[number].items():
                total[key] = total.get(key, 0) + amount
        if all(amount <= problem.free.get(key, 0) for key, amount in total.items()):
            return True
    return False


def random_problem(rnd: random.Random, uniform: bool) -> Problem:
    """Up to three units on up to three providers of one or two classes; uniform: every
    unit asks a class in the same amount (the max-flow's shape, unless isolate or a
    group of two classes rule it out)."""
    providers = [f'p{n}' for n in range(rnd.randint(1, 3))]
    classes = ['X', 'Y'][:rnd.randint(1, 2)]
    per_class = {rc: rnd.randint(1, 2) for rc in classes}
    free = {(p, rc): rnd.randint(0, 5) for p in providers for rc in classes}
    max_unit = {key: rnd.randint(1, 4) for key in free if rnd.random() < 0.4}
    isolate = rnd.random() < 0.4
    units = []
    for number in range(rnd.randint(1, 3)):
        rc = rnd.choice(classes)
        chosen = rnd.sample(providers, rnd.randint(1, len(providers)))
        amount = per_class[rc] if uniform else rnd.randint(1, 2)
        both = len(classes) == 2 and rnd.random() < 0.2   # a group of two classes
        options = [Option(tuple(((p, c), per_class[c] if uniform else amount)
                                for c in (classes if both else [rc])), p) for p in chosen]
        units.append(Unit(f'u{number}', options, isolated=isolate and number > 0))
    return Problem(units, free, max_unit)


@pytest.mark.parametrize('uniform', [True, False])
def test_packer_agrees_with_brute_force(uniform):
    rnd = random.Random(13 + uniform)
    methods = set()
    for _ in range(300):
        problem = random_problem(rnd, uniform)
        packer = Packer(problem)
        methods.add(packer.method)
        largest = packer.largest()
        assert largest is not None
        assert brute_force(problem, largest), (problem, largest)
        assert not brute_force(problem, largest + 1), (problem, largest)
    assert methods == {'flow', 'search'}


def test_flow_and_search_agree():
    rnd = random.Random(7)
    compared = 0
    for _ in range(300):
        problem = random_problem(rnd, uniform=True)
        flow = Packer(problem)
        if flow.method != 'flow':
            continue
        search = Packer(problem)
        search.method = 'search'
        assert flow.largest() == search.largest(), problem
        compared += 1
    assert compared > 100


def test_one_class_alone_is_the_problem_with_the_others_unbounded():
    """``largest(only=rc)`` (Limited By's measure) has a shortcut for classes every server
    takes the same of; it must equal the plain answer with the other classes unbounded."""
    rnd = random.Random(77)
    compared = 0
    for _ in range(300):
        problem = random_problem(rnd, uniform=rnd.random() < 0.5)
        for rc in sorted({key[1] for unit in problem.units for option in unit.options
                          for key, _ in option.takes}):
            relaxed = Problem(problem.units, {
                key: (free if key[1] == rc else packing.UNBOUNDED)
                for key, free in problem.free.items()}, problem.max_unit)
            assert Packer(problem).largest(only=rc) == Packer(relaxed).largest(), problem
            compared += 1
    assert compared > 300
