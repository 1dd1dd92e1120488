"""The one exception every service's handlers raise for an answer other than 200.

Each service renders it once, in its own error shape (Nova's faults,
Keystone's ``error``), so handlers never build error responses themselves.
"""
from __future__ import annotations

from typing import Any

__all__ = ['ApiError']


class ApiError(Exception):
    """An answer other than 200, raised from deep in a handler and rendered once."""

    status = '500 Internal Server Error'
    headers: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        raise NotImplementedError
