"""Several WSGI apps behind one port, each under its own path prefix.

A DevStack host serves identity at ``/identity``, Placement at ``/placement``
and compute at the root behind one web server; the fake cloud does the same.
Each mounted app sees paths relative to its mount point (``SCRIPT_NAME``
grows by the prefix), so none of them needs to know where it is mounted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pciclient.fakeserver.wsgi.responses import StartResponse, WsgiApp

__all__ = ['Mounts']


class Mounts:
    """Dispatch on the path prefix; paths under no prefix go to ``default``."""

    def __init__(self, mounts: Mapping[str, WsgiApp], default: WsgiApp) -> None:
        self.mounts = dict(mounts)
        self.default = default

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '')
        for prefix, app in self.mounts.items():
            if path == prefix or path.startswith(prefix + '/'):
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
                environ['PATH_INFO'] = path[len(prefix):]
                return app(environ, start_response)
        return self.default(environ, start_response)
