"""The ``pci-cli`` console script: answers ``--version`` before importing anything heavy.

Scripts ask for the version often; it needs neither cliff nor keystoneauth, which
:mod:`pciclient.shell` (the cliff application) imports for everything else.
"""
from __future__ import annotations

import sys

from pciclient import __version__


def main(argv: list[str] | None = None) -> int:
    """Run ``pci-cli``; returns the exit code (0 ok, 1 API or connection error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ['--version']:
        print(f'pci-cli {__version__}')
        return 0
    from pciclient import shell

    return shell.main(argv)


if __name__ == '__main__':
    sys.exit(main())
