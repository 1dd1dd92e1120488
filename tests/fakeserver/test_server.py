"""The HTTP server (both engines) and the embedded ``--local`` entry point, over real sockets."""
from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.views import Views
from pciclient.fakeserver.embedded import start_local
from pciclient.fakeserver.wsgi.server import (
    CHEROOT,
    ENGINES,
    RunningServer,
    ThreadingWSGIServer,
    make_server,
    start_in_thread,
)
from tests.support.sysfs_tree import STANDARD_VALID_ADDRESSES


def _get(url: str, method: str = 'GET') -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers), json.loads(raw) if raw else None


def _port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(('127.0.0.1', port)) != 0


@pytest.fixture(params=ENGINES)
def running(app: FakeComputeApp, request: pytest.FixtureRequest) -> Any:
    server = start_in_thread(app, engine=request.param)
    yield server
    server.stop()


def test_urls_and_free_port(running: RunningServer) -> None:
    assert running.host == '127.0.0.1' and running.port > 0
    assert running.url == f'http://127.0.0.1:{running.port}'
    assert running.compute_url == running.url + '/v2.1'
    assert running.running


def test_serves_over_http_with_links_to_itself(running: RunningServer) -> None:
    status, headers, body = _get(running.compute_url + '/os-pci/detail?limit=2')
    assert status == 200
    assert headers['Content-Type'] == 'application/json'
    assert headers['x-openstack-request-id'].startswith('req-')
    assert [d['id'] for d in body['pci_devices']] == [1, 2]
    assert body['pci_devices_links'][0]['href'] == (
        f'{running.compute_url}/os-pci/detail?limit=2&marker=2')


def test_errors_over_http(running: RunningServer) -> None:
    status, headers, body = _get(running.compute_url + '/os-pci', method='DELETE')
    assert status == 405 and headers['Allow'] == 'GET, HEAD'
    status, _, body = _get(running.compute_url + '/os-pci/..%2F..%2Fetc%2Fpasswd')
    assert status == 404
    if isinstance(running.httpd, ThreadingWSGIServer):  # wsgiref decodes %2F: no such route
        assert body['code'] == '404 Not Found'
    else:  # cheroot keeps %2F encoded: the whole segment is one (unknown) device id
        assert body == {'itemNotFound': {
            'code': 404, 'message': 'PCI device ..%2F..%2Fetc%2Fpasswd not found'}}
    status, _, body = _get(running.compute_url + '/os-pci/42')
    assert status == 404 and body['itemNotFound']['message'] == 'PCI device 42 not found'


def test_stop_closes_port_and_joins_thread(app: FakeComputeApp) -> None:
    server = start_in_thread(app)
    port = server.port
    assert _get(server.url + '/')[0] == 200
    server.stop()
    assert not server.thread.is_alive()
    assert _port_is_closed(port)
    server.stop()  # idempotent


def test_context_manager_stops(app: FakeComputeApp) -> None:
    with start_in_thread(app) as server:
        assert _get(server.compute_url)[0] == 200
        port = server.port
    assert not server.running and _port_is_closed(port)


def test_concurrent_requests(running: RunningServer) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            status = _get(running.compute_url + '/os-hypervisors/detail')[0]
            with lock:
                results.append(status)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [200] * 40


def test_slow_client_does_not_block_others(running: RunningServer) -> None:
    with socket.create_connection(('127.0.0.1', running.port), timeout=5) as idle:
        idle.sendall(b'GET /v2.1/os-pci HTTP/1.1\r\n')  # never finishes its headers
        assert _get(running.compute_url + '/os-pci')[0] == 200


def test_bug_in_app_keeps_server_alive(running: RunningServer, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: Views, route: object, request: object) -> dict:
        raise KeyError('synthetic')
    monkeypatch.setattr(Views, 'render', broken)
    with caplog.at_level(logging.ERROR, logger='pciclient.fakeserver'):
        status, _, body = _get(running.compute_url + '/os-pci')
    assert status == 500 and 'computeFault' in body
    assert any('unhandled error' in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert _get(running.compute_url + '/os-pci')[0] == 200


def test_access_log_goes_to_logger(running: RunningServer,
                                   caplog: pytest.LogCaptureFixture,
                                   capfd: pytest.CaptureFixture[str]) -> None:
    def logged() -> bool:
        lines = [r.getMessage() for r in caplog.records
                 if r.name == 'pciclient.fakeserver.access']
        return any('GET /v2.1/os-hypervisors' in line and ' 200 ' in line for line in lines)

    with caplog.at_level(logging.INFO, logger='pciclient.fakeserver'):
        _get(running.compute_url + '/os-hypervisors')
        # wsgiref logs the request after the response has gone out: give its thread a moment.
        deadline = time.monotonic() + 10
        while not logged() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert logged()
    assert 'os-hypervisors' not in capfd.readouterr().err


def test_port_in_use_raises(running: RunningServer, app: FakeComputeApp) -> None:
    with pytest.raises(OSError):
        start_in_thread(app, port=running.port)


def test_cheroot_keeps_connections_alive(app: FakeComputeApp) -> None:
    with start_in_thread(app, engine=CHEROOT) as server:
        connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
        try:
            for path in ('/v2.1/os-pci', '/v2.1/os-pci/1', '/v2.1/os-hypervisors/1'):
                connection.request('GET', path)
                response = connection.getresponse()
                assert response.status == 200 and response.version == 11
                assert response.getheader('Connection') != 'close'
                json.loads(response.read())
            first = connection.sock
            connection.request('HEAD', '/v2.1/os-pci')
            head = connection.getresponse()
            assert head.read() == b'' and int(head.getheader('Content-Length')) > 0
            assert connection.sock is first  # one TCP connection for all of them
        finally:
            connection.close()


def test_many_keep_alive_connections_are_all_kept(app: FakeComputeApp) -> None:
    with start_in_thread(app) as server:
        connections = [http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
                       for _ in range(60)]
        try:
            for _ in range(2):
                for connection in connections:
                    connection.request('GET', '/v2.1/os-pci/1')
                    response = connection.getresponse()
                    assert response.getheader('Connection') != 'close'
                    assert json.loads(response.read())['pci_device']['id'] == 1
        finally:
            for connection in connections:
                connection.close()


def test_unknown_engine_is_refused(app: FakeComputeApp) -> None:
    with pytest.raises(ValueError, match='unknown engine'):
        make_server(app, engine='gunicorn')


def test_server_threads_never_keep_the_interpreter_alive() -> None:
    """A server nobody stopped must not hang the process at exit (its threads are daemons)."""
    import subprocess
    import sys
    code = ('from pciclient.fakeserver.wsgi.server import start_in_thread; import urllib.request; '
            's = start_in_thread('
            'lambda e, r: (r("200 OK", [("Content-Length", "2")]), [b"{}"])[1]); '
            'print(urllib.request.urlopen(s.url + "/").read().decode())')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == '{}', result.stderr


def test_stop_is_quick(app: FakeComputeApp) -> None:
    for engine in ENGINES:
        server = start_in_thread(app, engine=engine)
        _get(server.compute_url)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3  # one poll tick in practice


def test_start_local_serves_the_tree(standard_tree: Path) -> None:
    with start_local(str(standard_tree)) as server:
        assert server.host == '127.0.0.1'
        _, _, body = _get(server.compute_url + '/os-pci/detail')
        assert [d['address'] for d in body['pci_devices']] == list(STANDARD_VALID_ADDRESSES)
        assert 'instance_uuid' in body['pci_devices'][0]  # blueprint shapes
        _, _, hypervisors = _get(server.compute_url + '/os-hypervisors')
        assert hypervisors['hypervisors'][0]['hypervisor_hostname'] == socket.gethostname()
    assert not server.running


def test_start_local_is_quiet(standard_tree: Path, capfd: pytest.CaptureFixture[str]) -> None:
    server = start_local(str(standard_tree))
    try:
        _get(server.compute_url + '/os-pci')
    finally:
        server.stop()
    captured = capfd.readouterr()
    assert captured.out == '' and captured.err == ''


def test_start_local_missing_tree_serves_nothing(tmp_path: Path) -> None:
    with start_local(str(tmp_path / 'absent')) as server:
        assert _get(server.compute_url + '/os-pci')[2] == {'pci_devices': []}


def test_embedded_module_is_import_light() -> None:
    import subprocess
    import sys
    code = ('import json, sys, pciclient.fakeserver.embedded; '
            'print(json.dumps(sorted(m for m in sys.modules if m.startswith("pciclient") '
            'or m in ("wsgiref", "socketserver", "http.server"))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert json.loads(out) == ['pciclient', 'pciclient.fakeserver',
                               'pciclient.fakeserver.embedded']


def test_start_local_uses_the_stdlib_engine_and_never_imports_cheroot(standard_tree: Path) -> None:
    import subprocess
    import sys
    code = ('import sys, pciclient.fakeserver.embedded as e; s = e.start_local(sys.argv[1]); '
            's.stop(); print(type(s.httpd).__name__, any(m.startswith("cheroot") '
            'for m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code, str(standard_tree)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    assert out == ['ThreadingWSGIServer', 'False']
