"""The requests recorded in ``tests/data/neutron-29-ports`` and how answers are made constant.

Each :class:`Request` is one call to the real Neutron as ``admin``, ``member`` or
``service`` (see ``neutron_harness.IDENTITIES``). Paths may name scenario objects as
``{port:vf-a}``, ``{server:server-a}``, ``{network:net1}`` or ``{missing}`` (a port id no
port has). :func:`normalised` puts names in place of the run's ids (``<port:vf-a>``), and
``TIME``, ``MAC:<port>``, ``IP`` and ``PORT`` in place of timestamps, MAC and IP addresses
and the loopback port; list answers that were not sorted by the request are sorted by id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.realneutron.scenario import SERVERS

MISSING_PORT = '00000000-0000-4000-8000-00000000dead'
BINDING_FIELDS = ('id', 'name', 'device_id', 'device_owner', 'status', 'binding:host_id',
                  'binding:vnic_type', 'binding:profile')
FIELDS = '&'.join(f'fields={f}' for f in BINDING_FIELDS)


@dataclass(frozen=True)
class Request:
    name: str
    caller: str
    path: str
    method: str = 'GET'
    body: dict | None = None


REQUESTS = [
    Request('ports_admin', 'admin', '/v2.0/ports'),
    Request('ports_member', 'member', '/v2.0/ports'),
    Request('ports_fields_admin', 'admin', f'/v2.0/ports?{FIELDS}'),
    Request('ports_fields_member', 'member', f'/v2.0/ports?{FIELDS}'),
    Request('ports_page1', 'admin', f'/v2.0/ports?{FIELDS}&limit=2&sort_key=name&sort_dir=asc'),
    Request('ports_page2', 'admin',
            f'/v2.0/ports?{FIELDS}&limit=2&sort_key=name&sort_dir=asc&marker={{port:pf-a}}'),
    Request('ports_page_last', 'admin',
            f'/v2.0/ports?{FIELDS}&limit=2&sort_key=name&sort_dir=asc&marker={{port:vf-b}}'),
    Request('ports_by_host', 'admin', f'/v2.0/ports?{FIELDS}&binding:host_id=compute1'),
    Request('ports_by_host_member', 'member', f'/v2.0/ports?{FIELDS}&binding:host_id=compute1'),
    Request('ports_by_device', 'admin', f'/v2.0/ports?{FIELDS}&device_id={{server:server-a}}'),
    Request('ports_by_host_and_device', 'admin',
            f'/v2.0/ports?{FIELDS}&binding:host_id=compute2&device_id={{server:server-b}}'),
    Request('ports_by_vnic_type', 'admin', f'/v2.0/ports?{FIELDS}&binding:vnic_type=direct'),
    Request('ports_invalid_filter', 'admin', '/v2.0/ports?no_such_attribute=1'),
    Request('ports_bad_limit', 'admin', '/v2.0/ports?limit=many'),
    Request('ports_bad_marker', 'admin', f'/v2.0/ports?limit=2&marker={MISSING_PORT}'),
    Request('port_show_admin', 'admin', '/v2.0/ports/{port:vf-a}'),
    Request('port_show_member', 'member', '/v2.0/ports/{port:vf-a}'),
    Request('port_show_other_member', 'member', '/v2.0/ports/{port:vf-other}'),
    Request('port_missing', 'admin', f'/v2.0/ports/{MISSING_PORT}'),
    Request('profile_write_admin', 'admin', '/v2.0/ports/{port:vf-free}', 'PUT',
            {'port': {'binding:profile': {'pci_slot': '0000:82:00.7'}}}),
    Request('profile_write_member', 'member', '/v2.0/ports/{port:vf-free}', 'PUT',
            {'port': {'binding:profile': {'pci_slot': '0000:82:00.7'}}}),
]

_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
_MAC = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')
_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
_LOOPBACK = re.compile(r'http://127\.0\.0\.1:\d+')


def names(scenario: dict) -> dict[str, str]:
    """id -> ``kind:name`` for every object of the scenario (servers' ids are fixed)."""
    table = {port['id']: f'port:{name}' for name, port in scenario['ports'].items()}
    table.update({i: f'network:{n}' for n, i in scenario['networks'].items()})
    table.update({i: f'subnet:{n}' for n, i in scenario['subnets'].items()})
    table.update({i: f'server:{n}' for i, n in SERVERS.items()})
    return table


def path_of(request: Request, scenario: dict) -> str:
    """The request's path with the run's ids in place of ``{kind:name}``."""
    ids = {name: i for i, name in names(scenario).items()}
    return re.sub(r'\{([a-z]+:[a-z0-9-]+)\}', lambda m: ids[m.group(1)], request.path)


def normalised(document: Any, scenario: dict) -> Any:
    """``document`` with the run's ids, times, MACs, IPs and port made constant."""
    table = names(scenario)
    macs = {port['mac_address']: f'MAC:{name}' for name, port in scenario['ports'].items()}

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if not isinstance(value, str):
            return value
        if _TIME.match(value):
            return 'TIME'
        if key == 'ip_address':
            return 'IP'
        if _MAC.match(value) and key == 'mac_address':
            return macs.get(value, 'MAC')
        value = _LOOPBACK.sub('http://127.0.0.1:PORT', value)
        return _UUID.sub(lambda m: f'<{table.get(m.group(0), "uuid")}>', value)

    return walk(document)


def sorted_ports(document: Any) -> Any:
    """A port list whose order the request did not fix, sorted by (normalised) id."""
    if isinstance(document, dict) and isinstance(document.get('ports'), list):
        return {**document, 'ports': sorted(document['ports'], key=lambda p: str(p.get('id')))}
    return document
