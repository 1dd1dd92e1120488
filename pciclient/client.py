"""Entry point of the library: ``pciclient.client.Client(version, session=…)``."""
from __future__ import annotations

from typing import Any

from pciclient import exceptions as exc

SUPPORTED_MAJOR = '2'


def Client(version: str | int | float, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - novaclient's spelling
    """A client for compute API ``version``: ``"2"``, or ``"2.x"`` for a microversion.

    Returns a :class:`pciclient.v2.client.Client`; every other argument goes to it.
    """
    text = str(version).strip()
    major, _, minor = text.partition('.')
    if major != SUPPORTED_MAJOR or (minor and not minor.isdigit()):
        raise exc.UnsupportedVersion(
            f'Compute API version {text!r} is not supported; use 2 or 2.<microversion>.')
    if minor:
        kwargs.setdefault('api_version', text)
    from pciclient.v2 import client as v2_client
    return v2_client.Client(*args, **kwargs)
