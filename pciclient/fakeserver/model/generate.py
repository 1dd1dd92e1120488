"""Made-up but plausible PCI functions for hosts a scenario describes by numbers only.

A cloud of hundreds of hosts cannot be written out as sysfs trees, yet tests of
paging, filtering and pools at scale need realistic data: real vendor/product
ids and drivers, SR-IOV PFs with their VFs at the addresses the kernel would
give them, and devices spread over NUMA nodes. Generation is deterministic, so
every start (and every host made from the same numbers) gets the same functions;
identical parameters share one immutable tuple to keep 100,000 devices cheap.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields

from pciclient.fakeserver.model.sysfs import PciFunction, address_sort_key

__all__ = ['GenerateError', 'GenerateParams', 'LIMITS', 'generate_functions']

# Inclusive bounds per parameter: an SR-IOV PF has at most 256 VFs; the rest keeps a
# host within what one machine could plausibly carry.
LIMITS: dict[str, tuple[int, int]] = {
    'pfs': (0, 256),
    'vfs_per_pf': (0, 256),
    'gpus': (0, 64),
    'numa_nodes': (1, 64),
}

# Where VF n of a PF sits: routing id = PF's + offset + n * stride, as SR-IOV defines it.
_VF_OFFSET, _VF_STRIDE = 8, 1
_NIC_CLASS, _GPU_CLASS = '020000', '030200'
_FIRST_BUS, _LAST_BUS = 0x01, 0xFF


@dataclass(frozen=True)
class _NicModel:
    vendor: str
    pf_device: str
    vf_device: str
    pf_driver: str
    vf_driver: str
    max_vfs: int


# Alternating vendors, so pools and filters see more than one kind of NIC.
_NICS = (
    _NicModel('8086', '159b', '1889', 'ice', 'iavf', 256),                # Intel E810-XXV
    _NicModel('15b3', '101d', '101e', 'mlx5_core', 'mlx5_core', 127),     # Mellanox ConnectX-6 Dx
)
_GPU_VENDOR, _GPU_DEVICE, _GPU_DRIVER = '10de', '1eb8', 'vfio-pci'         # NVIDIA Tesla T4


class GenerateError(ValueError):
    """A parameter is out of range; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GenerateParams:
    """``generate: {pfs, vfs_per_pf, gpus, numa_nodes}`` of a scenario host."""

    pfs: int = 0
    vfs_per_pf: int = 0
    gpus: int = 0
    numa_nodes: int = 1

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            low, high = LIMITS[spec.name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise GenerateError(spec.name, f'{spec.name} must be a whole number from '
                                               f'{low} to {high}, not {value!r}')

    @property
    def device_count(self) -> int:
        return self.pfs * (1 + self.vfs_per_pf) + self.gpus


class _Buses:
    """Hand out bus ranges in address order, moving to the next PCI domain when one is full."""

    def __init__(self) -> None:
        self.domain = 0
        self.bus = _FIRST_BUS

    def take(self, span: int) -> tuple[int, int]:
        if self.bus + span - 1 > _LAST_BUS:
            self.domain += 1
            self.bus = _FIRST_BUS
        taken = (self.domain, self.bus)
        self.bus += span
        return taken


def _address(domain: int, routing_id: int) -> str:
    bus, devfn = divmod(routing_id, 256)
    return f'{domain:04x}:{bus:02x}:{devfn >> 3:02x}.{devfn & 7:x}'


def _spread(count: int, nodes: int) -> list[int]:
    """NUMA node of item i: contiguous, balanced blocks (node 0 gets the first items)."""
    return [index * nodes // count for index in range(count)]


def _nic(index: int, numa: int, vfs: int, buses: _Buses) -> list[PciFunction]:
    model = _NICS[index % len(_NICS)]
    span = 1 + (_VF_OFFSET + (vfs - 1) * _VF_STRIDE) // 256 if vfs else 1
    domain, bus = buses.take(span)
    pf_rid = bus * 256
    pf_address = _address(domain, pf_rid)
    vf_addresses = tuple(_address(domain, pf_rid + _VF_OFFSET + n * _VF_STRIDE)
                         for n in range(vfs))
    pf = PciFunction(
        address=pf_address, vendor=model.vendor, device=model.pf_device,
        class_code=_NIC_CLASS, numa_node=numa, driver=model.pf_driver,
        sriov_totalvfs=max(model.max_vfs, vfs), sriov_numvfs=vfs, virtfns=vf_addresses)
    vfs_made = [
        PciFunction(address=address, vendor=model.vendor, device=model.vf_device,
                    class_code=_NIC_CLASS, numa_node=numa, driver=model.vf_driver,
                    physfn=pf_address)
        for address in vf_addresses
    ]
    return [pf, *vfs_made]


@functools.lru_cache(maxsize=64)
def generate_functions(params: GenerateParams) -> tuple[PciFunction, ...]:
    """The functions of one generated host, in address order (cached per parameter set)."""
    nic_numa = _spread(params.pfs, params.numa_nodes)
    gpu_numa = _spread(params.gpus, params.numa_nodes)
    buses = _Buses()
    functions: list[PciFunction] = []
    # Node by node, as firmware numbers buses: NICs of node 0, its GPUs, then node 1 …
    for node in range(params.numa_nodes):
        for index in (i for i, n in enumerate(nic_numa) if n == node):
            functions += _nic(index, node, params.vfs_per_pf, buses)
        for _ in (j for j, n in enumerate(gpu_numa) if n == node):
            domain, bus = buses.take(1)
            functions.append(PciFunction(
                address=_address(domain, bus * 256), vendor=_GPU_VENDOR, device=_GPU_DEVICE,
                class_code=_GPU_CLASS, numa_node=node, driver=_GPU_DRIVER))
    functions.sort(key=lambda f: address_sort_key(f.address))
    return tuple(functions)
