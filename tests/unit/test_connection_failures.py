"""Transport failures told by the types along the exception chain, never by their text:
chains built here the way keystoneauth, requests and urllib3 build them (the faults tier
makes the same ones through real sockets)."""
from __future__ import annotations

import http.client
import socket
import ssl

import pytest
import requests
import urllib3.exceptions as u3
from keystoneauth1 import exceptions as ksa_exc

from pciclient import connection_failures as failures
from pciclient import exceptions as exc
from pciclient import http as pci_http
from pciclient.commands.hints import cli_message

URL = 'http://nova.test:8774/v2.1/os-pci'


def wrapped(inner: BaseException, *outers: BaseException) -> BaseException:
    """``outers[-1]`` raised while handling ... ``outers[0]`` raised while handling
    ``inner``: the implicit ``__context__`` links keystoneauth relies on."""
    current = inner
    for outer in outers:
        outer.__context__ = current
        current = outer
    return current


def connect_failure(reason: BaseException) -> ksa_exc.ConnectFailure:
    """keystoneauth's ConnectFailure over requests' ConnectionError over urllib3's
    MaxRetryError, whose ``reason`` is the failure (urllib3 keeps it as an attribute)."""
    retries = u3.MaxRetryError(None, URL, reason)
    return wrapped(requests.exceptions.ConnectionError(retries),
                   ksa_exc.ConnectFailure(f'Unable to establish connection to {URL}: ...'))


def refused() -> BaseException:
    os_error = ConnectionRefusedError(111, 'Connection refused')
    new_connection = u3.NewConnectionError(None, f'Failed to establish a new connection: '
                                                 f'{os_error}')
    new_connection.__cause__ = os_error
    return new_connection


def broken(inner: BaseException) -> ksa_exc.UnknownConnectionError:
    """A body that broke off: urllib3's ProtocolError (the inner failure in its args),
    requests' ChunkedEncodingError, keystoneauth's UnknownConnectionError (``original``)."""
    chunked = requests.exceptions.ChunkedEncodingError(
        u3.ProtocolError(f'Connection broken: {inner!r}', inner))
    return ksa_exc.UnknownConnectionError(f'Unexpected exception for {URL}: ...', chunked)


class _Response:
    """What urllib3's InvalidChunkLength reads from its response."""

    length_remaining = 100

    def tell(self) -> int:
        return 7


def said(error: BaseException) -> str:
    return cli_message(failures.connection_failure(error, URL))


def test_refused_names_what_the_system_said():
    assert said(connect_failure(refused())) == f'Could not connect to {URL}: Connection refused'


def test_unknown_host():
    gai = socket.gaierror(-2, 'Name or service not known')
    resolution = u3.NameResolutionError('no-such-host.invalid', None, gai)
    resolution.__cause__ = gai
    assert said(connect_failure(resolution)) == (
        f'Could not connect to {URL}: Name or service not known')


def test_refused_is_no_timeout_though_urllib3_derives_it_from_one():
    assert isinstance(refused(), u3.ConnectTimeoutError)
    assert not failures.timed_out(failures.chain(connect_failure(refused())))


def test_a_url_that_says_timeout_is_no_timeout():
    error = connect_failure(refused())
    where = 'http://timeout.example/v2.1'
    assert cli_message(failures.connection_failure(error, where)) == (
        f'Could not connect to {where}: Connection refused')


@pytest.mark.parametrize('inner', [
    TimeoutError('timed out'),
    TimeoutError(),
    u3.ReadTimeoutError(None, URL, 'Read timed out. (read timeout=1.0)'),
    u3.ConnectTimeoutError(None, 'connect timed out'),
], ids=['socket.timeout', 'TimeoutError', 'ReadTimeoutError', 'ConnectTimeoutError'])
def test_timeouts(inner):
    error = wrapped(requests.exceptions.ConnectionError(inner),
                    ksa_exc.ConnectFailure('Unable to establish connection'))
    failure = failures.connection_failure(error, URL)
    assert failure.hint is exc.Hint.TIMEOUT
    assert cli_message(failure) == f'Timed out talking to {URL}: no answer in time (see --timeout).'


def test_keystoneauth_s_own_timeout():
    error = wrapped(requests.exceptions.ReadTimeout('...'), ksa_exc.ConnectTimeout('Request'))
    assert failures.timed_out(failures.chain(error))


@pytest.mark.parametrize('inner, cause', [
    (http.client.IncompleteRead(b'x' * 5, 10), '5 bytes arrived and 10 more were announced'),
    (u3.IncompleteRead(4298, 4299), '4298 bytes arrived and 4299 more were announced'),
    (http.client.IncompleteRead(b'x' * 5), 'the server closed the connection'),
    (u3.InvalidChunkLength(_Response(), b''), 'the server closed the connection'),
    (ConnectionResetError(104, 'Connection reset by peer'), 'the connection was reset'),
    (http.client.RemoteDisconnected('Remote end closed connection without response'),
     'the server closed the connection'),
    (http.client.BadStatusLine('SSH-2.0-OpenSSH_9.6'), 'the server closed the connection'),
], ids=['http.client IncompleteRead', 'urllib3 IncompleteRead', 'IncompleteRead, no length',
        'InvalidChunkLength', 'reset', 'RemoteDisconnected', 'not HTTP'])
def test_an_answer_that_broke_off(inner, cause):
    assert said(broken(inner)) == f'The answer from {URL} broke off: {cause}.'


def test_connection_aborted_before_any_answer():
    # urllib3: ProtocolError('Connection aborted.', err) in args; requests, keystoneauth above.
    aborted = u3.ProtocolError('Connection aborted.', ConnectionResetError(104, 'reset'))
    error = wrapped(requests.exceptions.ConnectionError(aborted),
                    ksa_exc.ConnectFailure('Unable to establish connection'))
    assert said(error) == f'The answer from {URL} broke off: the connection was reset.'


def test_a_request_that_failed_otherwise_says_so_plainly():
    error = ksa_exc.UnknownConnectionError('Unexpected exception', RuntimeError('odd'))
    assert said(error) == f'The request to {URL} failed: Unexpected exception'


def test_tls_errors_are_not_system_errors():
    verify = ssl.SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate '
                                             'verify failed')
    chain = failures.chain(wrapped(verify, requests.exceptions.SSLError(verify),
                                   ksa_exc.SSLError('SSL exception connecting')))
    assert failures.system_error(chain) is None
    assert verify in chain


def test_tls_failure_from_keystoneauth_names_the_ca_option():
    error = pci_http._translate(ksa_exc.SSLError('certificate verify failed'), URL)
    assert error.hint is exc.Hint.CA_CERTIFICATE
    assert '--os-cacert' in cli_message(error) and '--' not in str(error)


@pytest.mark.parametrize('inner, unreachable', [
    (refused(), True),
    (u3.ReadTimeoutError(None, URL, 'Read timed out.'), True),
    (u3.ProtocolError('Connection aborted.', ConnectionResetError(104, 'reset')), False),
    (u3.ProtocolError('Connection aborted.', http.client.RemoteDisconnected('x')), False),
], ids=['refused', 'timeout', 'reset', 'closed'])
def test_discovery_blames_the_network_only_when_it_could_not_connect(inner, unreachable):
    discovery = wrapped(requests.exceptions.ConnectionError(inner),
                        ksa_exc.ConnectFailure('Unable to establish connection'),
                        ksa_exc.DiscoveryFailure('Could not find versioned identity endpoints'))
    assert failures.unreachable(discovery) is unreachable


def test_a_cycle_in_the_chain_ends():
    first, second = ValueError('a'), ValueError('b')
    first.__context__, second.__context__ = second, first
    assert failures.chain(first) == [first, second]


def test_every_link_is_followed_once():
    os_error = ConnectionRefusedError(111, 'Connection refused')
    error = ksa_exc.UnknownConnectionError('x', requests.exceptions.ConnectionError(os_error))
    error.__context__ = error.original    # keystoneauth also raised it while handling it
    assert failures.chain(error) == [error, error.original, os_error]
