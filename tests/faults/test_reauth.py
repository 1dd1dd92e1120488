"""A 401 from compute to a token keystoneauth obtained itself (password, application
credential) makes pci-cli log in again, once, and ask again; a token the user gave is
never replaced; a cloud that refuses every token fails in one line after one new login."""
from __future__ import annotations

import json

import pytest

from tests.faults import identity
from tests.faults.cli import pci_cli
from tests.faults.identity import Identity, compute_tokens, serve


@pytest.mark.parametrize('login', [identity.password_args, identity.app_credential_args],
                         ids=['password', 'application-credential'])
def test_token_expiring_mid_command_logs_in_again_once(login):
    """pci-list reads os-pci, then os-hypervisors; the token dies between the two."""
    cloud = Identity(expire_after=1)
    with serve(cloud) as server:
        result = pci_cli(*login(server), 'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert [row['Host'] for row in json.loads(result.out)] == ['compute1', 'compute1']
    assert len(cloud.logins) == 2
    first, second = cloud.issued
    assert compute_tokens(server) == [first, first, second]
    assert [r.path for r in server.requests if r.path.startswith('/v2.1')] == [
        '/v2.1/os-pci', '/v2.1/os-hypervisors', '/v2.1/os-hypervisors']


def test_a_cloud_that_refuses_every_token_fails_after_one_new_login():
    cloud = Identity(refuse_all=True)
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert '(HTTP 401)' in line and 'requires authentication' in line, line
    assert len(cloud.logins) == 2
    assert len(compute_tokens(server)) == 2


def test_with_retries_a_refused_token_is_still_replaced_only_once():
    cloud = Identity(refuse_all=True)
    with serve(cloud) as server:
        result = pci_cli(*identity.password_args(server), '--os-retries', '3', 'pci-list')
    assert '(HTTP 401)' in result.one_line_error()
    assert len(cloud.logins) == 2
    assert len(compute_tokens(server)) == 2


def test_a_token_given_with_admin_token_is_never_replaced():
    cloud = Identity(refuse_all=True)
    with serve(cloud) as server:
        result = pci_cli('--os-auth-type', 'admin_token', '--os-token', 'gAAAAAgiven' + 'y' * 40,
                         '--os-endpoint', f'{server.url}/v2.1', 'pci-list')
    assert '(HTTP 401)' in result.one_line_error()
    assert cloud.logins == []
    assert len(compute_tokens(server)) == 1


def test_the_password_and_tokens_stay_out_of_the_output():
    cloud = Identity(expire_after=1)
    with serve(cloud) as server:
        result = pci_cli('--debug', *identity.password_args(server), 'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert 'X-Auth-Token' in result.err   # the debug log shows the requests …
    for secret in (identity.PASSWORD, *cloud.issued):   # … but never a secret
        assert secret not in result.out and secret not in result.err
