"""An in-memory certificate authority for intercepting https.

With ``mock_external_urls=True`` an https request to a real hostname is routed
to the local mock server, which completes a real TLS handshake with a
certificate issued for that hostname by a certificate authority that exists
only in this process. The client trusts that authority (and only it) for
intercepted hosts; see ``docs/adr/0102-aiointercept-tls-interception.md``.

``cryptography`` is imported on first use only, so plain-http tests and the
default mode never pay for it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
import threading
from typing import Any

__all__ = ["CertificateAuthority", "authority"]

_VALIDITY = datetime.timedelta(days=2)


class CertificateAuthority:
    """A per-process CA issuing leaf certificates on demand, cached per name.

    Keys are ECDSA P-256: generating one costs well under a millisecond, so a
    certificate for a new hostname is issued inside the TLS handshake's SNI
    callback.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ca_key: Any = None
        self._ca_cert: Any = None
        self._ca_pem: str = ""
        self._client_context: ssl.SSLContext | None = None
        self._server_context: ssl.SSLContext | None = None
        self._host_contexts: dict[str, ssl.SSLContext] = {}
        self._ip_hosts: set[str] = set()
        self._ip_context: ssl.SSLContext | None = None

    # -- public surface ---------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA and nothing else."""
        context = self._client_context
        if context is None:
            with self._lock:
                if self._client_context is None:
                    self._ensure_ca_locked()
                    context = ssl.create_default_context(cadata=self._ca_pem)
                    # As strict as Python 3.13's default, on every version.
                    context.verify_flags |= ssl.VERIFY_X509_STRICT
                    self._client_context = context
                context = self._client_context
        return context

    def server_context(self) -> ssl.SSLContext:
        """The server context; it picks a certificate per SNI name."""
        context = self._server_context
        if context is None:
            with self._lock:
                if self._server_context is None:
                    self._ensure_ca_locked()
                    context = self._leaf_context(["localhost"])
                    context.sni_callback = self._on_sni
                    self._server_context = context
                context = self._server_context
        return context

    def expect_ip(self, host: str) -> None:
        """Make the no-SNI certificate valid for the IP address ``host``.

        TLS clients send no SNI name for an IP literal, so a handshake without
        one is answered with a certificate that lists every IP address
        intercepted over https so far.
        """
        if host in self._ip_hosts:
            return
        with self._lock:
            self._ip_hosts.add(host)
            self._ip_context = None

    # -- internals --------------------------------------------------------

    def _on_sni(
        self, sslobj: ssl.SSLObject, name: str | None, _context: ssl.SSLContext
    ) -> None:
        if name:
            context = self._host_contexts.get(name)
            if context is None:
                with self._lock:
                    context = self._host_contexts.get(name)
                    if context is None:
                        context = self._leaf_context([name])
                        self._host_contexts[name] = context
        else:
            context = self._ip_context
            if context is None:
                with self._lock:
                    context = self._leaf_context(sorted(self._ip_hosts) or ["::1"])
                    self._ip_context = context
        sslobj.context = context

    def _ensure_ca(self) -> None:
        if self._ca_cert is None:
            with self._lock:
                self._ensure_ca_locked()

    def _ensure_ca_locked(self) -> None:
        if self._ca_cert is not None:
            return
        from cryptography import x509  # noqa: PLC0415 - lazy: only https pays
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 - lazy: only https pays
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 - lazy: only https pays
        from cryptography.x509.oid import NameOID  # noqa: PLC0415 - lazy: only https pays

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "aiointercept local CA")]
        )
        now = datetime.datetime.now(datetime.UTC)
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
            .sign(key, hashes.SHA256())
        )
        self._ca_key = key
        self._ca_cert = cert
        self._ca_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def _leaf_context(self, names: list[str]) -> ssl.SSLContext:
        from cryptography import x509  # noqa: PLC0415 - lazy: only https pays
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 - lazy: only https pays
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 - lazy: only https pays
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415 - lazy: only https pays

        key = ec.generate_private_key(ec.SECP256R1())
        alt_names: list[x509.GeneralName] = []
        for name in names:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt_names.append(x509.DNSName(name))
        now = datetime.datetime.now(datetime.UTC)
        ca_cert = self._ca_cert
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])])
            )
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.SubjectAlternativeName(alt_names), False)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_cert.public_key()
                ),
                False,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ) + cert.public_bytes(serialization.Encoding.PEM)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain only reads files: write the pair to a private temp
        # file and remove it at once.
        fd, path = tempfile.mkstemp(prefix="aiointercept-", suffix=".pem")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
        return context


_authority: CertificateAuthority | None = None


def authority() -> CertificateAuthority:
    """The process-wide certificate authority (created on first call)."""
    global _authority  # noqa: PLW0603 - one lazily built CA per process
    if _authority is None:
        _authority = CertificateAuthority()
    return _authority
