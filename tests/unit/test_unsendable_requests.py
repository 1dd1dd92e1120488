"""Requests that cannot be sent at all (a URL requests refuses, a token with characters
a header cannot carry) and help asked after a command's options: each one plain line,
never "the answer broke off", never the identity service blamed, never the token shown.
No request leaves the machine: each fails before a connection is made."""
from __future__ import annotations

import pytest

from pciclient import shell
from pciclient.text import printable

TOKEN = 'tok€n-s3cr3t'


pytestmark = pytest.mark.usefixtures('no_cloud_settings')


def one_line_error(capsys, *argv):
    code = shell.main(list(argv))
    out, err = capsys.readouterr()
    assert (code, out) == (1, ''), (code, out, err)
    assert err.count('\n') == 1, err
    return err.strip()


@pytest.mark.parametrize('endpoint', ['http://127.0.0.1:99999/v2.1', 'htp://127.0.0.1/v2.1',
                                      'http://[::1/v2.1'])
def test_a_url_requests_refuses(capsys, endpoint):
    line = one_line_error(capsys, '--os-auth-type', 'none', '--os-endpoint', endpoint,
                          'pci-list')
    assert line.startswith('Could not send a request to ') and 'URL is not valid' in line


def test_a_token_with_a_line_break_is_never_shown(capsys):
    line = one_line_error(capsys, '--os-auth-type', 'admin_token', '--os-endpoint',
                          'http://127.0.0.1:9/v2.1', '--os-token', 's3cr3t-token\r',
                          'pci-list')
    assert 'header value' in line and 's3cr3t' not in line, line


@pytest.mark.parametrize('auth', [
    ['--os-auth-type', 'admin_token', '--os-endpoint', 'http://127.0.0.1:9/v2.1'],
    ['--os-auth-type', 'token', '--os-auth-url', 'http://127.0.0.1:9/v3',
     '--os-endpoint', 'http://127.0.0.1:9/v2.1', '--os-project-id', 'p'],
], ids=['admin_token', 'token'])
def test_a_token_headers_cannot_carry_is_the_caller_s(capsys, auth):
    line = one_line_error(capsys, *auth, '--os-token', TOKEN, 'pci-list')
    assert line == ('A header value (such as --os-token) holds characters HTTP headers '
                    'cannot carry.'), line


def test_help_after_a_command_s_options(capsys):
    code = shell.main(['pci-list', '--long', '--host', 'x', '--help'])
    out, err = capsys.readouterr()
    assert code == 0 and err == '' and out.startswith('usage: pci-cli pci-list'), (out, err)


def test_help_and_complete_describe_themselves_for_operators(capsys):
    shell.main(['--help'])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip().startswith(('help ', 'complete '))]
    assert len(lines) == 2 and not any('cliff' in line or '``' in line for line in lines), lines


@pytest.mark.parametrize('text, shown', [('a\u202eb', 'a\\u202eb'), ('a\u2028b', 'a\\u2028b'),
                                         ('\u2066x\u2069', '\\u2066x\\u2069')])
def test_bidirectional_controls_and_separators_are_escaped(text, shown):
    assert printable(text) == shown


def test_a_hostname_in_a_warning_stays_on_its_line(capsys, requests_mock):
    url = 'http://nova.test/v2.1'
    requests_mock.get(f'{url}/os-hypervisors/detail', json={'hypervisors': [
        {'id': 1, 'hypervisor_hostname': 'evil\n\x1b[1mFAKE-LINE', 'state': 'up',
         'status': 'enabled'},
        {'id': 2, 'hypervisor_hostname': 'good', 'state': 'up', 'status': 'enabled',
         'pci_stats': [{'vendor_id': '8086', 'product_id': '1520', 'count': 1}]}]})
    code = shell.main(['--os-auth-type', 'none', '--os-endpoint', url, 'pci-pool-list',
                       '-f', 'json'])
    out, err = capsys.readouterr()
    assert code == 0 and '"good"' in out, (code, out, err)
    assert err == 'Hypervisors that report no PCI pools: evil\\n\\x1b[1mFAKE-LINE\n', err


@pytest.mark.parametrize('argv, wanted', [
    (['pci-show', 'a\udcffb'], '/os-pci/a%FFb'),
    (['pci-list', '--host', 'a\udcffb'], 'host=a%FFb'),
    (['pci-list', '--marker', '\ud800'], 'marker=%5Cud800'),
], ids=['path', 'query', 'lone-surrogate'])
def test_odd_bytes_typed_go_as_typed(capsys, requests_mock, argv, wanted):
    """Bytes that are not UTF-8 on the command line reach Python as surrogates; they go
    on the wire as they were typed, and a lone surrogate as its escape, never a crash."""
    url = 'http://nova.test/v2.1'
    requests_mock.get(requests_mock_any(), status_code=404, json={'itemNotFound': {
        'code': 404, 'message': 'Not here.'}})
    shell.main(['--os-auth-type', 'none', '--os-endpoint', url, *argv, '-f', 'json'])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err and err.count('\n') == 1, err
    assert any(wanted in request.url for request in requests_mock.request_history), \
        [request.url for request in requests_mock.request_history]


def requests_mock_any():
    import requests_mock
    return requests_mock.ANY
