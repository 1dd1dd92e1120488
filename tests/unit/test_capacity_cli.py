"""``pci-cli capacity``: usage errors before any request, the raw request as a flavor,
exit 3 below ``--min-fits``, the columns of each view."""
from __future__ import annotations

import json

import pytest

from pciclient import shell
from pciclient.commands.capacity import raw_flavor
from pciclient.v2 import resource_fields as fields
from tests.unit.test_capacity_budgets import NOVA, PLACEMENT, _id, cloud

AUTH = ['--os-auth-type', 'none', '--os-endpoint', NOVA,
        '--os-placement-endpoint-override', PLACEMENT]
pytestmark = pytest.mark.usefixtures('no_cloud_settings')


@pytest.fixture
def aliases(tmp_path):
    path = tmp_path / 'nova.conf'
    path.write_text('[DEFAULT]\ndebug = true\n[pci]\nalias = {"name": "gpu", "vendor_id": '
                    '"10de", "product_id": "1eb8", "device_type": "type-PCI"}\n')
    return str(path)


def run(capsys, *argv):
    code = shell.main([*AUTH, 'capacity', *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize('argv, words', [
    (['--flavor', 'm1', '--resources', 'VCPU=1'], 'not both'),
    (['--resources', 'VCPU'], "expected RC=N, not 'VCPU'"),
    (['--resources', 'vcpu=1'], 'is no resource class'),
    (['--resources', 'VCPU=-1'], 'expected RC=N'),
    (['--alias', 'gpu:0'], 'COUNT ≥ 1'),
    (['--required', 'lower'], 'is no trait name'),
    (['--min-fits', 'x'], 'expected a whole number'),
    (['--summary', '--explain', 'h1'], 'do not go together'),
    (['--explain'], 'needs exactly one flavor'),
    (['--pci-in-placement', 'maybe'], 'invalid choice'),
    (['-c', 'Hosts'], "no column named 'Hosts'"),
    (['--summary', '-c', 'Free'], "no column named 'Free'"),
])
def test_usage_errors_are_one_line_exit_2_and_ask_nothing(requests_mock, capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, ''), err
    assert words in err and err.count('\n') == 1
    assert not requests_mock.request_history


def test_a_raw_request_is_a_flavor_of_extra_specs_alone():
    class Parsed:
        resources = [('VCPU', 2), ('CUSTOM_X', 1)]
        required = ['HW_CPU_X86_AVX2']
        forbidden = ['CUSTOM_SLOW']
        alias = [('gpu', 2), ('nic', 1)]
    flavor = raw_flavor(Parsed())
    assert flavor is not None
    assert (flavor['vcpus'], flavor['ram'], flavor['disk']) == (0, 0, 0)
    assert flavor['extra_specs'] == {
        'resources:VCPU': '2', 'resources:CUSTOM_X': '1', 'trait:HW_CPU_X86_AVX2': 'required',
        'trait:CUSTOM_SLOW': 'forbidden', 'pci_passthrough:alias': 'gpu:2,nic:1'}


def test_json_rows_are_numbers_and_objects(requests_mock, capsys, aliases):
    cloud(requests_mock, 3)
    code, out, err = run(capsys, '--pci-alias', aliases, '-f', 'json')
    assert code == 0, err
    rows = json.loads(out)
    assert set(rows[0]) == {'Host', 'Flavor', 'Fits', 'Limited By', 'Free'}
    by = {(r['Host'], r['Flavor']): r for r in rows}
    assert by['compute0001', 'gpu']['Fits'] == 2
    assert by['compute0001', 'gpu']['Free'] == {'VCPU': 64, 'MEMORY_MB': 65024, 'DISK_GB': 1000,
                                                'CUSTOM_PCI_10DE_1EB8': 2}
    assert by['compute0000', 'small']['Limited By'] == 'disabled'


def test_summary_sums_the_hosts(requests_mock, capsys, aliases):
    cloud(requests_mock, 3)
    code, out, err = run(capsys, '--pci-alias', aliases, '--summary', '-f', 'json')
    assert code == 0, err
    rows = {r['Flavor']: r for r in json.loads(out)}
    assert rows['gpu'] == {'Flavor': 'gpu', 'Fits': 4, 'Hosts': 2,
                           'Limited By': 'CUSTOM_PCI_10DE_1EB8'}


def test_min_fits_exits_3_below_and_0_at_or_above(requests_mock, capsys, aliases):
    cloud(requests_mock, 3)
    assert run(capsys, '--pci-alias', aliases, '--flavor', 'gpu', '--min-fits', '4')[0] == 0
    code, out, _ = run(capsys, '--pci-alias', aliases, '--flavor', 'gpu', '--min-fits', '5')
    assert code == 3 and 'gpu' in out


def test_an_alias_not_given_is_said_and_counts_as_unknown(requests_mock, capsys):
    cloud(requests_mock, 3)
    code, out, err = run(capsys, '--flavor', 'gpu', '-f', 'json')
    assert code == 0
    assert 'PCI aliases not given (--pci-alias): gpu' in err
    assert all(r['Fits'] is None for r in json.loads(out))


def test_an_unreadable_alias_file_is_one_line(requests_mock, capsys, tmp_path):
    code, out, err = run(capsys, '--pci-alias', str(tmp_path / 'none.conf'))
    assert (code, out) == (1, '')
    assert err.startswith('Cannot read --pci-alias') and err.count('\n') == 1


def test_explain_tells_the_stages(requests_mock, capsys, aliases):
    cloud(requests_mock, 3)
    code, out, err = run(capsys, '--pci-alias', aliases, '--flavor', 'gpu',
                         '--explain', 'compute0000', '-f', 'json')
    assert code == 0, err
    rows = json.loads(out)
    assert {r['Host'] for r in rows} == {'compute0000'}
    stages = [r['Stage'] for r in rows]
    assert stages[-1] == 'fits' and rows[-1]['OK'] is False
    assert any('disabled' in (r['Detail'] or '') for r in rows)
    assert any(r['Stage'] == 'caveat' for r in rows)


@pytest.mark.parametrize('flags, view', [
    ([], fields.CAPACITY_LIST), (['--verify'], fields.CAPACITY_LIST_VERIFY),
    (['--summary'], fields.CAPACITY_LIST_SUMMARY),
    (['--explain', 'compute0001'], fields.CAPACITY_LIST_EXPLAIN)])
def test_every_column_of_each_view_is_the_one_it_shows(requests_mock, capsys, aliases, flags,
                                                       view):
    cloud(requests_mock, 2)
    disabled = _id('compute0000')
    requests_mock.get(f'{PLACEMENT}/allocation_candidates', json=lambda request, _: {
        'allocation_requests': [] if request.qs['in_tree'] == [disabled] else [{}],
        'provider_summaries': {}})
    for label in view.labels:
        code, out, err = run(capsys, '--pci-alias', aliases, '--flavor', 'small', *flags,
                             '-c', label, '-f', 'csv')
        assert (code, err) == (0, ''), (flags, label, err)
        assert out.splitlines()[0] == f'"{label}"'


def test_verify_says_where_placement_disagrees(requests_mock, capsys, aliases):
    cloud(requests_mock, 2)
    requests_mock.get(f'{PLACEMENT}/allocation_candidates',
                      json={'allocation_requests': [], 'provider_summaries': {}})
    code, out, err = run(capsys, '--pci-alias', aliases, '--flavor', 'small', '--verify',
                         '-f', 'json')
    rows = {r['Host']: r for r in json.loads(out)}
    assert rows['compute0000']['Verified'] is True     # fits 0, and no candidate
    assert rows['compute0001']['Verified'] is False
    assert err == ('Placement disagrees on compute0001 for small: Fits 31, but Placement '
                   'has no candidate.\n')
    assert code == 0
