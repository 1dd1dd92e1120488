"""Version discovery documents, so keystoneauth-style discovery works against the fake."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ['version_document', 'versions_document']

_UPDATED = '2013-07-23T11:33:21Z'
_V2_UPDATED = '2011-01-21T11:33:21Z'
# Only microversion 2.1 is spoken: the PCI extension predates microversions.
_V21 = {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.1', 'min_version': '2.1',
        'updated': _UPDATED}
_V20 = {'id': 'v2.0', 'status': 'DEPRECATED', 'version': '', 'min_version': '',
        'updated': _V2_UPDATED}


def _entry(api: str) -> dict[str, Any]:
    return dict(_V20 if api == 'v2' else _V21)


def versions_document(url_for: Callable[[str], str]) -> dict[str, Any]:
    """``GET /``: every API version with a link to its root."""
    versions = []
    for api in ('v2', 'v2.1'):
        entry = _entry(api)
        entry['links'] = [{'rel': 'self', 'href': url_for(f'/{api}/')}]
        versions.append(entry)
    return {'versions': versions}


def version_document(api: str, url_for: Callable[[str], str]) -> dict[str, Any]:
    """``GET /v2.1/`` (or ``/v2/``): one version's details."""
    entry = _entry(api)
    entry['links'] = [
        {'rel': 'self', 'href': url_for(f'/{api}/')},
        {'rel': 'describedby', 'type': 'text/html', 'href': 'http://docs.openstack.org/'},
    ]
    media_version = '2' if api == 'v2' else '2.1'
    entry['media-types'] = [{
        'base': 'application/json',
        'type': f'application/vnd.openstack.compute+json;version={media_version}',
    }]
    return {'version': entry}
