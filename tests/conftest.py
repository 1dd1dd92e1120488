"""What every tier shares: a marker per tier, from the directory a test lives in, and the
real-service tiers' timings at the end of the run.

``pytest -m unit`` is the quick loop, ``pytest -m "not real"`` the everyday one, and plain
``pytest`` runs everything, the real-service tiers included (they fail, never skip, when
their services cannot be set up).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.realservices.summary import summary_lines

TESTS = Path(__file__).resolve().parent

#: first directory under tests/ -> marker (registered in pyproject.toml).
TIER_MARKERS = {
    'unit': 'unit',
    'fakeserver': 'fakeserver',
    'functional': 'functional',
    'fuzz': 'fuzz',
    'faults': 'faults',
}
REAL_PREFIX = 'real'  # realkeystone, realnova, realplacement -> real


def tier_marker(path: Path) -> str | None:
    try:
        tier = path.resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    if tier.startswith(REAL_PREFIX) and tier != 'realservices':
        return 'real'
    return TIER_MARKERS.get(tier)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = tier_marker(Path(str(item.path)))
        if marker is not None:
            item.add_marker(marker)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in summary_lines():
        terminalreporter.write_line(line)
