"""Typos that used to look like an empty cloud or unknown names (issue 15, "Silent wrong
answers"): a vendor/product id that is no PCI id is a usage error, and a ``--pci-ids``
file that is missing or is no pci.ids file is a one-line error, never a fallback."""
from __future__ import annotations

import gzip
import json

import pytest

from pciclient import shell
from tests.unit import samples

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]

PCI_IDS = """# a few lines of a pci.ids file
8086  Intel Corporation
\t1520  I350 Ethernet Controller Virtual Function
10de  NVIDIA Corporation
\t1eb8  TU104GL [Tesla T4]
C 02  Network controller
"""

pytestmark = pytest.mark.usefixtures('no_cloud_settings')


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.FREE_GPU]})
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/os-hypervisors/1', json={'hypervisor': samples.BLUEPRINT_HYPERVISOR})
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [samples.SERVER]})
    requests_mock.get(f'{URL}/os-pci/1', json={'pci_device': samples.BLUEPRINT_DEVICE})
    return requests_mock


def run(capsys, *argv):
    code = shell.main([*NOAUTH, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err):
    assert err.endswith('\n') and err.count('\n') == 1, err
    return err.rstrip('\n')


# --- --vendor-id / --product-id ----------------------------------------------------------

@pytest.mark.parametrize('command', ['pci-list', 'pci-pool-list'])
@pytest.mark.parametrize('option', ['--vendor-id', '--product-id'])
@pytest.mark.parametrize('value', ['intel', '8086a', '', '0x', 'x8086', '80 86', '-1', '0x12345'])
def test_an_id_that_is_no_hex_id_is_a_usage_error(requests_mock, capsys, command, option,
                                                  value):
    code, out, err = run(capsys, command, option, value, '-f', 'json')
    assert (code, out) == (2, ''), (code, out, err)
    line = one_line(err)
    assert f'argument {option}: expected a PCI id of 1-4 hex digits' in line, line
    assert '--help)' in line
    assert requests_mock.request_history == []


def pci_queries(requests_mock):
    return [request.qs for request in requests_mock.request_history
            if request.path.endswith('/os-pci')]


@pytest.mark.parametrize('value', ['10de', '10DE', '0x10de', '0X10DE', ' 10de'])
def test_hex_id_spellings_all_ask_for_the_same_vendor(cloud, capsys, value):
    code, out, err = run(capsys, 'pci-list', '--vendor-id', value, '-f', 'json')
    assert (code, err) == (0, ''), err
    assert pci_queries(cloud) == [{'vendor_id': ['10de']}]


def test_a_short_id_means_its_zero_padded_form(cloud, capsys):
    code, out, err = run(capsys, 'pci-list', '--product-id', '0x1e', '-f', 'json')
    assert (code, err) == (0, ''), err
    assert pci_queries(cloud) == [{'product_id': ['001e']}]


# --- --pci-ids -----------------------------------------------------------------------------

def names_of(capsys, *argv):
    code, out, err = run(capsys, *argv, 'pci-list', '--long', '-f', 'json')
    assert (code, err) == (0, ''), err
    return {(row['Vendor Name'], row['Product Name']) for row in json.loads(out)}


def test_a_missing_explicit_database_is_an_error_not_a_fallback(cloud, capsys, tmp_path,
                                                                monkeypatch):
    fallback = tmp_path / 'fallback.ids'
    fallback.write_text(PCI_IDS)
    monkeypatch.setenv('PCI_IDS', str(fallback))
    missing = tmp_path / 'missing.ids'
    for command in (['pci-list', '--long'], ['pci-show', '1']):
        code, out, err = run(capsys, '--pci-ids', str(missing), *command, '-f', 'json')
        assert (code, out) == (1, ''), (code, out, err)
        assert one_line(err) == f'--pci-ids {missing}: no such file.'
    # without --pci-ids, $PCI_IDS is still the database
    assert ('Intel Corporation', 'I350 Ethernet Controller Virtual Function') in names_of(capsys)


@pytest.mark.parametrize('content', [
    b'', b'hello world\n', b'# only comments\n\n', b'\x00\x01\x02\xff\xfe' * 100,
    b'{"pci": "ids"}\n', b'C 02  Network controller\n8086  Intel after the classes\n',
    b'zzzz  Not hex\n'], ids=repr)
def test_an_explicit_file_that_is_no_pci_ids_is_an_error(cloud, capsys, tmp_path, content):
    garbage = tmp_path / 'garbage.ids'
    garbage.write_bytes(content)
    code, out, err = run(capsys, '--pci-ids', str(garbage), 'pci-list', '--long', '-f', 'json')
    assert (code, out) == (1, ''), (code, out, err)
    assert one_line(err).startswith(f'--pci-ids {garbage}: not a pci.ids file')


def test_an_unreadable_explicit_file_is_an_error(cloud, capsys, tmp_path):
    broken = tmp_path / 'pci.ids.gz'
    broken.write_bytes(b'not gzip at all')
    code, out, err = run(capsys, '--pci-ids', str(broken), 'pci-list', '--long')
    assert (code, out) == (1, ''), (code, out, err)
    assert one_line(err).startswith(f'--pci-ids {broken}: cannot be read (')
    directory = tmp_path
    code, out, err = run(capsys, '--pci-ids', str(directory), 'pci-show', '1')
    assert (code, out, one_line(err)) == (1, '', f'--pci-ids {directory}: no such file.')


def test_a_good_explicit_database_plain_or_gzipped(cloud, capsys, tmp_path):
    plain = tmp_path / 'pci.ids'
    plain.write_text(PCI_IDS)
    packed = tmp_path / 'other.ids.gz'
    packed.write_bytes(gzip.compress(PCI_IDS.encode()))
    for database in (plain, packed):
        assert names_of(capsys, '--pci-ids', str(database)) == {
            ('Intel Corporation', 'I350 Ethernet Controller Virtual Function'),
            ('NVIDIA Corporation', 'TU104GL [Tesla T4]')}
