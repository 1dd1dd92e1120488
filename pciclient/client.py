"""Entry point of the library: ``pciclient.client.Client(version, session=…)``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pciclient import exceptions as exc

if TYPE_CHECKING:  # the v2 client is imported only when one is made
    from pciclient.v2 import client as v2_client

SUPPORTED_MAJOR = '2'


def Client(version: str | int | float, *args: Any,  # noqa: N802 - novaclient's spelling
           **kwargs: Any) -> v2_client.Client:
    """A client for compute API ``version``: ``"2"``, ``"2.N"`` for a microversion, or
    ``"2.latest"`` for the newest the cloud offers.

    Returns a :class:`pciclient.v2.client.Client`; every other argument goes to it.
    """
    text = str(version).strip()
    major, _, minor = text.partition('.')
    if major != SUPPORTED_MAJOR or (minor and not (minor.isdigit() or minor == 'latest')):
        raise exc.UnsupportedVersion(
            f'Compute API version {text!r} is not supported; use 2 or 2.<microversion>.')
    if minor:
        kwargs.setdefault('api_version', 'latest' if minor == 'latest' else text)
    from pciclient.v2 import client as v2_client
    return v2_client.Client(*args, **kwargs)


def version_from_option(value: str | None) -> str:
    """What a user types for ``--os-compute-api-version`` as a :func:`Client` version:
    nothing → ``"2"``, ``latest`` → ``"2.latest"``, ``2.53`` stays."""
    text = (value or '').strip()
    if not text:
        return SUPPORTED_MAJOR
    if text == 'latest':
        return f'{SUPPORTED_MAJOR}.latest'
    return text
