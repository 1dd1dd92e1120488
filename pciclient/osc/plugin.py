"""Hook for python-openstackclient: ``openstack pci device list`` and friends.

OSC imports this module on every ``openstack`` run, whatever the command, so it
imports nothing beyond the standard library at module level. The commands are
the very classes ``pci-cli`` uses (:mod:`pciclient.commands`); they reach the
client as ``self.app.client_manager.pci``, which OSC builds with :func:`make_client`.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from pciclient.commands import pci_source
from pciclient.v2.sources import PLACEMENT_CONCURRENCY

if TYPE_CHECKING:  # OSC imports this module on every run: only for the checker
    from pciclient.v2.client import Client

API_NAME = 'pci'
API_VERSION_OPTION = 'os_pci_api_version'
DEFAULT_API_VERSION = '2'
API_VERSIONS = {'2': 'pciclient.v2.client.Client'}

_MICROVERSION = re.compile(r'^2\.\d+$')


def _compute_microversion(instance: Any) -> str | None:
    """OSC's own ``--os-compute-api-version`` (never registered a second time here).

    Only an explicit ``2.N`` is sent; OSC's default of plain ``2``/``2.1`` means what
    the blueprint assumes anyway, and no header keeps old servers happy.
    """
    versions = getattr(instance, '_api_version', None) or {}
    value = str(versions.get('compute') or '')
    if value == 'latest':
        return '2.latest'
    return value if _MICROVERSION.match(value) and value != '2.1' else None


def _configuration(instance: Any) -> dict[str, Any]:
    try:
        return dict(instance.get_configuration())
    except Exception:  # noqa: BLE001 - an OSC without it simply has no settings for us
        return {}


def _concurrency(value: Any) -> int:
    """clouds.yaml's ``placement_concurrency``, kept within what the CLI option allows."""
    try:
        number = int(value) if value is not None else PLACEMENT_CONCURRENCY
    except (TypeError, ValueError):
        return PLACEMENT_CONCURRENCY
    return min(max(number, 1), 64)


def make_client(instance: Any) -> Client:
    """Our v2 client on OSC's session, region, interface and endpoint override."""
    from pciclient import client as pci_client

    config = _configuration(instance)
    version = str(getattr(instance, '_api_version', {}).get(API_NAME) or DEFAULT_API_VERSION)
    microversion = _compute_microversion(instance)
    placement_override = config.get('placement_endpoint_override')
    # Without Keystone the auth plugin answers its one endpoint for every service.
    no_catalog = getattr(instance, 'auth_plugin_name', None) in ('none', 'admin_token')
    return pci_client.Client(
        microversion or version,
        session=instance.session,
        region_name=instance.region_name,
        interface=instance.interface or 'public',
        endpoint_override=config.get('compute_endpoint_override'),
        pci_source=config.get('pci_source') or 'auto',
        placement=bool(placement_override) or not no_catalog,
        placement_endpoint_override=placement_override,
        placement_concurrency=_concurrency(config.get('placement_concurrency')),
        network=bool(config.get('network_endpoint_override')) or not no_catalog,
        network_endpoint_override=config.get('network_endpoint_override'),
    )


def build_option_parser(parser: Any) -> Any:
    """Only options no other plugin can have: everything else is OSC's own."""
    parser.add_argument(
        '--os-pci-api-version', metavar='<pci-api-version>',
        default=os.environ.get('OS_PCI_API_VERSION', DEFAULT_API_VERSION),
        help='PCI API version (only 2 exists; default 2, env OS_PCI_API_VERSION). '
             'The compute microversion is --os-compute-api-version.')
    pci_source.register(parser)
    return parser
