"""How long each real-service tier took, for the one terminal summary (``tests/conftest.py``).

A tier's conftest asks for its timings dict with :func:`tier_timings` and fills it; the
root conftest's ``pytest_terminal_summary`` writes one line per tier that recorded any.
"""
from __future__ import annotations

#: tier label -> {step name: seconds}, in the order the tiers registered.
TIMINGS: dict[str, dict[str, float]] = {}


def tier_timings(label: str) -> dict[str, float]:
    """The (mutable) timings of the tier called ``label``, e.g. ``'real Nova tier'``."""
    return TIMINGS.setdefault(label, {})


def summary_lines() -> list[str]:
    return [f'{label}: ' + ', '.join(f'{name} {seconds:.1f} s' for name, seconds in steps.items())
            for label, steps in TIMINGS.items() if steps]
