"""The ``pci-cli`` console script: answers ``--version`` before importing anything heavy.

Scripts ask for the version often; it needs neither cliff nor keystoneauth, which
:mod:`pciclient.shell` (the cliff application) imports for everything else.
"""
from __future__ import annotations

import sys
from types import ModuleType

from pciclient import __version__


def _import_shell() -> ModuleType:
    """:mod:`pciclient.shell`, imported with the cyclic garbage collector paused.

    Importing cliff, keystoneauth, requests and our commands creates tens of thousands of
    objects that live as long as the process: each time the collector ran it walked them
    all again, about a fifth of the cpu of a small command. They are frozen instead
    (:func:`gc.freeze`: never scanned again) and collection resumes for what the command
    itself allocates, so a long listing frees its cycles as before. Only on the first
    import: a program that calls :func:`main` many times freezes nothing of its own.
    """
    if 'pciclient.shell' in sys.modules:
        return sys.modules['pciclient.shell']
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from pciclient import shell
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
    return shell


def main(argv: list[str] | None = None) -> int:
    """Run ``pci-cli``; returns the exit code (0 ok, 1 API or connection error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ['--version']:
        print(f'pci-cli {__version__}')
        return 0
    return int(_import_shell().main(argv))


if __name__ == '__main__':
    sys.exit(main())
