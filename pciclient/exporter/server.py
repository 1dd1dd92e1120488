"""The exporter's HTTP(S) server: ``/metrics`` from the last page, ``/healthz``.

A scrape copies bytes rendered by the last refresh (gzip when the scraper accepts it, as
Prometheus does): it costs the same for a cloud of ten devices or of 100,000, and a
refresh in progress runs in another process (:mod:`pciclient.exporter.worker`) and
shares no GIL with it. One thread per connection; TLS handshakes happen in that thread
(a slow client holds only its own thread).
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from pciclient.exporter.render import CONTENT_TYPE

LOG = logging.getLogger('pciclient.exporter')

#: Seconds a connection may stay silent (a handshake, a request line) before it is closed.
CONNECTION_TIMEOUT = 10.0


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9181`` for IPv6; port 0: any free port) → (host, port)."""
    host, sep, port = text.rpartition(':')
    if not sep or not port.isdigit() or int(port) > 65535 or not host:
        raise ValueError(f'expected HOST:PORT (e.g. 127.0.0.1:9181 or [::1]:9181), not {text!r}')
    return host.removeprefix('[').removesuffix(']'), int(port)


class _Handler(BaseHTTPRequestHandler):
    server: ExporterServer
    server_version = 'pci-exporter'
    timeout = CONNECTION_TIMEOUT
    protocol_version = 'HTTP/1.1'

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        if path == '/metrics':
            page = self.server.page()
            accepts = self.headers.get('Accept-Encoding', '')
            gzipped = 'gzip' in accepts
            body = page.gzipped if gzipped else page.text
            headers = {'Content-Type': CONTENT_TYPE}
            if gzipped:
                headers['Content-Encoding'] = 'gzip'
            self._answer(200, body, headers)
        elif path == '/healthz':
            alive = self.server.alive()
            self._answer(200 if alive else 503, b'ok\n' if alive else b'refresh loop stopped\n')
        elif path == '/':
            self._answer(200, b'pci-exporter: /metrics, /healthz\n')
        else:
            self._answer(404, b'not found: /metrics, /healthz\n')

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {'Content-Type': 'text/plain; charset=utf-8',
                            **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        LOG.debug('%s %s', self.address_string(), format % args)


class ExporterServer(ThreadingHTTPServer):
    """``page`` gives the page to serve; ``alive`` whether the refresh loop still runs."""

    daemon_threads = True
    #: Connections waiting to be accepted (20 scrapers at once is nothing).
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], page: Callable[[], Any],
                 alive: Callable[[], bool], tls: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ':' in address[0] else socket.AF_INET
        self.page = page
        self.alive = alive
        self.tls = tls
        super().__init__(address, _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.debug('connection from %s failed', client_address, exc_info=True)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f'[{host}]' if ':' in host else host
        return f'{"https" if self.tls else "http"}://{shown}:{port}/metrics'

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name='pci-exporter http',
                                  daemon=True)
        thread.start()
        return thread


def tls_context(cert: str, key: str | None) -> ssl.SSLContext:
    """A server context of TLS 1.2 or later from a certificate (and its key, or the key
    after the certificate in the same file)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # An encrypted key is refused (one line), never a prompt on a daemon's terminal.
    context.load_cert_chain(cert, key, password=lambda: b'')
    return context
