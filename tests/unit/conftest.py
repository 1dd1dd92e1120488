"""Fixtures for the REST-layer unit tests: a client on a fixed endpoint, no auth."""
from __future__ import annotations

import os
import re

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
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


#: The PCI ID database every unit test sees unless it chooses another: whether the machine
#: running the tests has pciutils/hwdata must not change what pci-cli prints.
TEST_PCI_IDS = """# a few lines in the pci.ids format, for the unit tests
8086  Intel Corporation
\t1520  I350 Ethernet Controller Virtual Function
10de  NVIDIA Corporation
\t1eb8  TU104GL [Tesla T4]
C 02  Network controller
"""


@pytest.fixture(autouse=True)
def known_pci_ids(tmp_path_factory, monkeypatch):
    """:data:`TEST_PCI_IDS` stands for the system's database (``--pci-ids`` and
    ``$PCI_IDS`` still come first)."""
    database = tmp_path_factory.getbasetemp() / 'unit-pci.ids'
    if not database.exists():
        database.write_text(TEST_PCI_IDS)
    monkeypatch.setattr('pciclient.commands.pciids.SEARCH_PATHS', (str(database),))
    return database


@pytest.fixture
def no_cloud_settings(monkeypatch):
    """None of the machine's OS_*/PCI_* settings reaches a pci-cli run in the test."""
    for name in list(os.environ):
        if name.startswith(('OS_', 'PCI_')):
            monkeypatch.delenv(name)
