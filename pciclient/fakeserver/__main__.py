"""Let ``python -m pciclient.fakeserver`` behave like ``pci-fake-server``."""
import sys

from pciclient.fakeserver.cli import main

sys.exit(main())
