"""``--pci-source`` and ``--pci-ids``: options shared by ``pci-cli`` and the ``openstack`` plugin.

Kept free of heavy imports: OSC imports the plugin module on every run.
"""
from __future__ import annotations

import os
from typing import Any

from pciclient.v2.sources import PLACEMENT_CONCURRENCY, SOURCES, split_sources


def _concurrency(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f'expected a whole number from 1 to 64, not {text!r}')
    return int(text)


def sources(text: str) -> str:
    """``--pci-source``: one source or several, comma-separated (a usage error else)."""
    import argparse

    try:
        split_sources(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return ','.join(part.strip() for part in text.split(',') if part.strip())


def register(parser: Any) -> None:
    parser.add_argument(
        '--pci-source', metavar='<source>[,<source>]', type=sources,
        default=os.environ.get('PCI_SOURCE', 'auto'),
        help='Where PCI devices and pools are read, comma-separated: os-pci (the compute '
             'API\'s extension), placement (where Nova reports them since Zed), neutron '
             '(the VFs SR-IOV ports are bound to; their holders need an admin role), or '
             'auto: os-pci, else placement, plus neutron when the catalog has a network '
             f'service ({", ".join(SOURCES)}; env PCI_SOURCE; default auto).')
    parser.add_argument(
        '--placement-concurrency', metavar='<n>', type=_concurrency,
        default=os.environ.get('PCI_PLACEMENT_CONCURRENCY', str(PLACEMENT_CONCURRENCY)),
        help='Requests to Placement in flight at once when a listing reads many providers '
             f'(1-64; env PCI_PLACEMENT_CONCURRENCY; default {PLACEMENT_CONCURRENCY}).')
    parser.add_argument(
        '--pci-ids', metavar='<file>', default=None,
        help='PCI ID database for vendor and product names in --long and show output '
             '(default: $PCI_IDS, else pci.ids from pciutils/hwdata where installed).')
