"""The compute microversion a request asked for, read as Nova 34 reads it.

``OpenStack-API-Version: compute 2.61`` (else the legacy ``X-OpenStack-Nova-API-Version:
2.61``); no header means 2.1 and ``latest`` Nova 34's newest, 2.104. A malformed
version is Nova's 400 (answered without a version header), one outside 2.1–2.104 its 406
(``computeFault``, the version asked echoed in the header).

The routes that change with microversions (flavors, aggregates, services …) answer at
the version asked (``routes.VERSIONED``). The PCI API, hypervisors and servers speak 2.1
only, as the version document says: there ``latest`` is 2.1 and any other version is
Nova's 406 with "maximum is 2.1", never an answer in another version's shape.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pciclient.fakeserver.compute.errors import BadRequest
from pciclient.fakeserver.wsgi.errors import ApiError

__all__ = ['MAX_VERSION', 'MIN_VERSION', 'ComputeVersion', 'NotAcceptable', 'requested_version',
           'version_headers']

_FORMAT = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')
_SERVICE = 'compute'


@dataclass(frozen=True, order=True)
class ComputeVersion:
    major: int
    minor: int

    def at_least(self, minor: int) -> bool:
        """Whether this is 2.``minor`` or newer."""
        return (self.major, self.minor) >= (2, minor)

    def __str__(self) -> str:
        return f'{self.major}.{self.minor}'


MIN_VERSION = ComputeVersion(2, 1)
MAX_VERSION = ComputeVersion(2, 104)   # nova/api/openstack/api_version_request.py, Nova 34


class NotAcceptable(ApiError):
    """A version outside the range: Nova answers it as a ``computeFault`` with code 406."""

    status = '406 Not Acceptable'

    def __init__(self, asked: str, maximum: ComputeVersion = MAX_VERSION) -> None:
        super().__init__(asked)
        self.message = (f'Version {asked} is not supported by the API. Minimum is '
                        f'{MIN_VERSION} and maximum is {maximum}.')
        self.headers = version_headers(asked)

    def body(self) -> dict[str, Any]:
        return {'computeFault': {'code': 406, 'message': self.message}}


def _asked(environ: Mapping[str, Any]) -> str | None:
    header = environ.get('HTTP_OPENSTACK_API_VERSION')
    if header:
        for entry in str(header).split(','):
            service, _, version = entry.strip().partition(' ')
            if service.lower() == _SERVICE:
                return version.strip()
    legacy = environ.get('HTTP_X_OPENSTACK_NOVA_API_VERSION')
    return str(legacy).strip() if legacy else None


def requested_version(environ: Mapping[str, Any],
                      maximum: ComputeVersion = MAX_VERSION) -> ComputeVersion:
    """The version of this request; raises Nova's 400 or 406 (a version above ``maximum``,
    the newest the route speaks)."""
    asked = _asked(environ)
    if asked is None:
        return MIN_VERSION
    if asked.lower() == 'latest':
        return maximum
    match = _FORMAT.match(asked)
    if not match:
        raise BadRequest(f'API Version String {asked} is of invalid format. Must be of '
                         'format MajorNum.MinorNum.')
    version = ComputeVersion(int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= maximum:
        raise NotAcceptable(asked, maximum)
    return version


def version_headers(version: ComputeVersion | str) -> tuple[tuple[str, str], ...]:
    """What a versioned answer says about itself."""
    return (('OpenStack-API-Version', f'{_SERVICE} {version}'),
            ('X-OpenStack-Nova-API-Version', str(version)),
            ('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'))
