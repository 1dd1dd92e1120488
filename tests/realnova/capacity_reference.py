"""What the capacity reference asks a real Nova 34, and the state it sets up first.

``tests/data/nova-34-capacity`` holds the answers (see its README entry); the real-Nova
tier replays :data:`REQUESTS` against the live harness and the fake cloud's tests replay
them against a scenario of the same cloud (``tests/fakeserver/test_capacity_reference.py``).
The state: three flavors of ours beside Nova's defaults (one private, one with a PCI alias
and a description), an aggregate with an availability zone holding ``compute2``, one
without a zone holding ``compute1`` (whose server keeps it out of zoned ones: Nova
refuses to move a host with servers into another zone), and ``compute2``'s compute
service disabled with a reason. Everything is undone afterwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Our objects in the real Nova (and, by the same names, in the fake cloud's scenario).
FLAVORS = [
    {'name': 'cap.small', 'id': 'cap-small', 'ram': 1024, 'vcpus': 1, 'disk': 10,
     'OS-FLV-EXT-DATA:ephemeral': 5, 'swap': 512},
    {'name': 'cap.private', 'id': 'cap-private', 'ram': 512, 'vcpus': 1, 'disk': 1,
     'os-flavor-access:is_public': False},
    {'name': 'cap.gpu', 'id': 'cap-gpu', 'ram': 2048, 'vcpus': 2, 'disk': 20,
     'description': 'one GPU'},
]
GPU_EXTRA_SPECS = {'pci_passthrough:alias': 'a1:1', 'hw:cpu_policy': 'shared'}
AZ_AGGREGATE = {'name': 'cap-agg-az', 'availability_zone': 'cap-az'}
AZ_AGGREGATE_HOST = 'compute2'
AZ_AGGREGATE_METADATA = {'ssd': 'true'}
PLAIN_AGGREGATE = {'name': 'cap-agg-plain'}
PLAIN_AGGREGATE_HOST = 'compute1'
DISABLED_HOST = 'compute2'
DISABLED_REASON = 'maintenance'
# Who asks: Nova's admin of the project, or a member of it (the harness's API takes
# identity headers; ``X-Auth-User: admin`` would be an admin whatever the roles).
MEMBER_HEADERS = {'X-Auth-User': 'demo', 'X-User-Id': 'demo', 'X-Roles': 'member,reader'}


@dataclass(frozen=True)
class Request:
    name: str
    path: str                     # below the root; {agg} is the zoned aggregate's id
    microversion: str | None      # the OpenStack-API-Version sent (None: no header)
    caller: str = 'admin'         # or 'member'


def _r(name: str, path: str, microversion: str | None = None, caller: str = 'admin'
       ) -> Request:
    return Request(name, path, microversion, caller)


REQUESTS = [
    _r('flavors_index_2.1', '/v2.1/flavors'),
    _r('flavors_index_2.55', '/v2.1/flavors', '2.55'),
    _r('flavors_detail_2.1', '/v2.1/flavors/detail'),
    _r('flavors_detail_2.55', '/v2.1/flavors/detail', '2.55'),
    _r('flavors_detail_2.61', '/v2.1/flavors/detail', '2.61'),
    _r('flavors_detail_2.75', '/v2.1/flavors/detail', '2.75'),
    _r('flavors_detail_latest', '/v2.1/flavors/detail', 'latest'),
    _r('flavors_detail_public_none', '/v2.1/flavors/detail?is_public=none', '2.61'),
    _r('flavors_detail_public_false', '/v2.1/flavors/detail?is_public=false', '2.61'),
    _r('flavors_detail_public_bad', '/v2.1/flavors/detail?is_public=maybe', '2.61'),
    _r('flavors_detail_limit2', '/v2.1/flavors/detail?limit=2', '2.61'),
    _r('flavors_detail_marker', '/v2.1/flavors/detail?limit=2&marker=2', '2.61'),
    _r('flavors_detail_bad_marker', '/v2.1/flavors/detail?marker=nonesuch', '2.61'),
    _r('flavors_detail_limit0', '/v2.1/flavors/detail?limit=0', '2.61'),
    _r('flavors_detail_member', '/v2.1/flavors/detail?is_public=none', '2.61', 'member'),
    _r('flavor_show_2.1', '/v2.1/flavors/cap-gpu'),
    _r('flavor_show_2.61', '/v2.1/flavors/cap-gpu', '2.61'),
    _r('flavor_show_latest', '/v2.1/flavors/cap-gpu', 'latest'),
    _r('flavor_show_private_member', '/v2.1/flavors/cap-private', '2.61', 'member'),
    _r('flavor_show_unknown', '/v2.1/flavors/nonesuch', '2.61'),
    _r('flavor_extra_specs', '/v2.1/flavors/cap-gpu/os-extra_specs'),
    _r('flavor_extra_specs_member', '/v2.1/flavors/cap-gpu/os-extra_specs', None, 'member'),
    _r('flavor_extra_specs_unknown', '/v2.1/flavors/nonesuch/os-extra_specs'),
    _r('aggregates_2.1', '/v2.1/os-aggregates'),
    _r('aggregates_2.41', '/v2.1/os-aggregates', '2.41'),
    _r('aggregates_latest', '/v2.1/os-aggregates', 'latest'),
    _r('aggregates_member', '/v2.1/os-aggregates', '2.41', 'member'),
    _r('aggregate_show_2.1', '/v2.1/os-aggregates/{agg}'),
    _r('aggregate_show_2.41', '/v2.1/os-aggregates/{agg}', '2.41'),
    _r('aggregate_show_unknown', '/v2.1/os-aggregates/99999', '2.41'),
    _r('aggregate_show_not_integer', '/v2.1/os-aggregates/abc', '2.41'),
    _r('availability_zones', '/v2.1/os-availability-zone'),
    _r('availability_zones_member', '/v2.1/os-availability-zone', None, 'member'),
    _r('availability_zones_detail', '/v2.1/os-availability-zone/detail'),
    _r('availability_zones_detail_member', '/v2.1/os-availability-zone/detail', None,
       'member'),
    _r('services_2.1', '/v2.1/os-services'),
    _r('services_2.11', '/v2.1/os-services', '2.11'),
    _r('services_2.53', '/v2.1/os-services', '2.53'),
    _r('services_latest', '/v2.1/os-services', 'latest'),
    _r('services_compute', '/v2.1/os-services?binary=nova-compute', '2.53'),
    _r('services_host', '/v2.1/os-services?host=compute1&binary=nova-compute', '2.53'),
    _r('services_member', '/v2.1/os-services', '2.53', 'member'),
    _r('flavors_version_too_new', '/v2.1/flavors', '2.999'),
    _r('flavors_version_malformed', '/v2.1/flavors', '2.x'),
]

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?')
_PORT = re.compile(r'http://127\.0\.0\.1:\d+')
_SOMETIMES_NULL = frozenset({'updated_at'})


def shape(value: Any, key: str | None = None) -> Any:
    """Keys and value types, recursively; a list by its first item; the keys of
    objects keyed by data (hosts of a zone, extra specs) as one ``*``. A service's
    ``updated_at`` is null until it first reports, a time afterwards: one type here."""
    if key == 'extra_specs' and isinstance(value, dict):
        # Data, not fields: which flavor a page starts with (one with extra specs or
        # without) depends on what the tier's other tests created before this one.
        return {'*': 'str'}
    if isinstance(value, dict):
        if value and all(_data_key(k) for k in value):
            return {'*': shape(next(iter(value.values())))}
        return {k: shape(item, k) for k, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], key)] if value else []
    if value is None and key in _SOMETIMES_NULL:
        return 'str'
    return type(value).__name__


def _data_key(key: str) -> bool:
    """Keys that are data, not names of fields: hosts, binaries, extra spec names."""
    return (key.startswith(('compute', 'nova-', 'host', 'controller'))
            or ':' in key or key in ('ssd', 'availability_zone'))


def normalised(text: str) -> str:
    """An answer with its run-specific parts (uuids, times, ports) made constant."""
    text = _PORT.sub('http://127.0.0.1:PORT', text)
    text = _UUID.sub('UUID', text)
    return _TIME.sub('TIME', text)
