"""The JSON documents of the Keystone v3 subset: version discovery and tokens with a catalog.

Shapes follow Keystone's so keystoneauth, openstacksdk and novaclient read them
unchanged. The catalog is built per request from the URL the client used, so a
token fetched through ``127.0.0.1`` points at ``127.0.0.1`` and one fetched
through another name points there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pciclient.fakeserver.identity.accounts import stable_id
from pciclient.fakeserver.identity.directory import domain_id
from pciclient.fakeserver.identity.tokens import Token, keystone_time

__all__ = ['REGION', 'ServiceUrls', 'token_document', 'version_document', 'versions_document']

REGION = 'RegionOne'
INTERFACES = ('public', 'internal', 'admin')
# The newest v3 minor version Keystone advertises; clients only check the major.
_V3 = {'id': 'v3.14', 'status': 'stable', 'updated': '2020-04-07T00:00:00Z'}
_MEDIA_TYPES = [{'base': 'application/json', 'type': 'application/vnd.openstack.identity-v3+json'}]
# (type, name, attribute of ServiceUrls): what the catalog lists, in this order.
_SERVICES = (('compute', 'nova', 'compute'), ('identity', 'keystone', 'identity'),
             ('placement', 'placement', 'placement'), ('network', 'neutron', 'network'))


@dataclass(frozen=True)
class ServiceUrls:
    """Absolute endpoint URLs of the services this process serves."""

    compute: str
    identity: str
    placement: str
    network: str | None = None  # None: no Neutron behind this identity


def _v3_entry(v3_url: str) -> dict[str, Any]:
    return {**_V3, 'links': [{'rel': 'self', 'href': v3_url.rstrip('/') + '/'}],
            'media-types': [dict(media) for media in _MEDIA_TYPES]}


def versions_document(v3_url: str) -> dict[str, Any]:
    """``GET /identity``: Keystone answers it with 300 and this list."""
    return {'versions': {'values': [_v3_entry(v3_url)]}}


def version_document(v3_url: str) -> dict[str, Any]:
    """``GET /identity/v3``."""
    return {'version': _v3_entry(v3_url)}


def _domain(name: str) -> dict[str, str]:
    return {'id': domain_id(name), 'name': name}


def _catalog(urls: ServiceUrls) -> list[dict[str, Any]]:
    catalog = []
    for service_type, name, attribute in _SERVICES:
        url = getattr(urls, attribute)
        if url is None:
            continue
        catalog.append({
            'id': stable_id('service', service_type),
            'type': service_type,
            'name': name,
            'endpoints': [
                {'id': stable_id('endpoint', f'{service_type}:{interface}'),
                 'interface': interface, 'region': REGION, 'region_id': REGION, 'url': url}
                for interface in INTERFACES
            ],
        })
    return catalog


def token_document(token: Token, urls: ServiceUrls, with_catalog: bool = True) -> dict[str, Any]:
    """The body of ``POST``/``GET /v3/auth/tokens`` (the token id itself is a header)."""
    user, project = token.user, token.project
    document: dict[str, Any] = {
        'methods': list(token.methods),
        'user': {'id': user.id, 'name': user.name, 'domain': _domain(user.domain),
                 'password_expires_at': None},
        'audit_ids': list(token.audit_ids),
        'issued_at': keystone_time(token.issued_at),
        'expires_at': keystone_time(token.expires_at),
        'project': {'id': project.id, 'name': project.name, 'domain': _domain(project.domain)},
        'is_domain': False,
        'roles': [{'id': stable_id('role', role), 'name': role} for role in token.roles],
    }
    if with_catalog:
        document['catalog'] = _catalog(urls)
    return {'token': document}
