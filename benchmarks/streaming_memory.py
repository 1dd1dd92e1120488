"""Peak RSS of ``pci-cli`` listings against a compute API serving N pages of devices.

Issue 18, item 4: endless pages of 1,000 devices grew pci-cli to 3 GB before the
10,000-page cap. With ``-f json|yaml|csv|value`` (no ``--sort-column``) rows go page
by page through the formatter into the output buffer, which spills to a temporary file
past 4 MiB, so the peak RSS must not grow with the number of pages; tables and sorted
output keep every row in memory (their widths and order need them all).

Pytest-free, so that the fast test (tests/faults/test_streaming_memory.py) and the soak
(``python -m benchmarks.streaming_memory --pages 300``) measure the same way: each run is
a subprocess with its stdout in a file, reaped with ``os.wait4`` for its own peak RSS.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import run_once
from tests.faults.servers import FaultServer, Reply, Request
from tests.support.cli_process import clean_env, console_script

#: The listings measured and the path each reads its pages from.
LISTINGS = {
    'pci-list': '/v2.1/os-pci',
    'pci-list --long': '/v2.1/os-pci/detail',
    'server-list': '/v2.1/servers/detail',
}


def _device(ident: int) -> dict[str, object]:
    return {'id': ident, 'address': f'0000:{ident >> 16 & 0xff:02x}:{ident >> 8 & 0xff:02x}.'
            f'{ident & 7}', 'compute_node_id': 1, 'vendor_id': '8086', 'product_id': '1520',
            'status': 'available', 'dev_type': 'type-VF', 'dev_id': f'pci_{ident:08x}',
            'label': 'label_8086_1520', 'numa_node': 0, 'instance_uuid': None,
            'extra_info': {'capabilities': {'network': ['rx', 'tx', 'sg', 'tso']}}}


def _server(ident: int) -> dict[str, object]:
    return {'id': f'00000000-0000-4000-8000-{ident:012d}', 'name': f'vm-{ident}',
            'status': 'ACTIVE', 'os-pci:pci_devices': [{'id': ident}]}


class PageServer(FaultServer):
    """Every listing of :data:`LISTINGS` in ``pages`` pages of ``per_page`` items, each
    page linked to the next by ``<key>_links`` (the marker is the page number); one
    hypervisor. Pages are made when asked for, so the server's memory stays small."""

    def __init__(self, pages: int, per_page: int) -> None:
        super().__init__(self._answer)
        self.pages, self.per_page = pages, per_page
        self.served = 0

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.clear()  # a soak asks for thousands of pages: keep none
        if request.path == '/v2.1/os-hypervisors':
            return _json({'hypervisors': [{'id': 1, 'hypervisor_hostname': 'compute1',
                                           'state': 'up', 'status': 'enabled'}]})
        if request.path.startswith('/v2.1/servers'):
            key, make = 'servers', _server
        elif request.path.startswith('/v2.1/os-pci'):
            key, make = 'pci_devices', _device
        else:
            return _json({'itemNotFound': {'code': 404, 'message': 'Not found.'}}, 404)
        number = int(request.query.get('marker', '-1')) + 1
        first = number * self.per_page + 1
        body: dict[str, object] = {key: [make(i) for i in range(first, first + self.per_page)]}
        if number + 1 < self.pages:
            body[f'{key}_links'] = [{'rel': 'next',
                                     'href': f'{self.url}{request.path}?marker={number}'}]
        self.served += 1
        return _json(body)


def _json(document: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(document).encode(), {'Content-Type': 'application/json'})


@contextlib.contextmanager
def serve_pages(pages: int, per_page: int = 1000) -> Iterator[PageServer]:
    with PageServer(pages, per_page) as server:
        yield server


@dataclass(frozen=True)
class Run:
    code: int
    rss_mib: float      # peak resident set of the pci-cli process
    seconds: float
    out_bytes: int
    err: str


def run_cli(url: str, args: Sequence[str], workdir: Path, timeout: float = 600) -> Run:
    """``pci-cli --os-auth-type none --os-endpoint URL ARGS`` with stdout in a file."""
    out, err = workdir / 'stdout', workdir / 'stderr'
    argv = [console_script('pci-cli'), '--os-auth-type', 'none', '--os-endpoint', url, *args]
    env = clean_env(TMPDIR=str(workdir))  # PCI_IDS: the tests' small database
    sample, code = run_once(argv, env, workdir, out, err, timeout)
    return Run(code, sample.rss, sample.wall, out.stat().st_size,
               err.read_text(errors='replace'))


def measure(listing: str, fmt: str, pages: int, per_page: int, workdir: Path,
            extra: Sequence[str] = ()) -> Run:
    """One run of ``listing -f fmt`` against ``pages`` pages of ``per_page`` items."""
    with serve_pages(pages, per_page) as server:
        run = run_cli(server.url + '/v2.1', [*listing.split(), '-f', fmt, *extra], workdir)
        assert server.served >= pages, (server.served, pages)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--pages', type=int, nargs='+', default=[3, 30, 300])
    parser.add_argument('--per-page', type=int, default=1000)
    parser.add_argument('--listing', choices=LISTINGS, default='pci-list')
    parser.add_argument('--formats', nargs='+', default=['json', 'yaml', 'csv', 'value',
                                                         'table'])
    args = parser.parse_args(argv)
    print(f'| {args.listing} | pages × {args.per_page} | peak RSS MiB | seconds | output MiB |')
    print('|---|---|---|---|---|')
    for fmt in args.formats:
        for pages in args.pages:
            with tempfile.TemporaryDirectory() as work:
                run = measure(args.listing, fmt, pages, args.per_page, Path(work))
            state = '' if run.code == 0 else f' (exit {run.code}: {run.err.strip()[-80:]})'
            print(f'| -f {fmt} | {pages} | {run.rss_mib:.0f}{state} | {run.seconds:.1f} | '
                  f'{run.out_bytes / 2**20:.1f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
