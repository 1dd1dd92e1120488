"""Fault tests: ``pci-cli`` (a real subprocess, or in-process where the process boundary
changes nothing) against misbehaving servers on 127.0.0.1 (:mod:`tests.faults.servers`)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith(('OS_', 'PCI_')):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PCI_IDS', os.devnull)
