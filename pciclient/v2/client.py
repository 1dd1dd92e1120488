"""The v2 client: one keystoneauth Adapter on the ``compute`` service, three managers."""
from __future__ import annotations

from typing import Any

from pciclient import __version__
from pciclient.http import HTTPClient
from pciclient.v2.aggregates import AggregateManager
from pciclient.v2.flavors import FlavorManager
from pciclient.v2.hypervisors import HypervisorManager
from pciclient.v2.pci_devices import PciDeviceManager
from pciclient.v2.pci_pools import PciPoolManager
from pciclient.v2.placement import PLACEMENT_VERSION, PlacementManager
from pciclient.v2.servers import ServerManager
from pciclient.v2.services import ServiceManager
from pciclient.v2.sources import PLACEMENT_CONCURRENCY


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

    ``retries`` retries each request that fails to connect or answers one of
    :data:`pciclient.http.RETRIABLE_STATUS_CODES` or breaks off mid-body, with
    exponential back-off bounded at 30 s whatever Retry-After says.
    A 401 to a token keystoneauth obtained itself makes it log in again, once.

    ``pci_source`` says where PCI devices and pools are read: ``os-pci`` (the compute
    API's PCI extension), ``placement`` (Nova's PCI providers, as Nova reports them
    since Zed) or ``auto`` (os-pci, else Placement). ``placement=False`` (for no-auth
    setups, whose endpoint would be the compute one) or no placement service in the
    catalog without ``placement_endpoint_override`` means no Placement.
    """

    def __init__(self, session: Any = None, *, endpoint_override: str | None = None,
                 region_name: str | None = None, interface: str | None = 'public',
                 service_type: str = 'compute', service_name: str | None = None,
                 timeout: float | None = None, api_version: str | None = None,
                 retries: int = 0,
                 pci_source: str = 'auto', placement: bool = True,
                 placement_endpoint_override: str | None = None,
                 placement_interface: str | None = None,
                 placement_service_type: str | None = None,
                 placement_api_version: str | None = None,
                 placement_concurrency: int = PLACEMENT_CONCURRENCY,
                 **adapter_kwargs: Any) -> None:
        from keystoneauth1 import adapter

        if session is None:
            from keystoneauth1 import session as ksa_session
            session = ksa_session.Session()
        # keystoneauth retries failed connections; HTTPClient retries answers (bounded).
        retry: dict[str, Any] = {'connect_retries': retries} if retries else {}
        adapter_kwargs = {**retry, **adapter_kwargs}
        self.adapter = adapter.Adapter(
            session, service_type=service_type, service_name=service_name,
            interface=interface, region_name=region_name,
            endpoint_override=endpoint_override,
            client_name='pciclient', client_version=__version__, **adapter_kwargs)
        self.http = HTTPClient(self.adapter, timeout=timeout, api_version=api_version,
                               retries=retries)
        placement_http = None
        if placement:
            placement_adapter = adapter.Adapter(
                session, service_type=placement_service_type or 'placement',
                interface=placement_interface or interface,
                region_name=region_name, endpoint_override=placement_endpoint_override,
                client_name='pciclient', client_version=__version__, **retry)
            placement_http = HTTPClient(placement_adapter, timeout=timeout,
                                        api_version=placement_api_version or PLACEMENT_VERSION,
                                        retries=retries)
        self.placement = PlacementManager(placement_http, placement_concurrency)
        self.hypervisors = HypervisorManager(self.http)
        self.servers = ServerManager(self.http)
        self.pci_devices = PciDeviceManager(self.http, self.hypervisors, self.placement,
                                            pci_source, servers=self.servers)
        self.pci_pools = PciPoolManager(self.hypervisors, self.placement, pci_source)
        self.flavors = FlavorManager(self.http)
        self.services = ServiceManager(self.http)
        self.aggregates = AggregateManager(self.http)

    @property
    def capacity(self) -> Any:
        """How many more servers of a flavor fit, where, and why not
        (:class:`pciclient.v2.capacity.manager.CapacityManager`; imported when first used)."""
        from pciclient.v2.capacity.manager import CapacityManager
        return CapacityManager(self)
