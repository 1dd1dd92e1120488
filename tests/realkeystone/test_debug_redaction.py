"""``--debug`` shows the HTTP exchange but never a password, a token or a secret.

For each way of logging in, the debug output must show the compute requests
and must contain neither the secret given nor any Keystone (fernet) token,
including the one ``pci-cli`` obtained itself.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.realkeystone.cloud import RealCloud, password_args
from tests.realkeystone.keystone_admin import password_token

# Keystone's fernet tokens are URL-safe base64 of a payload starting with version byte 0x80.
FERNET_TOKEN = re.compile(r'gAAAAA[A-Za-z0-9_=-]{40,}')


def _login(cloud: RealCloud, method: str, tmp_path: Path) -> tuple[list[str], dict, Path | None,
                                                                   list[str]]:
    """(arguments, environment, working directory, secrets) for one way of logging in."""
    credential_id, secret = cloud.app_credential
    if method == 'password-options':
        return password_args(cloud), {}, None, [cloud.admin_password]
    if method == 'password-environment':
        env = {'OS_AUTH_URL': cloud.auth_url, 'OS_USERNAME': 'admin',
               'OS_PASSWORD': cloud.admin_password, 'OS_PROJECT_NAME': 'admin',
               'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default',
               'OS_REGION_NAME': 'RegionOne'}
        return [], env, None, [cloud.admin_password]
    if method == 'token':
        token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
        return (['--os-auth-url', cloud.auth_url, '--os-auth-type', 'token', '--os-token', token,
                 '--os-project-id', cloud.admin_project_id, '--os-region-name', 'RegionOne'],
                {}, None, [token])
    if method == 'application-credential':
        return (['--os-auth-url', cloud.auth_url, '--os-auth-type', 'v3applicationcredential',
                 '--os-application-credential-id', credential_id,
                 '--os-application-credential-secret', secret,
                 '--os-region-name', 'RegionOne'], {}, None, [secret])
    assert method == 'clouds-yaml'
    (tmp_path / 'clouds.yaml').write_text(yaml.safe_dump({'clouds': {'mine': {
        'auth': {'auth_url': cloud.auth_url, 'username': 'admin',
                 'password': cloud.admin_password, 'project_name': 'admin',
                 'user_domain_name': 'Default', 'project_domain_name': 'Default'},
        'region_name': 'RegionOne'}}}))
    return ['--os-cloud', 'mine'], {}, tmp_path, [cloud.admin_password]


@pytest.mark.parametrize('method', ['password-options', 'password-environment', 'token',
                                    'application-credential', 'clouds-yaml'])
def test_debug_hides_secrets(cloud: RealCloud, run_cli, tmp_path: Path, method: str) -> None:
    args, env, cwd, secrets = _login(cloud, method, tmp_path)
    result = run_cli('--debug', *args, 'pci-list', '-f', 'json', env=env, cwd=cwd)
    assert result.code == 0, result.err[-3000:]
    assert 'REQ: curl -g -i -X GET ' in result.err
    assert f'{cloud.regions["RegionOne"].compute.root}/v2.1/os-pci' in result.err
    assert 'X-Auth-Token: {SHA256}' in result.err
    for secret in secrets:
        assert secret not in result.err and secret not in result.out
    assert not FERNET_TOKEN.search(result.err + result.out)


def test_debug_of_a_refused_password_hides_it(cloud: RealCloud, run_cli) -> None:
    wrong = 'Wr0ng-but-secret-pw'
    result = run_cli('--debug', *password_args(cloud, password=wrong), 'pci-list')
    assert result.code == 1
    assert 'Making authentication request to' in result.err and '(HTTP 401)' in result.err
    assert wrong not in result.err and wrong not in result.out
