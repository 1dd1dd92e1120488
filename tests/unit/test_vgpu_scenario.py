"""The fake cloud's vGPUs: a scenario's ``vgpus`` become physical GPU providers in its
Placement exactly as Nova 34's libvirt driver writes them, and mistakes are one line with
the file's line number."""
from __future__ import annotations

import pytest

from pciclient.fakeserver.placement.provider_tree import build_tree
from pciclient.fakeserver.scenario.loader import ScenarioError, load_scenario

GOOD = """\
hosts:
  - hostname: g1
    generate: {pfs: 0, gpus: 1}
    vgpus:
      - {address: "0000:84:00.0", total: 4}
      - {address: "0000:AF:00.0", total: 2, resource_class: CUSTOM_NVIDIA_11,
         traits: [CUSTOM_NVIDIA_11]}
flavors: [{name: f1, vcpus: 1, ram: 512}]
pci_aliases: []
servers:
  - {name: vm1, project: p, host: g1, vgpus: ["0000:84:00.0", "0000:84:00.0"]}
  - {name: vm2, project: p, host: g1, vgpus: ["0000:af:00.0"]}
"""


def load(tmp_path, text):
    path = tmp_path / 'cloud.yaml'
    path.write_text(text)
    return load_scenario(str(path))


def test_physical_gpus_are_children_named_as_libvirt_names_them(tmp_path):
    scenario = load(tmp_path, GOOD)
    tree = build_tree(scenario.store.current)
    by_name = {p.name: p for p in tree.providers}
    root = by_name['g1']
    first, second = by_name['g1_pci_0000_84_00_0'], by_name['g1_pci_0000_af_00_0']
    assert first.parent_uuid == root.uuid == first.root_uuid
    assert first.inventories['VGPU'].document() == {
        'total': 4, 'reserved': 0, 'min_unit': 1, 'max_unit': 4, 'step_size': 1,
        'allocation_ratio': 1.0}
    assert first.traits == {'OWNER_NOVA'}  # no COMPUTE_MANAGED_PCI_DEVICE, no mdev trait
    assert second.traits == {'OWNER_NOVA', 'CUSTOM_NVIDIA_11'}
    assert set(second.inventories) == {'CUSTOM_NVIDIA_11'}
    vm1 = next(s.id for s in scenario.store.current.servers if s.name == 'vm1')
    assert dict(first.allocations[vm1]) == {'VGPU': 2}
    assert dict(first.usages) == {'VGPU': 2}
    assert first.uuid in tree.consumer(vm1).allocations
    # registered (3 writes: generation 2) plus one per consumer
    assert (first.generation, second.generation) == (3, 3)


@pytest.mark.parametrize(('change', 'said'), [
    (('total: 4}', 'total: 0}'), ':5: vgpus total must be'),
    (('"0000:84:00.0", total', '"84:00.0", total'), "not a PCI address"),
    (('CUSTOM_NVIDIA_11,\n', 'nvidia,\n'), "is not VGPU or CUSTOM_"),
    (('traits: [CUSTOM_NVIDIA_11]', 'traits: [gold]'), "is not a trait name"),
    (('vgpus: ["0000:af:00.0"]', 'vgpus: ["0000:86:00.0"]'), "has no physical GPU 0000:86:00.0"),
    (('vgpus: ["0000:af:00.0"]', 'vgpus: ["0000:af:00.0", "0000:af:00.0", "0000:af:00.0"]'),
     'has no vGPU left (total 2)'),
    (('      - {address: "0000:AF', '      - {address: "0000:84:00.0", total: 1}\n'
                                   '      - {address: "0000:AF'), 'is listed twice'),
])
def test_mistakes_name_their_line(tmp_path, change, said):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ScenarioError) as raised:
        load(tmp_path, text)
    assert said in str(raised.value)
    assert '\n' not in str(raised.value)
