"""Wire the fake cloud's services behind one port: identity, compute, Placement and Neutron.

A single process and port serve every service, like a DevStack host behind
one web server, so ``OS_AUTH_URL=http://HOST:PORT/identity`` and the catalog's
``http://HOST:PORT/v2.1``, ``…/placement`` and ``…/network`` reach the same process
and share its token table. Compute, Placement and Neutron (the servers' SR-IOV ports)
read the same inventory source, so a rescan shows in all at once and they never
disagree; one token check (built-in identity or ``--keystone-url``) guards them all.

This is a composition module: with ``cli.py`` and ``embedded.py`` the only
place where the services meet (the import contracts in ``pyproject.toml``).
"""
from __future__ import annotations

from collections.abc import Callable

from pciclient.fakeserver.compute.app import FakeComputeApp, InventorySource
from pciclient.fakeserver.compute.errors import compute_fault
from pciclient.fakeserver.compute.shapes import BLUEPRINT
from pciclient.fakeserver.identity.app import IdentityApp
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.middleware import ComputeAuth
from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.identity.validation import LocalTokens, TokenValidator
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.network.app import FakeNetworkApp
from pciclient.fakeserver.placement.app import FakePlacementApp
from pciclient.fakeserver.wsgi.mount import Mounts
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import WsgiApp

__all__ = ['COMPUTE_PATH', 'IDENTITY_PATH', 'NETWORK_PATH', 'PLACEMENT_PATH', 'PUBLIC_PATHS',
           'FakeCloud', 'ServiceApis', 'service_apis', 'token_auth']

IDENTITY_PATH = '/identity'
COMPUTE_PATH = '/v2.1'
PLACEMENT_PATH = '/placement'
NETWORK_PATH = '/network'
# Nova, Placement and Neutron serve their version documents outside the authenticated pipeline.
PUBLIC_PATHS = frozenset({'', '/', '/v2', '/v2/', '/v2.1', '/v2.1/',
                          PLACEMENT_PATH, PLACEMENT_PATH + '/', NETWORK_PATH, NETWORK_PATH + '/'})


class ServiceApis(Mounts):
    """Placement under ``/placement``, Neutron under ``/network``, compute everywhere else."""

    def __init__(self, compute: FakeComputeApp, placement: FakePlacementApp,
                 network: FakeNetworkApp | None = None) -> None:
        self.compute = compute
        self.placement = placement
        self.network = network
        mounts: dict[str, WsgiApp] = {PLACEMENT_PATH: placement}
        if network is not None:
            mounts[NETWORK_PATH] = network
        super().__init__(mounts, compute)


def service_apis(source: Inventory | InventorySource, shapes: str = BLUEPRINT,
                 os_pci: bool = True) -> ServiceApis:
    """Compute (in ``shapes``, with or without its PCI API), Placement and Neutron over
    ``source``."""
    return ServiceApis(FakeComputeApp(source, shapes, os_pci=os_pci), FakePlacementApp(source),
                       FakeNetworkApp(source))


def token_auth(apis: WsgiApp, validator: TokenValidator,
               identity_url: Callable[[Request], str]) -> ComputeAuth:
    """The service APIs behind a token check, their version documents open to all."""
    return ComputeAuth(apis, validator, identity_url, public_paths=PUBLIC_PATHS,
                       internal_error=compute_fault)


class FakeCloud(Mounts):
    """Identity under ``/identity``; everything else only for callers with a valid token."""

    def __init__(self, compute_app: WsgiApp, directory: Directory, tokens: TokenStore) -> None:
        self.tokens = tokens
        # The catalog lists Neutron only when one is mounted: a typo must not look like a cloud.
        with_network = isinstance(compute_app, ServiceApis) and compute_app.network is not None
        self.identity = IdentityApp(directory, tokens, compute_path=COMPUTE_PATH,
                                    placement_path=PLACEMENT_PATH,
                                    network_path=NETWORK_PATH if with_network else None)
        self.compute = token_auth(compute_app, LocalTokens(tokens),
                                  lambda request: request.host_url + IDENTITY_PATH)
        super().__init__({IDENTITY_PATH: self.identity}, self.compute)
