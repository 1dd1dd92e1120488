"""Serve a WSGI app over HTTP from a background thread, with stdlib parts only.

One process, one thread per connection: enough for a test fixture or a CLI's
``--local`` mode, and a slow client never blocks the others. Access logs go to
the ``pciclient.fakeserver.access`` logger (silent unless logging is configured)
instead of wsgiref's raw stderr lines, so embedding the server stays quiet.
"""
from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ['RunningServer', 'ThreadingWSGIServer', 'make_server', 'start_in_thread']

LOG = logging.getLogger('pciclient.fakeserver')
ACCESS_LOG = logging.getLogger('pciclient.fakeserver.access')

WsgiApp = Callable[..., Any]


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


def make_server(app: WsgiApp, host: str = '127.0.0.1', port: int = 0) -> ThreadingWSGIServer:
    """Bind now, so a busy port fails here (OSError) rather than in a thread."""
    server_class = _ThreadingWSGIServer6 if ':' in host else ThreadingWSGIServer
    httpd = server_class((host, port), _RequestHandler)
    httpd.set_app(app)
    return httpd


class RunningServer:
    """A server serving in a daemon thread; stop it (or use ``with``) to free the port."""

    def __init__(self, httpd: ThreadingWSGIServer) -> None:
        self.httpd = httpd
        host, port = httpd.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        netloc_host = f'[{self.host}]' if ':' in self.host else self.host
        self.url = f'http://{netloc_host}:{self.port}'
        self.compute_url = self.url + '/v2.1'
        self._lock = threading.Lock()
        self._stopped = False
        self.thread = threading.Thread(
            target=httpd.serve_forever, kwargs={'poll_interval': 0.1},
            name=f'pci-fake-server:{self.port}', daemon=True)

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


def start_in_thread(app: WsgiApp, host: str = '127.0.0.1', port: int = 0) -> RunningServer:
    """Serve ``app`` in the background; port 0 picks a free port (see ``.url``)."""
    return RunningServer(make_server(app, host, port)).start()
