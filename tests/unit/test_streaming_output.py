"""Listings stream page by page through the formatter (issue 18, item 4): with
``-f json|yaml|csv|value`` and no ``--sort-column``, no more than a page of rows is alive
when the next page is asked for; tables and sorted output keep every row (their widths
and order need them); the bytes are cliff's; holders are named batch by batch."""
from __future__ import annotations

import importlib
import io
import json
import re
import types
import weakref

import pytest
from cliff.formatters.yaml_format import YAMLFormatter as CliffYAML

from pciclient import shell
from pciclient.commands.columns import StructuredColumn
from pciclient.commands.formatters import LIST_FORMATTERS, SafeOutput, YAMLFormatter
from pciclient.commands.json_formatter import JSONFormatter
from pciclient.v2 import pci_devices, servers
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]
PAGES, PER_PAGE = 6, 5

pytestmark = pytest.mark.usefixtures('no_cloud_settings')


def _holder(ident: int) -> str:
    return f'00000000-0000-4000-8000-{ident:012d}'


def _device(ident: int) -> dict:
    return {**samples.FREE_GPU, 'id': ident, 'address': f'0000:3b:{ident:02x}.0',
            'instance_uuid': _holder(ident), 'extra_info': {'n': [ident]}}


def _server(ident: int) -> dict:
    return {'id': _holder(ident), 'name': f'vm-{ident}', 'status': 'ACTIVE',
            'os-pci:pci_devices': [{'id': ident}]}


class Alive:
    """How many objects of a class are alive, counted when each page is asked for."""

    def __init__(self, monkeypatch, cls) -> None:
        self.count = 0
        self.made = 0
        self.at_pages: list[int] = []
        self.made_at_pages: list[int] = []
        init = cls.__init__

        def counted(obj, *args, **kwargs):
            init(obj, *args, **kwargs)
            self.count += 1
            self.made += 1
            weakref.finalize(obj, self._gone)
        monkeypatch.setattr(cls, '__init__', counted)

    def _gone(self) -> None:
        self.count -= 1

    def page_asked(self) -> None:
        self.at_pages.append(self.count)
        self.made_at_pages.append(self.made)

    def streamed(self) -> bool:
        """Whether each page was made into rows before the next was asked for, and let go."""
        return (self.made_at_pages[-1] >= (PAGES - 1) * PER_PAGE
                and max(self.at_pages) <= 2 * PER_PAGE)


def paged(requests_mock, alive: Alive, path: str, key: str, make) -> None:
    """``path`` answers PAGES pages of PER_PAGE items (the marker is the page number)."""
    def page(request, context):
        alive.page_asked()
        number = int(request.qs.get('marker', ['-1'])[0]) + 1
        first = number * PER_PAGE + 1
        body = {key: [make(i) for i in range(first, first + PER_PAGE)]}
        if number + 1 < PAGES:
            body[f'{key}_links'] = [{'rel': 'next', 'href': f'{URL}/{path}?marker={number}'}]
        return body
    requests_mock.get(f'{URL}/{path}', json=page)


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(re.compile(f'{URL}/servers/[^/]+$'), status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'Instance not found'}})
    for ident in range(1, PAGES * PER_PAGE + 1):
        requests_mock.get(f'{URL}/servers/{_holder(ident)}', json={'server': _server(ident)})
    requests_mock.get(f'{URL}/servers', json={'servers': [
        _server(i) for i in range(1, PAGES * PER_PAGE + 1)]})
    return requests_mock


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


STREAMED = ['json', 'yaml', 'csv', 'value']


@pytest.mark.parametrize('fmt', STREAMED)
@pytest.mark.parametrize('long', [False, True], ids=['plain', 'long'])
def test_pci_list_holds_one_page_of_devices_at_a_time(cloud, monkeypatch, capsys, fmt, long):
    monkeypatch.setattr(pci_devices, 'NAME_BATCH', PER_PAGE)
    alive = Alive(monkeypatch, pci_devices.PciDevice)
    paged(cloud, alive, 'os-pci/detail' if long else 'os-pci', 'pci_devices', _device)
    code, out, err = run(capsys, 'pci-list', *(['--long'] if long else []), '-f', fmt)
    assert (code, err) == (0, ''), err
    assert len(alive.at_pages) == PAGES
    # the page being read and the batch being named, never the pages before them
    assert alive.streamed(), (alive.made_at_pages, alive.at_pages)
    assert f'0000:3b:{PAGES * PER_PAGE:02x}.0' in out


def test_tables_and_sorted_output_still_see_every_row(cloud, monkeypatch, capsys):
    paged(cloud, Alive(monkeypatch, pci_devices.PciDevice), 'os-pci', 'pci_devices', _device)
    code, out, err = run(capsys, 'pci-list', '-f', 'json', '--sort-column', 'ID',
                         '--sort-descending')
    assert (code, err) == (0, '')
    assert [row['ID'] for row in json.loads(out)] == list(range(PAGES * PER_PAGE, 0, -1))
    code, out, err = run(capsys, 'pci-list', '-c', 'Address')
    assert (code, err) == (0, '')
    widths = {len(line) for line in out.splitlines()}
    assert len(widths) == 1 and out.count('0000:3b:') == PAGES * PER_PAGE


def test_server_list_holds_one_page_of_servers_at_a_time(cloud, monkeypatch, capsys):
    alive = Alive(monkeypatch, servers.Server)
    paged(cloud, alive, 'servers/detail', 'servers', _server)
    code, out, err = run(capsys, 'server-list', '-f', 'json')
    assert (code, err) == (0, '')
    rows = json.loads(out)
    assert [row['Name'] for row in rows] == [f'vm-{i}' for i in range(1, PAGES * PER_PAGE + 1)]
    assert alive.streamed(), (alive.made_at_pages, alive.at_pages)


def test_holders_are_named_batch_by_batch_with_at_most_one_listing(cloud, monkeypatch,
                                                                    capsys):
    monkeypatch.setattr(pci_devices, 'NAME_BATCH', PER_PAGE)
    paged(cloud, Alive(monkeypatch, pci_devices.PciDevice), 'os-pci/detail', 'pci_devices',
          _device)
    code, out, err = run(capsys, 'pci-list', '--long', '-f', 'json')
    assert (code, err) == (0, '')
    assert [row['Servers'] for row in json.loads(out)] == [
        [{'id': _holder(i), 'name': f'vm-{i}', 'amount': 1}]
        for i in range(1, PAGES * PER_PAGE + 1)]
    asked = [r.path for r in cloud.request_history if r.path.startswith('/v2.1/servers')]
    # 20 holders one GET each (servers.NAME_LOOKUPS), then the 21st: one listing for all
    assert len(asked) == servers.NAME_LOOKUPS + 1
    assert asked[-1] == '/v2.1/servers'
    assert len(set(asked[:-1])) == servers.NAME_LOOKUPS


def test_a_few_holders_are_named_as_before(cloud, monkeypatch, capsys):
    paged(cloud, Alive(monkeypatch, pci_devices.PciDevice), 'os-pci/detail', 'pci_devices',
          _device)
    code, out, err = run(capsys, 'pci-list', '--long', '-f', 'json', '--limit', '3')
    assert (code, err) == (0, '')
    assert [row['Servers'][0]['name'] for row in json.loads(out)] == ['vm-1', 'vm-2', 'vm-3']
    asked = [r.path for r in cloud.request_history if r.path.startswith('/v2.1/servers')]
    assert sorted(asked) == [f'/v2.1/servers/{_holder(i)}' for i in (1, 2, 3)]


def test_the_name_book_asks_each_server_once(cloud):
    from keystoneauth1 import noauth, session

    from pciclient import client as pci_client
    sess = session.Session(auth=noauth.NoAuth())
    book = pci_client.Client('2', session=sess, endpoint_override=URL).servers.name_book()
    assert book([_holder(1), _holder(2)]) == {_holder(1): 'vm-1', _holder(2): 'vm-2'}
    assert book([_holder(2), 'gone']) == {_holder(2): 'vm-2', 'gone': None}
    assert len(cloud.request_history) == 3


# --- the formatters: rows pass through, none is kept --------------------------------------

def _rows(count: int, out: io.StringIO):
    for ident in range(count):
        yield (ident, f'0000:04:{ident:02x}.0', StructuredColumn({'id': ident, 'tags': ['a']}))
        if ident:  # the row before the one just taken is written by now: none is kept
            assert f'0000:04:{ident - 1:02x}.0' in out.getvalue(), 'rows are being kept'


@pytest.mark.parametrize('name, options', [
    ('json', {'noindent': False}), ('json', {'noindent': True}), ('yaml', {}),
    ('csv', {'quote_mode': 'nonnumeric'}), ('value', {})])
def test_every_machine_format_writes_each_row_as_it_comes(name, options):
    module, _, attribute = dict(LIST_FORMATTERS)[name].partition(':')
    formatter = getattr(importlib.import_module(module), attribute)()
    out = io.StringIO()
    formatter.emit_list(('ID', 'Address', 'Extra Info'), _rows(50, out), out,
                        types.SimpleNamespace(**options))
    assert '0000:04:31.0' in out.getvalue()


def test_the_all_or_nothing_buffer_passes_rows_on_as_they_come():
    seen: list[int] = []

    class Recorder:
        def emit_list(self, names, data, stdout, parsed_args):
            for row in data:
                seen.append(row[0])
                stdout.write(f'{row[0]}\n')

    def rows():
        for ident in range(3):
            yield (ident,)
            assert seen == list(range(ident + 1))
    out = io.StringIO()
    SafeOutput('value', Recorder()).emit_list(('ID',), rows(), out, None)
    assert out.getvalue() == '0\n1\n2\n'


NAMES = ('ID', 'Address', 'Extra Info', 'Text')
ROWS = [
    (1, '0000:04:10.0', StructuredColumn({'phys_function': '0000:04:00.0', 'k': [1, None]}),
     'ñ \u2603 "quoted" \\ \n  indented'),
    (2, None, StructuredColumn({}), 'x' * 200),
    (3, '', StructuredColumn([{'count': 1, 'tags': {}}]), '- looks: like yaml'),
    (4, 'null', StructuredColumn([[], {}, 1.5, float('nan'), 10**20]), '\x00\x1b[31m'),
]


@pytest.mark.parametrize('rows', [ROWS, ROWS[:1], []], ids=['four', 'one', 'none'])
def test_yaml_is_byte_identical_to_cliffs(rows):
    ours, cliffs = io.StringIO(), io.StringIO()
    YAMLFormatter().emit_list(NAMES, iter(rows), ours, None)
    CliffYAML().emit_list(NAMES, rows, cliffs, None)
    assert ours.getvalue() == cliffs.getvalue()


@pytest.mark.parametrize('rows', [ROWS, ROWS[:1], []], ids=['four', 'one', 'none'])
def test_compact_json_is_byte_identical_to_cliffs(rows):
    ours = io.StringIO()
    JSONFormatter().emit_list(NAMES, iter(rows), ours, types.SimpleNamespace(noindent=True))
    items = [{n: (v.machine_readable() if hasattr(v, 'machine_readable') else v)
              for n, v in zip(NAMES, row, strict=True)} for row in rows]
    assert ours.getvalue() == json.dumps(items) + '\n'
