"""Serve a WSGI app over HTTP or HTTPS from background threads, in one process.

Two engines, one interface (``make_server`` → ``RunningServer``):

- ``cheroot`` (the default, what ``pci-fake-server`` and test fixtures use): a
  production HTTP/1.1 server with a fixed pool of worker threads, keep-alive,
  request size limits and TLS. Connections wait in a selector, not in a thread,
  until a whole request has arrived (idle keep-alive ones too), so fifty clients
  need no fifty threads and silent or trickling clients hold none; the pool size
  only bounds how many requests run at once (they share one interpreter anyway).
  How many connections may wait, in all and per client address, and for how
  long, is :class:`ConnectionLimits`.
- ``stdlib``: wsgiref with a thread per connection, for ``pci-cli --local``,
  whose one client makes a few requests and must not pay for importing cheroot.

Either way access lines go to the ``pciclient.fakeserver.access`` logger and
server-level errors to ``pciclient.fakeserver`` (both silent unless logging is
configured), so embedding a server stays quiet.

With TLS, the handshake proceeds in that selector too, without blocking: a
client that connects and says nothing holds neither a worker nor the loop.
"""
from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from pciclient.fakeserver.wsgi import limits
from pciclient.fakeserver.wsgi.limits import ConnectionLimits
from pciclient.fakeserver.wsgi.tls import TlsFiles

__all__ = ['CHEROOT', 'ENGINES', 'STDLIB', 'ConnectionLimits', 'RunningServer',
           'ThreadingWSGIServer', 'make_server', 'start_in_thread']

LOG = logging.getLogger('pciclient.fakeserver')
ACCESS_LOG = logging.getLogger('pciclient.fakeserver.access')

WsgiApp = Callable[..., Any]

CHEROOT = 'cheroot'
STDLIB = 'stdlib'
ENGINES = (CHEROOT, STDLIB)

def access_logged(app: WsgiApp) -> WsgiApp:
    """Log one line per request after its response started, when INFO is on for the logger."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not ACCESS_LOG.isEnabledFor(logging.INFO):
            return app(environ, start_response)
        seen: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            length = next((v for k, v in headers if k.lower() == 'content-length'), '-')
            seen[:] = [status.split(' ', 1)[0], length]
            return start_response(status, headers, *exc_info)

        body = app(environ, recording)
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        query = environ.get('QUERY_STRING')
        ACCESS_LOG.info('%s "%s %s%s %s" %s %s', environ.get('REMOTE_ADDR', '-'),
                        environ.get('REQUEST_METHOD'), path, f'?{query}' if query else '',
                        environ.get('SERVER_PROTOCOL'), *(seen or ['-', '-']))
        return body
    return logged


# --- the stdlib engine (pci-cli --local) --------------------------------------------------------

class _LogStream:
    """What wsgiref calls ``stderr``: route its error reports into logging."""

    def write(self, text: str) -> int:
        text = text.rstrip()
        if text:
            LOG.error('%s', text)
        return len(text)

    def flush(self) -> None:
        pass

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's handler with logging instead of prints, and no reverse DNS."""

    def address_string(self) -> str:
        return str(self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        ACCESS_LOG.info('%s %s', self.address_string(), format % args)

    def get_stderr(self) -> Any:
        return _LogStream()


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one daemon thread per request so stop() never waits on clients."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = limits.LISTEN_BACKLOG
    scheme = 'http'

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(), a DNS round trip we do not need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.debug('connection from %s ended with an error', client_address, exc_info=True)


class _ThreadingWSGIServer6(ThreadingWSGIServer):
    address_family = socket.AF_INET6


def _stdlib_server(app: WsgiApp, host: str, port: int) -> ThreadingWSGIServer:
    server_class = _ThreadingWSGIServer6 if ':' in host else ThreadingWSGIServer
    httpd = server_class((host, port), _RequestHandler)
    httpd.set_app(app)
    return httpd


# --- one interface for both ---------------------------------------------------------------------

def make_server(app: WsgiApp, host: str = '127.0.0.1', port: int = 0, *,
                tls: TlsFiles | None = None, engine: str = CHEROOT,
                connection_limits: ConnectionLimits | None = None) -> Any:
    """Bind now, so a busy port fails here (OSError) rather than in a thread.

    ``tls`` serves HTTPS (cheroot only); unusable certificate or key files raise
    :class:`TlsError` (a ``ValueError``) before anything is bound.
    ``connection_limits`` (cheroot only; default ``ConnectionLimits()``) bound
    the connections that wait for a request; the stdlib engine serves one local client.
    """
    if engine == STDLIB:
        if tls is not None:
            raise ValueError('the stdlib engine serves plain HTTP only')
        return _stdlib_server(app, host, port)
    if engine != CHEROOT:
        raise ValueError(f'unknown engine {engine!r}; expected one of {", ".join(ENGINES)}')
    from pciclient.fakeserver.wsgi.cheroot_engine import CherootServer  # only when used
    return CherootServer(access_logged(app), host, port, tls, connection_limits)


class RunningServer:
    """A server serving in a daemon thread; stop it (or use ``with``) to free the port."""

    def __init__(self, httpd: Any) -> None:
        self.httpd = httpd
        host, port = httpd.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.scheme = str(getattr(httpd, 'scheme', 'http'))
        netloc_host = f'[{self.host}]' if ':' in self.host else self.host
        self.url = f'{self.scheme}://{netloc_host}:{self.port}'
        self.compute_url = self.url + '/v2.1'
        # nova.conf's [pci] alias entries of the cloud served (no API shows them), for a
        # client started beside it (pci-cli --local); set by whoever built the cloud.
        self.pci_aliases: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopped = False
        self.thread = threading.Thread(
            target=self._serve, name=f'pci-fake-server:{self.port}', daemon=True)

    def _serve(self) -> None:
        if isinstance(self.httpd, socketserver.BaseServer):
            self.httpd.serve_forever(poll_interval=0.1)
        else:
            self.httpd.serve_forever()

    def start(self) -> RunningServer:
        self.thread.start()
        return self

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        """Shut down, close the socket and join the thread; safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.thread.join()
        self.httpd.server_close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f'<RunningServer {self.url} running={self.running}>'


def start_in_thread(app: WsgiApp, host: str = '127.0.0.1', port: int = 0, *,
                    tls: TlsFiles | None = None, engine: str = CHEROOT,
                    connection_limits: ConnectionLimits | None = None) -> RunningServer:
    """Serve ``app`` in the background; port 0 picks a free port (see ``.url``)."""
    return RunningServer(make_server(app, host, port, tls=tls, engine=engine,
                                     connection_limits=connection_limits)).start()
