"""Functional tests: the real ``pci-cli`` entry point, as a subprocess, against fake servers.

``pci-fake-server`` runs as a subprocess on a free 127.0.0.1 port over a sysfs tree the
tests build; scenarios the CLI cannot set up (servers holding devices, broken servers)
run in a thread of the test process. Every process and thread started is stopped.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_cloud import FakeServerProcess
from tests.support.sysfs_tree import build_standard_tree


@pytest.fixture(scope='session')
def sysfs_root(tmp_path_factory) -> Path:
    return build_standard_tree(tmp_path_factory.mktemp('sysfs'))


@pytest.fixture(scope='session', params=['blueprint', 'merged-nova'])
def fake_server(request, sysfs_root) -> Iterator[FakeServerProcess]:
    server = FakeServerProcess('--noauth', '--sysfs-root', str(sysfs_root),
                               '--hostname', 'compute1', '--shapes', request.param,
                               log=sysfs_root.parent / f'fake-server-{request.param}.log')
    server.shapes = request.param
    yield server
    server.stop()
