"""The real ``pci-fake-server`` process: URL on stdout, identity, clean exits, clear errors."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.cli import build_parser, is_loopback, main
from tests.fakeserver.process_helpers import (
    _command,
    _env,
    _get,
    _get_json,
    _login,
    _readline,
    _scenario,
)
from tests.support.sysfs_tree import STANDARD_VALID_ADDRESSES, add_device, build_standard_tree

# --- serving ------------------------------------------------------------------------------------

def test_console_script_serves_and_exits_cleanly_on_sigterm(spawn: Any) -> None:
    server = spawn('--noauth')
    assert server.url.startswith('http://127.0.0.1:') and server.url.endswith('/v2.1')
    body = _get_json(server.url + '/os-pci/detail')
    assert [d['address'] for d in body['pci_devices']] == list(STANDARD_VALID_ADDRESSES)
    hypervisor = _get_json(server.url + '/os-hypervisors/cli-host')['hypervisor']
    assert hypervisor['hypervisor_hostname'] == 'cli-host' and 'pci_stats' in hypervisor
    code, out, err = server.stop(signal.SIGTERM)
    assert code == 0
    assert out == ''  # the URL was the only stdout line
    assert '5 PCI devices of host cli-host' in err
    assert 'skipped 0000:00:1f.3: vendor: file missing' in err
    assert 'not-an-address' in err
    assert 'GET /v2.1/os-pci/detail' in err
    assert '--noauth' in err and '/identity/v3' not in err
    assert 'Traceback' not in err


def test_ctrl_c_exits_zero(spawn: Any) -> None:
    server = spawn()
    assert _get_json(server.url)['version']['id'] == 'v2.1'
    code, _, err = server.stop(signal.SIGINT)
    assert code == 0 and 'Traceback' not in err and 'KeyboardInterrupt' not in err


def test_python_dash_m_and_merged_shapes(spawn: Any) -> None:
    server = spawn('--shapes', 'merged-nova', '--verbose', '--noauth',
                   command=[sys.executable, '-m', 'pciclient.fakeserver.cli'])
    device = _get_json(server.url + '/os-pci/3')['pci_device']
    assert 'server_uuid' in device and 'instance_uuid' not in device
    hypervisor = _get_json(server.url + '/os-hypervisors/1')['hypervisor']
    assert 'os-pci:pci_stats' in hypervisor
    code, _, err = server.stop()
    assert code == 0 and '(merged-nova shapes)' in err


def test_port_in_use_is_one_clear_line(standard_tree: Path) -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*_command(), '--port', str(port), '--sysfs-root', str(standard_tree),
             '--admin-password', 'x'], capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 1
    assert result.stdout == ''
    error_lines = [line for line in result.stderr.splitlines() if 'WARNING' not in line]
    assert error_lines == [
        f'pci-fake-server: cannot listen on 127.0.0.1:{port}: address already in use']
    assert 'Traceback' not in result.stderr


def test_main_in_process_reports_bad_bind(standard_tree: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(['--bind', '203.0.113.250', '--port', '0', '--sysfs-root', str(standard_tree),
                 '--noauth'])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ''
    assert 'pci-fake-server: cannot listen on 203.0.113.250:0:' in captured.err


def test_noauth_on_a_non_loopback_address_warns(standard_tree: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # 203.0.113.0/24 is for documentation: never this machine's, so the bind fails, unsent.
    code = main(['--bind', '203.0.113.250', '--port', '0', '--sysfs-root', str(standard_tree),
                 '--noauth'])
    err = capsys.readouterr().err
    assert code == 1
    assert ('WARNING pciclient.fakeserver: --noauth on 203.0.113.250, which is not a loopback '
            'address: anyone who can reach this port is an admin of this fake cloud') in err


@pytest.mark.parametrize('argv', [
    ['--noauth', '--bind', '127.0.0.1'],
    ['--admin-password', 'x', '--bind', '203.0.113.250'],
], ids=['noauth-loopback', 'auth-elsewhere'])
def test_no_exposure_warning_on_loopback_or_with_auth(standard_tree: Path, argv: list[str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:  # a taken port: main() stops right after deciding
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main([*argv, '--port', str(port), '--sysfs-root', str(standard_tree)])
    err = capsys.readouterr().err
    assert code == 1 and 'cannot listen' in err
    assert 'not a loopback address' not in err


@pytest.mark.parametrize('host, expected', [
    ('127.0.0.1', True), ('127.3.2.1', True), ('::1', True), ('[::1]', True),
    ('localhost', True), ('0.0.0.0', False), ('::', False), ('', False),
    ('203.0.113.250', False), ('10.1.2.3', False), ('fe80::1%lo', False),
])
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_missing_sysfs_root_still_serves(tmp_path: Path) -> None:
    process = subprocess.Popen([*_command(), '--port', '0', '--sysfs-root', str(tmp_path / 'x'),
                                '--noauth'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _readline(process.stdout).strip()
        assert _get_json(url + '/os-pci') == {'pci_devices': []}
        process.terminate()
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0
        assert '0 PCI devices' in err and 'no such directory' in err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


# --- identity ----------------------------------------------------------------------------------

def test_generated_admin_password_is_in_a_private_file(spawn: Any, tmp_path: Path) -> None:
    runtime = tmp_path / 'run'
    runtime.mkdir(mode=0o700)
    server = spawn(env=_env(XDG_RUNTIME_DIR=str(runtime)))
    identity = server.wait_for_log(r'identity \(Keystone v3\) at (\S+);')
    assert identity.group(1) == server.root + '/identity/v3'
    path = Path(server.wait_for_log(r'generated admin password is in (\S+)').group(1))
    assert path.parent.parent == runtime
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    password = path.read_text().strip()
    assert len(password) >= 16

    assert _get(server.url + '/os-pci')[0] == 401
    assert _login(server.root, 'admin', 'wrong', 'admin') == (401, None)
    status, token = _login(server.root, 'admin', password, 'admin')
    assert status == 201 and token
    assert _get(server.url + '/os-pci', token)[0] == 200
    code, out, err = server.stop()
    assert code == 0 and out == ''
    assert password not in err and token not in err
    assert str(path) in err
    assert not path.exists() and not path.parent.exists()  # gone with the server


@pytest.mark.parametrize('how', ['option', 'environment'])
def test_given_admin_password(spawn: Any, how: str) -> None:
    secret = 'S3cret-from-' + how
    if how == 'option':
        server = spawn('--admin-password', secret)
    else:
        server = spawn(env=_env(PCI_FAKE_ADMIN_PASSWORD=secret))
    server.wait_for_log(r"log in as user 'admin'")
    status, token = _login(server.root, 'admin', secret, 'admin')
    assert status == 201
    assert _get(server.url + '/os-hypervisors', token)[0] == 200
    code, _, err = server.stop()
    assert code == 0
    assert secret not in err and 'generated admin password' not in err


def test_help_never_shows_the_password() -> None:
    result = subprocess.run([*_command(), '--help'], capture_output=True, text=True, timeout=60,
                            env=_env(PCI_FAKE_ADMIN_PASSWORD='do-not-print-me'))
    assert result.returncode == 0
    for flag in ('--scenario', '--admin-password', '--noauth', '--token-ttl'):
        assert flag in result.stdout
    assert 'do-not-print-me' not in result.stdout + result.stderr


def test_noauth_has_no_identity(spawn: Any) -> None:
    server = spawn('--noauth')
    assert _get(server.url + '/servers')[0] == 200
    assert _get(server.root + '/identity/v3')[0] == 404
    assert server.stop()[0] == 0


def test_short_token_ttl(spawn: Any) -> None:
    server = spawn('--admin-password', 'pw', '--token-ttl', '0.5')
    _, token = _login(server.root, 'admin', 'pw', 'admin')
    assert _get(server.url + '/os-pci', token)[0] == 200
    time.sleep(0.7)
    status, body = _get(server.url + '/os-pci', token)
    assert status == 401 and body['error']['code'] == 401
    assert server.stop()[0] == 0


# --- scenarios ---------------------------------------------------------------------------------

def test_scenario_users_log_in(spawn: Any, tmp_path: Path, standard_tree: Path) -> None:
    path = _scenario(tmp_path, f"""
projects: [{{name: ops}}, {{name: demo}}]
users:
  - {{name: root, password: rootpw, project: ops, roles: [admin, member]}}
  - {{name: alice, password: alicepw, project: demo}}
hosts:
  - {{hostname: compute1, sysfs_root: {standard_tree}}}
servers:
  - {{name: vm1, project: demo, host: compute1, devices: ["0000:04:10.0"]}}
  - {{name: vm2, project: ops, host: compute1}}
""")
    server = spawn('--scenario', str(path), '--admin-password', 'ignored', tree=False)
    server.wait_for_log('identity')
    assert _login(server.root, 'admin', 'ignored', 'admin')[0] == 401
    _, admin = _login(server.root, 'root', 'rootpw', 'ops')
    _, member = _login(server.root, 'alice', 'alicepw', 'demo')
    assert admin and member
    assert len(_get_json(server.url + '/os-pci', admin)['pci_devices']) == 5
    assert _get(server.url + '/os-pci', member)[0] == 403
    mine = _get_json(server.url + '/servers/detail', member)['servers']
    assert [s['name'] for s in mine] == ['vm1'] and mine[0]['os-pci:pci_devices'] == [{'id': 3}]
    everyone = _get_json(server.url + '/servers?all_tenants=1', admin)['servers']
    assert sorted(s['name'] for s in everyone) == ['vm1', 'vm2']
    code, _, err = server.stop()
    assert code == 0 and '--admin-password is ignored' in err
    assert 'rootpw' not in err and 'alicepw' not in err


def test_bad_scenario_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 'hosts:\n  - {hostname: compute1}\n')
    result = subprocess.run([*_command(), '--port', '0', '--scenario', str(path)],
                            capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 1
    assert result.stdout == ''
    (line,) = result.stderr.splitlines()
    assert line.startswith(f'pci-fake-server: {path}:2: ')
    assert 'generated admin password' not in result.stderr


def test_missing_scenario_file(tmp_path: Path) -> None:
    result = subprocess.run([*_command(), '--port', '0', '--scenario', str(tmp_path / 'no.yaml')],
                            capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 1 and result.stdout == ''
    assert len(result.stderr.splitlines()) == 1 and 'no.yaml' in result.stderr


@pytest.mark.parametrize('argv', [
    ['--scenario', 'x.yaml', '--sysfs-root', '/sys'],
    ['--scenario', 'x.yaml', '--hostname', 'h'],
    ['--token-ttl', '0'],
    ['--token-ttl', '-5'],
    ['--token-ttl', 'soon'],
    ['--token-ttl', 'inf'],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().out == ''


def test_sighup_rescans(spawn: Any, tmp_path: Path) -> None:
    tree = build_standard_tree(tmp_path / 'rescan-sys')
    path = _scenario(tmp_path, f"""
rescan_interval: 0
hosts:
  - {{hostname: compute1, sysfs_root: {tree}}}
""")
    server = spawn('--scenario', str(path), '--noauth', tree=False)
    assert len(_get_json(server.url + '/os-pci')['pci_devices']) == 5
    add_device(tree, '0000:5e:00.0', '10de', '1eb8', class_code='0x030200', numa_node=1)
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while True:
        addresses = [d['address'] for d in _get_json(server.url + '/os-pci')['pci_devices']]
        if '0000:5e:00.0' in addresses:
            break
        assert time.monotonic() < deadline, addresses
        time.sleep(0.1)
    assert server.process.poll() is None
    code, _, err = server.stop()
    assert code == 0 and 'SIGHUP' in err and 'Traceback' not in err


# --- parser ------------------------------------------------------------------------------------

def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.bind, args.port, args.sysfs_root, args.shapes, args.verbose) == (
        '127.0.0.1', 8774, None, 'blueprint', False)
    assert args.hostname is None and args.scenario is None
    assert (args.noauth, args.admin_password, args.token_ttl) == (False, None, 3600.0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(['--shapes', 'v3'])


def test_console_script_is_installed() -> None:
    assert shutil.which('pci-fake-server') or Path(sys.executable).with_name(
        'pci-fake-server').exists()
    assert os.access(_command()[0], os.X_OK)
