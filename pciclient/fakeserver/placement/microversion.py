"""Placement's microversions: which one a request asked for, as Placement reads the header.

``OpenStack-API-Version: placement 1.18`` (one entry of a comma-separated list
naming services); no entry means the minimum, 1.0, exactly as Placement
answers old clients; ``latest`` means the maximum. A malformed version is a 400
and one outside the supported range a 406, both before anything else is looked at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pciclient.fakeserver.placement.errors import PlacementBadRequest, PlacementNotAcceptable

__all__ = ['HEADER_NAME', 'MAX_VERSION', 'MIN_VERSION', 'SERVICE_TYPE', 'Microversion',
           'requested_version']

SERVICE_TYPE = 'placement'
HEADER_NAME = 'openstack-api-version'
_VERSION_RE = re.compile(r'^([1-9][0-9]*|0)\.([1-9][0-9]*|0)$')


@dataclass(frozen=True, order=True)
class Microversion:
    major: int
    minor: int

    def at_least(self, minor: int) -> bool:
        """Whether this is 1.``minor`` or newer (Placement has only major version 1)."""
        return (self.major, self.minor) >= (1, minor)

    def __str__(self) -> str:
        return f'{self.major}.{self.minor}'


MIN_VERSION = Microversion(1, 0)
# What the reference Placement 16 advertises.
MAX_VERSION = Microversion(1, 39)


def _placement_entry(header: str) -> str | None:
    for entry in header.split(','):
        service, _, version = entry.strip().partition(' ')
        if service.lower() == SERVICE_TYPE:
            return version.strip()
    return None


def requested_version(header: str | None) -> Microversion:
    """The version a request asked for; raises the 400/406 Placement answers instead."""
    text = _placement_entry(header) if header else None
    if text is None:
        return MIN_VERSION
    if text.lower() == 'latest':
        return MAX_VERSION
    match = _VERSION_RE.match(text)
    if not match:
        raise PlacementBadRequest(f'Invalid microversion: invalid version string: {text}')
    version = Microversion(int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise PlacementNotAcceptable(f'Invalid microversion: Unacceptable version header: {text}',
                                     min_version=str(MIN_VERSION), max_version=str(MAX_VERSION))
    return version
