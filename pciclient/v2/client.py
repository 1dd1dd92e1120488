"""The v2 client: one keystoneauth Adapter on the ``compute`` service, three managers."""
from __future__ import annotations

from typing import Any

from pciclient import __version__
from pciclient.http import HTTPClient
from pciclient.v2.hypervisors import HypervisorManager
from pciclient.v2.pci_devices import PciDeviceManager
from pciclient.v2.servers import ServerManager


class Client:
    """Talks to the compute API of one cloud.

    ``session`` is any keystoneauth1 session, so every keystoneauth auth plugin
    works (password, token, application credentials, no auth with an endpoint).
    ``endpoint_override`` skips the catalog; paths are relative to the compute
    endpoint, so ``…/v2/{tenant_id}`` and ``…/v2.1`` endpoints both work.
    ``timeout`` (seconds, default the session's or
    :data:`pciclient.http.DEFAULT_TIMEOUT`) bounds every request.
    ``api_version`` is a compute microversion (``"2.53"``) sent with every request,
    or ``"latest"`` for the newest the endpoint offers; ``None`` sends none, and Nova
    then answers as 2.1.
    """

    def __init__(self, session: Any = None, *, endpoint_override: str | None = None,
                 region_name: str | None = None, interface: str | None = 'public',
                 service_type: str = 'compute', service_name: str | None = None,
                 timeout: float | None = None, api_version: str | None = None,
                 **adapter_kwargs: Any) -> None:
        from keystoneauth1 import adapter

        if session is None:
            from keystoneauth1 import session as ksa_session
            session = ksa_session.Session()
        self.adapter = adapter.Adapter(
            session, service_type=service_type, service_name=service_name,
            interface=interface, region_name=region_name,
            endpoint_override=endpoint_override,
            client_name='pciclient', client_version=__version__, **adapter_kwargs)
        self.http = HTTPClient(self.adapter, timeout=timeout, api_version=api_version)
        self.hypervisors = HypervisorManager(self.http)
        self.servers = ServerManager(self.http)
        self.pci_devices = PciDeviceManager(self.http, self.hypervisors)
