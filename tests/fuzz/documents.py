"""The pristine documents each compute or Placement URL answers with, for a drawn world.

A pure function of the :class:`~tests.fuzz.world.World` and the request (no drawing here),
so the same example answers alike however concurrent requests interleave. Each answer is
a :class:`Doc` whose ``kind`` names the route: :mod:`tests.fuzz.wrong_answers` aims its
changes by that kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pciclient.v2.capacity.aliases import STANDARD_RESOURCE_CLASSES
from tests.fuzz.world import World

COMPUTE = 'http://nova.test/v2.1'
PLACEMENT = 'http://placement.test'

BRIEF_DEVICE_KEYS = ('address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id')
BRIEF_HYPERVISOR_KEYS = ('id', 'hypervisor_hostname', 'state', 'status')

#: Routes only capacity reads (flavors, services, aggregates, zones; roots' details and
#: allocation candidates).
CAPACITY_COMPUTE_KINDS = ('flv_list', 'flv_detail', 'flv_get', 'flv_specs', 'services',
                          'aggregates', 'zones')
CAPACITY_PLACEMENT_KINDS = ('root_inventories', 'root_usages', 'root_traits',
                            'root_aggregates', 'rp_aggregates', 'candidates')
COMPUTE_KINDS = ('version', 'pci_list', 'pci_detail', 'pci_get', 'hyp_list', 'hyp_detail',
                 'hyp_get', 'hyp_search', 'srv_detail', 'srv_get', *CAPACITY_COMPUTE_KINDS)
PLACEMENT_KINDS = ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages', 'rp_traits',
                   'rp_allocations', 'allocs', *CAPACITY_PLACEMENT_KINDS)


def router_404() -> dict[str, Any]:
    """What Nova's router (webob) answers for a URL it does not know."""
    return {'message': 'The resource could not be found.<br /><br />\n\n\n',
            'code': '404 Not Found', 'title': 'Not Found'}


def nova_fault(name: str, code: int, message: str) -> dict[str, Any]:
    return {name: {'code': code, 'message': message}}


def placement_error(status: int, title: str, detail: str) -> dict[str, Any]:
    return {'errors': [{'status': status, 'title': title, 'detail': detail,
                        'request_id': 'req-0'}]}


@dataclass
class Doc:
    """A pristine answer: status and JSON document (``kind`` names the route)."""

    kind: str
    status: int
    body: Any
    arg: str | None = None


def _page(world: World, items: list[dict[str, Any]], key: str, path: str,
          query: dict[str, str]) -> tuple[int, Any]:
    size = world.page_size
    start = 0
    if 'marker' in query:
        ids = [str(item.get('id')) for item in items]
        if query['marker'] not in ids:
            return 400, nova_fault('badRequest', 400, f'marker [{query["marker"]}] not found')
        start = ids.index(query['marker']) + 1
    if size is None:
        return 200, {key: items[start:]}
    page = items[start:start + size]
    body: dict[str, Any] = {key: page}
    if start + size < len(items):
        body[f'{key}_links'] = [{'rel': 'next', 'href': f'{COMPUTE}/{path}?' + urlencode(
            {'limit': size, 'marker': page[-1]['id']})}]
    return 200, body


def _strip_pci(world: World, item: dict[str, Any]) -> dict[str, Any]:
    if world.os_pci:
        return item
    return {k: v for k, v in item.items()
            if k not in ('pci_stats', 'os-pci:pci_stats', 'os-pci:pci_devices')}


def compute_doc(world: World, path: str, query: dict[str, str],
                microversion: str | None = None) -> Doc:
    """The document the compute API answers ``GET {COMPUTE}/{path}?{query}`` with
    (``microversion``: the one the request asked for, None: none)."""
    parts = path.split('/') if path else []
    if not parts:
        return Doc('version', 200, {'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': world.max_version,
            'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': f'{COMPUTE}/'}]}})
    head = parts[0]
    if head == 'os-pci':
        if not world.os_pci:
            return Doc('pci_list', 404, router_404())
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            items = [d if detailed else {k: d[k] for k in BRIEF_DEVICE_KEYS}
                     for d in world.devices]
            status, body = _page(world, items, 'pci_devices', path, query)
            return Doc('pci_detail' if detailed else 'pci_list', status, body)
        if len(parts) == 2:
            for device in world.devices:
                if str(device['id']) == parts[1]:
                    return Doc('pci_get', 200, {'pci_device': device}, parts[1])
            return Doc('pci_get', 404, nova_fault('itemNotFound', 404,
                                                  f'PCI device {parts[1]} not found'), parts[1])
    if head == 'os-hypervisors':
        hypervisors = [_strip_pci(world, h) for h in world.hypervisors]
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            pattern = query.get('hypervisor_hostname_pattern')
            if pattern is not None:
                hypervisors = [h for h in hypervisors if pattern in h['hypervisor_hostname']]
                if not hypervisors:
                    return Doc('hyp_detail', 404, nova_fault(
                        'itemNotFound', 404, f'No hypervisor matching {pattern} could be found.'))
            items = [h if detailed else {k: h[k] for k in BRIEF_HYPERVISOR_KEYS}
                     for h in hypervisors]
            status, body = _page(world, items, 'hypervisors', path, query)
            return Doc('hyp_detail' if detailed else 'hyp_list', status, body)
        if len(parts) == 3 and parts[2] == 'search':
            found = [{k: h[k] for k in BRIEF_HYPERVISOR_KEYS} for h in hypervisors
                     if parts[1] in h['hypervisor_hostname']]
            if not found:
                return Doc('hyp_search', 404, nova_fault(
                    'itemNotFound', 404, f'No hypervisor matching {parts[1]} could be found.'))
            return Doc('hyp_search', 200, {'hypervisors': found}, parts[1])
        if len(parts) == 2:
            for hypervisor in hypervisors:
                if str(hypervisor['id']) == parts[1]:
                    return Doc('hyp_get', 200, {'hypervisor': hypervisor}, parts[1])
            return Doc('hyp_get', 404, nova_fault(
                'itemNotFound', 404, f'Hypervisor with ID {parts[1]} could not be found.'))
    if head == 'servers':
        servers = [_strip_pci(world, s) for s in world.servers]
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            items = servers if detailed else [{k: s[k] for k in ('id', 'name')} for s in servers]
            status, body = _page(world, items, 'servers', path, query)
            return Doc('srv_detail' if detailed else 'srv_list', status, body)
        if len(parts) == 2:
            for server in servers:
                if server['id'] == parts[1]:
                    return Doc('srv_get', 200, {'server': server}, parts[1])
            return Doc('srv_get', 404, nova_fault(
                'itemNotFound', 404, f'Instance {parts[1]} could not be found.'), parts[1])
    found = capacity_compute_doc(world, parts, query, microversion)
    if found is not None:
        kind, status, body, arg = found
        return Doc(kind, status, body, arg)
    return Doc('unknown', 404, router_404())


def _provider_index(world: World, provider: str) -> str:
    """PCI providers by their index in ``world.providers``; roots after them."""
    for index, item in enumerate([*world.providers, *world.roots.values()]):
        if item['uuid'] == provider:
            return str(index)
    return provider


def _listed(world: World, query: dict[str, str]) -> list[dict[str, Any]]:
    """The providers ``GET /resource_providers`` lists for ``query``, as Placement filters
    them (``name``, ``in_tree``, ``member_of`` with ``in:``, ``required`` with ``!``)."""
    items = [*world.roots.values(), *world.providers]
    if 'name' in query:
        items = [p for p in items if p['name'] == query['name']]
    if 'in_tree' in query:
        tree = next((p['root_provider_uuid'] for p in [*world.roots.values(), *world.providers]
                     if p['uuid'] == query['in_tree']), None)
        items = [p for p in items if p['root_provider_uuid'] == tree]
    if 'member_of' in query:
        wanted = set(query['member_of'].removeprefix('in:').split(','))
        items = [p for p in items if wanted & set(world.details[p['uuid']]['aggregates'])]
    for trait in query.get('required', '').split(','):
        if trait:
            forbidden, name = trait.startswith('!'), trait.lstrip('!')
            items = [p for p in items
                     if (name in world.details[p['uuid']]['traits']) != forbidden]
    return items


def placement_doc(world: World, path: str, query: dict[str, str]) -> Doc:
    """The document Placement answers ``GET {PLACEMENT}/{path}?{query}`` with.

    Per-provider routes carry the provider's index in the listing as ``arg`` (stable
    across runs, unlike the order concurrent requests arrive in).
    """
    parts = path.split('/') if path else []
    if parts[:1] == ['resource_providers']:
        if len(parts) == 1:
            return Doc('rp_list', 200, {'resource_providers': _listed(world, query)})
        provider = parts[1]
        arg = _provider_index(world, provider)
        if len(parts) == 2:
            if provider in world.roots:
                return Doc('rp_get', 200, world.roots[provider], arg)
            for item in world.providers:
                if item['uuid'] == provider:
                    return Doc('rp_get', 200, item, arg)
        elif provider in world.roots and len(parts) == 3:
            found = root_detail(world, provider, parts[2])
            if found is not None:
                return Doc(found[0], found[1], found[2], arg)
        elif provider in world.details and len(parts) == 3 and parts[2] in (
                'inventories', 'usages', 'traits', 'allocations', 'aggregates'):
            detail = world.details[provider][parts[2]]
            return Doc(f'rp_{parts[2]}', 200,
                       {parts[2]: detail, 'resource_provider_generation': 2}, arg)
        return Doc('rp_get', 404, placement_error(
            404, 'Not Found', f'No resource provider with uuid {provider} found'), arg)
    if parts[:1] == ['allocations'] and len(parts) == 2:
        held = {}
        for item in world.providers:
            allocation = world.details[item['uuid']]['allocations'].get(parts[1])
            if allocation is not None:
                held[item['uuid']] = {'resources': allocation['resources'], 'generation': 2}
        body = {'allocations': held}
        if held:
            body.update(consumer_generation=1, project_id='demo', user_id='admin')
        return Doc('allocs', 200, body)
    if parts == ['allocation_candidates']:
        status, body = candidates(world, query)
        return Doc('candidates', status, body, _provider_index(world, query.get('in_tree', '')))
    return Doc('unknown', 404,
               placement_error(404, 'Not Found', 'The resource could not be found.'))


# --- what capacity reads --------------------------------------------------------------
def _version(text: str | None) -> tuple[int, int]:
    if not text:
        return (2, 1)
    major, _, minor = text.partition('.')
    return int(major), int(minor)


def _flavor(flavor: dict[str, Any], version: tuple[int, int]) -> dict[str, Any]:
    """A flavor as Nova's view renders it at ``version`` (``nova/api/openstack/compute/
    views/flavors.py``: swap "" before 2.75, description from 2.55, extra specs from
    2.61, no disabled/rxtx_factor from 2.102)."""
    body = {key: value for key, value in flavor.items() if key != 'extra_specs'}
    body['swap'] = flavor['swap'] or ('' if version < (2, 75) else 0)
    body.update({'OS-FLV-DISABLED:disabled': False, 'os-flavor-access:is_public': True,
                 'rxtx_factor': 1.0, 'links': [{'rel': 'self',
                                                'href': f'{COMPUTE}/flavors/{flavor["id"]}'}]})
    if version >= (2, 55):
        body['description'] = None
    if version >= (2, 61):
        body['extra_specs'] = flavor['extra_specs']
    if version >= (2, 102):
        del body['OS-FLV-DISABLED:disabled'], body['rxtx_factor']
    return body


def _zone_of(world: World, service_host: str) -> str:
    zones = [a['availability_zone'] for a in world.aggregates
             if a['availability_zone'] and service_host in a['hosts']]
    return zones[0] if zones else 'nova'


def _services(world: World, version: tuple[int, int],
              query: dict[str, str]) -> list[dict[str, Any]]:
    """One nova-compute service per hypervisor (``nova/api/openstack/compute/services.py``
    ``_get_service_detail``), filtered by ``binary`` and ``host`` as Nova does."""
    items = []
    for index, hypervisor in enumerate(world.hypervisors, start=1):
        host = hypervisor['service']['host']
        service = {'id': f'00000000-0000-0000-0000-{index:012d}' if version >= (2, 53)
                   else index, 'binary': 'nova-compute', 'host': host,
                   'zone': _zone_of(world, host), 'status': hypervisor['status'],
                   'state': hypervisor['state'], 'updated_at': '2026-01-01T00:00:00.000000',
                   'disabled_reason': None}
        if version >= (2, 11):
            service['forced_down'] = False
        items.append(service)
    for key in ('binary', 'host'):
        if key in query:
            items = [s for s in items if s[key] == query[key]]
    return items


def _zones(world: World) -> list[dict[str, Any]]:
    """``os-availability-zone``: the zones of the compute services, available when one
    of its services is enabled and up."""
    zones: dict[str, bool] = {}
    for hypervisor in world.hypervisors:
        zone = _zone_of(world, hypervisor['service']['host'])
        up = hypervisor['status'] == 'enabled' and hypervisor['state'] == 'up'
        zones[zone] = zones.get(zone, False) or up
    return [{'zoneName': zone, 'zoneState': {'available': up}, 'hosts': None}
            for zone, up in zones.items()]


def capacity_compute_doc(world: World, parts: list[str], query: dict[str, str],
                         microversion: str | None) -> tuple[str, int, Any, str | None] | None:
    """``(kind, status, body, arg)`` of the compute routes only capacity reads; None for
    any other. A microversion beyond the world's maximum is a 406 there, as Nova answers."""
    head = parts[0]
    if head == 'flavors':
        kind = ('flv_list', 'flv_detail' if parts[1:] == ['detail'] else 'flv_get',
                'flv_specs')[min(len(parts), 3) - 1]
    else:
        kind = {'os-services': 'services', 'os-aggregates': 'aggregates',
                'os-availability-zone': 'zones'}.get(head, '')
    if not kind:
        return None
    version = _version(microversion)
    if version > _version(world.max_version):
        return kind, 406, nova_fault('computeFault', 406, (
            f'Version {microversion} is not supported by the API. Minimum is 2.1 and '
            f'maximum is {world.max_version}.')), None
    if head == 'flavors':
        if len(parts) == 1 or parts[1:] == ['detail']:
            detailed = len(parts) == 2
            items = [_flavor(f, version) if detailed else
                     {'id': f['id'], 'name': f['name'], 'links': []} for f in world.flavors]
            status, body = _page(world, items, 'flavors', '/'.join(parts), query)
            return 'flv_detail' if detailed else 'flv_list', status, body, None
        flavor = next((f for f in world.flavors if f['id'] == parts[1]), None)
        kind = 'flv_get' if len(parts) == 2 else 'flv_specs'
        if flavor is None or len(parts) > 3 or parts[2:] not in ([], ['os-extra_specs']):
            return kind, 404, nova_fault('itemNotFound', 404,
                                         f'Flavor {parts[1]} could not be found.'), parts[1]
        if kind == 'flv_get':
            return kind, 200, {'flavor': _flavor(flavor, version)}, parts[1]
        return kind, 200, {'extra_specs': flavor['extra_specs']}, parts[1]
    if head == 'os-services' and len(parts) == 1:
        return 'services', 200, {'services': _services(world, version, query)}, None
    if head == 'os-aggregates' and len(parts) == 1:
        items = [{k: v for k, v in a.items() if k != 'uuid' or version >= (2, 41)}
                 for a in world.aggregates]
        return 'aggregates', 200, {'aggregates': items}, None
    if head == 'os-availability-zone' and len(parts) == 1:
        return 'zones', 200, {'availabilityZoneInfo': _zones(world)}, None
    return 'unknown', 404, router_404(), None


def root_detail(world: World, root: str, part: str) -> tuple[str, int, Any] | None:
    """A compute node root's inventories, usages, traits or aggregates (Placement 1.18:
    aggregates without a generation, which comes at 1.19)."""
    if part not in ('inventories', 'usages', 'traits', 'aggregates', 'allocations'):
        return None
    body: dict[str, Any] = {part: world.details[root][part]}
    if part != 'aggregates':
        body['resource_provider_generation'] = 3
    return f'root_{part}', 200, body


def candidates(world: World, query: dict[str, str]) -> tuple[int, Any]:
    """``GET /allocation_candidates`` with ``in_tree`` a root: one candidate on the roots
    the world says have one, none elsewhere; an unknown resource class is a 400, as
    Placement refuses a class it has never heard of."""
    known = {rc for detail in world.details.values() for rc in detail['inventories']}
    for key, value in query.items():
        if key.startswith('resources'):
            for item in value.split(','):
                rc = item.partition(':')[0]
                if rc not in known and rc not in STANDARD_RESOURCE_CLASSES:
                    return 400, placement_error(400, 'Bad Request',
                                                f'No such resource class {rc}.')
    root = query.get('in_tree')
    if root not in world.candidates:
        return 200, {'allocation_requests': [], 'provider_summaries': {}}
    return 200, {'allocation_requests': [{'allocations': {root: {'resources': {'VCPU': 1}}}}],
                 'provider_summaries': {root: {'resources': {}, 'traits': [],
                                               'parent_provider_uuid': None,
                                               'root_provider_uuid': root}}}
