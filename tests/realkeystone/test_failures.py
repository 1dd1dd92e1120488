"""What goes wrong with real credentials says so in one line and exits 1.

A wrong password, an unknown project, an expired or a revoked token are
refused by Keystone (when ``pci-cli`` logs in) or by the fake compute after
asking Keystone (when the token goes straight to the compute endpoint). The
RegionOne server validates every request (``--token-cache-ttl 0``), so it
refuses a revoked token at once; the RegionTwo one keeps a validation for 60 s,
as keystonemiddleware's cache does. A compute whose Keystone is down answers
503 at once and keeps running.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realkeystone.cloud import RealCloud, password_args, wait_until
from tests.realkeystone.fake_compute import FakeCompute
from tests.realkeystone.keystone_admin import password_token
from tests.realservices.process import free_port


def _one_line_failure(result) -> str:
    assert result.code == 1, result
    assert result.out == ''
    [line] = result.err_lines
    assert 'Traceback' not in result.err
    return line


@pytest.mark.parametrize('user, password, project', [
    ('admin', 'not-the-password', 'admin'),
    ('admin', None, 'no-such-project'),
    ('nobody', 'whatever', 'admin'),
], ids=['wrong-password', 'unknown-project', 'unknown-user'])
def test_refused_login(cloud: RealCloud, run_cli, user: str, password: str | None,
                       project: str) -> None:
    result = run_cli(*password_args(cloud, user, password, project), 'pci-list')
    line = _one_line_failure(result)
    assert line.startswith('Authentication failed: The request you have made requires '
                           'authentication. (HTTP 401)'), line
    assert cloud.admin_password not in result.err


@pytest.mark.parametrize('how', ['password', 'token'])
def test_login_without_a_project_says_so(cloud: RealCloud, run_cli, how: str) -> None:
    """Keystone then issues an unscoped token, whose catalog is empty."""
    if how == 'password':
        args = password_args(cloud)
        at = args.index('--os-project-name')
        del args[at:at + 2]
    else:
        token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
        args = ['--os-auth-url', cloud.auth_url, '--os-auth-type', 'token', '--os-token', token]
    line = _one_line_failure(run_cli(*args, 'hypervisor-list'))
    assert line.startswith('Keystone issued a token scoped to no project'), line
    assert '--os-project-name' in line


def _token_login(cloud: RealCloud, token: str) -> list[str]:
    return ['--os-auth-url', cloud.auth_url, '--os-auth-type', 'token', '--os-token', token,
            '--os-project-name', 'admin', '--os-project-domain-name', 'Default',
            '--os-region-name', 'RegionOne']


def _straight_to(cloud: RealCloud, region: str, token: str) -> list[str]:
    """The token sent to the compute endpoint as is (no Keystone login by the client)."""
    return ['--os-auth-type', 'admin_token', '--os-token', token,
            '--os-endpoint', cloud.regions[region].compute.url]


def test_expired_token(cloud: RealCloud, run_cli) -> None:
    # Issued at setup for an application credential that lived a few seconds.
    wait_until(cloud.expiring_token_expires_at + 1)
    at_login = run_cli(*_token_login(cloud, cloud.expiring_token), 'hypervisor-list')
    line = _one_line_failure(at_login)
    assert line.startswith('Authentication failed: Failed to validate token (HTTP 404)'), line
    at_compute = run_cli(*_straight_to(cloud, 'RegionOne', cloud.expiring_token),
                         'hypervisor-list')
    line = _one_line_failure(at_compute)
    assert line.startswith('The request you have made requires authentication. (HTTP 401)')


def test_revoked_token(cloud: RealCloud, run_cli) -> None:
    token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
    for region in ('RegionOne', 'RegionTwo'):
        assert run_cli(*_straight_to(cloud, region, token), 'hypervisor-list').code == 0
    cloud.admin.revoke(token)
    assert not cloud.admin.token_is_valid(token)

    line = _one_line_failure(run_cli(*_token_login(cloud, token), 'hypervisor-list'))
    assert line.startswith('Authentication failed: Failed to validate token (HTTP 404)'), line
    line = _one_line_failure(run_cli(*_straight_to(cloud, 'RegionOne', token),
                                     'hypervisor-list'))
    assert line.startswith('The request you have made requires authentication. (HTTP 401)')
    # RegionTwo validated it less than 60 s ago and trusts that validation until it lapses.
    cached = run_cli(*_straight_to(cloud, 'RegionTwo', token), 'hypervisor-list', '-f', 'json')
    assert [row['Hostname'] for row in cached.json()] == ['r2-compute1']


@pytest.fixture
def orphan_compute(cloud: RealCloud, tmp_path: Path) -> Iterator[FakeCompute]:
    """A fake compute whose Keystone URL is a loopback port nobody listens on."""
    scenario = tmp_path / 'scenario.yaml'
    scenario.write_text('rescan_interval: 0\nhosts:\n  - {hostname: lonely, generate: {pfs: 1}}\n')
    compute = FakeCompute('orphan', scenario, f'http://127.0.0.1:{free_port()}/v3',
                          'irrelevant', tmp_path / 'orphan.log')
    yield compute
    compute.stop()


def test_unreachable_keystone_is_a_prompt_503(cloud: RealCloud, run_cli,
                                             orphan_compute: FakeCompute) -> None:
    token, _ = password_token(cloud.auth_url, 'admin', cloud.admin_password)
    for _ in range(2):
        started = time.monotonic()
        result = run_cli('--os-auth-type', 'admin_token', '--os-token', token,
                         '--os-endpoint', orphan_compute.url, 'hypervisor-list')
        elapsed = time.monotonic() - started
        line = _one_line_failure(result)
        assert 'identity service' in line and 'unreachable' in line and '(HTTP 503)' in line, line
        assert elapsed < 15, elapsed
        assert orphan_compute.running
    assert token not in orphan_compute.log_text()
