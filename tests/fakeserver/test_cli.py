"""The real ``pci-fake-server`` process: URL on stdout, clean exits, clear bind errors."""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pciclient.fakeserver.cli import build_parser, main
from tests.sysfs_tree import STANDARD_VALID_ADDRESSES


def _command() -> list[str]:
    script = shutil.which('pci-fake-server')
    if script is None:
        candidate = Path(sys.executable).with_name('pci-fake-server')
        script = str(candidate) if candidate.exists() else None
    return [script] if script else [sys.executable, '-m', 'pciclient.fakeserver.cli']


def _readline(stream: object, timeout: float = 30) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, 'pci-fake-server printed nothing in time'
    return stream.readline()  # type: ignore[attr-defined]


class _Server:
    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.url = _readline(self.process.stdout).strip()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=30)


@pytest.fixture
def spawn(standard_tree: Path) -> Iterator[object]:
    started: list[_Server] = []

    def start(*extra: str, command: list[str] | None = None) -> _Server:
        base = command or _command()
        server = _Server([*base, '--port', '0', '--sysfs-root', str(standard_tree),
                          '--hostname', 'cli-host', *extra])
        started.append(server)
        return server
    yield start
    for server in started:
        server.kill()


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers['Content-Type'] == 'application/json'
        return json.load(response)


def test_console_script_serves_and_exits_cleanly_on_sigterm(spawn: object) -> None:
    server = spawn()  # type: ignore[operator]
    assert server.url.startswith('http://127.0.0.1:') and server.url.endswith('/v2.1')
    body = _get_json(server.url + '/os-pci/detail')
    assert [d['address'] for d in body['pci_devices']] == list(STANDARD_VALID_ADDRESSES)
    hypervisor = _get_json(server.url + '/os-hypervisors/cli-host')['hypervisor']
    assert hypervisor['hypervisor_hostname'] == 'cli-host' and 'pci_stats' in hypervisor
    code, out, err = server.stop(signal.SIGTERM)
    assert code == 0
    assert out == ''  # the URL was the only stdout line
    assert 'serving 5 PCI devices of host cli-host' in err
    assert 'skipped 0000:00:1f.3: vendor: file missing' in err
    assert 'not-an-address' in err
    assert 'GET /v2.1/os-pci/detail' in err
    assert 'Traceback' not in err


def test_ctrl_c_exits_zero(spawn: object) -> None:
    server = spawn()  # type: ignore[operator]
    assert _get_json(server.url)['version']['id'] == 'v2.1'
    code, _, err = server.stop(signal.SIGINT)
    assert code == 0 and 'Traceback' not in err and 'KeyboardInterrupt' not in err


def test_python_dash_m_and_merged_shapes(spawn: object) -> None:
    server = spawn('--shapes', 'merged-nova', '--verbose',  # type: ignore[operator]
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
            [*_command(), '--port', str(port), '--sysfs-root', str(standard_tree)],
            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ''
    error_lines = [line for line in result.stderr.splitlines() if 'WARNING' not in line]
    assert error_lines == [
        f'pci-fake-server: cannot listen on 127.0.0.1:{port}: address already in use']
    assert 'Traceback' not in result.stderr


def test_main_in_process_reports_bad_bind(standard_tree: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(['--bind', '203.0.113.250', '--port', '0', '--sysfs-root', str(standard_tree)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ''
    assert 'pci-fake-server: cannot listen on 203.0.113.250:0:' in captured.err


def test_missing_sysfs_root_still_serves(tmp_path: Path) -> None:
    process = subprocess.Popen([*_command(), '--port', '0', '--sysfs-root', str(tmp_path / 'x')],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _readline(process.stdout).strip()
        assert _get_json(url + '/os-pci') == {'pci_devices': []}
        process.terminate()
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0
        assert 'serving 0 PCI devices' in err and 'no such directory' in err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.bind, args.port, args.sysfs_root, args.shapes, args.verbose) == (
        '127.0.0.1', 8774, '/sys', 'blueprint', False)
    assert args.hostname is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(['--shapes', 'v3'])


def test_console_script_is_installed() -> None:
    assert shutil.which('pci-fake-server') or Path(sys.executable).with_name(
        'pci-fake-server').exists()
    assert os.access(_command()[0], os.X_OK)
