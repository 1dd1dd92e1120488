"""HTTPS for the fake cloud: PEM files in, a server-side TLS 1.2+ context out, one-line errors.

Apart from the engines so that ``pci-fake-server`` can check ``--cert``/``--key``
before it binds, and so that the cheroot engine needs nothing from :mod:`server`.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass

__all__ = ['TlsError', 'TlsFiles', 'tls_context']


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for HTTPS: the certificate (chain) and its key (None: in ``cert``)."""

    cert: str
    key: str | None = None


class TlsError(ValueError):
    """Certificate or key files that cannot serve HTTPS; the message says why, in one line."""


def _no_password() -> bytes:
    # Without a callback OpenSSL would prompt on the terminal, hanging a headless start.
    raise TlsError('the private key is encrypted; give an unencrypted one')


def _tls_reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        reason = str(exc.reason or '')
        if reason == 'KEY_VALUES_MISMATCH':
            return 'the key does not belong to the certificate'
        if not reason or 'PEM' in reason or 'PEM lib' in str(exc):
            return 'not a PEM certificate followed by its key (or a --key file)'
        return reason.replace('_', ' ').lower()
    filename = f'{exc.filename}: ' if exc.filename else ''
    return f'{filename}{(exc.strerror or str(exc)).lower()}'


def tls_context(tls: TlsFiles) -> ssl.SSLContext:
    """A server-side context (TLS 1.2 or later) for ``tls``; raises :class:`TlsError`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(tls.cert, tls.key, password=_no_password)
    except OSError as exc:  # ssl.SSLError included
        raise TlsError(_tls_reason(exc)) from None
    return context
