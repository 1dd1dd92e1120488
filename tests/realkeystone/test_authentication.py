"""Every way users log in to a real Keystone reaches the fake compute behind it.

Password (options and ``OS_*`` variables), token, application credential, and
clouds.yaml in the working directory and in ``~/.config/openstack/``: each run
of the installed ``pci-cli`` authenticates at Keystone, finds the compute
endpoint in the catalog Keystone issued, and the fake server accepts the token
after validating it at the same Keystone. Which region's server answered is
told by its hypervisor's hostname.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.realkeystone.cloud import RealCloud, password_args
from tests.realkeystone.keystone_admin import password_token


def _hostnames(result) -> list[str]:
    return [row['Hostname'] for row in result.json()]


def test_password_options(cloud: RealCloud, run_cli) -> None:
    devices = run_cli(*password_args(cloud), 'pci-list', '-f', 'json').json()
    assert len(devices) == 5
    assert {device['Host'] for device in devices} == {'r1-compute1'}


def test_password_environment(cloud: RealCloud, run_cli) -> None:
    env = {'OS_AUTH_URL': cloud.auth_url, 'OS_USERNAME': 'admin',
           'OS_PASSWORD': cloud.admin_password, 'OS_PROJECT_NAME': 'admin',
           'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default',
           'OS_REGION_NAME': 'RegionTwo', 'OS_INTERFACE': 'internal'}
    assert _hostnames(run_cli('hypervisor-list', '-f', 'json', env=env)) == ['r2-compute1']


def test_token_options(cloud: RealCloud, run_cli) -> None:
    token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
    result = run_cli('--os-auth-url', cloud.auth_url, '--os-auth-type', 'token',
                     '--os-token', token, '--os-project-name', 'admin',
                     '--os-project-domain-name', 'Default', '--os-region-name', 'RegionOne',
                     'hypervisor-list', '-f', 'json')
    assert _hostnames(result) == ['r1-compute1']


def test_token_environment_infers_the_token_type(cloud: RealCloud, run_cli) -> None:
    token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
    env = {'OS_AUTH_URL': cloud.auth_url, 'OS_TOKEN': token,
           'OS_PROJECT_ID': cloud.admin_project_id, 'OS_REGION_NAME': 'RegionTwo'}
    assert _hostnames(run_cli('hypervisor-list', '-f', 'json', env=env)) == ['r2-compute1']


def test_application_credential_options(cloud: RealCloud, run_cli) -> None:
    credential_id, secret = cloud.app_credential
    result = run_cli('--os-auth-url', cloud.auth_url,
                     '--os-auth-type', 'v3applicationcredential',
                     '--os-application-credential-id', credential_id,
                     '--os-application-credential-secret', secret,
                     '--os-region-name', 'RegionOne', 'pci-list', '-f', 'json')
    assert {device['Host'] for device in result.json()} == {'r1-compute1'}


def _write_clouds_yaml(directory: Path, clouds: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / 'clouds.yaml').write_text(yaml.safe_dump({'clouds': clouds}))


def test_clouds_yaml_in_working_directory(cloud: RealCloud, run_cli, tmp_path: Path) -> None:
    workdir = tmp_path / 'project'
    _write_clouds_yaml(workdir, {'r1-admin': {
        'auth': {'auth_url': cloud.auth_url, 'username': 'admin',
                 'password': cloud.admin_password, 'project_name': 'admin',
                 'user_domain_name': 'Default', 'project_domain_name': 'Default'},
        'region_name': 'RegionOne'}})
    result = run_cli('--os-cloud', 'r1-admin', 'hypervisor-list', '-f', 'json', cwd=workdir)
    assert _hostnames(result) == ['r1-compute1']


def test_clouds_yaml_in_home_config(cloud: RealCloud, run_cli, tmp_path: Path) -> None:
    home = tmp_path / 'user-home'
    credential_id, secret = cloud.app_credential
    _write_clouds_yaml(home / '.config' / 'openstack', {'r2-appcred': {
        'auth_type': 'v3applicationcredential',
        'auth': {'auth_url': cloud.auth_url, 'application_credential_id': credential_id,
                 'application_credential_secret': secret},
        'region_name': 'RegionTwo', 'interface': 'internal'}})
    result = run_cli('hypervisor-list', '-f', 'json', home=home,
                     env={'OS_CLOUD': 'r2-appcred'})
    assert _hostnames(result) == ['r2-compute1']
