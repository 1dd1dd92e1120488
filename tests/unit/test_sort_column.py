"""--sort-column: a nested column sorts by its text (cliff printed no rows at all), a name
that is no column is a usage error before any request (cliff ignored it), and --help says
what --limit cuts when both are given."""
from __future__ import annotations

import json

import pytest

from pciclient import exceptions as exc
from pciclient import shell
from pciclient.commands import common
from pciclient.commands.columns import StructuredColumn
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]

pytestmark = pytest.mark.usefixtures('no_cloud_settings')


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR, samples.MERGED_HYPERVISOR]})
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    devices = [samples.BLUEPRINT_DEVICE, samples.FREE_GPU, samples.MERGED_DEVICE]
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': devices})
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(device) for device in devices]})
    return requests_mock


def run(capsys, *argv):
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(capsys, *argv):
    code, out, err = run(capsys, *argv, '-f', 'json')
    assert (code, err) == (0, ''), (code, out, err)
    return json.loads(out)


def test_a_nested_pool_column_sorts_by_its_text(cloud, capsys):
    # compute2's tags read key1=value1, keya=valuea; compute1's key1=value1, phys_function=…
    ascending = rows(capsys, 'pci-pool-list', '--sort-column', 'Tags')
    assert [row['Host'] for row in ascending] == ['compute2', 'compute1']
    assert ascending[1]['Tags'] == {'phys_function': '0000:04:00.0', 'key1': 'value1'}
    descending = rows(capsys, 'pci-pool-list', '--sort-column', 'tags', '--sort-descending')
    assert [row['Host'] for row in descending] == ['compute1', 'compute2']


def test_a_nested_device_column_sorts_by_its_text(cloud, capsys):
    # extra_info {} (id 3), then key1=… (id 1), then key3=… (id 2)
    listed = rows(capsys, 'pci-list', '--long', '--sort-column', 'Extra Info')
    assert [row['ID'] for row in listed] == [3, 1, 2]
    assert listed[0]['Extra Info'] == {}


def test_numbers_sort_as_numbers_and_ties_fall_to_the_next_column(cloud, capsys):
    listed = rows(capsys, 'pci-list', '--sort-column', 'Vendor ID', '--sort-column', 'ID',
                  '--sort-descending')
    assert [row['ID'] for row in listed] == [2, 1, 3]


@pytest.mark.parametrize('command', ['pci-list', 'pci-pool-list', 'pci-list --long'])
def test_an_unknown_sort_column_is_a_usage_error_before_any_request(
        requests_mock, capsys, command):
    code, out, err = run(capsys, *command.split(), '--sort-column', 'Adress', '-f', 'json')
    assert (code, out) == (2, ''), (code, out, err)
    assert err.count('\n') == 1 and err.endswith('--help)\n'), err
    assert "no column named 'Adress' to sort on; the columns are: " in err
    assert requests_mock.request_history == []


def test_a_sort_column_not_in_this_answer_is_a_command_error():
    with pytest.raises(exc.CommandError, match="No column named 'Holders' to sort on in"):
        common.sorted_rows(('ID', 'Address'), [(1, 'a')], ['Holders'], False)


def test_unreported_values_sort_last_and_mixed_types_do_not_fail():
    data = [(None,), ('b',), (StructuredColumn({'k': 1}),), (2,), (StructuredColumn(None),)]
    ordered = common.sorted_rows(('X',), data, ['x'], False)
    assert [row[0] if not isinstance(row[0], StructuredColumn) else row[0]._value
            for row in ordered] == [2, 'b', {'k': 1}, None, None]


def test_help_says_what_limit_cuts_and_that_sort_names_are_checked(capsys, monkeypatch):
    monkeypatch.setenv('COLUMNS', '1000')  # argparse breaks lines at hyphens too
    code, out, _ = run(capsys, 'pci-list', '--help')
    assert code == 0
    text = ' '.join(out.split())
    assert "the first ones in the cloud's order (after --marker), cut before --sort-column " \
           'sorts them' in text
    assert 'any other is a usage error, never ignored' in text.split('--sort-column SORT_COLUMN')[1]
