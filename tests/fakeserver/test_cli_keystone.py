"""``pci-fake-server --keystone-url``: the real process behind an external Keystone.

The Keystone is a :class:`KeystoneStub` in this test process; the server is the
installed console script, so options, logging and exit codes are the ones
operators get.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cli import build_parser, main
from tests.fakeserver.cloud_helpers import Clock
from tests.fakeserver.keystone_stub import (
    SERVICE_PASSWORD,
    SERVICE_PROJECT,
    SERVICE_USER,
    KeystoneStub,
    dead_url,
    serving,
)
from tests.fakeserver.process_helpers import _env as _base_env
from tests.fakeserver.process_helpers import _get, _scenario

PASSWORD_ENV = 'PCI_FAKE_KEYSTONE_ADMIN_PASSWORD'


@pytest.fixture
def stub() -> Iterator[KeystoneStub]:
    keystone = KeystoneStub(Clock(time.time()))
    with serving(keystone) as running:
        keystone.url = running.url + '/v3'
        yield keystone


def _keystone_args(url: str, *extra: str) -> list[str]:
    return ['--keystone-url', url, '--keystone-admin-user', SERVICE_USER,
            '--keystone-admin-project', SERVICE_PROJECT, *extra]


def _env(**extra: str) -> dict[str, str]:
    env = _base_env()
    env.pop(PASSWORD_ENV, None)
    env.update(extra)
    return env


def test_tokens_are_validated_at_the_keystone(spawn: Any, stub: KeystoneStub,
                                              tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, """
rescan_interval: 0
projects: [{name: demo, id: p-demo}]
users: [{name: ignored, password: pw, project: demo}]
hosts: [{hostname: compute1, generate: {pfs: 1}}]
servers: [{name: vm1, project: demo, host: compute1}]
""")
    server = spawn('--scenario', str(scenario), *_keystone_args(stub.url), tree=False,
                   env=_env(**{PASSWORD_ENV: SERVICE_PASSWORD}))
    token = stub.add_token('p-demo', ('member',))
    status, body = _get(server.url + '/servers', token)
    assert status == 200 and [s['name'] for s in body['servers']] == ['vm1']
    assert _get(server.url + '/os-pci', token)[0] == 403
    assert _get(server.url + '/servers', 'made-up')[0] == 401
    assert _get(server.root + '/identity/v3', token)[0] == 404  # not served
    code, out, err = server.stop()
    assert code == 0 and out == ''
    assert 'tokens are validated at ' + stub.url[:-3] in err
    assert "the scenario's users are ignored" in err
    assert 'got a service token' in err
    assert SERVICE_PASSWORD not in err and token not in err


def test_unreachable_keystone_gives_503_and_the_server_keeps_running(spawn: Any) -> None:
    url = dead_url()
    server = spawn(*_keystone_args(url, '--keystone-admin-password', 'x'))
    server.wait_for_log('Compute requests get 503 until that is fixed')
    for _ in range(2):
        started = time.monotonic()
        status, body = _get(server.url + '/os-hypervisors', 'gAAAAAtoken')
        assert time.monotonic() - started < 5
        assert status == 503
        assert 'is unreachable (connection refused)' in body['error']['message']
        assert server.process.poll() is None
    assert _get(server.url, None)[0] == 200  # version documents need no identity
    code, _, err = server.stop()
    assert code == 0 and 'Traceback' not in err


@pytest.mark.parametrize('argv', [
    ['--keystone-url', 'http://127.0.0.1:5000/v3'],                       # no password
    ['--keystone-url', '127.0.0.1:5000', '--keystone-admin-password', 'x'],
    ['--keystone-url', 'http://h/v3', '--keystone-admin-password', 'x', '--noauth'],
    ['--keystone-url', 'http://h/v3', '--keystone-admin-password', 'x',
     '--admin-password', 'y'],
    ['--token-cache-ttl', '-1'],
    ['--token-cache-ttl', 'inf'],
    ['--keystone-timeout', '0'],
])
def test_keystone_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().out == ''


def test_keystone_defaults() -> None:
    args = build_parser().parse_args([])
    assert args.keystone_url is None
    assert (args.keystone_admin_user, args.keystone_admin_project,
            args.keystone_admin_domain) == ('admin', 'admin', 'Default')
    assert (args.token_cache_ttl, args.keystone_timeout) == (60.0, 5.0)
    assert build_parser().parse_args(['--token-cache-ttl', '0']).token_cache_ttl == 0
