"""The ``cheroot`` engine of :mod:`server`: a thread pool, keep-alive, size limits and TLS.

Imported only when a server is made with it, so ``pci-cli --local`` (the
stdlib engine) never pays for importing cheroot.

- Binding happens in the constructor, in a helper daemon thread: cheroot starts
  its worker threads there and they inherit that flag, so an interpreter that
  forgot to stop a server still exits. A bind failure is raised as the
  ``OSError`` the socket gave (cheroot folds it into a message without errno).
- cheroot's ``error_log`` goes to the ``pciclient.fakeserver`` logger: client
  mishaps at DEBUG, bugs at ERROR.
- TLS: sockets are wrapped without a handshake where connections are accepted;
  the handshake runs in the worker thread serving the connection, so a client
  that connects and says nothing holds one worker until the timeout, never the
  accept loop. Plain HTTP on the TLS port gets a plain-text 400.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
from typing import Any

from cheroot import wsgi
from cheroot.server import HTTPConnection
from cheroot.ssl import Adapter as AbstractAdapter
from cheroot.ssl.builtin import BuiltinSSLAdapter

from pciclient.fakeserver.wsgi import limits
from pciclient.fakeserver.wsgi.tls import TlsFiles, tls_context

__all__ = ['CherootServer']

LOG = logging.getLogger('pciclient.fakeserver')

_PLAIN_HTTP_ANSWER = b'This port speaks HTTPS only: use https:// to reach this server.\n'
_PLAIN_HTTP_ON_TLS = (b'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n'
                      b'Connection: close\r\nContent-Length: '
                      + str(len(_PLAIN_HTTP_ANSWER)).encode() + b'\r\n\r\n' + _PLAIN_HTTP_ANSWER)


class _WsgiServer(wsgi.Server):
    """cheroot's server, logging through ``logging`` and keeping the errno of a bind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bind_errors: list[OSError] = []

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


class _TlsConnection(HTTPConnection):
    """Completes the TLS handshake in the worker thread, before the first request."""

    _handshake_done = False

    def communicate(self) -> bool:
        if not self._handshake_done:
            if not self._handshake():
                return False  # the worker closes the connection
            self._handshake_done = True
        return bool(super().communicate())

    def _handshake(self) -> bool:
        sock = self.socket
        try:
            sock.do_handshake()
            return True
        except ssl.SSLError as exc:
            if exc.reason == 'HTTP_REQUEST':
                try:  # under the TLS layer: the client speaks plain HTTP
                    socket.socket.sendall(sock, _PLAIN_HTTP_ON_TLS)
                except OSError:
                    pass
            LOG.debug('TLS handshake with %s failed: %s', self.remote_addr, exc)
        except OSError as exc:  # a timeout, a reset, a client that gave up on our certificate
            LOG.debug('TLS handshake with %s failed: %s', self.remote_addr, exc)
        return False


class CherootServer:
    """cheroot serving ``app`` behind the small interface ``RunningServer`` drives."""

    def __init__(self, app: Any, host: str, port: int, tls: TlsFiles | None) -> None:
        context = tls_context(tls) if tls is not None else None
        server = _WsgiServer(
            (host, port), app, numthreads=limits.WORKER_THREADS,
            max=limits.WORKER_THREADS, server_name=host,
            request_queue_size=limits.LISTEN_BACKLOG, timeout=limits.CONNECTION_TIMEOUT,
            shutdown_timeout=limits.SHUTDOWN_TIMEOUT)
        server.max_request_header_size = limits.MAX_HEADER_BYTES
        server.max_request_body_size = limits.MAX_BODY_BYTES
        server.keep_alive_conn_limit = limits.KEEP_ALIVE_CONNECTIONS
        server.expiration_interval = limits.TICK
        if tls is not None and context is not None:
            server.ssl_adapter = _TlsAdapter(tls, context)
            server.ConnectionClass = _TlsConnection
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
