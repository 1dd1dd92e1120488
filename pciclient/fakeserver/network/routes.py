"""Neutron's routes this fake serves, declared once: path, method, handler, policy rule.

Paths are relative to the mount point (``/network``). Neutron serves the
version list at its root without a token and everything under ``/v2.0`` behind
keystonemiddleware; the fake is read-only: a port ``PUT`` only says why it is
refused, any other method is the 405 the table derives. ``/v2.0`` and ``/v2.0/``
are one row: the view answers the former with pecan's 404, as Neutron does.
"""
from __future__ import annotations

from pciclient.fakeserver.network.policy import GET_PORT
from pciclient.fakeserver.network.views import Handler
from pciclient.fakeserver.network.views import NetworkViews as V
from pciclient.fakeserver.wsgi.routes import Route, RouteTable

__all__ = ['ROUTES']

ROUTES: RouteTable[Handler] = RouteTable([
    Route('/', 'GET', V.versions, None),
    Route('/v2.0', 'GET', V.resources, None),
    Route('/v2.0/ports', 'GET', V.ports_list, GET_PORT),
    Route('/v2.0/ports/{id}', 'GET', V.port_show, GET_PORT),
    Route('/v2.0/ports/{id}', 'PUT', V.port_update, GET_PORT),
], trailing_slash=True)
