"""Keystone down, silent or failing, and catalogs that lack what pci-cli needs: one line,
exit 1, in bounded time, and never the password."""
from __future__ import annotations

import pytest

from tests.faults import documents as docs
from tests.faults import identity
from tests.faults.cli import pci_cli
from tests.faults.identity import Identity, serve
from tests.faults.servers import RESET, SILENCE, Reply, free_port, json_reply


def _password_args(auth_url: str) -> list[str]:
    return ['--os-auth-url', auth_url, '--os-username', 'admin',
            '--os-password', identity.PASSWORD, '--os-project-name', 'admin',
            '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']


def test_keystone_not_listening():
    port = free_port()
    result = pci_cli(*_password_args(f'http://127.0.0.1:{port}/identity/v3'), 'pci-list')
    line = result.one_line_error()
    assert f'127.0.0.1:{port}' in line and 'Connection refused' in line, line
    assert identity.PASSWORD not in result.err


def test_keystone_accepts_and_never_answers():
    cloud = Identity(login=SILENCE)
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), '--timeout', '1', 'pci-list')
    line = result.one_line_error()
    assert result.elapsed < 15, result.elapsed
    assert server.url in line, line
    assert identity.PASSWORD not in result.err


@pytest.mark.parametrize('login', [
    Reply(503, '<html><head><title>503 Service Unavailable</title></head><body><h1>Service '
               'Unavailable</h1></body></html>', {'Content-Type': 'text/html'}),
    json_reply({'error': {'code': 500, 'title': 'Internal Server Error',
                          'message': 'An unexpected error prevented the server from '
                                     'fulfilling your request.'}}, status=500),
    RESET,
], ids=['503-html', '500-json', 'reset'])
def test_keystone_fails_to_log_in(login):
    cloud = Identity(login=login)
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert '<' not in line, line
    assert identity.PASSWORD not in result.err


def test_keystone_refuses_the_password():
    cloud = Identity(login=json_reply({'error': {
        'code': 401, 'title': 'Unauthorized',
        'message': 'The request you have made requires authentication.'}}, status=401))
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert line.startswith('Authentication failed'), line
    assert identity.PASSWORD not in result.err


@pytest.mark.parametrize('body', [b'', b'OK', b'{"token": ', b'{"token": {}}', b'[]'])
def test_keystone_answers_garbage_to_a_login(body):
    cloud = Identity(login=Reply(201, body, {'Content-Type': 'application/json',
                                             'X-Subject-Token': 'gAAAAAgarbage' + 'z' * 40}))
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    result.one_line_error()
    assert identity.PASSWORD not in result.err


def test_catalog_without_a_compute_service():
    cloud = Identity(catalog=lambda url: [docs.service('identity', f'{url}/identity'),
                                          docs.service('image', f'{url}/image')])
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert 'no compute endpoint' in line and '--os-endpoint' in line, line


def test_catalog_without_a_compute_service_but_an_endpoint_given():
    cloud = Identity(catalog=lambda url: [docs.service('identity', f'{url}/identity')])
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), '--os-endpoint', f'{server.url}/v2.1',
                         'pci-list', '-f', 'json')
    assert result.code == 0, result


def test_catalog_compute_endpoint_nobody_listens_on():
    port = free_port()
    cloud = Identity(catalog=lambda url: [
        docs.service('compute', f'http://127.0.0.1:{port}/v2.1', 'nova')])
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert f'127.0.0.1:{port}' in line and 'Connection refused' in line, line


def test_catalog_without_placement_when_placement_is_asked_for():
    cloud = Identity()
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), '--pci-source', 'placement',
                         'pci-list')
    line = result.one_line_error()
    assert 'Placement' in line and '--os-placement-endpoint-override' in line, line


@pytest.mark.parametrize('login', [
    json_reply({'error': {'code': 401, 'title': 'Unauthorized',
                          'message': 'The request you have made requires authentication.'}},
               status=401),
    Reply(503, 'down'),
    RESET,
    SILENCE,
], ids=['401', '503', 'reset', 'silence'])
def test_a_failed_login_is_tried_once(login):
    cloud = Identity(login=login)
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), '--timeout', '1', 'pci-list')
    result.one_line_error()
    assert len(cloud.logins) == 1, cloud.logins


@pytest.mark.parametrize('body', [
    b'OK',
    b'{"token": {}}',
    b'{"token": {"expires_at": "soon"}}',
    b'{"token": {"expires_at": "2030-01-01T00:00:00Z", "catalog": 5}}',
    b'{"token": {"expires_at": "2030-01-01T00:00:00Z", "catalog": [5]}}',
], ids=['not-json', 'empty-token', 'bad-date', 'catalog-number', 'catalog-of-numbers'])
def test_a_malformed_token_document_is_named(body):
    cloud = Identity(login=Reply(201, body, {'Content-Type': 'application/json',
                                             'X-Subject-Token': 'gAAAAAodd' + 'q' * 40}))
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert 'identity' in line.lower() or 'keystone' in line.lower(), line
