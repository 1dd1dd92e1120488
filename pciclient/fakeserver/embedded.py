"""Start a fake compute API (and Placement) over this machine's PCI devices for ``--local``.

Imported by the CLI on every run, so it imports the server machinery only when
``start_local`` is actually called. The cloud has the default flavors and PCI alias of
a scenario that names none (``scenario.catalog_nodes.default_catalog``); as no API
shows nova.conf's ``[pci] alias``, the returned server carries them as ``pci_aliases``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pciclient.fakeserver.wsgi.server import RunningServer

__all__ = ['start_local']

DEFAULT_SYSFS_ROOT = '/sys'


def start_local(sysfs_root: str | None = None) -> RunningServer:
    """Scan ``sysfs_root`` (``/sys`` when None) once and serve it on a free 127.0.0.1 port.

    Problems in the tree are logged at DEBUG only: a one-shot CLI command should
    not print warnings about the host's odd PCI entries. The caller must
    ``stop()`` the returned server.
    """
    import logging
    import socket

    from pciclient.fakeserver.cloud import service_apis
    from pciclient.fakeserver.model.inventory import Inventory
    from pciclient.fakeserver.model.sysfs import read_functions
    from pciclient.fakeserver.scenario.catalog_nodes import catalog_for_functions
    from pciclient.fakeserver.wsgi.server import STDLIB, start_in_thread

    log = logging.getLogger('pciclient.fakeserver')
    scan = read_functions(sysfs_root or DEFAULT_SYSFS_ROOT)
    for where, reason in scan.problems:
        log.debug('sysfs: skipped %s: %s', where, reason)
    catalog = catalog_for_functions(scan.functions)
    inventory = Inventory.from_hosts([(socket.gethostname(), scan.functions)], catalog=catalog)
    # The stdlib engine: one client, a few requests, and no cheroot import on every --local run.
    running = start_in_thread(service_apis(inventory, 'blueprint'), engine=STDLIB)  # + Placement
    running.pci_aliases = catalog.pci_alias_documents()
    return running
