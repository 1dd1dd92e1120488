"""Fixtures for the REST-layer unit tests: a client on a fixed endpoint, no auth."""
from __future__ import annotations

import os

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from tests.unit.placement_cloud import placement  # noqa: F401 - a fixture (a mocked Placement)

ENDPOINT = 'http://nova.test:8774/v2.1'


@pytest.fixture
def endpoint() -> str:
    return ENDPOINT


@pytest.fixture
def client(requests_mock):
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=ENDPOINT)


@pytest.fixture
def no_cloud_settings(monkeypatch):
    """None of the machine's OS_*/PCI_* settings reaches a pci-cli run in the test."""
    for name in list(os.environ):
        if name.startswith(('OS_', 'PCI_')):
            monkeypatch.delenv(name)
