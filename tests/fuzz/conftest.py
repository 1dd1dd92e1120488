"""Hypothesis profiles for the fuzz tier, and a clean environment for in-process runs.

``HYPOTHESIS_PROFILE=ci`` (the default, what CI runs) runs 25 examples per test (one test
per command and PCI source, plus the library calls it makes), the same examples on every
run (derandomized: a landing never fails on an example no earlier run tried). That is a
regression net, not a search: the same fixed examples each time find nothing new, so
more of them buy little per CI minute (100 cost the tier about two minutes more).
``HYPOTHESIS_PROFILE=thorough`` runs the 100 fixed examples per test CI used to run;
``deep`` 10,000 new random ones per test (the search: run it before a release or after
changing a decoder or a command, with ``--hypothesis-show-statistics``), and ``dev`` 20
random ones.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

#: Failing examples are kept here to be replayed first on the next run (git ignores it).
_DATABASE = DirectoryBasedExampleDatabase(
    str(Path(__file__).resolve().parents[2] / '.pytest_cache' / 'hypothesis'))
_COMMON = dict(deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: examples per test of the default profile (CI); ``thorough`` runs four times as many.
CI_EXAMPLES = 25
settings.register_profile('ci', max_examples=CI_EXAMPLES, derandomize=True, **_COMMON)
settings.register_profile('thorough', max_examples=100, derandomize=True, **_COMMON)
settings.register_profile('deep', max_examples=10_000, database=_DATABASE, **_COMMON)
settings.register_profile('dev', max_examples=20, database=_DATABASE, **_COMMON)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))


@pytest.fixture(scope='package', autouse=True)
def _clean_environment(tmp_path_factory):
    """No OS_*/PCI_* setting of the machine may reach pci-cli; a tiny PCI ID database."""
    database = tmp_path_factory.mktemp('pci-ids') / 'pci.ids'
    database.write_text('# a few made-up names for the fuzzers\n'
                        '8086  Vendor Eight\n\t1520  Product Fifteen\n'
                        '10de  Vendor Ten\n\t1eb8  Product Eb\n')
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(('OS_', 'PCI_')):
                patch.delenv(name)
        patch.setenv('PCI_IDS', str(database))
        yield
