"""The real-Neutron tier's venv: what it holds, and building it ahead of the tests.

Stdlib only, so that ``.ci/run`` can start the build with the system's ``python3`` before
the test venv exists (``python3 -m tests.realneutron.venv``); the tier's fixture then waits
for that build through the cache's lock, or builds the venv itself when nothing did.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.realservices.venvs import VenvError, ensure_venv

# Neutron 29.0.0 pinned, with the neutron-lib its API definitions and policies come from.
NEUTRON_REQUIREMENTS = [
    'neutron==29.0.0',
    'neutron-lib==5.0.1',
]
# A cold install resolves and fetches ~150 packages: longer than the other tiers'.
INSTALL_TIMEOUT = 1800


def neutron_venv() -> Path:
    """The cached Neutron venv, built (or waited for) when needed."""
    return ensure_venv('neutron', NEUTRON_REQUIREMENTS, timeout=INSTALL_TIMEOUT)


def main() -> int:
    started = time.monotonic()
    try:
        venv = neutron_venv()
    except (VenvError, OSError) as exc:
        sys.stderr.write(f'the Neutron venv could not be built: {exc}\n')
        return 1
    print(f'Neutron venv ready at {venv} after {time.monotonic() - started:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
