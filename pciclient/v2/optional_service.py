"""A service a cloud may lack: Placement (before Zed, or not in the catalog) and Neutron.

Both managers ask once whether an endpoint is known (an override, or the catalog) and
fail with one line that says which service is missing and how to give it.
"""
from __future__ import annotations

from pciclient import exceptions as exc
from pciclient.http import HTTPClient


class OptionalService:
    """``http`` is None where no endpoint is known to this client at all."""

    #: Failures of the endpoint lookup that mean "this cloud has no such service". A
    #: failed login is not one for Neutron: it is the answer's failure, said once (taken
    #: for "no Neutron", the next request would log in, and fail, again).
    absent: tuple[type[Exception], ...] = (exc.ConfigurationError,)

    def __init__(self, http: HTTPClient | None) -> None:
        self.http = http
        self._available: bool | None = None

    def available(self) -> bool:
        """Whether an endpoint is configured or in the catalog (asked once)."""
        if self.http is None:
            return False
        if self._available is None:
            try:
                self.http.endpoint()
                self._available = True
            except self.absent:
                self._available = False
        return self._available

    def missing(self) -> exc.ConfigurationError:
        """The error when the service is required and absent."""
        raise NotImplementedError

    def require(self) -> HTTPClient:
        if not self.available():
            raise self.missing()
        assert self.http is not None
        return self.http
