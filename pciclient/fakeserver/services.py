"""The fake cloud's service APIs behind one port: Placement under ``/placement``, compute elsewhere.

Both read the same inventory source, so a rescan shows in both at once and
they never disagree. Whatever authenticates callers (``auth.py``) wraps this
dispatcher whole, so compute and Placement share one token check and one
policy module, with ``--noauth``, the built-in identity or ``--keystone-url``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pciclient.fakeserver.compute.app import FakeComputeApp, InventorySource
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.placement.app import FakePlacementApp
from pciclient.fakeserver.placement.routes import PLACEMENT_PATH
from pciclient.fakeserver.wsgi.responses import StartResponse
from pciclient.fakeserver.compute.shapes import BLUEPRINT

__all__ = ['ServiceApis', 'service_apis']

WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ServiceApis:
    """Dispatch on the path: the Placement app sees paths relative to its mount point."""

    def __init__(self, compute: WsgiApp, placement: WsgiApp) -> None:
        self.compute = compute
        self.placement = placement

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '')
        if path == PLACEMENT_PATH or path.startswith(PLACEMENT_PATH + '/'):
            environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + PLACEMENT_PATH
            environ['PATH_INFO'] = path[len(PLACEMENT_PATH):]
            return self.placement(environ, start_response)
        return self.compute(environ, start_response)


def service_apis(source: Inventory | InventorySource, shapes: str = BLUEPRINT,
                 os_pci: bool = True) -> ServiceApis:
    """Compute (in ``shapes``, with or without its PCI API) and Placement over ``source``."""
    return ServiceApis(FakeComputeApp(source, shapes, os_pci=os_pci), FakePlacementApp(source))
