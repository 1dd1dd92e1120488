"""The inventory: deterministic ids, Nova's device documents, pools and allocations."""
from __future__ import annotations

import pytest

from pciclient.fakeserver.model.inventory import (
    DEV_TYPE_PCI,
    DEV_TYPE_PF,
    DEV_TYPE_VF,
    Inventory,
    PciPool,
    Server,
    TrackedDevice,
    dev_type_of,
)
from pciclient.fakeserver.model.sysfs import PciFunction, SysfsScan
from tests.fakeserver.helpers import HOST, SERVER_UUID

CREATED = '2026-11-25T12:00:00.000000'


def _fn(address: str, vendor: str = '8086', device: str = '1520', **kw: object) -> PciFunction:
    return PciFunction(address, vendor, device, **kw)  # type: ignore[arg-type]


def test_ids_follow_sorted_host_and_address() -> None:
    hosts = [
        ('zeta', [_fn('0000:02:00.0'), _fn('0000:01:00.0')]),
        ('alpha', [_fn('0000:05:00.0')]),
    ]
    inventory = Inventory.from_hosts(hosts, created_at=CREATED)
    assert [(d.id, d.hostname, d.address, d.compute_node_id) for d in inventory.devices] == [
        (1, 'alpha', '0000:05:00.0', 1),
        (2, 'zeta', '0000:01:00.0', 2),
        (3, 'zeta', '0000:02:00.0', 2),
    ]
    assert [(h.id, h.hostname) for h in inventory.hypervisors] == [(1, 'alpha'), (2, 'zeta')]
    again = Inventory.from_hosts(list(reversed(hosts)), created_at=CREATED)
    assert [d.detail() for d in again.devices] == [d.detail() for d in inventory.devices]


def test_dev_type_mapping(standard_scan: SysfsScan) -> None:
    types = {f.address: dev_type_of(f) for f in standard_scan.functions}
    assert types == {
        '0000:00:1f.2': DEV_TYPE_PCI,
        '0000:04:00.0': DEV_TYPE_PF,
        '0000:04:10.0': DEV_TYPE_VF,
        '0000:04:10.2': DEV_TYPE_VF,
        '0000:3b:00.0': DEV_TYPE_PCI,
    }
    assert dev_type_of(_fn('0000:01:00.0', sriov_totalvfs=0)) == DEV_TYPE_PCI


def test_vf_detail_document(inventory: Inventory) -> None:
    vf = inventory.device(3)
    assert vf is not None
    assert vf.detail() == {
        'address': '0000:04:10.0',
        'compute_node_id': 1,
        'created_at': CREATED,
        'deleted': False,
        'deleted_at': None,
        'dev_id': 'pci_0000_04_10_0',
        'dev_type': 'type-VF',
        'extra_info': {'phys_function': '0000:04:00.0', 'driver': 'ixgbevf',
                       'class_code': '020000'},
        'id': 3,
        'instance_uuid': None,
        'label': 'label_8086_10ed',
        'numa_node': 0,
        'product_id': '10ed',
        'status': 'available',
        'updated_at': None,
        'vendor_id': '8086',
    }
    assert vf.brief() == {'address': '0000:04:10.0', 'compute_node_id': 1, 'id': 3,
                          'product_id': '10ed', 'status': 'available', 'vendor_id': '8086'}


def test_pf_and_plain_extra_info(inventory: Inventory) -> None:
    pf, gpu, sata = inventory.device(2), inventory.device(5), inventory.device(1)
    assert pf and gpu and sata
    assert pf.extra_info == {'sriov_totalvfs': '4', 'sriov_numvfs': '2', 'driver': 'ixgbe',
                             'class_code': '020000'}
    assert gpu.extra_info == {'class_code': '030200'}
    assert sata.numa_node is None and sata.detail()['numa_node'] is None
    assert all(isinstance(v, str) for d in inventory.devices for v in d.extra_info.values())


def test_created_at_is_fixed_for_every_device(standard_scan: SysfsScan) -> None:
    inventory = Inventory.from_hosts([(HOST, standard_scan.functions)])
    stamps = {d.created_at for d in inventory.devices}
    assert stamps == {inventory.created_at}
    assert inventory.created_at[4] == '-' and 'T' in inventory.created_at


def test_no_servers_by_default(inventory: Inventory) -> None:
    assert inventory.servers == ()
    assert {d.status for d in inventory.devices} == {'available'}
    assert all(d.instance_uuid is None for d in inventory.devices)


_NIC = (('remote_managed', 'false'),)


def test_pools_group_devices_as_nova_does(inventory: Inventory) -> None:
    """Each PF and plain device is its own pool (``address``); a PF's VFs share one."""
    (hypervisor,) = inventory.hypervisors
    assert hypervisor.pools == (
        PciPool('10de', '1eb8', 1, DEV_TYPE_PCI, (('address', '0000:3b:00.0'),), 1),
        PciPool('8086', '10ed', 0, DEV_TYPE_VF, (('address', '0000:04:00.0'),) + _NIC, 2),
        PciPool('8086', '10fb', 0, DEV_TYPE_PF, (('address', '0000:04:00.0'),) + _NIC, 1),
        PciPool('8086', 'a352', None, DEV_TYPE_PCI, (('address', '0000:00:1f.2'),), 1),
    )


def test_pools_split_by_numa_and_parent_pf() -> None:
    functions = [
        _fn('0000:01:00.0', sriov_totalvfs=2),
        _fn('0000:01:10.0', device='10ed', physfn='0000:01:00.0', numa_node=0),
        _fn('0000:01:10.1', device='10ed', physfn='0000:01:00.0', numa_node=0),
        _fn('0000:02:10.0', device='10ed', physfn='0000:02:00.0', numa_node=0),
        _fn('0000:03:00.0', device='1eb8', vendor='10de', numa_node=0),
        _fn('0000:83:00.0', device='1eb8', vendor='10de', numa_node=1),
    ]
    (hypervisor,) = Inventory.from_hosts([('h', functions)]).hypervisors
    counts = {(p.product_id, p.numa_node, dict(p.tags)['address']): p.count
              for p in hypervisor.pools}
    assert counts == {
        ('1520', None, '0000:01:00.0'): 1,
        ('10ed', 0, '0000:01:00.0'): 2,
        ('10ed', 0, '0000:02:00.0'): 1,
        ('1eb8', 0, '0000:03:00.0'): 1,
        ('1eb8', 1, '0000:83:00.0'): 1,
    }
    assert sum(p.count for p in hypervisor.pools) == len(functions)


def test_pool_tags_come_from_the_device_spec() -> None:
    tracked = [
        TrackedDevice(1, 'h', _fn('0000:01:00.0', sriov_totalvfs=2),
                      tags=(('physical_network', 'physnet1'),)),
        TrackedDevice(2, 'h', _fn('0000:01:10.0', device='10ed', physfn='0000:01:00.0'),
                      tags=(('physical_network', 'physnet1'), ('trusted', 'true'))),
        TrackedDevice(3, 'h', _fn('0000:01:10.1', device='10ed', physfn='0000:01:00.0'),
                      tags=(('physical_network', 'physnet2'),)),
        TrackedDevice(4, 'h', _fn('0000:02:10.0', device='10ed', physfn='0000:02:00.0'),
                      tags=(('remote_managed', 'true'), ('resource_class', 'CUSTOM_X'))),
    ]
    (hypervisor,) = Inventory.from_tracked(['h'], tracked).hypervisors
    assert [(p.dev_type, p.tags, p.count) for p in hypervisor.pools] == [
        (DEV_TYPE_VF, (('address', '0000:01:00.0'), ('physical_network', 'physnet1'),
                       ('remote_managed', 'false'), ('trusted', 'true')), 1),
        (DEV_TYPE_VF, (('address', '0000:01:00.0'), ('physical_network', 'physnet2'),
                       ('remote_managed', 'false')), 1),
        # Placement-only tags stay out of pools; an explicit remote_managed is kept.
        (DEV_TYPE_VF, (('address', '0000:02:00.0'), ('remote_managed', 'true')), 1),
        (DEV_TYPE_PF, (('address', '0000:01:00.0'), ('physical_network', 'physnet1'),
                       ('remote_managed', 'false')), 1),
    ]
    assert Inventory.from_tracked(['h'], tracked).device(2).tags == (  # type: ignore[union-attr]
        ('physical_network', 'physnet1'), ('trusted', 'true'))


def test_vf_held_makes_its_pf_unclaimable(busy_inventory: Inventory) -> None:
    statuses = {d.id: (d.status, d.instance_uuid) for d in busy_inventory.devices}
    assert statuses == {
        1: ('available', None),
        2: ('unclaimable', None),          # the PF of the held VF
        3: ('allocated', SERVER_UUID),
        4: ('available', None),            # its sibling VF stays free
        5: ('available', None),
    }
    (hypervisor,) = busy_inventory.hypervisors
    counts = {(p.product_id, p.dev_type): p.count for p in hypervisor.pools}
    assert counts == {('1eb8', DEV_TYPE_PCI): 1, ('10ed', DEV_TYPE_VF): 1,
                      ('10fb', DEV_TYPE_PF): 0, ('a352', DEV_TYPE_PCI): 1}
    assert hypervisor.running_vms == 2
    detail = hypervisor.detail()
    assert detail['running_vms'] == 2 and detail['vcpus_used'] == 2
    assert detail['free_ram_mb'] == detail['memory_mb'] - detail['memory_mb_used']


def test_pf_held_makes_its_vfs_unavailable(inventory: Inventory) -> None:
    busy = inventory.with_servers([Server(id='s1', name='pf-vm', host=HOST, device_ids=(2,))])
    assert [(d.id, d.status) for d in busy.devices] == [
        (1, 'available'), (2, 'allocated'), (3, 'unavailable'), (4, 'unavailable'),
        (5, 'available')]
    assert busy.device(2).instance_uuid == 's1'  # type: ignore[union-attr]
    assert busy.device(3).instance_uuid is None  # type: ignore[union-attr]
    vf_pool, = [p for p in busy.hypervisors[0].pools if p.dev_type == DEV_TYPE_VF]
    assert vf_pool.count == 0


def test_fully_taken_pools_stay_with_count_zero(inventory: Inventory) -> None:
    busy = inventory.with_servers([
        Server(id='s1', name='gpu-vm', host=HOST, device_ids=(5,)),
        Server(id='s2', name='vf-vm', host=HOST, device_ids=(3, 4)),
    ])
    before = {(p.product_id, p.dev_type): p.count for p in inventory.hypervisors[0].pools}
    after = {(p.product_id, p.dev_type): p.count for p in busy.hypervisors[0].pools}
    assert set(after) == set(before)
    assert after == {('1eb8', DEV_TYPE_PCI): 0, ('10ed', DEV_TYPE_VF): 0,
                     ('10fb', DEV_TYPE_PF): 0, ('a352', DEV_TYPE_PCI): 1}


def test_removed_devices_leave_pools_unless_held() -> None:
    gpu = _fn('0000:03:00.0', vendor='10de', device='1eb8', numa_node=0)
    other = _fn('0000:04:00.0', vendor='10de', device='1eb8', numa_node=0)
    tracked = [TrackedDevice(1, 'h', gpu, present=False),
               TrackedDevice(2, 'h', other, present=False, updated_at='2026-11-25T13:00:00')]
    inventory = Inventory.from_tracked(
        ['h'], tracked, [Server(id='s', name='s', host='h', device_ids=(2,))])
    assert [(d.status, d.instance_uuid) for d in inventory.devices] == [
        ('removed', None), ('allocated', 's')]
    assert inventory.device(2).detail()['updated_at'] == '2026-11-25T13:00:00'  # type: ignore
    assert [(dict(p.tags)['address'], p.count) for p in inventory.hypervisors[0].pools] == [
        ('0000:04:00.0', 0)]


def test_with_servers_keeps_device_ids(inventory: Inventory, busy_inventory: Inventory) -> None:
    assert [(d.id, d.address) for d in busy_inventory.devices] == [
        (d.id, d.address) for d in inventory.devices]
    assert busy_inventory.created_at == inventory.created_at
    device = inventory.device_at(HOST, '0000:04:10.0')
    assert device is not None and device.id == 3
    assert inventory.device_at(HOST, '0000:99:00.0') is None


def test_server_document(busy_inventory: Inventory) -> None:
    server = busy_inventory.server(SERVER_UUID)
    assert server is not None
    document = server.detail()
    assert document['os-pci:pci_devices'] == [{'id': 3}]
    assert document['OS-EXT-SRV-ATTR:host'] == HOST
    assert document['OS-EXT-SRV-ATTR:hypervisor_hostname'] == HOST
    assert len(document['hostId']) == 56 and document['addresses'] == {}
    assert busy_inventory.server('nope') is None


@pytest.mark.parametrize('servers, message', [
    ([Server(id='a', name='a', host='elsewhere')], 'unknown host'),
    ([Server(id='a', name='a', host=HOST, device_ids=(99,))], 'unknown PCI device 99'),
    ([Server(id='a', name='a', host=HOST, device_ids=(1,)),
      Server(id='b', name='b', host=HOST, device_ids=(1,))], 'held by two servers'),
    ([Server(id='a', name='a', host=HOST), Server(id='a', name='b', host=HOST)],
     'duplicate server id'),
    ([Server(id='a', name='a', host=HOST, device_ids=(3,)),
      Server(id='b', name='b', host=HOST, device_ids=(2,))], 'PF whose VF 3'),
    ([Server(id='a', name='a', host=HOST, device_ids=(2, 4))], 'VF of a PF a server holds'),
])
def test_inconsistent_servers_rejected(inventory: Inventory, servers: list[Server],
                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inventory.with_servers(servers)


def test_server_cannot_hold_another_hosts_device() -> None:
    with pytest.raises(ValueError, match='cannot hold device 1'):
        Inventory.from_hosts([('a', [_fn('0000:01:00.0')]), ('b', [_fn('0000:01:00.0')])],
                             servers=[Server(id='s', name='s', host='b', device_ids=(1,))])


def test_duplicate_hosts_and_addresses_rejected() -> None:
    with pytest.raises(ValueError, match='duplicate host'):
        Inventory.from_hosts([('a', []), ('a', [])])
    with pytest.raises(ValueError, match='duplicate PCI address'):
        Inventory.from_hosts([('a', [_fn('0000:01:00.0'), _fn('0000:01:00.0')])])


def test_hypervisor_lookup_is_exact(inventory: Inventory) -> None:
    assert inventory.hypervisor('1') is inventory.hypervisors[0]
    assert inventory.hypervisor(HOST) is inventory.hypervisors[0]
    for miss in ('01', ' 1', 'node', HOST.upper(), '2', ''):
        assert inventory.hypervisor(miss) is None


def test_many_hosts_scale() -> None:
    hosts = [(f'compute{n:03d}', [_fn(f'0000:{b:02x}:00.0') for b in range(20)])
             for n in range(50)]
    inventory = Inventory.from_hosts(hosts)
    assert len(inventory.devices) == 1000
    assert [d.id for d in inventory.devices] == list(range(1, 1001))
    last = inventory.device(1000)
    assert last is not None and (last.hostname, last.compute_node_id) == ('compute049', 50)


def test_from_tracked_checks_its_input() -> None:
    one = TrackedDevice(2, 'h', _fn('0000:01:00.0'))
    two = TrackedDevice(1, 'h', _fn('0000:02:00.0'))
    with pytest.raises(ValueError, match='ids must ascend'):
        Inventory.from_tracked(['h'], [one, two])
    with pytest.raises(ValueError, match="unknown host 'h'"):
        Inventory.from_tracked(['g'], [two])


def test_lookups_by_id_place_and_index() -> None:
    tracked = [TrackedDevice(3, 'h', _fn('0000:01:00.0'), present=False),
               TrackedDevice(7, 'h', _fn('0000:02:00.0')),
               TrackedDevice(9, 'h', _fn('0000:01:00.0'))]
    inventory = Inventory.from_tracked(['h', 'idle'], tracked)
    assert [inventory.position_of(i) for i in (0, 3, 5, 7, 9, 10)] == [None, 0, None, 1, 2, None]
    assert inventory.device(5) is None and inventory.device(9).status == 'available'  # type: ignore
    # A removed device and its successor share the place; the live one answers.
    assert inventory.device_at('h', '0000:01:00.0').id == 9  # type: ignore[union-attr]
    assert list(inventory.positions('address', '0000:01:00.0')) == [0, 2]
    assert list(inventory.positions('status', 'removed')) == [0]
    assert list(inventory.positions('hostname', 'idle')) == []
    with pytest.raises(ValueError):
        inventory.positions('numa_node', 0)
    assert [h.hostname for h in inventory.hypervisors] == ['h', 'idle']
    assert dict(inventory.hypervisor_positions()) == {'1': 0, '2': 1}
