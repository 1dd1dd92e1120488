"""Where every request of a keystoneauth session passes, keystoneauth's own included:
the login POST, version discovery and each redirect it follows.

keystoneauth reads answers whole, follows redirects to any host with the same headers
and body, and takes no deadline; nothing above it sees a request it makes for itself.
So :func:`install` wraps the transport adapters of the session's ``requests.Session``
(the public ``mount`` mechanism) in :class:`GuardedAdapter`, which, while a client has
its :class:`~pciclient.answers.Limits` :func:`applied` in the calling thread:

- starts no request after the deadline, and gives none a timeout longer than what is
  left of it;
- refuses a redirect to another host or port before keystoneauth can follow it
  (:mod:`pciclient.redirects`);
- reads the body within the size limit and the deadline (:mod:`pciclient.answers`),
  before keystoneauth logs it or decodes it.

Outside :func:`applied` (a session shared with other clients, as in the ``openstack``
CLI) requests pass through unchanged.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import requests
import requests.adapters

from pciclient import answers, redirects


class _Active(threading.local):
    limits: answers.Limits | None = None


_ACTIVE = _Active()


@contextlib.contextmanager
def applied(limits: answers.Limits) -> Iterator[None]:
    """Requests made by this thread inside the block are bounded by ``limits``."""
    previous = _ACTIVE.limits
    _ACTIVE.limits = limits
    try:
        yield
    finally:
        _ACTIVE.limits = previous


class GuardedAdapter(requests.adapters.BaseAdapter):
    """A transport adapter around another (keystoneauth's keep-alive one, usually)."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == 'inner':   # not yet set (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        limits = _ACTIVE.limits
        if limits is None:
            return self.inner.send(request, stream=stream, timeout=timeout, verify=verify,
                                   cert=cert, proxies=proxies)
        url = str(request.url or '')
        left = limits.check_start(url)
        request.headers['Accept-Encoding'] = answers.ACCEPT_ENCODING
        clamped = answers.clamp_timeout(timeout, left)
        try:
            response: requests.Response = self.inner.send(
                request, stream=True, timeout=clamped, verify=verify, cert=cert,
                proxies=proxies)
        except requests.exceptions.Timeout as error:
            if clamped != timeout:
                # The wait was cut to the time left: the deadline ended it, not the
                # timeout the caller chose (which would send them to the wrong option).
                raise limits.late(url) from error
            raise
        try:
            location = response.headers.get('Location')
            if response.status_code in redirects.REDIRECT_STATUSES and location is not None:
                response.headers['Location'] = redirects.checked_location(
                    str(response.url or url), location)
            body = answers.read_body(response, limits, url)
        except BaseException:
            response.close()   # never back to the pool half read
            raise
        # What requests' own reading leaves behind, so that .content, .text and .json()
        # (keystoneauth's debug log among them) use the body read here.
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        self.inner.close()


def install(session: Any) -> None:
    """Guard the transport adapters of keystoneauth ``session`` (once; harmless again).
    Anything that is not a keystoneauth session with a ``requests.Session`` is left
    alone."""
    requests_session = getattr(session, 'session', None)
    if not isinstance(requests_session, requests.Session):
        return
    for prefix, adapter in list(requests_session.adapters.items()):
        if not isinstance(adapter, GuardedAdapter):
            requests_session.mount(prefix, GuardedAdapter(adapter))
