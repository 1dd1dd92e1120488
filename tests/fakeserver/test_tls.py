"""HTTPS: the server side of ``--cert/--key``, checked with a throwaway CA
(tests/support/tls_helpers.py)."""
from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cli import main
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.wsgi.server import STDLIB, RunningServer, make_server, start_in_thread
from pciclient.fakeserver.wsgi.tls import TlsError, TlsFiles, tls_context
from tests.fakeserver.process_helpers import _env
from tests.support.tls_helpers import LocalCA, make_local_ca


def _fetch(url: str, context: ssl.SSLContext | None) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def _trusting(ca: LocalCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.ca_cert))


def _insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def https(app: FakeComputeApp, local_ca: LocalCA) -> Any:
    with start_in_thread(app, tls=local_ca.tls) as running:
        yield running


def test_https_with_the_ca_verifies_and_links_are_https(https: RunningServer,
                                                        local_ca: LocalCA) -> None:
    assert https.url.startswith('https://127.0.0.1:') and https.scheme == 'https'
    status, body = _fetch(https.compute_url + '/os-pci?limit=1', _trusting(local_ca))
    assert status == 200
    assert body['pci_devices_links'][0]['href'].startswith(https.compute_url + '/os-pci?')


def test_https_by_name_localhost_verifies(https: RunningServer, local_ca: LocalCA) -> None:
    url = f'https://localhost:{https.port}/v2.1'
    assert _fetch(url, _trusting(local_ca))[1]['version']['id'] == 'v2.1'


def test_https_without_the_ca_is_a_certificate_error(https: RunningServer) -> None:
    with pytest.raises(urllib.error.URLError) as caught:
        _fetch(https.compute_url, ssl.create_default_context())
    assert isinstance(caught.value.reason, ssl.SSLCertVerificationError)
    assert 'certificate verify failed' in str(caught.value.reason)
    assert _fetch(https.compute_url, _insecure())[0] == 200  # the server shrugged it off


def test_https_with_another_ca_is_a_certificate_error(https: RunningServer,
                                                      tmp_path: Path) -> None:
    stranger = make_local_ca(tmp_path / 'other')
    with pytest.raises(urllib.error.URLError) as caught:
        _fetch(https.compute_url, _trusting(stranger))
    assert isinstance(caught.value.reason, ssl.SSLCertVerificationError)


def test_https_insecure_works(https: RunningServer) -> None:
    status, body = _fetch(https.compute_url + '/os-pci/1', _insecure())
    assert status == 200 and body['pci_device']['id'] == 1


def test_certificate_for_other_names_is_a_hostname_mismatch(app: FakeComputeApp,
                                                            tmp_path: Path) -> None:
    ca = make_local_ca(tmp_path / 'tls', hosts=('compute.example',))
    with start_in_thread(app, tls=ca.tls) as running:
        with pytest.raises(urllib.error.URLError) as caught:
            _fetch(running.compute_url, _trusting(ca))
    assert "doesn't match" in str(caught.value.reason) or 'mismatch' in str(caught.value.reason)


def test_expired_certificate_is_refused_by_clients(app: FakeComputeApp, tmp_path: Path) -> None:
    ca = make_local_ca(tmp_path / 'tls', expired=True)
    with start_in_thread(app, tls=ca.tls) as running:
        with pytest.raises(urllib.error.URLError) as caught:
            _fetch(running.compute_url, _trusting(ca))
    assert 'expired' in str(caught.value.reason)


def test_certificate_and_key_in_one_file(app: FakeComputeApp, local_ca: LocalCA) -> None:
    with start_in_thread(app, tls=TlsFiles(str(local_ca.server_pem))) as running:
        assert _fetch(running.compute_url, _trusting(local_ca))[0] == 200


def test_keep_alive_over_tls(https: RunningServer, local_ca: LocalCA) -> None:
    connection = http.client.HTTPSConnection('127.0.0.1', https.port, timeout=10,
                                             context=_trusting(local_ca))
    try:
        sockets = set()
        for path in ('/v2.1/os-pci', '/v2.1/os-hypervisors', '/v2.1/os-pci/1'):
            connection.request('GET', path)
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())
            sockets.add(id(connection.sock))
        assert len(sockets) == 1  # one TLS connection served all three
    finally:
        connection.close()


def test_plain_http_on_the_https_port_is_told_and_server_keeps_serving(
        https: RunningServer, local_ca: LocalCA) -> None:
    with socket.create_connection(('127.0.0.1', https.port), timeout=10) as sock:
        sock.sendall(b'GET /v2.1/os-pci HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = b''
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b'HTTP/1.1 400 Bad Request\r\n')
    assert b'HTTPS only' in answer
    assert _fetch(https.compute_url, _trusting(local_ca))[0] == 200


def test_silent_and_garbage_tls_clients_do_not_block_others(https: RunningServer,
                                                            local_ca: LocalCA) -> None:
    """The handshake waits in the selector with the connection: a client that never speaks
    holds no worker and no one else up."""
    idle = [socket.create_connection(('127.0.0.1', https.port), timeout=10) for _ in range(3)]
    garbage = socket.create_connection(('127.0.0.1', https.port), timeout=10)
    garbage.sendall(b'\x16\x03\x01\x00\x05hello')  # a truncated ClientHello
    try:
        started = time.monotonic()
        for _ in range(5):
            assert _fetch(https.compute_url + '/os-pci/1', _trusting(local_ca))[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for sock in (*idle, garbage):
            sock.close()


# --- unusable files -----------------------------------------------------------------------------

def _encrypted_key(ca: LocalCA) -> Path:
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(ca.server_key.read_bytes(), password=None)
    path = ca.directory / 'encrypted.key'
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b'secret')))
    return path


def _bad_files(ca: LocalCA, tmp_path: Path) -> dict[str, tuple[TlsFiles, str]]:
    other = make_local_ca(tmp_path / 'other')
    junk = tmp_path / 'junk.pem'
    junk.write_text('not a certificate\n')
    return {
        'missing cert': (TlsFiles(str(tmp_path / 'absent.pem'), str(ca.server_key)),
                         'no such file'),
        'missing key': (TlsFiles(str(ca.server_cert), str(tmp_path / 'absent.key')),
                        'no such file'),
        'wrong key': (TlsFiles(str(ca.server_cert), str(other.server_key)),
                      'the key does not belong to the certificate'),
        'no key': (TlsFiles(str(ca.server_cert)), 'not a PEM certificate followed by its key'),
        'junk': (TlsFiles(str(junk), str(ca.server_key)), 'not a PEM certificate'),
        'encrypted key': (TlsFiles(str(ca.server_cert), str(_encrypted_key(ca))),
                          'the private key is encrypted'),
    }


@pytest.mark.parametrize('case', ['missing cert', 'missing key', 'wrong key', 'no key', 'junk',
                                  'encrypted key'])
def test_unusable_tls_files_are_one_clear_error(local_ca: LocalCA, tmp_path: Path,
                                                app: FakeComputeApp, case: str) -> None:
    files, message = _bad_files(local_ca, tmp_path)[case]
    with pytest.raises(TlsError, match=message):
        tls_context(files)
    with pytest.raises(TlsError, match=message):
        make_server(app, tls=files)


def test_cli_refuses_unusable_tls_files_in_one_line(local_ca: LocalCA, tmp_path: Path,
                                                    standard_tree: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    files, _ = _bad_files(local_ca, tmp_path)['wrong key']
    code = main(['--port', '0', '--noauth', '--sysfs-root', str(standard_tree),
                 '--cert', files.cert, '--key', str(files.key)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ''
    assert captured.err.strip().splitlines() == [
        f'pci-fake-server: cannot serve HTTPS with --cert {files.cert} --key {files.key}: '
        'the key does not belong to the certificate']


def test_key_without_cert_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(['--key', 'server.key'])
    assert caught.value.code == 2
    assert '--key needs --cert' in capsys.readouterr().err


def test_stdlib_engine_serves_plain_http_only(app: FakeComputeApp, local_ca: LocalCA) -> None:
    with pytest.raises(ValueError, match='plain HTTP only'):
        make_server(app, tls=local_ca.tls, engine=STDLIB)


# --- the real process ---------------------------------------------------------------------------

def test_cli_serves_https_end_to_end(spawn: Any, local_ca: LocalCA) -> None:
    """URL on stdout, login, catalog and compute all over HTTPS with the test CA."""
    server = spawn('--cert', str(local_ca.server_cert), '--key', str(local_ca.server_key),
                   env=_env(PCI_FAKE_ADMIN_PASSWORD='tls-secret'))
    assert server.url.startswith('https://127.0.0.1:')
    context = _trusting(local_ca)
    status, token, catalog = _login_https(server.root, context)
    assert status == 201 and token
    urls = {e['url'] for s in catalog for e in s['endpoints']}
    assert urls and all(url.startswith(server.root) for url in urls)
    request = urllib.request.Request(server.url + '/os-pci/1', headers={'X-Auth-Token': token})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        assert json.load(response)['pci_device']['id'] == 1
    code, out, err = server.stop(signal.SIGTERM)
    assert code == 0 and out == ''
    assert f'at {server.url}' in err and 'Traceback' not in err


def _login_https(root: str, context: ssl.SSLContext) -> tuple[int, str, list[Any]]:
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': 'tls-secret'}}},
        'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}
    request = urllib.request.Request(root + '/identity/v3/auth/tokens', method='POST',
                                     data=json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return (response.status, response.headers['X-Subject-Token'],
                json.load(response)['token']['catalog'])

