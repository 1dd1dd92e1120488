"""Machine formats and tables (issue 15): ``-f csv|value|shell`` print JSON text where
Python would print a repr, tables keep ``--max-width``, names are lspci's, and pool tags
keep what each source means."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import types

import pytest
import yaml

from pciclient import shell
from pciclient.commands import pciids, table_fit
from pciclient.commands.columns import PciDevicesColumn, StructuredColumn
from pciclient.commands.formatters import SafeOutput, TableFormatter, YAMLFormatter
from tests.unit import samples
from tests.unit.placement_cloud import GPU, NOVA, PLACEMENT, SERVER

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]
PLACEMENT_ARGS = ['--os-auth-type', 'none', '--os-endpoint', NOVA, '--pci-source', 'placement',
                  '--os-placement-endpoint-override', PLACEMENT]

pytestmark = pytest.mark.usefixtures('no_cloud_settings')


def args(**kwargs):
    defaults = dict(noindent=False, max_width=0, fit_width=False, print_empty=False,
                    prefix='', variables=[], quote_mode='nonnumeric')
    return types.SimpleNamespace(**{**defaults, **kwargs})


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.MERGED_DEVICE, samples.FREE_GPU]})
    requests_mock.get(f'{URL}/os-pci/1', json={'pci_device': samples.BLUEPRINT_DEVICE})
    requests_mock.get(f'{URL}/os-hypervisors/1', json={'hypervisor': samples.BLUEPRINT_HYPERVISOR})
    requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR, samples.MERGED_HYPERVISOR]})
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    return requests_mock


def run(capsys, *argv, base=NOAUTH):
    code = shell.main([*base, *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- -f csv | value | shell: JSON text, never a Python repr --------------------------------

NAMES = ('ID', 'Extra Info', 'Traits', 'NUMA Node', 'Deleted', 'Ratio', 'Address')
ROW = (1, StructuredColumn({'driver': 'vfio-pci', 'odd': 'a\x1b\u202eñ'}),
       StructuredColumn(['CUSTOM_A']), None, False, 1.5, '0000:04:10.0')
REPRS = ("{'", "['", 'None', 'False')


def emit(fmt, real, names=NAMES, rows=(ROW,), one=False, **options):
    out = io.StringIO()
    output = SafeOutput(fmt, real)
    if one:
        output.emit_one(names, rows[0], out, args(**options))
    else:
        output.emit_list(names, iter(rows), out, args(**options))
    return out.getvalue()


def test_csv_cells_are_json_text_and_null_is_empty():
    from cliff.formatters.commaseparated import CSVLister
    text = emit('csv', CSVLister())
    assert not any(repr_ in text for repr_ in REPRS), text
    [header, row] = list(csv.reader(io.StringIO(text), escapechar='\\'))  # cliff's dialect
    assert header == list(NAMES)
    assert json.loads(row[1]) == {'driver': 'vfio-pci', 'odd': 'a\x1b\u202eñ'}
    assert row[1] == '{"driver":"vfio-pci","odd":"a\\u001b\\u202eñ"}'  # terminal-safe JSON
    assert row[2:] == ['["CUSTOM_A"]', '', 'false', '1.5', '0000:04:10.0']
    assert text.splitlines()[1].startswith('1,')  # numbers stay unquoted


def test_value_cells_are_json_text_and_null_is_empty():
    from cliff.formatters.value import ValueFormatter
    text = emit('value', ValueFormatter())
    assert not any(repr_ in text for repr_ in REPRS), text
    assert text == ('1 {"driver":"vfio-pci","odd":"a\\u001b\\u202eñ"} ["CUSTOM_A"]  false 1.5 '
                    '0000:04:10.0\n')
    one = emit('value', ValueFormatter(), one=True)
    assert one.splitlines()[1:4] == ['{"driver":"vfio-pci","odd":"a\\u001b\\u202eñ"}',
                                     '["CUSTOM_A"]', '']


def test_shell_assigns_json_text_and_empty_for_null():
    from cliff.formatters.shell import ShellFormatter
    names = ('extra_info', 'traits', 'numa_node', 'deleted')
    text = emit('shell', ShellFormatter(), names=names, rows=(ROW[1:5],), one=True)
    assert not any(repr_ in text for repr_ in REPRS), text
    script = 'eval "$(cat)"; printf "%s|%s|%s|%s" "$extra_info" "$traits" "$numa_node" "$deleted"'
    result = subprocess.run(['sh', '-c', script], input=text, capture_output=True, text=True,
                            check=True)
    extra, traits, numa, deleted = result.stdout.split('|')
    assert json.loads(extra) == {'driver': 'vfio-pci', 'odd': 'a\x1b\u202eñ'}
    assert (json.loads(traits), numa, deleted) == (['CUSTOM_A'], '', 'false')


def test_a_table_shows_no_none():
    text = emit('table', TableFormatter())
    assert 'None' not in text
    assert '| 1  |' not in text and '|  1 | driver=vfio-pci' in text  # ints stay right-aligned


def test_yaml_stays_yaml():
    rows = (ROW, (2, StructuredColumn({}), StructuredColumn([]), 0, True, 2.0, None))
    text = emit('yaml', YAMLFormatter(), rows=rows)
    assert yaml.safe_load(text) == [
        {'ID': 1, 'Extra Info': {'driver': 'vfio-pci', 'odd': 'a\x1b\u202eñ'},
         'Traits': ['CUSTOM_A'], 'NUMA Node': None, 'Deleted': False, 'Ratio': 1.5,
         'Address': '0000:04:10.0'},
        {'ID': 2, 'Extra Info': {}, 'Traits': [], 'NUMA Node': 0, 'Deleted': True,
         'Ratio': 2.0, 'Address': None}]


def test_pci_cli_csv_value_and_shell_print_no_repr(cloud, capsys):
    code, out, err = run(capsys, 'pci-list', '--long', '-f', 'csv')
    assert code == 0, err
    assert not any(repr_ in out for repr_ in ("{'", "['", 'None')), out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert json.loads(rows[0]['Extra Info']) == samples.BLUEPRINT_DEVICE['extra_info']
    assert rows[2]['Instance UUID'] == '' and json.loads(rows[2]['Servers']) == []
    code, out, _ = run(capsys, 'pci-show', '1', '-f', 'shell', '-c', 'extra_info',
                       '-c', 'deleted_at')
    assert out == ('deleted_at=""\n'
                   'extra_info="{\\"phys_function\\":\\"0000:04:00.0\\",\\"key1\\":\\"value1\\"}"\n')
    code, out, _ = run(capsys, 'pci-list', '--long', '-f', 'value', '-c', 'Extra Info',
                       '-c', 'NUMA Node')
    assert out.splitlines()[0] == ' {"phys_function":"0000:04:00.0","key1":"value1"}'


# --- tables: --max-width and --fit-width ----------------------------------------------------

@pytest.mark.parametrize('natural, limit, expected', [
    ([2, 12, 4], 80, [2, 12, 4]),               # fits: untouched
    ([2, 30, 30], 50, [2, 19, 19]),             # the wide ones share what is left
    ([2, 12, 4, 40], 40, [2, 11, 4, 10]),       # narrow columns keep their width
    ([5, 5, 5], 10, [1, 1, 1]),                 # never below one character
])
def test_column_widths(natural, limit, expected):
    widths = table_fit.column_widths(natural, limit)
    assert widths == expected
    if sum(natural) + 3 * len(natural) + 1 > limit and 3 * len(natural) + 1 + len(natural) <= limit:
        assert sum(widths) + 3 * len(widths) + 1 == limit


LONG_NAMES = ('ID', 'Address', 'Host', 'Vendor ID', 'Product ID', 'Status', 'Source', 'Type',
              'Dev ID', 'Label', 'NUMA Node', 'Instance UUID', 'Servers', 'Extra Info',
              'Vendor Name', 'Product Name')
LONG_ROW = (1, '0000:04:10.0', 'compute-node-17.example.org', '8086', '1520', 'allocated',
            'os-pci', 'type-VF', 'pci_0000_04_10_0', 'label_8086_1520', 0,
            samples.SERVER_UUID, StructuredColumn([{'id': samples.SERVER_UUID, 'name': 'vm'}]),
            StructuredColumn({'phys_function': '0000:04:00.0', 'capabilities': 'x' * 40}),
            'Intel Corporation', 'I350 Ethernet Controller Virtual Function')


@pytest.mark.parametrize('width', [80, 120, 175])
def test_a_long_table_keeps_the_max_width(width):
    text = emit('table', TableFormatter(), names=LONG_NAMES, rows=(LONG_ROW,) * 2,
                max_width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, text
    assert len({len(line) for line in lines}) == 1  # still a table
    # every header and every value is still there, wrapped within its column
    [names, *cells] = table_columns(text)
    assert names == [name.replace(' ', '') for name in LONG_NAMES]
    assert cells[0][2] == 'compute-node-17.example.org' and cells[0][11] == samples.SERVER_UUID
    assert cells[0][15] == 'I350EthernetControllerVirtualFunction'


def table_columns(text):
    """A table's header and rows, each cell's wrapped lines joined without spaces."""
    blocks, block = [], []
    for line in text.splitlines():
        if line.startswith('+'):
            if block:
                blocks.append(block)
            block = []
        else:
            block.append([cell.strip() for cell in line.split('|')[1:-1]])
    [header, body] = blocks
    rows, row = [], []
    header_cells = [''.join(line[i] for line in header).replace(' ', '')
                    for i in range(len(header[0]))]
    for line in body:
        if line[0]:  # the ID column starts a row
            row = list(line)
            rows.append(row)
        else:
            for i, part in enumerate(line):
                row[i] += part
    return [header_cells] + [[cell.replace(' ', '') for cell in row] for row in rows]


def test_a_table_that_cannot_fit_is_as_narrow_as_a_table_can_be():
    text = emit('table', TableFormatter(), names=LONG_NAMES, rows=(LONG_ROW,), max_width=20)
    assert {len(line) for line in text.splitlines()} == {3 * len(LONG_NAMES) + 1 + 16}


def test_a_table_that_fits_is_cliffs_own():
    from cliff.formatters.table import TableFormatter as CliffTable
    for width in (0, 1000):
        ours = emit('table', TableFormatter(), names=LONG_NAMES, rows=(LONG_ROW,),
                    max_width=width)
        out = io.StringIO()
        SafeOutput('table', CliffTable()).emit_list(LONG_NAMES, iter([LONG_ROW]), out,
                                                    args(max_width=width))
        assert ours == out.getvalue()


def test_fit_width_fits_the_terminal(monkeypatch):
    monkeypatch.setattr('cliff.utils.terminal_width', lambda: 90)
    text = emit('table', TableFormatter(), names=LONG_NAMES, rows=(LONG_ROW,), fit_width=True)
    assert max(len(line) for line in text.splitlines()) <= 90
    assert max(len(line) for line in emit('table', TableFormatter(), names=LONG_NAMES,
                                          rows=(LONG_ROW,)).splitlines()) > 90


def test_pci_cli_long_listing_keeps_max_width(cloud, capsys):
    code, out, err = run(capsys, 'pci-list', '--long', '--max-width', '80')
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80, out


def test_a_placement_listing_keeps_max_width(placement, capsys):
    # cliff kept "Product ID" at 10 (headers never wrapped): one character too wide
    for width in (60, 80):
        code, out, err = run(capsys, 'pci-list', '--max-width', str(width), base=PLACEMENT_ARGS)
        assert code == 0, err
        assert max(len(line) for line in out.splitlines()) <= width, out
        assert GPU[:5] in out  # a 5-wide ID column at 60 (8 columns with Address Of)


# --- vendor and product names -----------------------------------------------------------------

def test_names_are_lspcis_for_unknown_ids(tmp_path):
    database = tmp_path / 'pci.ids'
    database.write_text('8086  Intel Corporation\n\t1520  I350 VF\n')
    names = pciids.PciNames(database)
    assert names.vendor('8086') == 'Intel Corporation'
    assert names.product('0x8086', '1520') == 'I350 VF'
    assert names.product('8086', '0D57') == 'Device 0d57'       # known vendor, new device
    assert (names.vendor('1234'), names.product('1234', '5678')) == ('Vendor 1234',
                                                                     'Device 5678')
    # no id, no name (a custom resource class names none); nothing that is no id
    assert [names.vendor(None), names.product('8086', None), names.vendor('intel'),
            names.vendor(8086)] == [None, None, None, None]


def test_without_a_database_one_hint_per_run(tmp_path):
    said = []
    names = pciids.PciNames(None, said.append)
    assert [names.vendor('8086'), names.product('8086', '1520'), names.vendor('10de')] == [
        'Vendor 8086', 'Device 1520', 'Vendor 10de']
    assert said == [pciids.NO_DATABASE]
    assert pciids.PciNames(None, said.append).vendor(None) is None
    assert len(said) == 1  # no id looked up: nothing to say


def test_the_hint_goes_to_stderr_once_and_never_into_json(cloud, capsys, monkeypatch):
    monkeypatch.setattr(pciids, 'SEARCH_PATHS', ())
    code, out, err = run(capsys, 'pci-pool-list', '--long', '-f', 'json')
    assert code == 0
    assert err == pciids.NO_DATABASE + '\n'
    assert [(row['Vendor Name'], row['Product Name']) for row in json.loads(out)] == [
        ('Vendor 8086', 'Device 1520'), ('Vendor 10de', 'Device 1eb8')]


def test_pool_list_long_has_names(cloud, capsys):
    code, out, err = run(capsys, 'pci-pool-list', '--long', '-f', 'json')
    assert (code, err) == (0, '')
    rows = json.loads(out)
    assert list(rows[0])[-2:] == ['Vendor Name', 'Product Name']
    assert (rows[0]['Vendor Name'], rows[0]['Product Name']) == (
        'Intel Corporation', 'I350 Ethernet Controller Virtual Function')
    code, out, _ = run(capsys, 'pci-pool-list', '-f', 'json')
    assert 'Vendor Name' not in json.loads(out)[0]
    code, out, err = run(capsys, 'pci-pool-list', '-c', 'Vendor Name')
    assert (code, out) == (2, '') and "'Vendor Name'" in err


def test_server_show_long_names_its_devices(cloud, capsys):
    code, out, err = run(capsys, 'server-show', samples.SERVER_UUID, '--long', '-f', 'json')
    assert (code, err) == (0, '')
    devices = json.loads(out)['pci_devices']
    assert [(d['vendor_name'], d['product_name']) for d in devices] == [
        ('Intel Corporation', 'I350 Ethernet Controller Virtual Function')] * 2
    code, out, _ = run(capsys, 'server-show', samples.SERVER_UUID, '--long',
                       '-c', 'pci_devices', '--max-width', '300')
    assert ('1: 0000:04:10.0 8086:1520 (Intel Corporation I350 Ethernet Controller Virtual '
            'Function) type-VF on compute1') in out


def test_a_device_line_names_only_a_vendor_the_database_knows():
    column = PciDevicesColumn([
        {'id': 1, 'address': 'a', 'vendor_id': '8086', 'product_id': '0d57',
         'vendor_name': 'Intel Corporation', 'product_name': 'Device 0d57'},
        {'id': 2, 'address': 'b', 'vendor_id': '1234', 'product_id': '5678',
         'vendor_name': 'Vendor 1234', 'product_name': 'Device 5678'},
        {'id': 3, 'address': 'c', 'vendor_id': '1234', 'product_id': '5678'}])
    assert column.human_readable().splitlines() == [
        '1: a 8086:0d57 (Intel Corporation Device 0d57)', '2: b 1234:5678', '3: c 1234:5678']


# --- pool tags: what each source means ------------------------------------------------------

def test_pool_tags_keep_each_sources_keys(cloud, placement, capsys):
    cloud.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [dict(
        samples.BLUEPRINT_HYPERVISOR, pci_stats=[{
            'count': 2, 'vendor_id': '8086', 'product_id': '1520', 'numa_node': 0,
            'dev_type': 'type-VF', 'physical_network': 'physnet1', 'trusted': 'true'}])]})
    code, out, _ = run(capsys, 'pci-pool-list', '-f', 'json')
    assert json.loads(out)[0]['Tags'] == {'physical_network': 'physnet1', 'trusted': 'true'}
    code, out, _ = run(capsys, 'pci-pool-list', '-f', 'json', '--host', 'compute1',
                       base=PLACEMENT_ARGS)
    [pool] = json.loads(out)
    assert pool['Source'] == 'placement'
    assert pool['Tags'] == {'resource_class': 'CUSTOM_PCI_10DE_1EB8', 'traits': ['CUSTOM_GOLD']}
    code, out, _ = run(capsys, 'pci-pool-list', '-f', 'csv', '--host', 'compute1',
                       base=PLACEMENT_ARGS)
    assert '"{""resource_class"":""CUSTOM_PCI_10DE_1EB8"",""traits"":[""CUSTOM_GOLD""]}"' in out
    assert SERVER not in out
