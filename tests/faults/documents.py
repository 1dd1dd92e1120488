"""Compute and Keystone documents the fault servers answer with (made up for these tests)."""
from __future__ import annotations

import datetime
from typing import Any

PROJECT_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00'
USER_ID = 'fa11fa11fa11fa11fa11fa11fa11fa11'
SERVER_ID = '5d1f1a52-5c5e-4a4c-9c8e-2f0b8e1a7d31'


def device(ident: int, host_id: int = 1) -> dict[str, Any]:
    return {'id': ident, 'address': f'0000:04:{ident:02x}.0', 'compute_node_id': host_id,
            'vendor_id': '8086', 'product_id': '1520', 'status': 'available',
            'dev_type': 'type-VF', 'dev_id': f'pci_0000_04_{ident:02x}_0',
            'label': 'label_8086_1520', 'numa_node': 0, 'instance_uuid': None,
            'extra_info': {}}


def hypervisor(ident: int) -> dict[str, Any]:
    return {'id': ident, 'hypervisor_hostname': f'compute{ident}', 'state': 'up',
            'status': 'enabled'}


def server(ident: str = SERVER_ID, name: str = 'vm1') -> dict[str, Any]:
    return {'id': ident, 'name': name, 'status': 'ACTIVE', 'os-pci:pci_devices': [{'id': 1}]}


def nova_404(message: str = 'Not found.') -> dict[str, Any]:
    return {'itemNotFound': {'code': 404, 'message': message}}


def page(key: str, items: list[dict[str, Any]], next_href: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {key: items}
    if next_href:
        body[f'{key}_links'] = [{'rel': 'next', 'href': next_href}]
    return body


def keystone_version(url: str) -> dict[str, Any]:
    """``GET /identity/v3``: Keystone's v3 version document."""
    return {'version': {'id': 'v3.14', 'status': 'stable', 'updated': '2020-04-07T00:00:00Z',
                        'links': [{'rel': 'self', 'href': f'{url}/identity/v3/'}],
                        'media-types': [{'base': 'application/json',
                                         'type': 'application/vnd.openstack.identity-v3+json'}]}}


def _when(seconds: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def token_body(catalog: list[dict[str, Any]], method: str = 'password',
               lifetime: float = 3600) -> dict[str, Any]:
    """A project-scoped token valid ``lifetime`` seconds (as Keystone says it)."""
    return {'token': {
        'methods': [method], 'expires_at': _when(lifetime), 'issued_at': _when(0),
        'audit_ids': ['x1b2c3d4e5f6g7h8i9j0kA'],
        'user': {'id': USER_ID, 'name': 'admin', 'domain': {'id': 'default', 'name': 'Default'}},
        'project': {'id': PROJECT_ID, 'name': 'admin',
                    'domain': {'id': 'default', 'name': 'Default'}},
        'roles': [{'id': 'r0', 'name': 'admin'}, {'id': 'r1', 'name': 'member'}],
        'catalog': catalog}}


def service(kind: str, url: str, name: str | None = None) -> dict[str, Any]:
    return {'type': kind, 'name': name or kind, 'id': f'svc-{kind}',
            'endpoints': [{'id': f'ep-{kind}-{interface}', 'interface': interface,
                           'region': 'RegionOne', 'region_id': 'RegionOne', 'url': url}
                          for interface in ('public', 'internal', 'admin')]}
