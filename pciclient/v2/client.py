"""The v2 client: one keystoneauth Adapter on the ``compute`` service, three managers."""
from __future__ import annotations

from typing import Any

from pciclient import __version__
from pciclient.auth_guard import fail_reentered_login
from pciclient.http import DEFAULT_MAX_ANSWER_SIZE, HTTPClient
from pciclient.v2.aggregates import AggregateManager
from pciclient.v2.flavors import FlavorManager
from pciclient.v2.hypervisors import HypervisorManager
from pciclient.v2.neutron import NETWORK_SERVICE_TYPE, NeutronManager
from pciclient.v2.pci_devices import PciDeviceManager
from pciclient.v2.pci_pools import PciPoolManager
from pciclient.v2.placement import PLACEMENT_VERSION, PlacementManager
from pciclient.v2.servers import ServerManager
from pciclient.v2.services import ServiceManager
from pciclient.v2.sources import NO_DEVICE_SOURCE, PLACEMENT_CONCURRENCY, split_sources


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

    ``retries`` retries each request (and the login) that fails to connect, times out
    or breaks off mid-body, and each request answered with one of
    :data:`pciclient.http.RETRIABLE_STATUS_CODES`, with one policy
    (:mod:`pciclient.retry_policy`): exponential back-off whose waits never exceed 30 s,
    whatever Retry-After says, nor pass the deadline.
    A 401 to a token keystoneauth obtained itself makes it log in again, once.

    ``max_answer_size`` (bytes, default :data:`pciclient.http.DEFAULT_MAX_ANSWER_SIZE`)
    bounds every answer, on the wire and once inflated; ``deadline`` is a
    :func:`time.monotonic` value after which no request starts and no read continues
    (each request's timeout is at most the time left). A redirect is followed only to
    the same host and port (or from http to https on the same host). All three hold
    for keystoneauth's own requests made for this client too (login, discovery).

    ``pci_source`` says where PCI devices and pools are read: ``os-pci`` (the compute
    API's PCI extension), ``placement`` (Nova's PCI providers, as Nova reports them
    since Zed), ``neutron`` (the devices of SR-IOV ports), several of them
    comma-separated, or ``auto`` (os-pci, else Placement; plus Neutron when the catalog
    has a network service). ``placement=False`` (for no-auth setups, whose endpoint
    would be the compute one) or no placement service in the catalog without
    ``placement_endpoint_override`` means no Placement; ``network``,
    ``network_endpoint_override``, ``network_interface`` and ``network_service_type`` say
    the same of Neutron.
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
                 network: bool = True,
                 network_endpoint_override: str | None = None,
                 network_interface: str | None = None,
                 network_service_type: str | None = None,
                 max_answer_size: int = DEFAULT_MAX_ANSWER_SIZE,
                 deadline: float | None = None,
                 **adapter_kwargs: Any) -> None:
        from keystoneauth1 import adapter

        device_source, neutron = split_sources(pci_source)  # a typo fails before any request
        if session is None:
            from keystoneauth1 import session as ksa_session
            session = ksa_session.Session()
        # keystoneauth would wait for itself forever where an auth URL is no Keystone's.
        fail_reentered_login(getattr(session, 'auth', None))
        # HTTPClient retries every kind of failure itself (keystoneauth's connect_retries
        # would wait up to 60 s between tries and know no deadline).
        bounds: dict[str, Any] = {'retries': retries, 'max_answer_size': max_answer_size,
                                  'deadline': deadline}
        self.adapter = adapter.Adapter(
            session, service_type=service_type, service_name=service_name,
            interface=interface, region_name=region_name,
            endpoint_override=endpoint_override,
            client_name='pciclient', client_version=__version__, **adapter_kwargs)
        self.http = HTTPClient(self.adapter, timeout=timeout, api_version=api_version,
                               **bounds)
        placement_http = None
        if placement:
            placement_adapter = adapter.Adapter(
                session, service_type=placement_service_type or 'placement',
                interface=placement_interface or interface,
                region_name=region_name, endpoint_override=placement_endpoint_override,
                client_name='pciclient', client_version=__version__)
            placement_http = HTTPClient(placement_adapter, timeout=timeout,
                                        api_version=placement_api_version or PLACEMENT_VERSION,
                                        version_root=False, **bounds)
        network_http = None
        if network and neutron != 'off':
            network_adapter = adapter.Adapter(
                session, service_type=network_service_type or NETWORK_SERVICE_TYPE,
                interface=network_interface or interface,
                region_name=region_name, endpoint_override=network_endpoint_override,
                client_name='pciclient', client_version=__version__)
            network_http = HTTPClient(network_adapter, timeout=timeout, api_version=None,
                                      version_root=False, **bounds)
        self.placement = PlacementManager(placement_http, placement_concurrency)
        self.hypervisors = HypervisorManager(self.http)
        self.servers = ServerManager(self.http, self.hypervisors)
        self.neutron = NeutronManager(network_http, self.hypervisors, self.servers)
        self.pci_devices = PciDeviceManager(self.http, self.hypervisors, self.placement,
                                            pci_source, servers=self.servers,
                                            neutron=self.neutron)
        self.pci_pools = PciPoolManager(
            self.hypervisors, self.placement,
            'auto' if device_source == NO_DEVICE_SOURCE else device_source)
        self.flavors = FlavorManager(self.http)
        self.services = ServiceManager(self.http)
        self.aggregates = AggregateManager(self.http)

    @property
    def capacity(self) -> Any:
        """How many more servers of a flavor fit, where, and why not
        (:class:`pciclient.v2.capacity.manager.CapacityManager`; imported when first used)."""
        from pciclient.v2.capacity.manager import CapacityManager
        return CapacityManager(self)
