"""The console scripts the real-service tiers run: this venv's, never one found elsewhere."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest


def installed_script(name: str) -> str:
    """``name`` installed next to this interpreter; the test fails when it is not."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        pytest.fail(f'{name} is not installed next to {sys.executable}: pip install -e .')
    return str(path)


def pci_cli_path() -> str:
    return installed_script('pci-cli')
