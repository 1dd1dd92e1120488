"""``python -m pciclient.exporter``: the same as ``pci-exporter``."""
import sys

from pciclient.exporter.cli import main

sys.exit(main())
