"""The test data kept in the repository (``tests/data/``, described in its README)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

#: ``tests/data`` of this checkout.
DATA = Path(__file__).resolve().parent.parent / 'data'


def data_dir(name: str) -> Path:
    """``tests/data/NAME``; a missing directory fails the test (it is never skipped)."""
    path = DATA / name
    if not path.is_dir():
        pytest.fail(f'test data directory tests/data/{name} is missing from this checkout',
                    pytrace=False)
    return path


def data_json(name: str, file: str) -> Any:
    """The JSON document ``tests/data/NAME/FILE``."""
    return json.loads((data_dir(name) / file).read_text())
