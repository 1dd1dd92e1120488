"""Every command, with ``--debug`` and password auth against the fake cloud's Keystone
(real processes): neither the password nor any token reaches stdout or stderr, and with
``-f json`` stdout is the JSON document alone.

The fake cloud's tokens are ``secrets.token_urlsafe(32)``: 43 URL-safe characters. With
``--token-ttl 2`` keystoneauth logs in again before nearly every request, so each run
holds several tokens; none may show, whole or as a 43-character run.
"""
from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.cli import Result, pci_cli
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree

PASSWORD = 'Secret-Fuzz-Pa55word-42'
TOKEN = re.compile(r'(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])')
SCENARIO = """\
rescan_interval: 0
projects:
  - {{name: admin}}
users:
  - {{name: admin, password: {password}, project: admin, roles: [admin, member, reader]}}
hosts:
  - {{hostname: compute1, sysfs_root: {sysfs}}}
servers:
  - {{name: vm1, project: admin, host: compute1, devices: ["0000:04:10.0"]}}
"""

COMMANDS = [
    ['pci-list'],
    ['pci-list', '--long'],
    ['pci-show', '1'],
    ['pci-pool-list'],
    ['hypervisor-list'],
    ['hypervisor-list', '--long'],
    ['hypervisor-show', 'compute1'],
    ['server-list'],
    ['server-show', 'vm1', '--long'],
    ['--pci-source', 'placement', 'pci-list', '--long'],
    ['--pci-source', 'placement', 'pci-pool-list'],
    ['--pci-source', 'placement', 'server-show', 'vm1', '--long'],
]


class Cloud:
    def __init__(self, workdir: Path) -> None:
        scenario = workdir / 'cloud.yaml'
        scenario.write_text(SCENARIO.format(password=PASSWORD,
                                            sysfs=build_standard_tree(workdir / 'sys')))
        self.log = workdir / 'server.log'
        self.server = FakeServerProcess('--scenario', str(scenario), '--token-ttl', '2',
                                        log=self.log)
        if not self.server.url.startswith('http://127.0.0.1:'):
            self.stop()
            pytest.fail(f'pci-fake-server printed {self.server.url!r}: '
                        f'{self.log.read_text()[-2000:]}')
        self.root = self.server.root
        self.auth_url = f'{self.root}/identity/v3'

    def stop(self) -> None:
        self.server.stop()

    def password_args(self) -> list[str]:
        return ['--os-auth-url', self.auth_url, '--os-username', 'admin',
                '--os-password', PASSWORD, '--os-project-name', 'admin',
                '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default']

    def token(self) -> str:
        """A token obtained directly, with the same credentials."""
        body = json.dumps({'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'name': 'Default'}, 'password': PASSWORD}}},
            'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}).encode()
        request = urllib.request.Request(f'{self.auth_url}/auth/tokens', data=body,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.headers['X-Subject-Token']


@pytest.fixture(scope='module')
def cloud(tmp_path_factory) -> Iterator[Cloud]:
    process = Cloud(tmp_path_factory.mktemp('secrets-cloud'))
    yield process
    process.stop()


def assert_no_secrets(result: Result, *secrets: str) -> None:
    for stream in (result.out, result.err):
        for secret in (PASSWORD, *secrets):
            assert secret not in stream
        assert not TOKEN.findall(stream), TOKEN.findall(stream)


def test_the_token_pattern_finds_this_cloud_s_tokens(cloud):
    token = cloud.token()
    assert TOKEN.fullmatch(token), token
    assert TOKEN.findall(f'X-Auth-Token: {token}\n') == [token]


@pytest.mark.parametrize('command', COMMANDS, ids=' '.join)
def test_debug_output_holds_no_secret(cloud, command):
    result = pci_cli('--debug', *cloud.password_args(), *command, '-f', 'json')
    assert result.code == 0, result
    assert 'REQ: curl -g -i -X GET' in result.err    # --debug does show the requests
    json.loads(result.out)                            # stdout: the document, nothing else
    assert_no_secrets(result)


def test_debug_output_of_a_failing_command_holds_no_secret(cloud):
    result = pci_cli('--debug', *cloud.password_args(), 'pci-show', '999')
    assert result.code == 1, result
    assert 'Traceback' in result.err                  # --debug adds the traceback
    assert_no_secrets(result)


def test_a_token_given_on_the_command_line_is_not_shown(cloud):
    token = cloud.token()
    result = pci_cli('--debug', '--os-auth-url', cloud.auth_url, '--os-auth-type', 'token',
                     '--os-token', token, '--os-project-name', 'admin',
                     '--os-project-domain-name', 'Default', 'server-show', 'vm1', '--long',
                     '-f', 'json')
    assert result.code == 0, result
    assert_no_secrets(result, token)


def test_a_wrong_password_is_not_shown(cloud):
    args = cloud.password_args()
    args[args.index(PASSWORD)] = 'Wrong-Secret-Pa55word'
    result = pci_cli('--debug', *args, 'pci-list', '-f', 'json')
    assert result.code == 1, result
    assert 'Wrong-Secret-Pa55word' not in result.err + result.out
    assert_no_secrets(result)
