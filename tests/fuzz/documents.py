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

from tests.fuzz.world import World

COMPUTE = 'http://nova.test/v2.1'
PLACEMENT = 'http://placement.test'

BRIEF_DEVICE_KEYS = ('address', 'compute_node_id', 'id', 'product_id', 'status', 'vendor_id')
BRIEF_HYPERVISOR_KEYS = ('id', 'hypervisor_hostname', 'state', 'status')

COMPUTE_KINDS = ('version', 'pci_list', 'pci_detail', 'pci_get', 'hyp_list', 'hyp_detail',
                 'hyp_get', 'hyp_search', 'srv_detail', 'srv_get')
PLACEMENT_KINDS = ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages', 'rp_traits',
                   'rp_allocations', 'allocs')


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


def compute_doc(world: World, path: str, query: dict[str, str]) -> Doc:
    """The document the compute API answers ``GET {COMPUTE}/{path}?{query}`` with."""
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
    return Doc('unknown', 404, router_404())


def _provider_index(world: World, provider: str) -> str:
    for index, item in enumerate(world.providers):
        if item['uuid'] == provider:
            return str(index)
    return provider


def placement_doc(world: World, path: str, query: dict[str, str]) -> Doc:
    """The document Placement answers ``GET {PLACEMENT}/{path}?{query}`` with.

    Per-provider routes carry the provider's index in the listing as ``arg`` (stable
    across runs, unlike the order concurrent requests arrive in).
    """
    parts = path.split('/') if path else []
    if parts[:1] == ['resource_providers']:
        if len(parts) == 1:
            return Doc('rp_list', 200, {'resource_providers': world.providers})
        provider = parts[1]
        arg = _provider_index(world, provider)
        if len(parts) == 2:
            if provider in world.roots:
                return Doc('rp_get', 200, world.roots[provider], arg)
            for item in world.providers:
                if item['uuid'] == provider:
                    return Doc('rp_get', 200, item, arg)
        elif provider in world.details and len(parts) == 3 and parts[2] in (
                'inventories', 'usages', 'traits', 'allocations'):
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
    return Doc('unknown', 404,
               placement_error(404, 'Not Found', 'The resource could not be found.'))
