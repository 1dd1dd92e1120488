"""Fixtures for the REST-layer unit tests: a client on a fixed endpoint, no auth."""
from __future__ import annotations

import os
import re

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from tests.support.cli_process import TEST_PCI_IDS
from tests.unit.placement_cloud import placement  # noqa: F401 - the mocked Placement fixture

ENDPOINT = 'http://nova.test:8774/v2.1'


@pytest.fixture
def endpoint() -> str:
    return ENDPOINT


@pytest.fixture
def client(requests_mock):
    # Holders' names are looked up per server: unknown servers are Nova's 404 unless a
    # test registers them (a later registration wins in requests_mock).
    requests_mock.get(re.compile(f'{ENDPOINT}/servers/[^/]+$'), status_code=404,
                      json={'itemNotFound': {'code': 404, 'message': 'Instance not found'}})
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=ENDPOINT)


@pytest.fixture(autouse=True)
def known_pci_ids(monkeypatch):
    """The tests' PCI ID database (tests/data/pci-ids) stands for the system's: whether the
    machine running the tests has pciutils/hwdata must not change what pci-cli prints
    (``--pci-ids`` and ``$PCI_IDS`` still come first)."""
    monkeypatch.setattr('pciclient.commands.pciids.SEARCH_PATHS', (str(TEST_PCI_IDS),))
    monkeypatch.delenv('PCI_IDS', raising=False)  # no other tier's setting leaks in
    return TEST_PCI_IDS


@pytest.fixture
def no_cloud_settings(monkeypatch):
    """None of the machine's OS_*/PCI_* settings reaches a pci-cli run in the test."""
    for name in list(os.environ):
        if name.startswith(('OS_', 'PCI_')):
            monkeypatch.delenv(name)
