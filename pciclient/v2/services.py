"""Compute services (``GET os-services?binary=nova-compute``): which hosts are up and enabled.

Placement knows a disabled host (Nova puts ``COMPUTE_STATUS_DISABLED`` on its root) but
not a dead one: Nova's ComputeFilter drops hosts whose service is down after Placement
has answered, so capacity reads the services too.
"""
from __future__ import annotations

from typing import Any

from pciclient.v2.base import Manager, Resource


class Service(Resource):
    human_name = 'compute service'

    @property
    def down(self) -> bool:
        return self.raw.get('state') == 'down' or bool(self.raw.get('forced_down'))

    @property
    def disabled(self) -> bool:
        return self.raw.get('status') == 'disabled'


class ServiceManager(Manager[Service]):
    resource_class = Service

    def list(self, *, binary: str | None = 'nova-compute', host: str | None = None,
             ) -> list[Service]:
        params: dict[str, Any] = {}
        if binary:
            params['binary'] = binary
        if host:
            params['host'] = host
        return self._list('os-services', 'services', params)
