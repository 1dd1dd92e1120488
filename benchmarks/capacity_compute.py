"""A stand-in compute API for :mod:`benchmarks.capacity_scale`: flavors and services only.

``pci-cli capacity`` reads the flavors (with their extra specs) and the compute services
from Nova, the trees from Placement; the benchmark measures Placement, so the compute side
is this small stdlib server on a free loopback port, counting what it is asked. It answers
as Nova 34 does for what the command reads (``nova/api/openstack/compute/flavors.py``,
``services.py``, ``versionsV21.py``): the version document (newest microversion 2.104),
``GET /flavors/detail`` (extra specs inside from 2.61, ``swap`` a number from 2.75),
``GET /flavors/{id}`` (404 ``itemNotFound`` "Flavor X could not be found." for an unknown
id, so ``--flavor NAME`` falls back to the listing as against Nova),
``/flavors/{id}/os-extra_specs``, ``GET /os-services`` with the ``binary`` and ``host``
filters (2.53 documents: uuid ids, ``forced_down``), and ``/os-hypervisors[/detail]``
(empty). Anything else is a 404 and is counted as unexpected.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = '/v2.1'
NEWEST = '2.104'

# id, name, vcpus, ram (MiB), disk, ephemeral, swap (MiB), extra specs
FLAVORS: list[tuple[str, str, int, int, int, int, int, dict[str, str]]] = [
    ('1', 'm1.small', 2, 4096, 40, 0, 1024, {}),
    ('2', 'gpu.1', 8, 32768, 100, 0, 0, {'pci_passthrough:alias': 'gpu:1'}),
    ('3', 'vf.2', 4, 8192, 40, 0, 0, {'pci_passthrough:alias': 'vf:2'}),
    ('4', 'gold.1', 8, 16384, 80, 0, 0, {'pci_passthrough:alias': 'gold:1'}),
    ('5', 'mem.huge', 16, 98304, 100, 100, 0, {}),
]

#: nova.conf's [pci] alias lines matching :data:`tests.realplacement.populate.DEVICES`.
PCI_ALIASES = '\n'.join([
    '[pci]',
    'alias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", '
    '"device_type": "type-PCI"}',
    'alias = {"name": "vf", "vendor_id": "8086", "product_id": "1515", '
    '"device_type": "type-VF"}',
    'alias = {"name": "gold", "resource_class": "CUSTOM_GPU_GOLD", "traits": "CUSTOM_GOLD"}',
    '',
])


def flavor_document(row: tuple, base: str) -> dict[str, Any]:
    fid, name, vcpus, ram, disk, ephemeral, swap, specs = row
    return {'id': fid, 'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk,
            'OS-FLV-EXT-DATA:ephemeral': ephemeral, 'swap': swap,
            'OS-FLV-DISABLED:disabled': False, 'os-flavor-access:is_public': True,
            'rxtx_factor': 1.0, 'description': None, 'extra_specs': dict(specs),
            'links': [{'rel': 'self', 'href': f'{base}/flavors/{fid}'}]}


class ComputeStandIn:
    """The server, its thread and what it was asked (``requests``: kind → count)."""

    def __init__(self, hosts: Iterable[str] = (), disabled: Iterable[str] = ()) -> None:
        self.hosts = list(hosts)
        self.disabled = set(disabled)
        self.requests: Counter = Counter()
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self._server.server_address[1]}{PREFIX}'

    def start(self) -> ComputeStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def count(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def services(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        binary = query.get('binary', [''])[0]
        host = query.get('host', [''])[0]
        if binary and binary != 'nova-compute':
            return []
        return [{'id': str(uuid.uuid5(uuid.NAMESPACE_DNS, h)), 'binary': 'nova-compute',
                 'host': h, 'zone': 'nova', 'state': 'up', 'forced_down': False,
                 'status': 'disabled' if h in self.disabled else 'enabled',
                 'disabled_reason': 'benchmark' if h in self.disabled else None,
                 'updated_at': '2026-01-01T00:00:00.000000'}
                for h in self.hosts if not host or h == host]

    def answer(self, path: str, query: dict[str, list[str]], base: str,
               ) -> tuple[str, int, Any]:
        """(kind, status, body) for a GET."""
        by_id = {row[0]: row for row in FLAVORS}
        parts = [p for p in path[len(PREFIX):].split('/') if p]
        if not parts:
            return 'GET /', 200, {'version': {
                'id': 'v2.1', 'status': 'CURRENT', 'version': NEWEST, 'min_version': '2.1',
                'updated': '2013-07-23T11:33:21Z', 'links': [{'rel': 'self',
                                                              'href': base + '/'}]}}
        if parts == ['flavors', 'detail']:
            return 'GET /flavors/detail', 200, {
                'flavors': [flavor_document(row, base) for row in FLAVORS]}
        if parts[0] == 'flavors' and len(parts) in (2, 3):
            row = by_id.get(parts[1])
            kind = 'GET /flavors/{id}' + ('/os-extra_specs' if len(parts) == 3 else '')
            if row is None:
                return kind + ' (404)', 404, {'itemNotFound': {
                    'code': 404, 'message': f'Flavor {parts[1]} could not be found.'}}
            if len(parts) == 3 and parts[2] == 'os-extra_specs':
                return kind, 200, {'extra_specs': dict(row[7])}
            if len(parts) == 2:
                return kind, 200, {'flavor': flavor_document(row, base)}
        if parts == ['os-services']:
            return 'GET /os-services', 200, {'services': self.services(query)}
        if parts in (['os-hypervisors'], ['os-hypervisors', 'detail']):
            return 'GET /' + '/'.join(parts), 200, {'hypervisors': []}
        return f'GET {path} (unexpected)', 404, {'itemNotFound': {
            'code': 404, 'message': 'The resource could not be found.'}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                split = urlsplit(self.path)
                body: Any
                base = f'http://{self.headers.get("Host", "127.0.0.1")}{PREFIX}'
                if not split.path.startswith(PREFIX):
                    kind, status, body = f'GET {split.path} (unexpected)', 404, {}
                else:
                    kind, status, body = stand_in.answer(split.path.rstrip('/') or PREFIX,
                                                         parse_qs(split.query), base)
                with stand_in._lock:
                    stand_in.requests[kind] += 1
                    if 'unexpected' in kind:
                        stand_in.unexpected.append(self.path)
                asked = (self.headers.get('OpenStack-API-Version') or '').partition(' ')[2]
                version = asked if re.fullmatch(r'2\.\d+', asked) else (
                    NEWEST if asked == 'latest' else '2.1')
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.send_header('OpenStack-API-Version', f'compute {version}')
                self.send_header('X-OpenStack-Nova-API-Version', version)
                self.send_header('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version')
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
