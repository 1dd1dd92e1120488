"""pci-cli against the fake server over HTTPS with a throwaway CA (tests/support/tls_helpers.py)."""
from __future__ import annotations

import pytest

from tests.functional.helpers import run_cli
from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree
from tests.support.tls_helpers import make_local_ca


@pytest.fixture(scope='module')
def https_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('tls')
    ca = make_local_ca(workdir / 'ca')
    sysfs = build_standard_tree(workdir / 'sys')
    server = FakeServerProcess('--noauth', '--sysfs-root', str(sysfs), '--hostname', 'compute1',
                               '--cert', str(ca.server_cert), '--key', str(ca.server_key),
                               log=workdir / 'server.log')
    assert server.url.startswith('https://127.0.0.1:')
    server.ca = ca
    yield server
    server.stop()


def test_with_the_ca_it_works(https_server):
    result = run_cli('--os-cacert', str(https_server.ca.ca_cert), 'pci-list', '-f', 'json',
                     endpoint=https_server.url)
    assert len(result.json()) == 5
    assert result.err == ''


def test_without_the_ca_a_clear_certificate_error(https_server):
    result = run_cli('pci-list', endpoint=https_server.url)
    assert result.code == 1 and result.out == ''
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('TLS error talking to')
    assert 'certificate' in lines[0].lower() and '--os-cacert' in lines[0]


def test_insecure_works_with_one_warning(https_server):
    result = run_cli('--insecure', 'pci-list', '-f', 'json', endpoint=https_server.url)
    assert len(result.json()) == 5
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('Warning: --insecure')


def test_a_ca_for_another_server_is_refused(https_server, tmp_path):
    other = make_local_ca(tmp_path / 'other')
    result = run_cli('--os-cacert', str(other.ca_cert), 'hypervisor-list',
                     endpoint=https_server.url)
    assert result.code == 1
    assert result.err.startswith('TLS error talking to')
