"""pci-cli in-process: columns, formats, errors and secrets, over requests-mock."""
from __future__ import annotations

import io
import json

import pytest
from keystoneauth1 import fixture

from pciclient import shell
from tests.unit import samples
from tests.unit.keystone_catalog import AUTH_URL, PUBLIC, token_fixture

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]


pytestmark = pytest.mark.usefixtures('no_cloud_settings')


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.MERGED_DEVICE, samples.FREE_GPU]})
    requests_mock.get(f'{URL}/os-pci/1', json={'pci_device': samples.BLUEPRINT_DEVICE})
    requests_mock.get(f'{URL}/os-pci/42', status_code=404,
                      json=samples.not_found('PCI device 42 not found'))
    requests_mock.get(f'{URL}/os-hypervisors/1', json={'hypervisor': samples.BLUEPRINT_HYPERVISOR})
    requests_mock.get(f'{URL}/os-hypervisors/2', json={'hypervisor': samples.MERGED_HYPERVISOR})
    requests_mock.get(f'{URL}/os-hypervisors/compute2/search',
                      json={'hypervisors': [samples.HYPERVISORS[1]]})
    requests_mock.get(f'{URL}/servers/detail',
                      json={'servers': [samples.SERVER, samples.NOVA_SERVER]})
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    return requests_mock


def run(capsys, *argv):
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, '-f', 'json')
    assert code == 0, err
    return json.loads(out)


def test_pci_list_columns(cloud, capsys):
    rows = run_json(capsys, 'pci-list')
    assert list(rows[0]) == ['ID', 'Address', 'Host', 'Vendor ID', 'Product ID', 'Status',
                             'Source']
    assert rows[1] == {'ID': 3, 'Address': '0000:3b:00.0', 'Host': 'compute2',
                       'Vendor ID': '10de', 'Product ID': '1eb8', 'Status': 'available',
                       'Source': 'os-pci'}


def test_pci_list_long_has_nested_json(cloud, capsys):
    rows = run_json(capsys, 'pci-list', '--long')
    assert list(rows[0])[6:] == ['Source', 'Type', 'Dev ID', 'Label', 'NUMA Node',
                                 'Instance UUID', 'Servers', 'Extra Info', 'Vendor Name',
                                 'Product Name', 'Physical Network', 'Port ID', 'VNIC Type']
    assert rows[0]['Extra Info'] == {'phys_function': '0000:04:00.0', 'key1': 'value1'}
    assert rows[1]['Instance UUID'] == samples.SERVER_UUID  # from server_uuid
    # the holder in the shape every source shares, named from the compute API
    assert rows[1]['Servers'] == [{'id': samples.SERVER_UUID, 'name': samples.SERVER['name'],
                                   'amount': 1}]


def test_pci_list_server_filter_by_name(cloud, capsys):
    rows = run_json(capsys, 'pci-list', '--server', 'vm-sriov')
    assert [row['ID'] for row in rows] == [1, 2]


def test_pci_list_type_alias(cloud, capsys):
    rows = run_json(capsys, 'pci-list', '--type', 'pci')
    assert [row['ID'] for row in rows] == [3]


def test_pci_list_bad_status_is_usage_error(cloud, capsys):
    code, out, err = run(capsys, 'pci-list', '--status', 'free')
    assert code == 2
    assert 'invalid choice' in err


def test_pci_show(cloud, capsys):
    doc = run_json(capsys, 'pci-show', '1')
    assert doc['host'] == 'compute1'
    assert doc['instance_uuid'] == samples.SERVER_UUID
    assert doc['extra_info']['phys_function'] == '0000:04:00.0'
    assert doc['numa_node'] is None  # always present: a stable schema
    assert list(doc) == sorted(doc)


def test_pci_show_unknown(cloud, capsys):
    code, out, err = run(capsys, 'pci-show', '42')
    assert code == 1
    assert out == ''
    assert err.startswith('No PCI device with ID 42')
    assert len(err.strip().splitlines()) == 1
    assert 'Traceback' not in err


def test_hypervisor_list(cloud, capsys):
    rows = run_json(capsys, 'hypervisor-list')
    assert rows[0] == {'ID': 1, 'Hostname': 'compute1', 'State': 'up', 'Status': 'enabled'}


def test_hypervisor_show_by_hostname_merged_pools(cloud, capsys):
    doc = run_json(capsys, 'hypervisor-show', 'compute2')
    assert doc['pci_stats'][0]['tags'] == {'key1': 'value1', 'keya': 'valuea'}
    assert 'os-pci:pci_stats' not in doc


def test_hypervisor_show_table_pools_readable(cloud, capsys):
    code, out, err = run(capsys, 'hypervisor-show', '1')
    assert code == 0
    assert '8086:1520 type-VF numa_node=0 count=5 key1=value1 phys_function=0000:04:00.0' in out


def test_server_list(cloud, capsys):
    rows = run_json(capsys, 'server-list')
    assert rows[0]['PCI Devices'] == [1, 2]
    assert rows[1]['PCI Devices'] is None


def test_server_list_table_says_not_reported(cloud, capsys):
    code, out, _ = run(capsys, 'server-list')
    assert 'not reported by this cloud' in out


def test_server_show_long_resolves_devices_in_one_request(cloud, capsys):
    doc = run_json(capsys, 'server-show', samples.SERVER_UUID, '--long')
    assert [d['address'] for d in doc['pci_devices']] == ['0000:04:10.0', '0000:04:10.1']
    assert doc['pci_devices'][0]['host'] == 'compute1'
    detail_calls = [r for r in cloud.request_history if r.path.endswith('/os-pci/detail')]
    assert len(detail_calls) == 1
    assert 'os-pci:pci_devices' not in doc


def test_server_show_by_name(cloud, capsys):
    doc = run_json(capsys, 'server-show', 'vm-sriov')
    assert doc['pci_devices'] == [1, 2]


@pytest.mark.parametrize('fmt', ['table', 'csv', 'value', 'yaml', 'json'])
def test_list_formats(cloud, capsys, fmt):
    code, out, err = run(capsys, 'pci-list', '--long', '-f', fmt)
    assert code == 0 and err == ''
    assert '0000:3b:00.0' in out


@pytest.mark.parametrize('fmt', ['table', 'shell', 'value', 'yaml', 'json'])
def test_show_formats(cloud, capsys, fmt):
    code, out, err = run(capsys, 'pci-show', '1', '-f', fmt)
    assert code == 0 and err == ''
    assert '0000:04:10.0' in out


def test_columns_and_sort(cloud, capsys):
    rows = run_json(capsys, 'pci-list', '-c', 'ID', '-c', 'Status', '--sort-column', 'Status')
    assert rows == [{'ID': 1, 'Status': 'allocated'}, {'ID': 3, 'Status': 'available'}]


def test_server_error_is_one_line(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors', status_code=503,
                      text='<html><body>down</body></html>',
                      headers={'content-type': 'text/html'})
    code, out, err = run(capsys, 'hypervisor-list')
    assert code == 1 and out == ''
    assert err.strip() == 'down (HTTP 503)'


def test_no_cloud_configured(capsys):
    code = shell.main(['pci-list'])
    out, err = capsys.readouterr()
    assert code == 1 and out == ''
    assert 'Nothing tells pci-cli where your cloud is' in err
    assert '--local' in err and 'OS_AUTH_URL' in err


def test_none_auth_needs_endpoint(capsys):
    code = shell.main(['--os-auth-type', 'none', 'pci-list'])
    assert code == 1
    assert '--os-endpoint' in capsys.readouterr().err


def test_unknown_command_is_usage_error(capsys):
    assert shell.main([*NOAUTH, 'pci-frobnicate']) == 2


def test_password_auth_debug_never_shows_secrets(requests_mock, capsys):
    requests_mock.get(AUTH_URL, json=fixture.V3Discovery(AUTH_URL))
    requests_mock.post(f'{AUTH_URL}/auth/tokens', json=token_fixture(), status_code=201,
                       headers={'X-Subject-Token': 'tok-secret-123'})
    requests_mock.get(f'{PUBLIC}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    code = shell.main(['--debug', '--os-auth-url', AUTH_URL, '--os-username', 'admin',
                       '--os-password', 'pa55-w0rd-XYZ', '--os-project-name', 'admin',
                       '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
                       'hypervisor-list', '-f', 'json'])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)[0]['Hostname'] == 'compute1'
    assert 'os-hypervisors' in err  # --debug does log the requests
    for secret in ('pa55-w0rd-XYZ', 'tok-secret-123'):
        assert secret not in out and secret not in err


def test_pci_pool_list(cloud, capsys):
    cloud.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR, samples.MERGED_HYPERVISOR]})
    rows = run_json(capsys, 'pci-pool-list')
    assert list(rows[0]) == ['Host', 'Vendor ID', 'Product ID', 'Type', 'NUMA', 'Tags', 'Count',
                             'Source']
    assert rows[0] == {'Host': 'compute1', 'Vendor ID': '8086', 'Product ID': '1520',
                       'Type': 'type-VF', 'NUMA': 0, 'Count': 5, 'Source': 'os-pci',
                       'Tags': {'phys_function': '0000:04:00.0', 'key1': 'value1'}}
    assert rows[1]['Host'] == 'compute2'


def test_pci_pool_list_when_no_host_reports_pools(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors/detail',
                      json={'hypervisors': [samples.NOVA_HYPERVISOR]})
    code, out, err = run(capsys, 'pci-pool-list', '-f', 'json')
    assert code == 1 and out == ''
    assert 'do not report PCI pools' in err


def test_pci_pool_list_warns_about_silent_hosts_on_stderr_only(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR, dict(samples.NOVA_HYPERVISOR, id=3,
                                           hypervisor_hostname='compute3')]})
    code, out, err = run(capsys, 'pci-pool-list', '-f', 'json')
    assert code == 0
    assert len(json.loads(out)) == 1
    assert 'compute3' in err


def test_pci_list_limit(cloud, capsys):
    rows = run_json(capsys, 'pci-list', '--limit', '1')
    assert [row['ID'] for row in rows] == [1]
    [listing] = [r for r in cloud.request_history if r.path.endswith('/os-pci')]
    assert listing.qs['limit'] == ['1']


def test_server_list_all_tenants_alias(cloud, capsys):
    run_json(capsys, 'server-list', '--all-tenants')
    assert cloud.last_request.qs == {'all_tenants': ['1']}


def test_missing_os_pci_is_one_clear_line(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/os-pci', status_code=404, json=samples.ROUTER_404)
    requests_mock.get(f'{URL}/os-pci/1', status_code=404, text='<html><body>The resource could '
                      'not be found.<br /><br /></body></html>',
                      headers={'content-type': 'text/html'})
    for argv in (['pci-list'], ['pci-show', '1']):
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == ''
        assert err.startswith("This cloud's compute API has no os-pci API")
        assert len(err.strip().splitlines()) == 1
        assert '<br' not in err


def test_compute_api_version_latest(requests_mock, capsys):
    requests_mock.get(f'{URL}/', json={'version': {'version': '2.104', 'min_version': '2.1'}})
    route = requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    run_json(capsys, '--os-compute-api-version', 'latest', 'hypervisor-list')
    assert route.last_request.headers['OpenStack-API-Version'] == 'compute 2.104'


def test_bad_compute_api_version(capsys):
    code, out, err = run(capsys, '--os-compute-api-version', '3.0', 'hypervisor-list')
    assert code == 1
    assert "Compute API version '3.0' is not supported" in err


def test_hypervisor_list_long_without_usage_fields(requests_mock, capsys):
    requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        dict(samples.NOVA_HYPERVISOR, hypervisor_type='fake', host_ip='192.0.2.2')]})
    rows = run_json(capsys, 'hypervisor-list', '--long')
    assert rows[0]['Hypervisor Type'] == 'fake' and rows[0]['Host IP'] == '192.0.2.2'
    assert rows[0]['vCPUs'] is None and rows[0]['Running VMs'] is None


PCI_IDS = """# a few lines of a pci.ids file
8086  Intel Corporation
\t1520  I350 Ethernet Controller Virtual Function
\t\t8086 0001  a subsystem
10de  NVIDIA Corporation
\t1eb8  TU104GL [Tesla T4]
C 02  Network controller
\t00  Ethernet controller
"""


def test_vendor_and_product_names_from_pci_ids(cloud, capsys, tmp_path):
    database = tmp_path / 'pci.ids'
    database.write_text(PCI_IDS)
    rows = run_json(capsys, '--pci-ids', str(database), 'pci-list', '--long')
    assert (rows[0]['Vendor Name'], rows[0]['Product Name']) == (
        'Intel Corporation', 'I350 Ethernet Controller Virtual Function')
    assert rows[2]['Product Name'] == 'TU104GL [Tesla T4]'
    shown = run_json(capsys, '--pci-ids', str(database), 'pci-show', '1')
    assert shown['vendor_name'] == 'Intel Corporation'


def test_no_pci_ids_database_means_lspci_numbers_and_one_hint(cloud, capsys, monkeypatch):
    monkeypatch.setattr('pciclient.commands.pciids.SEARCH_PATHS', ())
    monkeypatch.delenv('PCI_IDS', raising=False)
    code, out, err = run(capsys, 'pci-list', '--long', '-f', 'json')
    assert code == 0
    assert [(row['Vendor Name'], row['Product Name']) for row in json.loads(out)] == [
        ('Vendor 8086', 'Device 1520'), ('Vendor 8086', 'Device 1520'),
        ('Vendor 10de', 'Device 1eb8')]
    assert err.count('\n') == 1 and 'No PCI ID database (pci.ids) found' in err
    assert '--pci-ids FILE' in err and 'pciutils' in err and 'pci.ids' not in out


def test_pci_ids_is_not_read_without_long(cloud, capsys, tmp_path, monkeypatch):
    import pciclient.commands.pciids as pciids
    monkeypatch.setattr(pciids, 'load', lambda path: pytest.fail('pci.ids read'))
    database = tmp_path / 'pci.ids'
    database.write_text(PCI_IDS)
    assert run_json(capsys, '--pci-ids', str(database), 'pci-list')


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _three_pages(requests_mock):
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    pages = [{'pci_devices': [samples.brief(dict(samples.FREE_GPU, id=i))],
              'pci_devices_links': [{'rel': 'next', 'href': f'{URL}/os-pci?marker={i}'}]}
             for i in (1, 2)] + [{'pci_devices': [samples.brief(dict(samples.FREE_GPU, id=3))]}]
    requests_mock.get(f'{URL}/os-pci', [{'json': page} for page in pages])


@pytest.mark.parametrize('terminal', [True, False])
def test_progress_only_on_a_terminal_and_cleared(requests_mock, monkeypatch, terminal):
    monkeypatch.setattr('pciclient.commands.progress.DELAY', 0)
    monkeypatch.setattr('pciclient.commands.progress.INTERVAL', 0)
    _three_pages(requests_mock)
    err = _Terminal() if terminal else io.StringIO()
    out = io.StringIO()
    monkeypatch.setattr('sys.stderr', err)
    monkeypatch.setattr('sys.stdout', out)
    assert shell.main([*NOAUTH, 'pci-list', '-f', 'json']) == 0
    assert [row['ID'] for row in json.loads(out.getvalue())] == [1, 2, 3]
    if terminal:
        assert 'Reading pci_devices: 1' in err.getvalue()
        assert err.getvalue().endswith('\r\x1b[K')
    else:
        assert err.getvalue() == ''


@pytest.mark.parametrize('argv', [['--help'], ['help'], ['help', 'pci-list'],
                                  ['pci-list', '--help'], ['--version']])
def test_help_and_version_exit_0(capsys, argv):
    # --help used to exit 2: cliff ends it with SystemExit(None), which means success.
    assert shell.main(argv) == 0
    assert capsys.readouterr().out
