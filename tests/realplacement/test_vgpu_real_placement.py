"""vGPUs in a real Placement 16, written as Nova 34's libvirt driver writes them, read
back by the installed ``pci-cli``.

``LibvirtDriver._ensure_pgpu_providers`` makes each physical GPU a child of the compute
node named ``<nodename>_<libvirt device name>`` (``gpuhost_pci_0000_84_00_0``), sets the
inventory ``_get_gpu_inventories`` computes (``total`` = mediated devices,
``min_unit`` 1, ``max_unit`` = ``total``, ``step_size`` 1, ``reserved`` 0,
``allocation_ratio`` 1.0) of ``VGPU`` or of the mdev type's ``mdev_class``, and the
trait ``OWNER_NOVA`` only; the report client's calls and microversions are
:class:`~tests.realplacement.populate.PlacementAPI`'s. A server of a flavor with
``resources:VGPU=2`` is claimed as the scheduler does (allocation candidates, then
``PUT /allocations``). The cloud is a Placement of its own (the session's population
stays as the other tests expect it), with a ``pci-fake-server`` as compute endpoint for
the server's name, the flavors and the host's service.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.realplacement.placement import placement_venv, start_placement
from tests.realplacement.populate import (
    FLAVOR,
    MV_ALLOCATION_CANDIDATES,
    MV_GET_ALLOCATIONS,
    PROJECT_ID,
    ROOT_INVENTORY,
    ROOT_TRAITS,
    USER_ID,
    PlacementAPI,
)
from tests.realservices.process import free_port, start_service, stop_service
from tests.realservices.scripts import installed_script, pci_cli_path

HOST = 'gpuhost'
# (libvirt device name, resource class, total): an mdev type on VGPU, one on the
# operator's mdev_class, which an operator also tagged with a trait by hand.
PGPUS = (('pci_0000_84_00_0', 'VGPU', 4), ('pci_0000_85_00_0', 'CUSTOM_NVIDIA_11', 2))
OPERATOR_TRAIT = 'CUSTOM_NVIDIA_11'


@dataclass
class VgpuCloud:
    placement_url: str
    token: str
    compute_url: str
    server: str
    providers: dict[str, str]          # libvirt device name -> provider uuid


def _gpu_inventory(total: int) -> dict[str, int | float]:
    """``LibvirtDriver._get_gpu_inventories`` for one physical GPU."""
    return {'total': total, 'min_unit': 1, 'step_size': 1, 'reserved': 0,
            'allocation_ratio': 1.0, 'max_unit': total}


def _populate(api: PlacementAPI) -> tuple[dict[str, str], str]:
    root = api.create_provider(HOST)
    api.set_inventory(root, ROOT_INVENTORY)
    api.set_traits(root, set(ROOT_TRAITS))
    providers = {}
    for device, rc, total in PGPUS:
        child = api.create_provider(f'{HOST}_{device}', parent=root['uuid'])
        api.set_inventory(child, {rc: _gpu_inventory(total)})
        api.set_traits(child, {'OWNER_NOVA'})
        providers[device] = child['uuid']
    # the operator's trait, added by hand (osc-placement's "resource provider trait set")
    custom = api.call('GET', f'/resource_providers/{providers[PGPUS[1][0]]}', '1.14').json()
    api.set_traits(custom, {'OWNER_NOVA', OPERATOR_TRAIT})
    server = str(uuid.uuid4())
    resources = dict(FLAVOR, VGPU=2)
    params = [('limit', '1000'), ('in_tree', root['uuid']),
              ('resources', ','.join(f'{k}:{v}' for k, v in sorted(resources.items()))),
              ('root_required', '!COMPUTE_STATUS_DISABLED')]
    found = api.call('GET', '/allocation_candidates', MV_ALLOCATION_CANDIDATES,
                     params=params).json()['allocation_requests']
    assert found, 'the real Placement offers no candidate for two vGPUs'
    assert api.call('GET', f'/allocations/{server}', MV_GET_ALLOCATIONS).json() == {
        'allocations': {}}
    api.call('PUT', f'/allocations/{server}', MV_ALLOCATION_CANDIDATES, expect=(204,),
             json=dict(found[0], project_id=PROJECT_ID, user_id=USER_ID,
                       consumer_generation=None))
    held = found[0]['allocations']
    assert held[providers[PGPUS[0][0]]]['resources'] == {'VGPU': 2}
    return providers, server


def _scenario(server: str) -> str:
    return (f'projects: [{{name: admin}}]\nos_pci: false\nhosts:\n'
            f'  - {{hostname: {HOST}, generate: {{pfs: 0, vfs_per_pf: 0, gpus: 0}}}}\n'
            'flavors:\n'
            '  - {name: vgpu, vcpus: 1, ram: 512, disk: 1, extra_specs: {"resources:VGPU": "1"}}\n'
            'pci_aliases: []\n'
            f'servers:\n  - {{name: vm-vgpu, id: "{server}", project: admin, host: {HOST}}}\n')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory) -> Iterator[VgpuCloud]:
    workdir = tmp_path_factory.mktemp('realplacement-vgpu')
    placement = start_placement(workdir / 'placement', placement_venv())
    process = None
    try:
        api = PlacementAPI(placement.url, placement.token)
        try:
            providers, server = _populate(api)
        finally:
            api.close()
        scenario = workdir / 'compute.yaml'
        scenario.write_text(_scenario(server))
        port = free_port()
        compute = f'http://127.0.0.1:{port}/v2.1'

        def ready() -> bool:
            with requests.Session() as session:
                session.trust_env = False
                return session.get(compute, timeout=2).status_code == 200

        process = start_service([installed_script('pci-fake-server'), '--noauth', '--port',
                                 str(port), '--scenario', str(scenario)],
                                env=dict(os.environ), log=workdir / 'compute.log', ready=ready,
                                name='pci-fake-server', timeout=60)
        yield VgpuCloud(placement.url, placement.token, compute, server, providers)
    finally:
        if process is not None:
            stop_service(process)
        placement.stop()


def cli(cloud: VgpuCloud, *argv: str) -> list | dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OS_') and k not in ('PCI_SOURCE', 'PCI_CLI_SYSFS_ROOT')}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    done = subprocess.run([pci_cli_path(), '--os-auth-type', 'admin_token', '--os-token',
                           cloud.token, '--os-endpoint', cloud.compute_url,
                           '--os-placement-endpoint-override', cloud.placement_url,
                           '--pci-source', 'placement', *argv, '-f', 'json'],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_pci_list_reads_the_physical_gpus(cloud):
    for argv in ((), ('--host', HOST)):  # the whole cloud, and one host's tree
        rows = cli(cloud, 'pci-list', '--long', *argv)
        assert {row['ID']: (row['Type'], row['Address'], row['Host'], row['Resource Class'],
                            row['Total'], row['Used'], row['Free'], row['Status'])
                for row in rows} == {
            cloud.providers['pci_0000_84_00_0']: ('vgpu', '0000:84:00.0', HOST, 'VGPU',
                                                  4, 2, 2, 'partial'),
            cloud.providers['pci_0000_85_00_0']: ('vgpu', '0000:85:00.0', HOST,
                                                  'CUSTOM_NVIDIA_11', 2, 0, 2, 'available')}
        by_rc = {row['Resource Class']: row for row in rows}
        assert by_rc['VGPU']['Traits'] == ['OWNER_NOVA']
        assert by_rc['CUSTOM_NVIDIA_11']['Traits'] == ['CUSTOM_NVIDIA_11', 'OWNER_NOVA']
        assert by_rc['VGPU']['Servers'] == [{'id': cloud.server, 'name': 'vm-vgpu',
                                             'amount': 2}]


def test_pools_and_server_show(cloud):
    pools = cli(cloud, 'pci-pool-list')
    assert sorted((p['Host'], p['Type'], p['Tags']['resource_class'], p['Count'])
                  for p in pools) == [(HOST, 'vgpu', 'CUSTOM_NVIDIA_11', 2),
                                      (HOST, 'vgpu', 'VGPU', 2)]
    shown = cli(cloud, 'server-show', cloud.server, '--long')
    assert shown['pci_source'] == 'placement'
    assert [(d['dev_type'], d['address'], d['resource_class'], d['amount'])
            for d in shown['pci_devices']] == [('vgpu', '0000:84:00.0', 'VGPU', 2)]


def test_capacity_counts_the_free_vgpus(cloud):
    (row,) = cli(cloud, 'capacity', '--flavor', 'vgpu', '--verify')
    # VCPU 2 × 4.0 − 1 used = 7; two VGPU left on the only GPU serving VGPU
    assert (row['Host'], row['Fits'], row['Limited By'], row['Verified']) == (
        HOST, 2, 'VGPU', True)
    assert row['Free']['VGPU'] == 2
