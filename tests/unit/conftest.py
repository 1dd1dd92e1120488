"""Fixtures for the REST-layer unit tests: a client on a fixed endpoint, no auth."""
from __future__ import annotations

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client

ENDPOINT = 'http://nova.test:8774/v2.1'


@pytest.fixture
def endpoint() -> str:
    return ENDPOINT


@pytest.fixture
def client(requests_mock):
    sess = session.Session(auth=noauth.NoAuth())
    return pci_client.Client('2', session=sess, endpoint_override=ENDPOINT)
