"""The ``cheroot`` engine of :mod:`server`: a thread pool, keep-alive, size limits and TLS.

Imported only when a server is made with it, so ``pci-cli --local`` (the
stdlib engine) never pays for importing cheroot.

- Binding happens in the constructor, in a helper daemon thread: cheroot starts
  its worker threads there and they inherit that flag, so an interpreter that
  forgot to stop a server still exits. A bind failure is raised as the
  ``OSError`` the socket gave (cheroot folds it into a message without errno).
- cheroot's ``error_log`` goes to the ``pciclient.fakeserver`` logger: client
  mishaps at DEBUG, bugs at ERROR.
- A worker thread gets a connection only once a whole request has arrived:
  until then it waits in cheroot's selector (:mod:`parking`), within the
  connection limits given. A client that connects and says nothing, or
  trickles its request, holds no worker.
- TLS: sockets are wrapped without a handshake where connections are accepted;
  the handshake proceeds without blocking in the same selector. Plain HTTP on
  the TLS port gets a plain-text 400.
"""
from __future__ import annotations

import io
import logging
import socket
import ssl
import threading
from typing import Any

from cheroot import wsgi
from cheroot.makefile import StreamWriter
from cheroot.server import HTTPConnection
from cheroot.ssl import Adapter as AbstractAdapter
from cheroot.ssl.builtin import BuiltinSSLAdapter

from pciclient.fakeserver.wsgi import limits
from pciclient.fakeserver.wsgi.limits import ConnectionLimits
from pciclient.fakeserver.wsgi.parking import ParkingManager, ReplayReader
from pciclient.fakeserver.wsgi.tls import TlsFiles, tls_context

__all__ = ['CherootServer']

LOG = logging.getLogger('pciclient.fakeserver')


class _WsgiServer(wsgi.Server):
    """cheroot's server, logging through ``logging``, keeping the errno of a bind, and
    parking connections until a request is whole."""

    _connections: Any  # cheroot's connection manager, then ours (not in cheroot's stubs)

    def __init__(self, *args: Any, connection_limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bind_errors: list[OSError] = []
        self.connection_limits = connection_limits
        self.connection_manager: ParkingManager

    def prepare(self) -> None:
        super().prepare()
        # cheroot made its own manager (one selector, the listening socket in it); ours replaces
        # it before any thread uses either.
        self._connections._selector.close()
        self.connection_manager = ParkingManager(self, self.connection_limits)
        self._connections = self.connection_manager

    def process_conn(self, conn: Any) -> None:
        # cheroot's selector loop calls this for a new connection and for a readable one.
        self.connection_manager.arrived(conn)

    def bind(self, family: int, type: int, proto: int = 0) -> None:  # noqa: A002 (cheroot's)
        try:
            super().bind(family, type, proto)
        except OSError as exc:
            self.bind_errors.append(exc)
            raise

    def error_log(self, msg: str = '', level: int = logging.INFO,
                  traceback: bool = False) -> None:
        # A client that hangs up or speaks nonsense is routine; a bug is an error.
        if level >= logging.ERROR:
            LOG.error('HTTP server: %s', msg, exc_info=traceback)
        else:
            LOG.debug('HTTP server: %s', msg, exc_info=traceback)


class _TlsAdapter(BuiltinSSLAdapter):
    """The builtin adapter on a ready context, wrapping sockets without a handshake."""

    def __init__(self, tls: TlsFiles, context: ssl.SSLContext) -> None:
        # The abstract base only records the names. The builtin adapter's own __init__ would
        # load the files again (prompting for an encrypted key's password) and try them over
        # a loopback handshake; our context is loaded and checked already.
        AbstractAdapter.__init__(self, tls.cert, tls.key)
        self.context = context
        self._server_env: dict[str, str] = {}

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, str]]:
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, {'HTTPS': 'on'}


class _Connection(HTTPConnection):
    """cheroot's connection, reading through a :class:`ReplayReader` and counted while open."""

    counted = False  # set by the manager that admitted it; released once on close
    _wait = None     # the manager's record while the connection waits in its selector

    def __init__(self, server: Any, sock: Any, makefile: Any = None) -> None:
        super().__init__(server, sock, makefile=_makefile)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.counted:
                self.counted = False
                self.server.connection_manager.released(self)


def _makefile(sock: Any, mode: str = 'r', bufsize: int = io.DEFAULT_BUFFER_SIZE) -> Any:
    return ReplayReader(sock, mode, bufsize) if 'r' in mode else StreamWriter(sock, mode, bufsize)


class CherootServer:
    """cheroot serving ``app`` behind the small interface ``RunningServer`` drives."""

    def __init__(self, app: Any, host: str, port: int, tls: TlsFiles | None,
                 connection_limits: ConnectionLimits | None = None) -> None:
        context = tls_context(tls) if tls is not None else None
        connection_limits = connection_limits or ConnectionLimits()
        server = _WsgiServer(
            (host, port), app, numthreads=limits.WORKER_THREADS,
            max=limits.WORKER_THREADS, server_name=host,
            request_queue_size=limits.LISTEN_BACKLOG, timeout=limits.CONNECTION_TIMEOUT,
            shutdown_timeout=limits.SHUTDOWN_TIMEOUT, connection_limits=connection_limits)
        server.max_request_header_size = limits.MAX_HEADER_BYTES
        server.max_request_body_size = limits.MAX_BODY_BYTES
        server.keep_alive_conn_limit = connection_limits.total
        server.expiration_interval = limits.TICK
        server.ConnectionClass = _Connection
        if tls is not None and context is not None:
            server.ssl_adapter = _TlsAdapter(tls, context)
        self.scheme = 'https' if context is not None else 'http'
        self._server = server
        self._prepare()
        self.server_address = server.socket.getsockname()[:2]

    def _prepare(self) -> None:
        failure: list[BaseException] = []

        def prepare() -> None:
            try:
                self._server.prepare()
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)
        thread = threading.Thread(target=prepare, name='pci-fake-server:bind', daemon=True)
        thread.start()
        thread.join()
        if failure:
            bind_errors = self._server.bind_errors
            raise bind_errors[0] if bind_errors else failure[0]

    def serve_forever(self) -> None:
        self._server.serve()

    def shutdown(self) -> None:
        self._server.stop()

    def server_close(self) -> None:
        if self._server.ready:  # bound but never served
            self._server.stop()
