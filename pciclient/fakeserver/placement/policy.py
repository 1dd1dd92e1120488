"""Placement's default policy: every rule is admin only; the version document is open to all.

A refusal is Placement's 403, naming the rule its route declares (``routes.py``),
so operators know what was refused.
"""
from __future__ import annotations

from pciclient.fakeserver.placement.errors import PlacementForbidden
from pciclient.fakeserver.wsgi.context import RequestContext

__all__ = ['authorize_placement']

def authorize_placement(rule: str | None, context: RequestContext) -> None:
    """Raise Placement's 403 unless the caller is an admin; ``rule`` None is open to all."""
    if rule is None:
        return
    if not (context.authenticated and context.is_admin):
        raise PlacementForbidden.for_rule(rule)
