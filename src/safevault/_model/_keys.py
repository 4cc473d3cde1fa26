"""What safevault returns for keys and certificates: immutable, and never showing key material.

``Key.key`` is the version's public JSON Web Key as a read-only mapping (field names and
value types of the SDK's ``JsonWebKey``: ``kid``, ``kty``, ``key_ops`` as a tuple, and for RSA
``n``/``e``, for EC ``crv``/``x``/``y`` as ``bytes``). Not the SDK's ``JsonWebKey`` itself:
that object is mutable, and a cached ``Key`` is shared by every caller, so one caller changing
``n`` would change the key every later ``encrypt`` wraps with. ``dict(key.key)`` is accepted
wherever the SDK takes a JWK (``CryptographyClient.from_jwk``, ``KeyVaultKey(jwk=...)``);
:meth:`Key.public_key` gives a ``cryptography`` public key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509 import Certificate as X509Certificate
from cryptography.x509 import load_der_x509_certificate

from safevault._model._secret import freeze_tags, frozen_slots

__all__ = ["Certificate", "CertificateWithKey", "Key", "PublicKey"]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_CURVES: Mapping[str, type[ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
    "P-256K": ec.SECP256K1,
}


def _iso(value: datetime | None) -> str:
    return "None" if value is None else value.isoformat()


@frozen_slots
@dataclass(frozen=True, repr=False, slots=True)
class Key:
    """One version of a key: its attributes and public JWK (Key Vault never returns a vault
    key's private part).

    Datetimes are tz-aware UTC; ``tags`` and ``key`` are read-only mappings.
    """

    name: str
    version: str
    id: str
    key_type: str
    enabled: bool
    not_before: datetime | None
    expires_on: datetime | None
    created_on: datetime | None
    updated_on: datetime | None
    tags: Mapping[str, str] = field(default_factory=lambda: freeze_tags(None))
    key: Mapping[str, Any] = field(default_factory=lambda: freeze_tags(None))

    def __repr__(self) -> str:
        return (
            f"Key(name={self.name!r}, version={self.version!r}, key_type={self.key_type!r}, "
            f"enabled={self.enabled!r}, not_before={_iso(self.not_before)}, "
            f"expires_on={_iso(self.expires_on)})"
        )

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash(self.id)

    def public_key(self) -> PublicKey:
        """This version's public key as a ``cryptography`` object (RSA or EC).

        :raises InvalidArgumentError: the JWK is not an RSA or EC public key.
        """
        from safevault.errors import InvalidArgumentError

        kty = str(self.key.get("kty") or "").removesuffix("-HSM")
        if kty == "RSA" and self.key.get("n") and self.key.get("e"):
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(self.key["e"], "big"), int.from_bytes(self.key["n"], "big")
            )
            return numbers.public_key()
        curve = _CURVES.get(str(self.key.get("crv")))
        if kty == "EC" and curve is not None and self.key.get("x") and self.key.get("y"):
            point = ec.EllipticCurvePublicNumbers(
                int.from_bytes(self.key["x"], "big"),
                int.from_bytes(self.key["y"], "big"),
                curve(),
            )
            return point.public_key()
        raise InvalidArgumentError(
            f"The key {self.name!r} (type {self.key_type}) has no RSA or EC public key."
        )


@frozen_slots
@dataclass(frozen=True, repr=False, slots=True)
class Certificate:
    """One version of a certificate.

    ``not_before``/``expires_on`` are the X.509 ``notBefore``/``notAfter``; ``thumbprint`` is
    the SHA-1 of the DER certificate in upper-case hex (as the portal shows it); ``cer`` is the
    DER certificate; ``subject`` is the X.509 subject as RDNs in certificate order joined by
    ``", "`` (Key Vault's policy syntax, e.g. ``"CN=app.example.com, O=Example"``).
    """

    name: str
    version: str
    id: str
    thumbprint: str
    not_before: datetime | None
    expires_on: datetime | None
    subject: str
    dns_names: tuple[str, ...]
    cer: bytes
    enabled: bool
    tags: Mapping[str, str]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, version={self.version!r}, "
            f"subject={self.subject!r}, thumbprint={self.thumbprint!r}, enabled={self.enabled!r}, "
            f"not_before={_iso(self.not_before)}, expires_on={_iso(self.expires_on)}"
            f"{self._repr_extra()})"
        )

    def _repr_extra(self) -> str:
        return ""

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash(self.id)

    def x509(self) -> X509Certificate:
        """The certificate as a ``cryptography`` object (parsed from ``cer``)."""
        return load_der_x509_certificate(self.cer)


@frozen_slots
@dataclass(frozen=True, repr=False, eq=False, slots=True)
class CertificateWithKey(Certificate):
    """A certificate version with its private key and chain, as ``cryptography`` objects.

    ``chain`` is the certificate chain leaf first (``chain[0]`` is this certificate), as the
    backing secret holds it. ``repr()``/``str()`` never show the private key, equality looks
    at the certificate fields only, and instances refuse to be pickled.
    """

    private_key: PrivateKeyTypes = field(repr=False)
    chain: tuple[X509Certificate, ...] = ()

    def _repr_extra(self) -> str:
        return f", private_key=<redacted>, chain=<{len(self.chain)} certificates>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError(
            "CertificateWithKey objects are not picklable: pickling would write the private "
            "key out."
        )
