"""Host aggregates and availability zones (``GET os-aggregates``), as Placement sees them.

Nova mirrors every host aggregate into a Placement aggregate of the same UUID on its hosts'
compute node providers, and asks Placement for ``member_of`` those UUIDs when a server
names an availability zone: so a zone or an aggregate selects hosts by UUID, in Placement.
"""
from __future__ import annotations

import builtins

from pciclient import exceptions as exc
from pciclient.v2.base import Manager, Resource, is_uuid_like

#: ``uuid`` appears in aggregates from this compute microversion.
AGGREGATE_UUID_VERSION = '2.41'


class Aggregate(Resource):
    human_name = 'aggregate'

    @property
    def availability_zone(self) -> str | None:
        metadata = self.raw.get('metadata')
        zone = metadata.get('availability_zone') if isinstance(metadata, dict) else None
        if zone is None:
            zone = self.raw.get('availability_zone')
        if zone is not None and not isinstance(zone, str):
            # A zone is a name: anything else cannot be matched against one.
            raise exc.InvalidResponse(f'The compute API sent aggregate {str(self.id)[:40]!r} '
                                      'with an availability zone that is not text.')
        return zone


class AggregateManager(Manager[Aggregate]):
    resource_class = Aggregate

    def list(self) -> list[Aggregate]:
        """Every aggregate, with its UUID (read at 2.41 when the client's own is older)."""
        version = None if self.http.microversion >= (2, 41) else AGGREGATE_UUID_VERSION
        items = self.http.get_list('os-aggregates', 'aggregates', microversion=version)
        return [Aggregate(item) for item in items]

    def uuids(self, name_or_uuid: str) -> builtins.list[str]:
        """The Placement aggregate of a host aggregate given by name, id or UUID."""
        key = str(name_or_uuid)
        found = [a for a in self.list()
                 if key in (str(a.raw.get('uuid')), str(a.id), str(a.raw.get('name')))]
        uuids = sorted({str(a.raw['uuid']) for a in found if a.raw.get('uuid')})
        if not found:
            if is_uuid_like(key):
                return [key]  # a Placement-only aggregate: Placement will tell
            raise exc.NotFound(f'No host aggregate with a name, ID or UUID of {key!r} exists.')
        if not uuids:
            raise exc.InvalidResponse(f'The compute API sent aggregate {key!r} without a uuid.')
        return uuids

    def zones(self) -> builtins.list[str]:
        """The availability zones the compute API names (``os-availability-zone``)."""
        body = self.http.get('os-availability-zone')
        listed = body.get('availabilityZoneInfo') if isinstance(body, dict) else None
        if not isinstance(listed, list):
            raise exc.InvalidResponse('The availability zone listing has no '
                                      '"availabilityZoneInfo" list.')
        return sorted({str(z['zoneName']) for z in listed
                       if isinstance(z, dict) and z.get('zoneName')})

    def zone(self, zone: str) -> builtins.list[str]:
        """The UUIDs of the zone's aggregates, which Nova asks Placement for (``member_of``).
        A zone without aggregates (the default zone) gives none: Nova 34 then adds no
        filter at all (it has no AvailabilityZoneFilter any more). A zone the cloud does
        not name is an error, never an empty answer."""
        aggregates = self.list()
        known = {a.availability_zone for a in aggregates if a.availability_zone}
        if zone not in known and zone not in self.zones():
            raise exc.NotFound(f'No availability zone named {zone!r} exists.')
        return sorted({str(a.raw.get('uuid')) for a in aggregates
                       if a.availability_zone == zone and a.raw.get('uuid')})
