"""PCI devices as today's Nova reports them: resource providers in Placement.

Since Zed, Nova (``[pci] report_in_placement = True``) makes every ``type-PCI`` or
``type-PF`` device a child provider of its compute node, named
``<hypervisor_hostname>_<ADDRESS>``, with one inventory of resource class
``CUSTOM_PCI_<VENDOR>_<PRODUCT>`` (or the device spec's ``resource_class``) and the
trait ``COMPUTE_MANAGED_PCI_DEVICE``. VFs are not providers: they are inventory of
their PF's provider. Servers are consumers of that inventory.

Placement is shared by the whole control plane, so every question reads only what
its answer needs: one device is its provider (by uuid or by its exact name); one
host is its tree (``?name=`` for the root, ``?in_tree=``); one server is its
allocations. Only the whole-cloud listing reads every PCI provider, with as few
requests per provider as the answer allows (usages are summed from allocations
when those are read anyway; traits only when shown). Only ``name``, ``in_tree``
and ``required`` go into queries: ``resources=`` would hide providers with no free
capacity, i.e. exactly the allocated devices.

Physical GPUs serving vGPUs are providers too (Nova's libvirt driver: a child of the
compute node named ``<nodename>_pci_DDDD_BB_SS_F``, inventory ``VGPU`` or the mdev type's
``mdev_class``, trait ``OWNER_NOVA`` only): they come back as rows of ``Type`` ``vgpu``.
The whole cloud finds them in one more listing, ``?required=OWNER_NOVA,!COMPUTE_NODE,
!COMPUTE_MANAGED_PCI_DEVICE`` (forbidden traits: microversion 1.22); a host's tree and a
server's allocations name them anyway.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pciclient import exceptions as exc
from pciclient.http import HTTPClient, expect_object
from pciclient.v2.base import Resource, is_uuid_like, matches_filters, path_segment
from pciclient.v2.hypervisors import NoSuchHost, closest_names
from pciclient.v2.optional_service import OptionalService
from pciclient.v2.placement_rows import (
    PCI_TRAIT,
    PciProvider,
    device_fields,
    is_vgpu_provider,
    number,
    pgpu_provider_name,
    provider_name,
    split_pgpu_name,
    split_provider_name,
)
from pciclient.v2.sources import PLACEMENT_CONCURRENCY

#: Placement microversion used: ``required`` needs 1.18, ``in_tree`` 1.14.
PLACEMENT_VERSION = '1.18'
MIN_MINOR = 18
#: The trait Nova puts on the providers it owns (compute nodes, PCI devices, physical GPUs).
OWNER_TRAIT = 'OWNER_NOVA'
#: Traits every Nova PCI provider has, left out of pools' tags.
_COMMON_TRAITS = frozenset({PCI_TRAIT, OWNER_TRAIT})
#: The listing of every physical GPU provider: Nova's, neither compute node nor PCI device
#: (forbidden traits need microversion 1.22; names are checked too).
VGPU_QUERY = {'required': f'{OWNER_TRAIT},!COMPUTE_NODE,!{PCI_TRAIT}'}
VGPU_QUERY_MINOR = 22


def check_version(version: str | None) -> None:
    """Refuse, before any request, a Placement microversion too old for these reads."""
    if version is None:
        return
    major, _, minor = str(version).partition('.')
    if not (major == '1' and minor.isdigit()):  # 'latest' too: Placement has no such header
        raise exc.ConfigurationError(f'Placement microversion {version} is not 1.N (e.g. '
                                     f'{PLACEMENT_VERSION}).')
    if int(minor) < MIN_MINOR:
        raise exc.ConfigurationError(
            f'pciclient needs Placement microversion ≥ {PLACEMENT_VERSION}; ',
            hint=exc.Hint.PLACEMENT_API_VERSION, hint_args={'version': version},
            then=' is too old.')


def _amount(allocation: dict[str, Any], where: str) -> dict[str, int]:
    """The units of each resource class one allocation holds."""
    resources = allocation.get('resources', {})
    if not isinstance(resources, dict):
        raise exc.InvalidResponse(f'An allocation in the answer to {where} has "resources" '
                                  'that is not an object.')
    return {str(rc): number(value, 'allocation amount') for rc, value in resources.items()}


def read_traits(http: HTTPClient, base: str) -> list[str]:
    """The traits of the provider at ``base`` (``resource_providers/{uuid}``)."""
    body = http.get(f'{base}/traits')
    listed = body.get('traits') if isinstance(body, dict) else None
    if not isinstance(listed, list):
        raise exc.InvalidResponse(f'The answer to {base}/traits has no "traits" list.')
    return [str(t) for t in listed]


#: The trait Nova puts on every compute node provider (one listing finds them all).
COMPUTE_NODE_TRAIT = 'COMPUTE_NODE'


class NoSuchComputeNode(NoSuchHost):
    """No root provider has that name: the host is not known to Placement."""

    def __init__(self, name: str, candidates: Iterable[str]) -> None:
        super().__init__(name, candidates, what='compute node named', where=' in Placement',
                         otherwise=" (give the hypervisor's nodename, its hypervisor_hostname)")


class NoDeviceAt(exc.NotFound):
    """A known host has no PCI device at that address (told from a listing, not a 404)."""

    def _decorated(self, message: str) -> str:
        return message


class PlacementDevice(Resource):
    """A PCI device provider as a device row (``id`` is the provider's UUID)."""

    human_name = 'PCI device provider'


class PlacementManager(OptionalService):
    """Reads Nova's PCI providers, their inventories, usages, traits and consumers."""

    #: An unreachable Placement counts as none too (Neutron's rule is stricter: see
    #: :attr:`OptionalService.absent <pciclient.v2.optional_service.OptionalService.absent>`).
    absent = (exc.ConfigurationError, exc.ConnectionError)

    def __init__(self, http: HTTPClient | None, concurrency: int = PLACEMENT_CONCURRENCY) -> None:
        super().__init__(http)
        self.concurrency = max(1, concurrency)
        if http is not None:
            check_version(http.requested_version)

    def missing(self) -> exc.ConfigurationError:
        return exc.ConfigurationError(
            'No Placement endpoint: the catalog has no placement service; give one with ',
            hint=exc.Hint.PLACEMENT_ENDPOINT,
            then=' (in clouds.yaml: placement_endpoint_override).')

    # -- listings -------------------------------------------------------------------------
    def list_providers(self, query: dict[str, str],
                       min_minor: int | None = None) -> list[PciProvider]:
        """``GET /resource_providers?query``, at microversion 1.``min_minor`` at least."""
        http = self.require()
        version = None
        if min_minor is not None:
            asked = int(str(http.requested_version or PLACEMENT_VERSION).partition('.')[2])
            version = f'1.{max(asked, min_minor)}'
        try:
            body = http.get('resource_providers', query, microversion=version)
        except exc.NotFound as error:
            # A listing has no "not found": a 404 means the URL is not Placement's.
            raise exc.NotFound(f'The Placement endpoint {http.endpoint()} answered 404 to '
                               'GET /resource_providers: is the URL right?',
                               request_id=error.request_id, url=error.url) from None
        listed = body.get('resource_providers') if isinstance(body, dict) else None
        if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
            raise exc.InvalidResponse('Placement\'s provider listing has no '
                                      '"resource_providers" list.')
        return [self._provider(item) for item in listed]

    def root(self, host: str) -> PciProvider:
        """The compute node provider named ``host`` (the hypervisor's nodename)."""
        found = [p for p in self.list_providers({'name': host}) if p.parent_uuid is None]
        if not found:
            raise NoSuchComputeNode(host, closest_names(host, self.compute_node_names()))
        return found[0]

    def compute_node_names(self) -> list[str]:
        """The names of every compute node (root with Nova's ``COMPUTE_NODE`` trait), in
        one listing: only asked when a name was not found, to offer the closest."""
        return [p.name for p in self.list_providers({'required': COMPUTE_NODE_TRAIT})
                if p.parent_uuid is None]

    def providers(self, *, host: str | None = None, consumer: str | None = None,
                  consumers: bool = False, traits: bool = False) -> list[PciProvider]:
        """PCI providers with inventories and usages, sorted by host and address:
        every one of the cloud, or only ``host``'s tree, or only those ``consumer``'s
        allocations touch. ``consumers`` also reads who holds them, ``traits`` their traits.
        """
        if consumer is not None:
            return self._held_by(consumer, consumers=consumers)[0]
        if host is not None:
            root = self.root(host)
            providers = [p for p in self.list_providers({'in_tree': root.uuid})
                         if p.uuid != root.uuid]
            for provider in providers:  # the tree says whose they are, as Placement spells it
                provider.host = root.name
            traits = True  # a tree also holds providers that are no PCI devices
        else:
            providers = self.list_providers({'required': PCI_TRAIT})
            for provider in self.vgpu_providers():
                providers.append(provider)
        self._resolve_hosts(providers)
        self._fill(providers, consumers=consumers, traits=traits)
        return _pci_sorted(providers, checked=host is None)

    def vgpu_providers(self) -> list[PciProvider]:
        """Every physical GPU's provider of the cloud, in one listing (see the module)."""
        found = []
        for provider in self.list_providers(VGPU_QUERY, VGPU_QUERY_MINOR):
            provider.vgpu = (provider.parent_uuid is not None
                             and split_pgpu_name(provider.name)[0] is not None)
            if provider.vgpu:
                found.append(provider)
        return found

    def _held_by(self, consumer: str, *, consumers: bool,
                 ) -> tuple[list[PciProvider], dict[str, dict[str, int]]]:
        """The PCI providers a consumer's allocations touch, and those allocations: its
        allocations, then only the providers they name. PCI devices are never roots; the
        roots among them (its compute node) name the host of oddly named devices."""
        allocations = self._consumer_allocations(consumer)
        touched = self.map_concurrently(self._provider_by_uuid, sorted(allocations))
        providers = [p for p in touched if p.parent_uuid is not None]
        self._resolve_hosts(providers, {p.uuid: p.name for p in touched if p.parent_uuid is None})
        self._fill(providers, consumers=consumers, traits=True)  # the trait tells a device
        return _pci_sorted(providers, checked=False), allocations

    def _consumer_allocations(self, consumer: str) -> dict[str, dict[str, int]]:
        path = f'allocations/{path_segment(consumer)}'
        allocations = expect_object(self.require().get(path), 'allocations', path)
        return {uuid: _amount(allocation, path) for uuid, allocation in allocations.items()
                if isinstance(allocation, dict)}

    @staticmethod
    def _provider(item: dict[str, Any]) -> PciProvider:
        uuid, name = item.get('uuid'), item.get('name')
        if not isinstance(uuid, str) or not uuid or not isinstance(name, str):
            raise exc.InvalidResponse('A Placement provider has no uuid or name.')
        root, parent = item.get('root_provider_uuid'), item.get('parent_provider_uuid')
        if not isinstance(root, (str, type(None))) or not isinstance(parent, (str, type(None))):
            raise exc.InvalidResponse(f'Placement provider {uuid} has a root or parent '
                                      'provider uuid that is not text.')
        return PciProvider(uuid=uuid, name=name, root_uuid=root, parent_uuid=parent,
                           host=split_provider_name(name)[0] or split_pgpu_name(name)[0])

    def _provider_by_uuid(self, uuid: str) -> PciProvider:
        body = self.require().get(f'resource_providers/{path_segment(uuid)}')
        if not isinstance(body, dict):
            raise exc.InvalidResponse(f'Placement\'s answer for provider {uuid} is not an '
                                      'object.')
        return self._provider(body)

    def _resolve_hosts(self, providers: list[PciProvider],
                       known: dict[str, str] | None = None) -> None:
        """A provider whose name does not follow Nova's pattern gets its root's name
        (from ``known`` root names where the caller has read them already)."""
        names = dict(known or {})
        unknown = {p.root_uuid for p in providers
                   if p.host is None and p.root_uuid and p.root_uuid not in names}
        names.update({uuid: self._provider_by_uuid(uuid).name for uuid in sorted(unknown)})
        for provider in providers:
            if provider.host is None:
                provider.host = names.get(provider.root_uuid or '')

    def _fill(self, providers: list[PciProvider], *, consumers: bool, traits: bool) -> None:
        def details(provider: PciProvider) -> None:
            http = self.require()
            base = f'resource_providers/{path_segment(provider.uuid)}'
            inventories = expect_object(http.get(f'{base}/inventories'), 'inventories', base)
            provider.inventories = {rc: inv for rc, inv in inventories.items()
                                    if isinstance(inv, dict)}
            if consumers:  # usages are the sums of the allocations: no request for them
                allocations = expect_object(http.get(f'{base}/allocations'), 'allocations', base)
                held = {consumer: _amount(allocation, base)
                        for consumer, allocation in allocations.items()
                        if isinstance(allocation, dict)}
                provider.consumers = {c: sum(units.values()) for c, units in held.items()}
                usages: dict[str, int] = {}
                for units in held.values():
                    for rc, amount in units.items():
                        usages[rc] = usages.get(rc, 0) + amount
                provider.usages = usages
            else:
                provider.usages = expect_object(http.get(f'{base}/usages'), 'usages', base)
            if traits:
                provider.traits = read_traits(http, base)
                provider.vgpu = provider.vgpu or is_vgpu_provider(provider)
        self.map_concurrently(details, providers, 'Reading PCI providers')

    def map_concurrently(self, function: Callable[[Any], Any], items: Iterable[Any],
             what: str | None = None) -> list[Any]:
        """``function`` over ``items`` with bounded concurrency; the first error wins."""
        items = list(items)
        progress = self.http.progress if (what and self.http is not None) else None
        if len(items) <= 1 or self.concurrency == 1:
            return [function(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor

        results = []
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for done, result in enumerate(pool.map(function, items), start=1):
                results.append(result)
                if progress is not None:
                    progress.update(what, done, len(items))
        if progress is not None:
            progress.finish()
        return results

    # -- what the commands ask -------------------------------------------------------------
    def devices(self, *, host: str | None = None, consumer: str | None = None,
                consumers: bool = False, traits: bool = False,
                holders: Callable[[Iterable[str]], dict[str, str | None]] | None = None,
                ) -> list[PlacementDevice]:
        """Device rows (see :meth:`providers`); ``holders`` names the consumers' servers."""
        providers = self.providers(host=host, consumer=consumer, consumers=consumers,
                                   traits=traits)
        names = holders({c for p in providers for c in p.consumers or ()}) if holders else {}
        return [PlacementDevice(device_fields(p, names)) for p in providers]

    def get(self, ident: str,
            holders: Callable[[Iterable[str]], dict[str, str | None]] | None = None,
            ) -> PlacementDevice:
        """A device provider by UUID or by ``HOST_ADDRESS`` (any case of the address),
        read alone: a handful of requests whatever the size of the cloud."""
        key = str(ident).strip()
        if not is_uuid_like(key):
            host, address = split_provider_name(key)
            if host and address:
                return self.find(host, address, holders)
            listed = self.list_providers({'name': key}) if split_pgpu_name(key)[0] else []
            provider = listed[0] if listed else None
        else:
            try:
                provider = self._provider_by_uuid(key)
            except exc.NotFound:
                provider = None
        return self._device(provider, holders, f'No PCI device with ID {ident} in Placement '
                            '(give a provider UUID or HOST_ADDRESS, e.g. '
                            'compute1_0000:04:00.0)')

    def find(self, host: str, address: str,
             holders: Callable[[Iterable[str]], dict[str, str | None]] | None = None,
             ) -> PlacementDevice:
        """The device provider at ``address`` on ``host``, asked by its exact name. When
        there is none, one more request tells a host Placement does not know
        (:class:`NoSuchComputeNode`, with the closest names) from a wrong address."""
        listed = self.list_providers({'name': provider_name(host, address)})
        if not listed:  # a physical GPU serving vGPUs, named as libvirt names it
            listed = self.list_providers({'name': pgpu_provider_name(host, address)})
        if not listed:
            self.root(host)
            raise NoDeviceAt(f'No PCI device {host}_{address} in Placement (a VF is counted '
                             'in its PF\'s provider: give the PF\'s address)')
        return self._device(listed[0], holders, f'No PCI device {host}_{address} in Placement')

    def _device(self, provider: PciProvider | None,
                holders: Callable[[Iterable[str]], dict[str, str | None]] | None,
                missing: str) -> PlacementDevice:
        if provider is not None:
            self._resolve_hosts([provider])
            self._fill([provider], consumers=True, traits=True)
        if provider is None or not (PCI_TRAIT in (provider.traits or ()) or provider.vgpu):
            raise exc.NotFound(missing)
        names = holders(provider.consumers or {}) if holders else {}
        return PlacementDevice(device_fields(provider, names))

    def pools(self, host: str | None = None) -> list[dict[str, Any]]:
        """Free capacity per host, vendor, product and resource class (and custom traits):
        of every host, or of ``host``'s tree alone (its rows name the host as Placement
        spells it)."""
        grouped: dict[tuple, dict[str, Any]] = {}
        for device in self.devices(host=host, traits=True):
            fields = device.to_dict()
            custom = tuple(t for t in fields['traits'] or () if t not in _COMMON_TRAITS)
            key = (fields['host'], fields['vendor_id'], fields['product_id'],
                   fields['dev_type'], fields['resource_class'], custom)
            pool = grouped.setdefault(key, {
                'host': fields['host'], 'vendor_id': fields['vendor_id'],
                'product_id': fields['product_id'], 'dev_type': fields['dev_type'],
                'numa_node': None, 'count': 0, 'source': 'placement',
                'tags': {'resource_class': fields['resource_class'],
                         **({'traits': list(custom)} if custom else {})}})
            pool['count'] += fields['free']
        return list(grouped.values())

    def consumer_devices(self, consumer: str) -> list[dict[str, Any]]:
        """The PCI providers a server's allocations touch, with the amount it holds:
        its allocations, then only the providers they name."""
        providers, allocations = self._held_by(consumer, consumers=False)
        return [{**device_fields(provider),
                 'amount': sum(allocations[provider.uuid].values())} for provider in providers]


def _pci_sorted(providers: list[PciProvider], *, checked: bool) -> list[PciProvider]:
    """The PCI device and physical GPU providers (unless the queries ``checked`` that
    already), by host and address."""
    if not checked:
        providers = [p for p in providers if p.vgpu or PCI_TRAIT in (p.traits or ())]
    return sorted(providers, key=lambda p: (p.host or '', p.address or '', p.name))


#: Filters a Placement row may leave open (its field is None), and why it cannot tell.
CANNOT_TELL_IDS = 'a custom resource class does not name the vendor and product ids'
_CANNOT_TELL = {
    'dev_type': 'Placement cannot tell a type-PCI, a type-PF and a PF\'s single VF apart',
    'vendor_id': CANNOT_TELL_IDS,
    'product_id': CANNOT_TELL_IDS,
}


def judge(fields: dict[str, Any], wanted: dict[str, list[str]]) -> tuple[bool | None, str]:
    """Whether a Placement device row matches the filters: True, False, or None with the
    reason when Placement cannot tell (the row matches every filter it can answer).

    ``instance_uuid`` means "held by"."""
    held = wanted.get('instance_uuid')
    if held is not None:
        holders = {str(server['id']) for server in fields.get('servers') or ()}
        if not holders & set(held):
            return False, ''
    open_keys = [key for key in _CANNOT_TELL if key in wanted and fields.get(key) is None]
    known = {key: values for key, values in wanted.items()
             if key != 'instance_uuid' and key not in open_keys}
    if not matches_filters(fields, known):
        return False, ''
    if open_keys:
        return None, _CANNOT_TELL[open_keys[0]]
    return True, ''
