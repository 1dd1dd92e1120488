"""Fill a real Placement with compute nodes, PCI devices and servers, as Nova 34 does.

Everything goes through Placement's HTTP API with the calls and microversions of Nova's
report client (``nova/scheduler/client/report.py``) and scheduler:

- root provider per compute node, named after its hypervisor hostname: ``POST
  /resource_providers`` (1.20), ``PUT …/inventories`` (1.26) with VCPU, MEMORY_MB and
  DISK_GB, ``PUT …/traits`` (1.6) with ``COMPUTE_NODE`` and ``OWNER_NOVA``;
- one child provider (``parent_provider_uuid``) per ``type-PCI`` / ``type-PF`` device,
  named ``<hostname>_<ADDRESS upper-cased>``; VFs are no providers but the inventory of
  their PF's provider (total = number of VFs, resource class of the VF product);
  resource class ``CUSTOM_PCI_<VENDOR>_<PRODUCT>`` or the device_spec's own, ensured with
  ``PUT /resource_classes/{name}`` (1.7); custom traits ensured with ``GET
  /traits?name=in:…`` and ``PUT /traits/{name}`` (1.6); PCI inventories carry only
  ``total`` and ``max_unit`` (Placement defaults the rest), as Nova sends them;
- servers: ``GET /allocation_candidates`` (1.36) with one numbered group per requested
  device (``resources_<request id>-<i>``, ``group_policy=none``) and ``in_tree`` for the
  chosen host, then ``GET /allocations/{consumer}`` (1.28) and ``PUT
  /allocations/{consumer}`` (1.36) with the candidate, ``project_id``, ``user_id`` and
  ``consumer_generation: null``, as the scheduler's ``claim_resources`` does;
- an operator reserves one device: ``PUT …/inventories/{rc}`` (1.26) with ``reserved: 1``.

:func:`populate` returns a :class:`Population`: what was created and what a reader of
Placement must find, one expected row per PCI provider.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

# Microversions of Nova 34's report client and scheduler for each call.
MV_CREATE_PROVIDER = '1.20'      # POST_RPS_RETURNS_PAYLOAD_API_VERSION
MV_INVENTORIES = '1.26'          # ALLOW_RESERVED_EQUAL_TOTAL_INVENTORY_VERSION
MV_RESOURCE_CLASS = '1.7'
MV_TRAITS = '1.6'
MV_IN_TREE = '1.14'              # NESTED_PROVIDER_API_VERSION
MV_ALLOCATION_CANDIDATES = '1.36'  # SAME_SUBTREE_VERSION, also used for the claim
MV_GET_ALLOCATIONS = '1.28'      # CONSUMER_GENERATION_VERSION

HOSTS = ('compute1', 'compute2')
PROJECT_ID = '6f70656e737461636b20697320636f6f'  # Keystone-style ids (hex, no dashes)
USER_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'

# What the libvirt driver reports for a small node (as in the Nova 34 reference).
ROOT_INVENTORY = {
    'VCPU': {'total': 2, 'reserved': 0, 'min_unit': 1, 'max_unit': 2, 'step_size': 1,
             'allocation_ratio': 4.0},
    'MEMORY_MB': {'total': 8192, 'reserved': 512, 'min_unit': 1, 'max_unit': 8192,
                  'step_size': 1, 'allocation_ratio': 1.0},
    'DISK_GB': {'total': 1028, 'reserved': 0, 'min_unit': 1, 'max_unit': 1028,
                'step_size': 1, 'allocation_ratio': 1.0},
}
ROOT_TRAITS = ('COMPUTE_NODE', 'OWNER_NOVA', 'COMPUTE_IMAGE_TYPE_RAW',
               'COMPUTE_DEVICE_TAGGING', 'COMPUTE_NET_ATTACH_INTERFACE')
FLAVOR = {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}
PCI_TRAITS = ('COMPUTE_MANAGED_PCI_DEVICE', 'OWNER_NOVA')


@dataclass(frozen=True)
class DeviceSpec:
    """One PCI device Nova tracks on every host (its device_spec tags included)."""
    key: str
    address: str              # canonical lower-case PCI address of the device (the PF)
    dev_type: str             # Nova's type of the device the provider is named after
    vendor_id: str            # of the device itself
    product_id: str
    vfs: int = 0              # VFs tracked in Nova: the provider holds them, not the PF
    vf_product_id: str = ''
    resource_class: str = ''  # device_spec resource_class tag (else derived)
    traits: tuple[str, ...] = ()  # device_spec traits tag


DEVICES = (
    # A GPU passed through whole. The address has hex letters: the provider name
    # upper-cases them (compute1_0000:3B:00.0).
    DeviceSpec('gpu', '0000:3b:00.0', 'type-PCI', '10de', '1eb8'),
    # An SR-IOV NIC (X540) whose 4 VFs are tracked: one provider named after the PF,
    # holding 4 units of the VF product's resource class.
    DeviceSpec('sriov', '0000:5e:00.0', 'type-PF', '8086', '1528', vfs=4,
               vf_product_id='1515'),
    # The same NIC model passed through as a whole PF.
    DeviceSpec('pf', '0000:01:00.0', 'type-PF', '8086', '1528'),
    # A GPU with the operator's resource class and trait in its device_spec.
    DeviceSpec('gold', '0000:af:00.0', 'type-PCI', '10de', '1eb8',
               resource_class='CUSTOM_GPU_GOLD', traits=('CUSTOM_GOLD',)),
)
RESERVED = ('compute2', 'pf')   # the operator reserves this device's one unit


@dataclass(frozen=True)
class ServerSpec:
    name: str
    host: str
    device: str               # DeviceSpec.key
    count: int                # devices (or VFs) requested, one request group each


SERVERS = (
    ServerSpec('vm-gpu', 'compute1', 'gpu', 1),
    ServerSpec('vm-vfs', 'compute2', 'sriov', 2),
)


def provider_name(host: str, address: str) -> str:
    """Nova's ``PciResourceProvider`` name: ``<hostname>_<ADDRESS upper-cased>``."""
    return f'{host}_{address.upper()}'


def resource_class(spec: DeviceSpec) -> str:
    if spec.resource_class:
        return spec.resource_class
    product = spec.vf_product_id if spec.vfs else spec.product_id
    return f'CUSTOM_PCI_{spec.vendor_id}_{product}'.upper()


@dataclass
class ExpectedDevice:
    """One PCI provider, as a reader of Placement must report it."""
    host: str
    address: str              # lower-case, as Nova writes PCI addresses
    provider_name: str
    provider_uuid: str
    root_uuid: str
    resource_class: str
    # vendor/product as far as Placement tells them: from CUSTOM_PCI_<V>_<P>, else None
    vendor_id: str | None
    product_id: str | None
    total: int
    reserved: int
    used: int
    free: int                 # total - reserved - used (allocation_ratio 1.0)
    traits: list[str]
    servers: list[str]        # consumer uuids holding some of it
    # Facts Placement does not hold (for reference only; a reader cannot know them).
    nova_dev_type: str
    device_vendor_id: str
    device_product_id: str
    vfs: int
    key: str

    @property
    def host_address(self) -> str:
        return f'{self.host}_{self.address}'


@dataclass
class Consumer:
    uuid: str
    name: str
    host: str
    project_id: str
    user_id: str
    # provider uuid -> {resource class: amount}, exactly what was PUT
    allocations: dict[str, dict[str, int]]
    # the PCI part: [{'provider_uuid', 'host', 'address', 'resource_class', 'amount'}]
    pci: list[dict[str, Any]]
    mappings: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Population:
    url: str
    roots: dict[str, str]                  # hostname -> root provider uuid
    devices: list[ExpectedDevice]
    consumers: dict[str, Consumer]         # consumer uuid -> Consumer
    reserved_device: ExpectedDevice
    seconds: float = 0.0
    requests: int = 0

    def device(self, host: str, key: str) -> ExpectedDevice:
        return next(d for d in self.devices if d.host == host and d.key == key)

    def by_uuid(self) -> dict[str, ExpectedDevice]:
        return {d.provider_uuid: d for d in self.devices}

    def consumer(self, name: str) -> Consumer:
        return next(c for c in self.consumers.values() if c.name == name)

    @property
    def pci_provider_uuids(self) -> set[str]:
        return {d.provider_uuid for d in self.devices}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PlacementError(RuntimeError):
    pass


class PlacementAPI:
    """The few Placement calls Nova makes, each at Nova's microversion."""

    def __init__(self, url: str, token: str = 'admin', timeout: float = 30) -> None:
        self.url = url.rstrip('/')
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only, never through a proxy
        self.session.headers.update({'X-Auth-Token': token, 'Accept': 'application/json'})
        self.timeout = timeout
        self.count = 0

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, version: str, *, json: Any = None,
             expect: tuple[int, ...] = (200,), params: Any = None) -> requests.Response:
        headers = {'OpenStack-API-Version': f'placement {version}'}
        answer = self.session.request(method, self.url + path, json=json, params=params,
                                      headers=headers, timeout=self.timeout)
        self.count += 1
        if answer.status_code not in expect:
            raise PlacementError(f'{method} {path} at {version} answered '
                                 f'{answer.status_code}: {answer.text[:1000]}')
        return answer

    # -- providers (report client) -------------------------------------------------

    def create_provider(self, name: str, parent: str | None = None) -> dict:
        body: dict[str, Any] = {'uuid': str(uuid.uuid4()), 'name': name}
        if parent:
            body['parent_provider_uuid'] = parent
        return self.call('POST', '/resource_providers', MV_CREATE_PROVIDER, json=body).json()

    def ensure_resource_classes(self, names: set[str]) -> None:
        for name in sorted(n for n in names if n.startswith('CUSTOM_')):
            self.call('PUT', f'/resource_classes/{name}', MV_RESOURCE_CLASS, expect=(201, 204))

    def ensure_traits(self, traits: set[str]) -> None:
        known = self.call('GET', '/traits', MV_TRAITS,
                          params={'name': 'in:' + ','.join(sorted(traits))}).json()['traits']
        for trait in sorted(traits - set(known)):
            self.call('PUT', f'/traits/{trait}', MV_TRAITS, expect=(201, 204))

    def set_inventory(self, provider: dict, inventories: dict[str, dict]) -> None:
        self.ensure_resource_classes(set(inventories))
        body = {'resource_provider_generation': provider['generation'],
                'inventories': inventories}
        answer = self.call('PUT', f'/resource_providers/{provider["uuid"]}/inventories',
                           MV_INVENTORIES, json=body).json()
        provider['generation'] = answer['resource_provider_generation']

    def set_traits(self, provider: dict, traits: set[str]) -> None:
        self.ensure_traits(traits)
        body = {'resource_provider_generation': provider['generation'],
                'traits': sorted(traits)}
        answer = self.call('PUT', f'/resource_providers/{provider["uuid"]}/traits',
                           MV_TRAITS, json=body).json()
        provider['generation'] = answer['resource_provider_generation']

    def reserve(self, provider: dict, rc: str, reserved: int) -> None:
        """What an operator does (``openstack resource provider inventory set``)."""
        path = f'/resource_providers/{provider["uuid"]}/inventories/{rc}'
        current = self.call('GET', path, MV_INVENTORIES).json()
        current['reserved'] = reserved
        answer = self.call('PUT', path, MV_INVENTORIES, json=current).json()
        provider['generation'] = answer['resource_provider_generation']

    # -- scheduling a server (scheduler + claim_resources) ---------------------------

    def claim(self, consumer: str, root: str, flavor: dict[str, int], rc: str,
              count: int, required: tuple[str, ...] = ()) -> dict:
        """Pick an allocation candidate on ``root``'s tree and claim it for ``consumer``."""
        pci_request_id = str(uuid.uuid4())
        params: list[tuple[str, str]] = [
            ('limit', '1000'),
            ('resources', ','.join(f'{k}:{v}' for k, v in sorted(flavor.items()))),
            ('in_tree', root),
            ('root_required', '!COMPUTE_STATUS_DISABLED'),
        ]
        for i in range(count):
            suffix = f'_{pci_request_id}-{i}'
            params.append((f'resources{suffix}', f'{rc}:1'))
            if required:
                params.append((f'required{suffix}', ','.join(sorted(required))))
        if count >= 2:
            params.append(('group_policy', 'none'))
        candidates = self.call('GET', '/allocation_candidates', MV_ALLOCATION_CANDIDATES,
                               params=sorted(params)).json()
        if not candidates['allocation_requests']:
            raise PlacementError(f'no allocation candidate for {rc}:{count} in tree {root}')
        request = candidates['allocation_requests'][0]
        current = self.call('GET', f'/allocations/{consumer}', MV_GET_ALLOCATIONS).json()
        if current['allocations']:
            raise PlacementError(f'consumer {consumer} already holds {current}')
        payload = dict(request, project_id=PROJECT_ID, user_id=USER_ID,
                       consumer_generation=None)
        self.call('PUT', f'/allocations/{consumer}', MV_ALLOCATION_CANDIDATES,
                  json=payload, expect=(204,))
        return request


def populate(url: str, token: str = 'admin') -> Population:
    """Create the data set (two compute nodes, their PCI providers, two servers)."""
    started = time.monotonic()
    api = PlacementAPI(url, token)
    try:
        return _populate(api, started)
    finally:
        api.close()


def _populate(api: PlacementAPI, started: float) -> Population:
    roots: dict[str, str] = {}
    providers: dict[tuple[str, str], dict] = {}
    for host in HOSTS:
        root = api.create_provider(host)
        api.set_inventory(root, ROOT_INVENTORY)
        api.set_traits(root, set(ROOT_TRAITS))
        roots[host] = root['uuid']
        for spec in DEVICES:
            child = api.create_provider(provider_name(host, spec.address), parent=root['uuid'])
            total = spec.vfs or 1
            api.set_inventory(child, {resource_class(spec): {'total': total,
                                                             'max_unit': total}})
            api.set_traits(child, set(PCI_TRAITS) | set(spec.traits))
            providers[(host, spec.key)] = child
    reserved_host, reserved_key = RESERVED
    specs = {s.key: s for s in DEVICES}
    api.reserve(providers[RESERVED], resource_class(specs[reserved_key]), 1)

    consumers: dict[str, Consumer] = {}
    for server in SERVERS:
        spec = specs[server.device]
        consumer_uuid = str(uuid.uuid4())
        rc = resource_class(spec)
        request = api.claim(consumer_uuid, roots[server.host], FLAVOR, rc, server.count,
                            required=spec.traits)
        allocations = {rp: dict(a['resources'])
                       for rp, a in request['allocations'].items()}
        pci_rp = providers[(server.host, server.device)]['uuid']
        if allocations.get(pci_rp) != {rc: server.count}:
            raise PlacementError(f'{server.name}: Placement chose {allocations}, expected '
                                 f'{rc}:{server.count} from {pci_rp}')
        consumers[consumer_uuid] = Consumer(
            uuid=consumer_uuid, name=server.name, host=server.host,
            project_id=PROJECT_ID, user_id=USER_ID, allocations=allocations,
            pci=[{'provider_uuid': pci_rp, 'host': server.host, 'address': spec.address,
                  'resource_class': rc, 'amount': server.count}],
            mappings=request.get('mappings', {}))

    devices = []
    for host in HOSTS:
        for spec in DEVICES:
            provider = providers[(host, spec.key)]
            rc = resource_class(spec)
            holders = sorted(c.uuid for c in consumers.values()
                             if provider['uuid'] in c.allocations)
            used = sum(c.allocations[provider['uuid']].get(rc, 0)
                       for c in consumers.values() if provider['uuid'] in c.allocations)
            total = spec.vfs or 1
            reserved = 1 if (host, spec.key) == RESERVED else 0
            vendor = product = None
            if rc.startswith('CUSTOM_PCI_'):
                vendor, product = (part.lower() for part in rc[len('CUSTOM_PCI_'):].split('_'))
            devices.append(ExpectedDevice(
                host=host, address=spec.address, provider_name=provider['name'],
                provider_uuid=provider['uuid'], root_uuid=roots[host], resource_class=rc,
                vendor_id=vendor, product_id=product, total=total, reserved=reserved,
                used=used, free=total - reserved - used,
                traits=sorted(set(PCI_TRAITS) | set(spec.traits)), servers=holders,
                nova_dev_type=spec.dev_type, device_vendor_id=spec.vendor_id,
                device_product_id=spec.product_id, vfs=spec.vfs, key=spec.key))
    population = Population(url=api.url, roots=roots, devices=devices, consumers=consumers,
                            reserved_device=next(d for d in devices if d.reserved))
    population.seconds = time.monotonic() - started
    population.requests = api.count
    return population
