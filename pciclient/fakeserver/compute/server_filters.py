"""What Nova 34 does with a server listing's ``status`` and ``host`` filters, and which
server attributes only an admin sees.

- ``status`` (repeatable, case-insensitive) is mapped as Nova's
  ``common.task_and_vm_state_from_status`` maps it: to the vm states having that status
  and the task states giving it; a server matches when its vm state is one of them and,
  unless a status is some vm state's default, its task state too. So ``ACTIVE`` also lists
  servers that show ``REBOOT`` or ``RESIZE`` (still active), and ``REBOOT`` only those.
  Deleted servers are listed only for ``status=DELETED`` alone, which is admin only.
  A status no state has (``UNKNOWN``, a typo) lists nothing: the answer of microversions
  before 2.38, which are the only ones these routes speak.
- ``host`` (exact, the last one given) is one of the filters only an admin may use
  (``os_compute_api:servers:allow_all_filters``); Nova silently drops it from anyone
  else's query, and so does this module.
- ``OS-EXT-SRV-ATTR:*`` are shown to admins only (``os_compute_api:os-extended-server-
  attributes``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pciclient.fakeserver.compute.errors import Forbidden
from pciclient.fakeserver.model.inventory import Server
from pciclient.fakeserver.wsgi.request import Request

__all__ = ['filter_servers', 'hide_admin_attributes']

_DEFAULT = 'default'
_DELETED = 'DELETED'
# Nova's nova/api/openstack/common.py _STATE_MAP: vm state -> task state -> status.
_REBOOT = ('rebooting', 'reboot_pending', 'reboot_started')
_HARD_REBOOT = ('rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard')
_REBUILD = ('rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning')
_RESIZE = ('resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish')
_STATE_MAP: dict[str, dict[str, str]] = {
    'active': {_DEFAULT: 'ACTIVE', **dict.fromkeys(_REBOOT, 'REBOOT'),
               **dict.fromkeys(_HARD_REBOOT, 'HARD_REBOOT'), 'updating_password': 'PASSWORD',
               **dict.fromkeys(_REBUILD, 'REBUILD'), 'migrating': 'MIGRATING',
               **dict.fromkeys(_RESIZE, 'RESIZE')},
    'building': {_DEFAULT: 'BUILD'},
    'stopped': {_DEFAULT: 'SHUTOFF', **dict.fromkeys(_RESIZE, 'RESIZE'),
                **dict.fromkeys(_REBUILD, 'REBUILD')},
    'resized': {_DEFAULT: 'VERIFY_RESIZE', 'resize_reverting': 'REVERT_RESIZE'},
    'paused': {_DEFAULT: 'PAUSED', 'migrating': 'MIGRATING'},
    'suspended': {_DEFAULT: 'SUSPENDED'},
    'rescued': {_DEFAULT: 'RESCUE'},
    'error': {_DEFAULT: 'ERROR', **dict.fromkeys(_REBUILD, 'REBUILD')},
    'deleted': {_DEFAULT: 'DELETED'},
    'soft-delete': {_DEFAULT: 'SOFT_DELETED'},
    'shelved': {_DEFAULT: 'SHELVED'},
    'shelved_offloaded': {_DEFAULT: 'SHELVED_OFFLOADED'},
}
# A fake server has only a status: the (vm state, task state) a real server showing it
# would most plausibly be in. UNKNOWN is no state of the map (Nova logs a corrupt state).
_STATES: dict[str, tuple[str, str | None]] = {
    'ACTIVE': ('active', None), 'BUILD': ('building', None), 'SHUTOFF': ('stopped', None),
    'VERIFY_RESIZE': ('resized', None), 'REVERT_RESIZE': ('resized', 'resize_reverting'),
    'PAUSED': ('paused', None), 'SUSPENDED': ('suspended', None), 'RESCUE': ('rescued', None),
    'ERROR': ('error', None), 'DELETED': ('deleted', None),
    'SOFT_DELETED': ('soft-delete', None), 'SHELVED': ('shelved', None),
    'SHELVED_OFFLOADED': ('shelved_offloaded', None), 'REBOOT': ('active', 'rebooting'),
    'HARD_REBOOT': ('active', 'rebooting_hard'), 'PASSWORD': ('active', 'updating_password'),
    'REBUILD': ('active', 'rebuilding'), 'MIGRATING': ('active', 'migrating'),
    'RESIZE': ('active', 'resize_prep'), 'UNKNOWN': ('', None),
}
ADMIN_ATTRIBUTES = ('OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname',
                    'OS-EXT-SRV-ATTR:instance_name')


def _states_of(statuses: Sequence[str]) -> tuple[set[str], set[str]]:
    """Nova's ``task_and_vm_state_from_status``: the vm and task states of these statuses."""
    wanted = {status.lower() for status in statuses}
    vm_states: set[str] = set()
    task_states: set[str] = set()
    for vm_state, tasks in _STATE_MAP.items():
        for task_state, status in tasks.items():
            if status.lower() in wanted:
                vm_states.add(vm_state)
                task_states.add(task_state)
    return vm_states, task_states


def _by_status(servers: list[Server], statuses: Sequence[str], is_admin: bool) -> list[Server]:
    vm_states, task_states = _states_of(statuses)
    if not vm_states:
        return []
    deleted = vm_states == {'deleted'}  # Nova then lists deleted instances, and only those
    if deleted and not is_admin:
        raise Forbidden('Only administrators may list deleted instances')
    any_task = _DEFAULT in task_states
    found = []
    for server in servers:
        vm_state, task_state = _STATES.get(server.status, ('', None))
        if vm_state in vm_states and (any_task or task_state in task_states) \
                and (deleted or server.status != _DELETED):
            found.append(server)
    return found


def filter_servers(servers: list[Server], request: Request) -> list[Server]:
    """Apply ``status`` and (admins only) ``host``; Nova's 403 for a member's ``DELETED``.
    Deleted servers are listed only when asked for by that status alone, as in Nova."""
    is_admin = request.context.is_admin
    statuses = request.values('status')
    if statuses:
        servers = _by_status(servers, statuses, is_admin)
    else:
        servers = [server for server in servers if server.status != _DELETED]
    hosts = request.values('host')
    if hosts and is_admin:
        servers = [server for server in servers if server.host == hosts[-1]]
    return servers


def hide_admin_attributes(document: dict[str, Any], is_admin: bool) -> None:
    """Drop the extended server attributes Nova shows to admins only."""
    if not is_admin:
        for key in ADMIN_ATTRIBUTES:
            document.pop(key, None)

