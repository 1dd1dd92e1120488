"""A throwaway certificate authority for HTTPS tests, made with the ``cryptography`` package.

``make_local_ca(directory)`` writes a self-signed CA and a server certificate it
signed for loopback (``127.0.0.1``, ``::1`` and ``localhost`` by default), as
unencrypted PEM files::

    ca = make_local_ca(tmp_path)
    pci-fake-server --cert ca.server_cert --key ca.server_key …   # or tls=ca.tls
    pci-cli --os-cacert ca.ca_cert …                            # verifies
    pci-cli …                                                   # certificate error
    pci-cli --insecure …                                        # works, with a warning

``ca.server_pem`` holds the certificate and its key in one file (``--cert`` alone).
``expired=True`` makes a server certificate that expired yesterday; ``hosts``
names what the certificate is for (IP addresses become IP SANs), so a name
outside it gives a hostname mismatch. Two calls give two unrelated CAs.
The ``local_ca`` fixture is ``make_local_ca`` in the test's ``tmp_path``.
"""
from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from pciclient.fakeserver.wsgi.tls import TlsFiles

__all__ = ['LOOPBACK_HOSTS', 'LocalCA', 'local_ca', 'make_local_ca']

LOOPBACK_HOSTS = ('127.0.0.1', '::1', 'localhost')


@dataclass(frozen=True)
class LocalCA:
    """Paths of the PEM files one :func:`make_local_ca` call wrote."""

    directory: Path
    ca_cert: Path       # the CA's certificate: what clients trust (--os-cacert, verify=)
    server_cert: Path   # the server's certificate (--cert)
    server_key: Path    # its private key, unencrypted (--key)
    server_pem: Path    # certificate then key in one file (--cert without --key)

    @property
    def tls(self) -> TlsFiles:
        """The server side as ``pciclient.fakeserver.wsgi.tls.TlsFiles`` (for start_in_thread)."""
        from pciclient.fakeserver.wsgi.tls import TlsFiles
        return TlsFiles(str(self.server_cert), str(self.server_key))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'pciclient tests'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_local_ca(directory: Path | str, hosts: Sequence[str] = LOOPBACK_HOSTS, *,
                  expired: bool = False, name: str = 'pciclient test CA') -> LocalCA:
    """Write ``ca.pem``, ``server.pem``, ``server.key`` and ``server-with-key.pem`` there."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name)).issuer_name(_name(name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    not_after = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=30)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0] if hosts else 'pci-fake-server'))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=2))
        .not_valid_after(not_after)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256()))
    cert_pem = server_cert.public_bytes(serialization.Encoding.PEM)
    paths = LocalCA(folder, folder / 'ca.pem', folder / 'server.pem', folder / 'server.key',
                    folder / 'server-with-key.pem')
    paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.server_cert.write_bytes(cert_pem)
    paths.server_key.write_bytes(_pem_key(server_key))
    paths.server_key.chmod(0o600)
    paths.server_pem.write_bytes(cert_pem + _pem_key(server_key))
    paths.server_pem.chmod(0o600)
    return paths


@pytest.fixture
def local_ca(tmp_path: Path) -> LocalCA:
    """A fresh CA and loopback server certificate in this test's ``tmp_path / 'tls'``."""
    return make_local_ca(tmp_path / 'tls')
