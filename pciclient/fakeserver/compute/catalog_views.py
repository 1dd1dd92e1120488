"""Handlers of flavors, ``os-aggregates``, ``os-availability-zone`` and ``os-services``.

Nova 34's answers, microversion by microversion (checked against the recorded answers
in ``tests/data/nova-34-capacity``): flavors gain ``description`` (2.55) and
``extra_specs`` (2.61), ``swap`` becomes 0 instead of ``""`` (2.75) and
``OS-FLV-DISABLED:disabled``/``rxtx_factor`` go (2.102); aggregates gain ``uuid``
(2.41); services gain ``forced_down`` (2.11) and UUID ids (2.53). Flavor listings sort
on ``flavorid`` and page as Nova's ``_get_collection_links`` does: a ``next`` link
whenever the page is as long as the limit.
"""
from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pciclient.fakeserver.compute.errors import BadRequest, ItemNotFound
from pciclient.fakeserver.compute.microversion import MIN_VERSION, ComputeVersion
from pciclient.fakeserver.compute.name_filter import NameFilterError, NamePattern
from pciclient.fakeserver.compute.paging import MAX_LIMIT
from pciclient.fakeserver.model.catalog import Aggregate, Catalog, Flavor, HostService
from pciclient.fakeserver.wsgi.request import Request

if TYPE_CHECKING:
    from pciclient.fakeserver.compute.views import Target
    from pciclient.fakeserver.model.inventory import Inventory

__all__ = ['CatalogViews']

Body = dict[str, Any]
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')
_SORT_KEYS = ('created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id',
              'is_public', 'memory_mb', 'name', 'root_gb', 'rxtx_factor', 'swap',
              'updated_at', 'vcpu_weight', 'vcpus')
_SORT_ATTRIBUTES = {'flavorid': 'id', 'memory_mb': 'ram', 'root_gb': 'disk',
                    'ephemeral_gb': 'ephemeral', 'name': 'name', 'vcpus': 'vcpus',
                    'swap': 'swap', 'is_public': 'is_public', 'disabled': 'disabled',
                    'rxtx_factor': 'rxtx_factor', 'description': 'description'}
# The services a controller runs beside the computes, on hosts of their own.
_CONTROL_SERVICES = (('nova-conductor', 'conductor'), ('nova-scheduler', 'scheduler'))
_INTERNAL_ZONE = 'internal'
_SERVICE_NAMESPACE = uuid.UUID('a4f3c1d2-5b6e-4f70-8a91-b2c3d4e5f607')


def _last(request: Request, name: str) -> str | None:
    values = request.values(name)
    return values[-1] if values else None


def _non_negative(request: Request, name: str) -> int | None:
    raw = _last(request, name)
    if raw is None:
        return None
    if not re.fullmatch(r'[0-9]+', raw):
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {raw}. "
                         f"'{raw}' does not match '^[0-9]*$'")
    return int(raw)


class _Service:
    """One row of ``os-services``."""

    def __init__(self, number: int, binary: str, host: str, zone: str,
                 state: HostService) -> None:
        self.number, self.binary, self.host, self.zone, self.state = (
            number, binary, host, zone, state)
        self.uuid = str(uuid.uuid5(_SERVICE_NAMESPACE, f'{binary}@{host}'))


class CatalogViews:
    """Mixed into ``views.Views``: reads ``self.inventory`` and ``self.microversion``."""

    inventory: Inventory
    microversion: ComputeVersion = MIN_VERSION

    @property
    def catalog(self) -> Catalog:
        return self.inventory.catalog

    # flavors

    def _visible(self, flavor: Flavor, request: Request) -> bool:
        return flavor.is_public or request.context.is_admin

    def _flavor_of(self, route: Target, request: Request) -> Flavor:
        flavor = self.catalog.flavor(route.arg or '')
        if flavor is None or not self._visible(flavor, request):
            raise ItemNotFound(f'Flavor {route.arg} could not be found.')
        return flavor

    def _flavor_links(self, route: Target, request: Request, flavor: Flavor) -> list[Body]:
        bookmark_prefix = route.prefix[len('/' + route.api):]
        return [{'rel': 'self', 'href': request.url_for(f'{route.prefix}/flavors/{flavor.id}')},
                {'rel': 'bookmark',
                 'href': request.url_for(f'{bookmark_prefix}/flavors/{flavor.id}')}]

    def _flavor_brief(self, route: Target, request: Request, flavor: Flavor) -> Body:
        document: Body = {'id': flavor.id, 'name': flavor.name,
                          'links': self._flavor_links(route, request, flavor)}
        if self.microversion.at_least(55):
            document['description'] = flavor.description
        return document

    def _flavor_document(self, route: Target, request: Request, flavor: Flavor) -> Body:
        version = self.microversion
        document: Body = {
            'id': flavor.id, 'name': flavor.name, 'ram': flavor.ram, 'disk': flavor.disk,
            'swap': flavor.swap if version.at_least(75) else (flavor.swap or ''),
            'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral,
            'OS-FLV-DISABLED:disabled': flavor.disabled,
            'vcpus': flavor.vcpus, 'os-flavor-access:is_public': flavor.is_public,
            'rxtx_factor': flavor.rxtx_factor or '',
            'links': self._flavor_links(route, request, flavor),
        }
        if version.at_least(55):
            document['description'] = flavor.description
        if version.at_least(61):  # the extra-specs rule lets every project member read them
            document['extra_specs'] = dict(flavor.extra_specs)
        if version.at_least(102):
            del document['OS-FLV-DISABLED:disabled'], document['rxtx_factor']
        return document

    def _flavors(self, request: Request) -> list[Flavor]:
        """Nova's ``_get_flavors``: filters, sort, then the page after ``marker``."""
        flavors = list(self.catalog.flavors)
        is_public: bool | None = True
        if request.context.is_admin:
            raw = _last(request, 'is_public')
            if raw is not None:
                text = raw.strip().lower()
                if raw.lower() == 'none':
                    is_public = None
                elif text in _TRUE or text in _FALSE:
                    is_public = text in _TRUE
                else:
                    raise BadRequest(f'Invalid is_public filter [{raw}]')
        else:
            flavors = [f for f in flavors if not f.disabled]
        if is_public is not None:
            flavors = [f for f in flavors if f.is_public == is_public]
        for name, attribute in (('minRam', 'ram'), ('minDisk', 'disk')):
            raw = _last(request, name)
            if raw is not None:
                try:
                    least = int(raw)
                except ValueError:
                    raise BadRequest(f'Invalid {name} filter [{raw}]') from None
                flavors = [f for f in flavors if getattr(f, attribute) >= least]
        pattern = _last(request, 'name')
        if pattern is not None:
            try:
                flavors = NamePattern.compile(pattern).filter(flavors, lambda item: item.name)
            except NameFilterError as exc:
                raise BadRequest(str(exc)) from None
        return self._sorted_page(request, flavors)

    def _sorted_page(self, request: Request, flavors: list[Flavor]) -> list[Flavor]:
        sort_key = _last(request, 'sort_key') or 'flavorid'
        sort_dir = _last(request, 'sort_dir') or 'asc'
        if sort_key not in _SORT_KEYS:
            raise BadRequest(f"Invalid input for query parameters sort_key. Value: {sort_key}. "
                             f"'{sort_key}' is not one of {list(_SORT_KEYS)}")
        if sort_dir not in ('asc', 'desc'):
            raise BadRequest(f"Invalid input for query parameters sort_dir. Value: {sort_dir}. "
                             f"'{sort_dir}' is not one of ['asc', 'desc']")
        attribute = _SORT_ATTRIBUTES.get(sort_key, 'id')

        def key(flavor: Flavor) -> tuple[tuple[int, Any], str]:
            return _sortable(getattr(flavor, attribute)), flavor.id
        descending = sort_dir == 'desc'
        flavors.sort(key=key, reverse=descending)
        limit = _non_negative(request, 'limit')
        limit = MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)
        marker = _last(request, 'marker')
        if marker is not None:  # the rows after the marker's, as Nova's paginate_query
            found = self.catalog.flavor(marker)
            if found is None or not self._visible(found, request):
                raise BadRequest(f'marker [{marker}] not found')
            after = key(found)
            flavors = [f for f in flavors if (key(f) < after if descending else key(f) > after)]
        return flavors[:limit]

    def _flavor_listing(self, route: Target, request: Request, detail: bool) -> Body:
        page = self._flavors(request)
        render = self._flavor_document if detail else self._flavor_brief
        body: Body = {'flavors': [render(route, request, flavor) for flavor in page]}
        asked = _non_negative(request, 'limit')
        most = MAX_LIMIT if asked is None else min(asked, MAX_LIMIT)
        if most and len(page) == most:
            kept = [(key, value) for key, value in request.query if key != 'marker']
            kept.append(('marker', page[-1].id))
            collection = '/flavors/detail' if detail else '/flavors'
            url = request.url_for(route.prefix + collection)
            body['flavors_links'] = [{'rel': 'next', 'href': f'{url}?{urlencode(kept)}'}]
        return body

    def flavor_index(self, route: Target, request: Request) -> Body:
        return self._flavor_listing(route, request, detail=False)

    def flavor_detail(self, route: Target, request: Request) -> Body:
        return self._flavor_listing(route, request, detail=True)

    def flavor_show(self, route: Target, request: Request) -> Body:
        return {'flavor': self._flavor_document(route, request, self._flavor_of(route, request))}

    def flavor_extra_specs(self, route: Target, request: Request) -> Body:
        return {'extra_specs': dict(self._flavor_of(route, request).extra_specs)}

    # os-aggregates

    def _aggregate_document(self, aggregate: Aggregate) -> Body:
        document: Body = {'id': aggregate.id}
        if self.microversion.at_least(41):
            document['uuid'] = aggregate.uuid
        document.update({
            'name': aggregate.name, 'hosts': list(aggregate.hosts),
            'metadata': dict(aggregate.metadata), 'created_at': aggregate.created_at,
            'updated_at': None, 'deleted_at': None, 'deleted': False,
            'availability_zone': aggregate.availability_zone,
        })
        return document

    def aggregate_index(self, route: Target, request: Request) -> Body:
        return {'aggregates': [self._aggregate_document(a) for a in self.catalog.aggregates]}

    def aggregate_show(self, route: Target, request: Request) -> Body:
        try:
            number = int(route.arg or '')
        except ValueError:
            raise BadRequest('Invalid input received: id must be an integer') from None
        aggregate = self.catalog.aggregate(number)
        if aggregate is None:
            raise ItemNotFound(f'Aggregate {route.arg} could not be found.')
        return {'aggregate': self._aggregate_document(aggregate)}

    # os-services and availability zones

    def _services(self) -> list[_Service]:
        services = [_Service(n, binary, host, _INTERNAL_ZONE, HostService())
                    for n, (binary, host) in enumerate(_CONTROL_SERVICES, start=1)]
        for hypervisor in self.inventory.hypervisors:
            host = hypervisor.hostname
            services.append(_Service(len(services) + 1, 'nova-compute', host,
                                     self.catalog.availability_zone_of(host),
                                     self.catalog.service(host)))
        return services

    def service_index(self, route: Target, request: Request) -> Body:
        services = self._services()
        for name in ('binary', 'host'):
            wanted = _last(request, name)
            if wanted is not None:
                services = [s for s in services if getattr(s, name) == wanted]
        rows = []
        for service in services:
            row: Body = {
                'binary': service.binary, 'host': service.host,
                'id': service.uuid if self.microversion.at_least(53) else service.number,
                'zone': service.zone, 'status': service.state.status,
                'state': service.state.state, 'updated_at': self.inventory.created_at,
                'disabled_reason': service.state.disabled_reason,
            }
            if self.microversion.at_least(11):
                row['forced_down'] = service.state.forced_down
            rows.append(row)
        return {'services': rows}

    def _zones(self) -> tuple[dict[str, list[_Service]], list[str]]:
        """Zones of enabled services with those services, and the zones only disabled
        services are in (Nova's ``get_availability_zones``), both sorted."""
        services = self._services()
        enabled: dict[str, list[_Service]] = {}
        for service in services:
            if not service.state.disabled:
                enabled.setdefault(service.zone, []).append(service)
        unavailable = sorted({s.zone for s in services if s.state.disabled} - set(enabled))
        return dict(sorted(enabled.items())), unavailable

    def availability_zone_index(self, route: Target, request: Request) -> Body:
        available, unavailable = self._zones()
        zones = [{'zoneName': zone, 'zoneState': {'available': True}, 'hosts': None}
                 for zone in available if zone != _INTERNAL_ZONE]
        zones += [{'zoneName': zone, 'zoneState': {'available': False}, 'hosts': None}
                  for zone in unavailable if zone != _INTERNAL_ZONE]
        return {'availabilityZoneInfo': zones}

    def availability_zone_detail(self, route: Target, request: Request) -> Body:
        available, unavailable = self._zones()
        zones: list[Body] = []
        for zone, services in available.items():
            hosts: Body = {}
            for service in services:
                hosts.setdefault(service.host, {})[service.binary] = {
                    'available': service.state.state == 'up', 'active': True,
                    'updated_at': self.inventory.created_at}
            zones.append({'zoneName': zone, 'zoneState': {'available': True}, 'hosts': hosts})
        zones += [{'zoneName': zone, 'zoneState': {'available': False}, 'hosts': None}
                  for zone in unavailable]
        return {'availabilityZoneInfo': zones}


def _sortable(value: Any) -> tuple[int, Any]:
    """None sorts first, as SQL's NULLs do in ascending order."""
    return (0, '') if value is None else (1, value)
