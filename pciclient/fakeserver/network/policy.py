"""Neutron 29's default port policy (``neutron/conf/policies/port.py``), for reads.

- ``get_port``: admin or the ``service`` role, or a reader of the port's project,
  or of the project owning its network. Before that check a non-admin's database
  query only finds those ports at all, so another project's port is a
  ``PortNotFound``, never a 403;
- ``get_port:binding:host_id``, ``binding:profile``, ``binding:vif_type`` and
  ``binding:vif_details``: admin or service; ``resource_request``, ``hints``,
  ``trusted``: admin only. Other attributes (``binding:vnic_type`` among them)
  have no rule, so everyone who sees the port sees them.

Keystone's default implied roles make ``admin`` imply ``member`` and ``member``
(and ``manager``) imply ``reader``; a token of the built-in identity lists roles
as given, so they are expanded here as Keystone would.
"""
from __future__ import annotations

from collections.abc import Iterable

from pciclient.fakeserver.wsgi.context import RequestContext

__all__ = ['ADMIN_OR_SERVICE_FIELDS', 'ADMIN_ONLY_FIELDS', 'GET_PORT', 'hidden_fields',
           'may_see_port', 'may_write_profile', 'sees_all_projects']

GET_PORT = 'get_port'
ADMIN_OR_SERVICE_FIELDS = frozenset({'binding:host_id', 'binding:profile', 'binding:vif_type',
                                     'binding:vif_details'})
ADMIN_ONLY_FIELDS = frozenset({'resource_request', 'hints', 'trusted'})
_IMPLIED = {'admin': ('member', 'reader'), 'manager': ('member', 'reader'),
            'member': ('reader',)}


def _roles(context: RequestContext) -> frozenset[str]:
    roles = set(context.roles)
    for role in context.roles:
        roles.update(_IMPLIED.get(role, ()))
    return frozenset(roles)


def sees_all_projects(context: RequestContext) -> bool:
    """``context_is_admin`` or the service role: the database query is not scoped."""
    roles = _roles(context)
    return 'admin' in roles or 'service' in roles


def may_see_port(context: RequestContext, project_id: str, network_owner: str) -> bool:
    """``get_port`` for a caller whose query found the port."""
    if sees_all_projects(context):
        return True
    return 'reader' in _roles(context) and context.project_id in (project_id, network_owner)


def may_write_profile(context: RequestContext) -> bool:
    """``update_port:binding:profile``: the ``service`` role only (not even admin)."""
    return 'service' in _roles(context)


def hidden_fields(context: RequestContext, names: Iterable[str]) -> frozenset[str]:
    """The attributes among ``names`` this caller may not read."""
    roles = _roles(context)
    hidden: set[str] = set()
    if 'admin' not in roles:
        hidden |= ADMIN_ONLY_FIELDS
        if 'service' not in roles:
            hidden |= ADMIN_OR_SERVICE_FIELDS
    return frozenset(name for name in names if name in hidden)
