"""Wire the fake cloud's services behind one port: identity, compute and Placement.

A single process and port serve every service, like a DevStack host behind
one web server, so ``OS_AUTH_URL=http://HOST:PORT/identity`` and the catalog's
``http://HOST:PORT/v2.1`` and ``…/placement`` reach the same process and share
its token table. Compute and Placement read the same inventory source, so a
rescan shows in both at once and they never disagree; one token check (built-in
identity or ``--keystone-url``) guards both.

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
from pciclient.fakeserver.placement.app import FakePlacementApp
from pciclient.fakeserver.wsgi.mount import Mounts
from pciclient.fakeserver.wsgi.request import Request
from pciclient.fakeserver.wsgi.responses import WsgiApp

__all__ = ['COMPUTE_PATH', 'IDENTITY_PATH', 'PLACEMENT_PATH', 'PUBLIC_PATHS', 'FakeCloud',
           'ServiceApis', 'service_apis', 'token_auth']

IDENTITY_PATH = '/identity'
COMPUTE_PATH = '/v2.1'
PLACEMENT_PATH = '/placement'
# Nova and Placement serve their version documents outside the authenticated pipeline.
PUBLIC_PATHS = frozenset({'', '/', '/v2', '/v2/', '/v2.1', '/v2.1/',
                          PLACEMENT_PATH, PLACEMENT_PATH + '/'})


class ServiceApis(Mounts):
    """Placement under ``/placement``, compute everywhere else."""

    def __init__(self, compute: FakeComputeApp, placement: FakePlacementApp) -> None:
        self.compute = compute
        self.placement = placement
        super().__init__({PLACEMENT_PATH: placement}, compute)


def service_apis(source: Inventory | InventorySource, shapes: str = BLUEPRINT,
                 os_pci: bool = True) -> ServiceApis:
    """Compute (in ``shapes``, with or without its PCI API) and Placement over ``source``."""
    return ServiceApis(FakeComputeApp(source, shapes, os_pci=os_pci), FakePlacementApp(source))


def token_auth(apis: WsgiApp, validator: TokenValidator,
               identity_url: Callable[[Request], str]) -> ComputeAuth:
    """The service APIs behind a token check, their version documents open to all."""
    return ComputeAuth(apis, validator, identity_url, public_paths=PUBLIC_PATHS,
                       internal_error=compute_fault)


class FakeCloud(Mounts):
    """Identity under ``/identity``; everything else only for callers with a valid token."""

    def __init__(self, compute_app: WsgiApp, directory: Directory, tokens: TokenStore) -> None:
        self.tokens = tokens
        self.identity = IdentityApp(directory, tokens, compute_path=COMPUTE_PATH,
                                    placement_path=PLACEMENT_PATH)
        self.compute = token_auth(compute_app, LocalTokens(tokens),
                                  lambda request: request.host_url + IDENTITY_PATH)
        super().__init__({IDENTITY_PATH: self.identity}, self.compute)
