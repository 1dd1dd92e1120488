"""The names and ids Nova gives the resource providers it reports for PCI devices.

Kept apart from the tree building so the rules a reader checks against Nova's
``pci_placement_translator`` sit in one short place:

- a compute node's provider is named after its hypervisor hostname; a PCI
  device's provider is ``<hostname>_<ADDRESS>`` (the PF's address for VFs),
  the address upper-cased as Nova writes it;
- a device's resource class is ``CUSTOM_PCI_<VENDOR>_<PRODUCT>``, or its
  device_spec ``resource_class`` tag normalised the way Nova does it;
- its traits are ``COMPUTE_MANAGED_PCI_DEVICE``, ``OWNER_NOVA`` and the
  device_spec ``traits`` tag (comma-separated), custom ones ``CUSTOM_``-prefixed;
  a type-PCI or type-PF device whose ``one_time_use`` tag is true also has
  ``HW_PCI_ONE_TIME_USE`` (added by the tree, which knows the device's type).

Provider uuids are uuid5 of the provider's name, so they stay the same across
rescans and restarts (a real Nova keeps them in its database).
"""
from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable

__all__ = [
    'COMPUTE_NODE_TRAITS',
    'CUSTOM_PREFIX',
    'DISABLED_TRAIT',
    'MANAGED_PCI_TRAIT',
    'ONE_TIME_USE_TRAIT',
    'OWNER_TRAIT',
    'STANDARD_RESOURCE_CLASSES',
    'compute_node_uuid',
    'device_resource_class',
    'device_traits',
    'is_true',
    'normalize_resource_class',
    'normalize_traits',
    'pci_provider_name',
    'provider_uuid',
]

CUSTOM_PREFIX = 'CUSTOM_'
MANAGED_PCI_TRAIT = 'COMPUTE_MANAGED_PCI_DEVICE'
OWNER_TRAIT = 'OWNER_NOVA'
ONE_TIME_USE_TRAIT = 'HW_PCI_ONE_TIME_USE'
# What Nova's compute puts on its node's provider while the compute service is disabled.
DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'
# oslo's bool_from_string: these read as true, anything else as false.
_TRUE_TEXT = frozenset({'1', 't', 'true', 'on', 'y', 'yes'})

# Placement's standard resource classes (os-resource-classes), as a real Placement 16 lists them.
STANDARD_RESOURCE_CLASSES = frozenset({
    'VCPU', 'MEMORY_MB', 'DISK_GB', 'PCI_DEVICE', 'SRIOV_NET_VF', 'NUMA_SOCKET', 'NUMA_CORE',
    'NUMA_THREAD', 'NUMA_MEMORY_MB', 'IPV4_ADDRESS', 'VGPU', 'VGPU_DISPLAY_HEAD',
    'NET_BW_EGR_KILOBIT_PER_SEC', 'NET_BW_IGR_KILOBIT_PER_SEC', 'PCPU',
    'MEM_ENCRYPTION_CONTEXT', 'FPGA', 'PGPU', 'NET_PACKET_RATE_KILOPACKET_PER_SEC',
    'NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC', 'NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC',
})

# What Nova 34's fake virt driver puts on its compute node providers (the reference capture).
COMPUTE_NODE_TRAITS = frozenset({
    'COMPUTE_ACCELERATORS', 'COMPUTE_ADDRESS_SPACE_EMULATED',
    'COMPUTE_ADDRESS_SPACE_PASSTHROUGH', 'COMPUTE_DEVICE_TAGGING', 'COMPUTE_IMAGE_TYPE_RAW',
    'COMPUTE_MEM_BACKING_FILE', 'COMPUTE_NET_ATTACH_INTERFACE',
    'COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG', 'COMPUTE_NODE',
    'COMPUTE_SECURITY_STATELESS_FIRMWARE', 'COMPUTE_STORAGE_VIRTIO_FS', 'COMPUTE_TRUSTED_CERTS',
    'COMPUTE_VOLUME_ATTACH_WITH_TAG', 'COMPUTE_VOLUME_EXTEND', 'COMPUTE_VOLUME_MULTI_ATTACH',
    OWNER_TRAIT,
})

# Fixed, so every run of the fake derives the same provider uuids.
_NAMESPACE = uuid.UUID('6a3c58f4-7d0e-5a52-9c3e-2b8f9e41d7a0')
_NOT_ALNUM = re.compile('[^0-9A-Za-z]+')
# os-traits has no copy here: a name in one of its namespaces, spelt exactly, counts as
# standard (Nova keeps standard traits as they are and prefixes everything else).
_STANDARD_TRAIT = re.compile(r'^(?:COMPUTE|HW|STORAGE|MISC|OWNER)_[A-Z0-9_]+$')


@functools.lru_cache(maxsize=1 << 18)  # rebuilds after rescans ask for the same names again
def provider_uuid(name: str) -> str:
    """The stable uuid of the provider called ``name``."""
    return str(uuid.uuid5(_NAMESPACE, name))


def compute_node_uuid(hostname: str) -> str:
    return provider_uuid(hostname)


def pci_provider_name(hostname: str, address: str) -> str:
    """``gpu06_0000:2F:00.0``: Nova upper-cases the address, hex digits included."""
    return f'{hostname}_{address.upper()}'


def _custom_name(name: str) -> str:
    """os-traits' and os-resource-classes' ``normalize_name``."""
    return CUSTOM_PREFIX + _NOT_ALNUM.sub('_', name).upper()


def normalize_resource_class(name: str) -> str:
    """Nova's reading of a ``resource_class`` tag: standard or ``CUSTOM_`` names stay as they
    are (upper-cased), any other is made a custom one."""
    upper = name.strip().upper()
    if upper in STANDARD_RESOURCE_CLASSES or upper.startswith(CUSTOM_PREFIX):
        return upper
    return _custom_name(upper)


def normalize_traits(names: Iterable[str]) -> frozenset[str]:
    """Nova's reading of a ``traits`` tag's items: empty items are dropped."""
    traits = set()
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if _STANDARD_TRAIT.match(name):
            traits.add(name)
            continue
        upper = name.upper()
        traits.add(upper if upper.startswith(CUSTOM_PREFIX) else _custom_name(upper))
    return frozenset(traits)


def device_resource_class(vendor_id: str, product_id: str, tags: dict[str, str]) -> str:
    """The class of a device's inventory; for VFs the VF's own vendor and product."""
    tagged = tags.get('resource_class', '').strip()
    if tagged:
        return normalize_resource_class(tagged)
    return f'{CUSTOM_PREFIX}PCI_{vendor_id}_{product_id}'.upper()


def is_true(text: str | None) -> bool:
    """How Nova reads a boolean device_spec tag (``one_time_use``, ``live_migratable``)."""
    return text is not None and text.strip().lower() in _TRUE_TEXT


def device_traits(tags: dict[str, str]) -> frozenset[str]:
    """What Nova puts on a PCI device's provider."""
    return frozenset({MANAGED_PCI_TRAIT, OWNER_TRAIT}) | normalize_traits(
        tags.get('traits', '').split(','))
