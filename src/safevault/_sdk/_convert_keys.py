"""From the Azure SDK's key and certificate objects to safevault's immutable models.

Also reads a certificate's backing secret (PKCS#12 or PEM) into ``cryptography`` objects.
Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from azure.keyvault.certificates import (
    CertificateContentType,
    CertificateOperation,
    CertificatePolicy,
    CertificatePolicyAction,
    KeyVaultCertificate,
    LifetimeAction,
    WellKnownIssuerNames,
)
from azure.keyvault.keys import (
    KeyRotationLifetimeAction,
    KeyRotationPolicy,
    KeyRotationPolicyAction,
    KeyVaultKey,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from safevault._core._key_arguments import CertificateSpec
from safevault._model._key_rotation import KeyRotation, format_duration, parse_duration
from safevault._model._keys import Certificate, CertificateWithKey, Key
from safevault._model._secret import freeze_tags
from safevault._sdk._convert import shared, utc
from safevault.errors import InvalidArgumentError, SafeVaultError

__all__ = [
    "PEM",
    "PKCS12",
    "certificate_from_sdk",
    "certificate_policy",
    "certificate_with_key",
    "failed_operation",
    "key_from_sdk",
    "public_jwk",
    "rotation_from_policy",
    "rotation_to_policy",
]

PKCS12 = "application/x-pkcs12"
PEM = "application/x-pem-file"
_PUBLIC_FIELDS = ("kid", "kty", "key_ops", "n", "e", "crv", "x", "y")


def _plain(value: Any) -> Any:
    """An SDK enum as its string value; lists as tuples; everything else as it is."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    enum_value = getattr(value, "value", None)
    return enum_value if isinstance(enum_value, str) else value


def public_jwk(jwk: Any) -> Mapping[str, Any]:
    """The public fields of an SDK ``JsonWebKey`` as a read-only mapping (no private field,
    even if one were present)."""
    out = {}
    for name in _PUBLIC_FIELDS:
        value = getattr(jwk, name, None)
        if value is not None:
            out[name] = _plain(value)
    return MappingProxyType(out)


def key_from_sdk(key: KeyVaultKey) -> Key:
    props = key.properties
    jwk = public_jwk(key.key)
    created_on = utc(props.created_on)
    return Key(
        name=props.name or key.name or "",
        version=props.version or "",
        id=props.id or key.id or "",
        key_type=str(_plain(key.key_type) or jwk.get("kty") or ""),
        enabled=bool(props.enabled) if props.enabled is not None else True,
        not_before=utc(props.not_before),
        expires_on=utc(props.expires_on),
        created_on=created_on,
        updated_on=shared(utc(props.updated_on), created_on),
        tags=freeze_tags(props.tags),
        key=jwk,
    )


def _subject(certificate: x509.Certificate) -> str:
    return ", ".join(rdn.rfc4514_string() for rdn in certificate.subject.rdns)


def _dns_names(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(sans.value.get_values_for_type(x509.DNSName))


def certificate_from_sdk(certificate: KeyVaultCertificate) -> Certificate:
    """A :class:`Certificate` whose validity and names come from the X.509 itself."""
    props = certificate.properties
    der = bytes(certificate.cer or b"")
    try:
        parsed = x509.load_der_x509_certificate(der)
    except ValueError:
        raise SafeVaultError(
            f"The vault returned certificate {certificate.name!r} without a readable X.509 "
            f"certificate; it may still be pending (see get_certificate_operation)."
        ) from None
    return Certificate(
        name=(props.name if props is not None else None) or certificate.name or "",
        version=(props.version if props is not None else None) or "",
        id=(props.id if props is not None else None) or certificate.id or "",
        thumbprint=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - x5t is SHA-1
        not_before=parsed.not_valid_before_utc,
        expires_on=parsed.not_valid_after_utc,
        subject=_subject(parsed),
        dns_names=_dns_names(parsed),
        cer=der,
        enabled=bool(props.enabled) if props is not None and props.enabled is not None else True,
        tags=freeze_tags(props.tags if props is not None else None),
    )


def _unreadable(name: str, what: str) -> SafeVaultError:
    return SafeVaultError(
        f"The backing secret of certificate {name!r} {what}; "
        f"read it with a SecretClient to inspect it."
    )


def _same_public_key(private_key: Any, certificate: x509.Certificate) -> bool:
    mine = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return bool(mine == theirs)


def certificate_with_key(
    certificate: Certificate, value: str, content_type: str | None
) -> CertificateWithKey:
    """Read the backing secret's ``value`` (PKCS#12 base64, or PEM) into private key and chain.

    The chain is ordered leaf first; the leaf must be ``certificate`` and the private key must
    match it. Error messages never quote the value.

    :raises SafeVaultError: not a PKCS#12 / PEM this certificate's key can be read from (for
        example a non-exportable key, which Key Vault leaves out of the secret).
    """
    name = certificate.name
    kind = (content_type or PKCS12).split(";")[0].strip().lower()
    private_key: Any
    if kind == PEM:
        data = value.encode("ascii", "replace")
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise _unreadable(name, "holds no readable PEM certificate") from None
        if b"PRIVATE KEY-----" not in data:
            raise _unreadable(name, "holds no private key (is the key exportable?)")
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise _unreadable(name, "holds a PEM private key that cannot be read") from None
    elif kind == PKCS12:
        try:
            blob = base64.b64decode(value, validate=True)
            private_key, leaf, extra = pkcs12.load_key_and_certificates(blob, None)
        except (ValueError, TypeError, binascii.Error):
            raise _unreadable(name, "is not a password-less PKCS#12") from None
        if private_key is None:
            raise _unreadable(name, "holds no private key (is the key exportable?)")
        certs = ([leaf] if leaf is not None else []) + list(extra)
    else:
        raise _unreadable(name, f"has the content type {kind!r}, not PKCS#12 or PEM")
    if not isinstance(private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise _unreadable(name, "holds a key that is neither RSA nor EC")
    der = certificate.cer
    leaf_index = next(
        (i for i, c in enumerate(certs) if c.public_bytes(serialization.Encoding.DER) == der),
        None,
    )
    if leaf_index is None:
        raise _unreadable(name, "does not hold the certificate of the same version")
    chain = (certs[leaf_index], *certs[:leaf_index], *certs[leaf_index + 1 :])
    if not _same_public_key(private_key, chain[0]):
        raise _unreadable(name, "holds a private key that does not match its certificate")
    return CertificateWithKey(
        name=certificate.name,
        version=certificate.version,
        id=certificate.id,
        thumbprint=certificate.thumbprint,
        not_before=certificate.not_before,
        expires_on=certificate.expires_on,
        subject=certificate.subject,
        dns_names=certificate.dns_names,
        cer=certificate.cer,
        enabled=certificate.enabled,
        tags=certificate.tags,
        private_key=private_key,
        chain=chain,
    )


def certificate_policy(spec: CertificateSpec) -> CertificatePolicy:
    """The Self-issued policy of ``create_certificate``: exportable key, PKCS#12, AutoRenew."""
    return CertificatePolicy(
        WellKnownIssuerNames.self,
        subject=spec.subject or None,
        san_dns_names=list(spec.dns_names) or None,
        validity_in_months=spec.validity_months,
        key_type=spec.key_type,
        key_size=spec.key_size,
        key_curve_name=spec.curve,
        exportable=True,
        reuse_key=False,
        content_type=CertificateContentType.pkcs12,
        lifetime_actions=[
            LifetimeAction(
                CertificatePolicyAction.auto_renew, lifetime_percentage=spec.renew_at_percent
            )
        ],
    )


def failed_operation(name: str, operation: CertificateOperation) -> SafeVaultError:
    """The error for a create that ended without a certificate (the poller returns it)."""
    status = operation.status or "unknown"
    detail = ""
    error = operation.error
    if error is not None:
        detail = f" ({error.code}: {error.message})"
    elif operation.status_details:
        detail = f" ({operation.status_details})"
    return SafeVaultError(
        f"Creating certificate {name!r} did not produce a certificate: the operation ended "
        f"with status {status!r}{detail}. Check the policy and issuer, then create it again."
    )


# -- key rotation policies ----------------------------------------------------------------


def rotation_to_policy(rotation: KeyRotation) -> KeyRotationPolicy:
    """A rotation as the SDK's ``KeyRotationPolicy`` (Rotate, and Notify if any)."""
    if rotation.rotate_after is not None:
        rotate = KeyRotationLifetimeAction(
            KeyRotationPolicyAction.rotate, time_after_create=format_duration(rotation.rotate_after)
        )
    else:
        assert rotation.rotate_before_expiry is not None
        rotate = KeyRotationLifetimeAction(
            KeyRotationPolicyAction.rotate,
            time_before_expiry=format_duration(rotation.rotate_before_expiry),
        )
    actions = [rotate]
    if rotation.notify_before_expiry is not None:
        actions.append(
            KeyRotationLifetimeAction(
                KeyRotationPolicyAction.notify,
                time_before_expiry=format_duration(rotation.notify_before_expiry),
            )
        )
    expires_in = None if rotation.expires_in is None else format_duration(rotation.expires_in)
    return KeyRotationPolicy(lifetime_actions=actions, expires_in=expires_in)


def rotation_from_policy(policy: KeyRotationPolicy) -> KeyRotation | None:
    """The rotation a service policy describes; None when it has no ``Rotate`` action.

    A key never given a policy shows the service's default (a ``Notify`` only): None.
    A policy made by another tool is read as it is, even where it would not pass the
    client-side checks.
    """
    rotate = notify = None
    for action in policy.lifetime_actions or ():
        kind = str(getattr(action.action, "value", action.action)).lower()
        if kind == "rotate" and rotate is None:
            rotate = action
        elif kind == "notify" and notify is None:
            notify = action
    if rotate is None:
        return None
    fields: dict[str, Any] = {
        "rotate_after": _maybe(rotate.time_after_create),
        "rotate_before_expiry": (
            None if rotate.time_after_create is not None else _maybe(rotate.time_before_expiry)
        ),
        "expires_in": _maybe(policy.expires_in),
        "notify_before_expiry": None if notify is None else _maybe(notify.time_before_expiry),
    }
    try:
        return KeyRotation(**fields)
    except InvalidArgumentError:
        made = object.__new__(KeyRotation)
        for name, value in fields.items():
            object.__setattr__(made, name, value)
        return made


def _maybe(text: str | None) -> timedelta | None:
    return None if text is None else parse_duration(text)
