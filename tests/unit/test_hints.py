"""The library names the setting that would fix a failure in its own terms and says which
one it is (``error.hint``); the CLI names the option that sets it, with exactly the words
pci-cli has always printed (the expected lines below are those words)."""
from __future__ import annotations

import argparse

import pytest
import requests
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import loading

from pciclient import connection_failures, http
from pciclient import exceptions as exc
from pciclient.commands import common
from pciclient.commands.hints import CLI_WORDING, CliError, cli_message
from pciclient.v2.pci_devices import PciDeviceManager
from pciclient.v2.pci_pools import NO_POOLS, PciPoolManager
from pciclient.v2.placement import PlacementManager

URL = 'http://nova.test:8774/v2.1'
NO_OS_PCI = ("This cloud's compute API has no os-pci API (Nova removed it in Pike; since Zed "
             'Nova reports PCI devices to Placement instead).')


def test_every_hint_is_worded_by_the_library_and_by_the_cli():
    assert set(exc.WORDING) == set(exc.Hint) == set(CLI_WORDING)


class _Silent:
    """Hypervisors that report no pools at all (today's Nova)."""

    def pools(self, *args):
        return [], ['compute1']


def _raised(call):
    with pytest.raises(exc.ClientException) as info:
        call()
    return info.value


def _translated(error, service='compute'):
    return http._translate(error, URL, service)


def _unsent(original):
    return connection_failures.connection_failure(
        ksa_exc.UnknownConnectionError('unsendable', original), URL)


CASES = {
    'os-pci only': (
        lambda: _raised(lambda: PciDeviceManager(None, None, source='os-pci')._fallback(
            exc.NoPciApi(http_status=404))),
        exc.Hint.PCI_SOURCE_PLACEMENT,
        f'{NO_OS_PCI} Read them from Placement with --pci-source placement. (HTTP 404)'),
    'no os-pci, no placement': (
        lambda: _raised(lambda: PciDeviceManager(None, None)._fallback(
            exc.NoPciApi(http_status=404))),
        exc.Hint.PLACEMENT_ENDPOINT,
        f'{NO_OS_PCI} Placement could tell, but no endpoint is known for it: it is not in the '
        'catalog; give --os-placement-endpoint-override URL. (HTTP 404)'),
    'pools, os-pci only': (
        lambda: _raised(lambda: PciPoolManager(_Silent(), PlacementManager(None),
                                               source='os-pci').list()),
        exc.Hint.PCI_SOURCE_PLACEMENT,
        f'{NO_POOLS} Read them from Placement with --pci-source placement.'),
    'pools, no placement': (
        lambda: _raised(lambda: PciPoolManager(_Silent(), PlacementManager(None)).list()),
        exc.Hint.PLACEMENT_ENDPOINT,
        f'{NO_POOLS} Placement could tell, but it is not in the catalog; give '
        '--os-placement-endpoint-override URL.'),
    'placement asked, none known': (
        lambda: _raised(PlacementManager(None).providers),
        exc.Hint.PLACEMENT_ENDPOINT,
        'No Placement endpoint: the catalog has no placement service; give one with '
        '--os-placement-endpoint-override URL (in clouds.yaml: placement_endpoint_override).'),
    'timeout': (
        lambda: _translated(ksa_exc.ConnectTimeout(f'Request to {URL} timed out')),
        exc.Hint.TIMEOUT,
        f'Timed out talking to {URL}: no answer in time (see --timeout).'),
    'tls': (
        lambda: _translated(ksa_exc.SSLError('certificate verify failed')),
        exc.Hint.CA_CERTIFICATE,
        f'TLS error talking to {URL}: certificate verify failed. Pass --os-cacert with the CA '
        "that signed the cloud's certificate (or --insecure to skip verification)."),
    'no compute endpoint': (
        lambda: _translated(ksa_exc.EndpointNotFound()),
        exc.Hint.ENDPOINT,
        'The service catalog has no compute endpoint for this region and interface; check '
        '--os-region-name and --os-interface, or give the endpoint with --os-endpoint.'),
    'no placement endpoint': (
        lambda: _translated(ksa_exc.EndpointNotFound(), 'placement'),
        exc.Hint.ENDPOINT,
        'The service catalog has no placement endpoint for this region and interface; check '
        '--os-region-name and --os-interface, or give the endpoint with '
        '--os-placement-endpoint-override.'),
    'no credentials': (
        lambda: _translated(ksa_exc.MissingAuthPlugin('none')),
        exc.Hint.CREDENTIALS,
        'No credentials: set --os-cloud, or OS_AUTH_URL and credentials, '
        'or --os-auth-type none with --os-endpoint.'),
    'auth options': (
        lambda: _translated(ksa_exc.MissingRequiredOptions(
            [loading.Opt('username'), loading.Opt('project-domain-name')])),
        exc.Hint.AUTH_OPTIONS,
        'Authentication needs --os-username, --os-project-domain-name.'),
    'invalid url': (
        lambda: _unsent(requests.exceptions.InvalidURL('bad port')),
        exc.Hint.URLS,
        f'Could not send a request to {URL}: the URL is not valid (check --os-endpoint, '
        '--os-auth-url or the catalog).'),
    'invalid header': (
        lambda: _unsent(requests.exceptions.InvalidHeader('bad header')),
        exc.Hint.HEADER_VALUE,
        f'Could not send a request to {URL}: a header value (such as --os-token) holds '
        'characters HTTP does not allow in a header.'),
    'unsendable header': (
        http._unsendable_header,
        exc.Hint.HEADER_VALUE,
        'A header value (such as --os-token) holds characters HTTP headers cannot carry.'),
    'unscoped token': (
        http._unscoped_token,
        exc.Hint.PROJECT_SCOPE,
        'Keystone issued a token scoped to no project, and such a token lists no services: '
        'give --os-project-name with --os-project-domain-name, or --os-project-id '
        '(OS_PROJECT_NAME, OS_PROJECT_DOMAIN_NAME, OS_PROJECT_ID).'),
}


@pytest.mark.parametrize('make, hint, cli_line', CASES.values(), ids=list(CASES))
def test_library_names_no_option_and_the_cli_names_it_as_always(make, hint, cli_line):
    error = make()
    assert error.hint is hint
    assert '--' not in str(error) and '--' not in error.message
    assert 'pci-cli' not in str(error)
    assert cli_message(error) == cli_line


def test_a_message_without_a_hint_is_the_same_in_both():
    error = exc.NotFound('No PCI device with ID 7', request_id='req-1')
    assert error.hint is None
    assert cli_message(error) == str(error) == ('No PCI device with ID 7 (HTTP 404) '
                                                '(Request-ID: req-1)')


def test_cli_words_escape_what_the_cloud_sent():
    error = http._translate(ksa_exc.SSLError('bad\x1b[2Jcert'), URL)
    assert '\x1b' not in cli_message(error) and '\\x1b[2J' in cli_message(error)


class _Failing(common.Lister):
    """A command whose library call fails with ``self.error`` (as ``openstack pci`` and
    ``pci-cli`` run it: through cliff's ``run``)."""

    error: Exception

    def take_action(self, parsed_args):
        raise self.error


def _run(error):
    command = _Failing(app=None, app_args=None)
    command.error = error
    parsed = argparse.Namespace(formatter='json', columns=[], sort_columns=[],
                                sort_direction='asc', noindent=False, fit_width=False,
                                max_width=0, print_empty=False, quote_mode='nonnumeric')
    with pytest.raises(Exception) as info:
        command.run(parsed)
    return info.value


def test_commands_word_hinted_failures_as_options():
    library = CASES['timeout'][0]()
    raised = _run(library)
    assert isinstance(raised, CliError) and isinstance(raised, exc.ClientException)
    assert str(raised) == f'Timed out talking to {URL}: no answer in time (see --timeout).'
    assert raised.error is library and raised.__cause__ is library


def test_commands_pass_other_failures_through_untouched():
    library = exc.NotFound('No PCI device with ID 7')
    assert _run(library) is library
