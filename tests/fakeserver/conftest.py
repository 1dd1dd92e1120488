"""Shared fixtures: the standard fake sysfs tree, inventories and apps built on it."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.model.sysfs import SysfsScan, read_functions
from tests.fakeserver.helpers import HOST, OTHER_SERVER_UUID, SERVER_UUID
from tests.fakeserver.process_helpers import _command, _Server
from tests.support.sysfs_tree import build_standard_tree
from tests.support.tls_helpers import local_ca  # noqa: F401 (a fixture: a throwaway CA in tmp_path)


@pytest.fixture
def standard_tree(tmp_path: Path) -> Path:
    return build_standard_tree(tmp_path / 'sys')


@pytest.fixture
def standard_scan(standard_tree: Path) -> SysfsScan:
    return read_functions(standard_tree)


@pytest.fixture
def inventory(standard_scan: SysfsScan) -> Inventory:
    """One host, the standard tree, no servers: device ids 1..5 in address order."""
    return Inventory.from_hosts([(HOST, standard_scan.functions)],
                                created_at='2026-11-25T12:00:00.000000')


@pytest.fixture
def busy_inventory(inventory: Inventory) -> Inventory:
    """Standard inventory plus a server holding VF 0000:04:10.0 (id 3) and an idle server."""
    return inventory.with_servers([
        Server(id=SERVER_UUID, name='vm-with-vf', host=HOST, device_ids=(3,)),
        Server(id=OTHER_SERVER_UUID, name='idle-vm', host=HOST),
    ])


@pytest.fixture
def app(busy_inventory: Inventory) -> FakeComputeApp:
    return FakeComputeApp(busy_inventory)


@pytest.fixture
def merged_app(busy_inventory: Inventory) -> FakeComputeApp:
    return FakeComputeApp(busy_inventory, shapes='merged-nova')


@pytest.fixture
def spawn(standard_tree: Path) -> Iterator[Any]:
    started: list[_Server] = []

    def start(*extra: str, command: list[str] | None = None, tree: bool = True,
              env: dict[str, str] | None = None) -> _Server:
        base = command or _command()
        source = ['--sysfs-root', str(standard_tree), '--hostname', 'cli-host'] if tree else []
        server = _Server([*base, '--port', '0', *source, *extra], env)
        started.append(server)
        return server
    yield start
    for server in started:
        server.kill()
