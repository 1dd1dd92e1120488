"""What tests that run pci-cli (or pci-fake-server) as a real process share: finding the
console script of this venv, and an environment free of the machine's cloud settings.

Free of pytest, like :mod:`tests.support.fake_cloud`, so that ``benchmarks/`` can use them."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

#: Where this interpreter's console scripts are installed.
BIN = Path(sys.executable).parent


def console_script(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:  # an error, not a skip: a test that cannot run must not pass as skipped
        raise FileNotFoundError(f'{name} is not installed next to {sys.executable}: '
                                'pip install -e .')
    return found


#: The tests' PCI ID database (tests/data/pci-ids): names and stderr must not depend on
#: whether the machine running the tests has pciutils/hwdata.
TEST_PCI_IDS = Path(__file__).resolve().parent.parent / 'data' / 'pci-ids' / 'pci.ids'


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the OS_*/PCI_* settings of the machine running the tests,
    with the tests' PCI ID database as ``PCI_IDS``, plus ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PCI_'))}
    env['PCI_IDS'] = str(TEST_PCI_IDS)
    env.update(extra)
    return env
