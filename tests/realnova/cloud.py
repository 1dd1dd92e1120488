"""What the real-Nova tier's tests see of it: :class:`RealNova` (served by ``conftest.real_nova``)
and the PCI providers Nova's database implies."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Nova's PCI device types: one provider per device of these, named after the device ...
PROVIDER_TYPES = ('type-PCI', 'type-PF')
# ... while devices of these are inventory of their parent's provider.
CHILD_TYPES = ('type-VF', 'vdpa')
# Traits Nova puts on every PCI provider.
NOVA_PCI_TRAITS = ('COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA')


def custom_trait(name: str) -> str:
    """A device_spec trait as Placement stores it (``gold`` -> ``CUSTOM_GOLD``)."""
    name = name.strip().upper()
    if name.startswith('CUSTOM_'):
        return name
    return 'CUSTOM_' + re.sub(r'[^A-Z0-9_]+', '_', name)


@dataclass(frozen=True)
class ExpectedProvider:
    """A PCI provider Placement must hold, derived from the devices in Nova's database."""
    host: str
    address: str                  # of the device the provider is named after, lower-case
    name: str                     # <host>_<ADDRESS upper-cased>, as Nova names it
    uuid: str                     # what Nova recorded in the devices' extra_info
    resource_class: str
    vendor_id: str
    product_id: str
    total: int
    used: int
    traits: list[str]
    servers: list[str]
    vfs: bool                     # holds VFs (of the PF it is named after)
    device_addresses: list[str]   # the devices in Nova's database it stands for

    @property
    def free(self) -> int:
        return self.total - self.used

    @property
    def host_address(self) -> str:
        return f'{self.host}_{self.address}'


@dataclass(frozen=True)
class RealNova:
    url: str                      # compute endpoint, http://127.0.0.1:PORT/v2.1
    placement_url: str            # Placement endpoint, http://127.0.0.1:PORT2/placement
    placement_token: str          # the admin token of the Placement's noauth2
    project_id: str               # the project every request acts in (as its admin)
    server_id: str
    server_name: str
    server_host: str              # hypervisor hostname the server runs on
    server_holds_pci_device: bool
    server_pci_devices: list[dict]  # Nova's database view; no Nova 34 API shows it
    pci_devices: list[dict]       # every device Nova's database tracks, both hosts
    hypervisors: list[dict]       # [{'id': UUID, 'hypervisor_hostname': ...}]
    log: Path
    info: dict = field(repr=False)

    @property
    def root(self) -> str:
        return self.url.rsplit('/v2.1', 1)[0]

    @property
    def hypervisor_hostnames(self) -> list[str]:
        return [h['hypervisor_hostname'] for h in self.hypervisors]

    def expected_providers(self) -> list[ExpectedProvider]:
        """The PCI providers Nova's database implies, sorted by host and address."""
        groups: dict[tuple[str, str], list[dict]] = {}
        for device in self.pci_devices:
            if device['dev_type'] in PROVIDER_TYPES:
                named_after = device['address']
            elif device['dev_type'] in CHILD_TYPES:
                named_after = device['parent_addr']
            else:
                raise AssertionError(f'unexpected device type in Nova: {device}')
            groups.setdefault((device['host'], named_after.lower()), []).append(device)
        providers = []
        for (host, address), devices in sorted(groups.items()):
            first = devices[0]
            uuids = {device['rp_uuid'] for device in devices}
            assert len(uuids) == 1, f'{host} {address}: devices name {uuids}'
            tags = first['spec_tags'] or {}
            traits = set(NOVA_PCI_TRAITS) | {
                custom_trait(t) for t in (tags.get('traits') or '').split(',') if t.strip()}
            servers = sorted({d['instance_uuid'] for d in devices if d['instance_uuid']})
            providers.append(ExpectedProvider(
                host=host, address=address, name=f'{host}_{address.upper()}',
                uuid=uuids.pop(),
                resource_class=f'CUSTOM_PCI_{first["vendor_id"]}_{first["product_id"]}'.upper(),
                vendor_id=first['vendor_id'].lower(), product_id=first['product_id'].lower(),
                total=len(devices), used=sum(1 for d in devices if d['instance_uuid']),
                traits=sorted(traits), servers=servers,
                vfs=first['dev_type'] in CHILD_TYPES,
                device_addresses=sorted(d['address'] for d in devices)))
        return providers

    def provider_of(self, device: dict) -> ExpectedProvider:
        """The expected provider that stands for ``device`` (a Nova database row)."""
        [provider] = [p for p in self.expected_providers() if p.uuid == device['rp_uuid']]
        return provider
