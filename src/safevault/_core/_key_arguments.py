"""Argument checks of the key and certificate methods, done before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from safevault._model._policy import ExpiryPolicy
from safevault.errors import ExpiryPolicyError, InvalidArgumentError

__all__ = ["CertificateSpec", "check_bytes", "check_certificate_spec", "check_key_spec"]

RSA_SIZES = (2048, 3072, 4096)
CURVES = ("P-256", "P-384", "P-521", "P-256K")
# For EC certificates ``key_size`` picks the curve (RSA's default 2048 means P-256).
_EC_SIZE_CURVES = {256: "P-256", 384: "P-384", 521: "P-521", 2048: "P-256"}
_DNS_NAME = re.compile(
    r"(\*\.)?([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}"
    r"[a-zA-Z0-9])?)*\.?"
)
MAX_DNS_NAMES = 100


def _int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an int, got {type(value).__name__}.")
    return value


def check_key_spec(
    key_type: object, size: object, curve: object, hsm: object
) -> tuple[str, int | None, str | None]:
    """``(kty, size, curve)`` for ``KeyClient.create_key`` (``RSA-HSM``/``EC-HSM`` with hsm).

    :raises InvalidArgumentError: an unknown type, a size for EC or a curve for RSA, an RSA
        size other than 2048/3072/4096, an unknown curve.
    """
    if not isinstance(hsm, bool):
        raise InvalidArgumentError("hsm must be True or False.")
    if not isinstance(key_type, str) or key_type.upper() not in ("RSA", "EC"):
        raise InvalidArgumentError(
            f"key_type must be 'RSA' or 'EC' (hsm=True makes RSA-HSM / EC-HSM); got "
            f"{key_type!r}. Symmetric (oct) keys exist only in Managed HSM."
        )
    base = key_type.upper()
    kty = f"{base}-HSM" if hsm else base
    if base == "RSA":
        if curve is not None:
            raise InvalidArgumentError("curve applies to EC keys only; pass size= for RSA.")
        if size is not None and _int("size", size) not in RSA_SIZES:
            raise InvalidArgumentError(f"An RSA key size must be 2048, 3072 or 4096; got {size}.")
        return kty, (size if isinstance(size, int) else None), None
    if size is not None:
        raise InvalidArgumentError("size applies to RSA keys only; pass curve= for EC.")
    if curve is not None and curve not in CURVES:
        raise InvalidArgumentError(f"curve must be one of {', '.join(CURVES)}; got {curve!r}.")
    return kty, None, (curve if isinstance(curve, str) else None)


def check_bytes(name: str, value: object, *, optional: bool = False) -> bytes | None:
    """``value`` as bytes (bytes, bytearray, memoryview); the message never quotes it."""
    if value is None and optional:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise InvalidArgumentError(
        f"{name} must be bytes, got {type(value).__name__}"
        + ("; encode text first (e.g. .encode('utf-8'))." if isinstance(value, str) else ".")
    )


@dataclass(frozen=True)
class CertificateSpec:
    """A checked ``create_certificate`` request."""

    subject: str
    dns_names: tuple[str, ...]
    validity_months: int
    renew_at_percent: int
    key_type: str
    key_size: int | None
    curve: str | None
    timeout: float


def check_certificate_spec(
    *,
    subject: object,
    dns_names: object,
    validity_months: object,
    renew_at_percent: object,
    key_type: object,
    key_size: object,
    timeout: object,
    policy: ExpiryPolicy,
) -> CertificateSpec:
    """Check a ``create_certificate`` request against Key Vault's rules and ``policy``.

    :raises InvalidArgumentError: a bad argument.
    :raises ExpiryPolicyError: ``validity_months`` above ``policy.max_certificate_months``.
    """
    if not isinstance(subject, str) or len(subject) > 1024:
        raise InvalidArgumentError(
            "subject must be an X.500 name as a str, e.g. 'CN=app.example.com'."
        )
    subject = subject.strip()
    if subject and "=" not in subject:
        raise InvalidArgumentError(
            f"subject must be an X.500 name such as 'CN=app.example.com'; got {subject!r}."
        )
    if isinstance(dns_names, (str, bytes)) or not isinstance(dns_names, Iterable):
        raise InvalidArgumentError("dns_names must be a sequence of str (not a single str).")
    names = tuple(dns_names)
    if len(names) > MAX_DNS_NAMES:
        raise InvalidArgumentError(f"At most {MAX_DNS_NAMES} dns_names; got {len(names)}.")
    for dns in names:
        if not isinstance(dns, str) or len(dns) > 253 or _DNS_NAME.fullmatch(dns) is None:
            raise InvalidArgumentError(f"Invalid DNS name in dns_names: {dns!r}.")
    if not subject and not names:
        raise InvalidArgumentError("A certificate needs a subject or at least one DNS name.")
    months = _int("validity_months", validity_months)
    if months < 1:
        raise InvalidArgumentError(f"validity_months must be at least 1; got {months}.")
    if months > policy.max_certificate_months:
        raise ExpiryPolicyError(
            f"validity_months={months} exceeds the policy's max_certificate_months "
            f"({policy.max_certificate_months}); pass validity_months<="
            f"{policy.max_certificate_months} or raise ExpiryPolicy.max_certificate_months."
        )
    percent = _int("renew_at_percent", renew_at_percent)
    if not 1 <= percent <= 99:
        raise InvalidArgumentError(
            f"renew_at_percent must be between 1 and 99 (percent of the lifetime); got {percent}."
        )
    if not isinstance(key_type, str) or key_type.upper() not in ("RSA", "RSA-HSM", "EC", "EC-HSM"):
        raise InvalidArgumentError(
            f"key_type must be 'RSA', 'RSA-HSM', 'EC' or 'EC-HSM'; got {key_type!r}."
        )
    kty = key_type.upper()
    size = _int("key_size", key_size)
    curve: str | None = None
    rsa_size: int | None = None
    if kty.startswith("RSA"):
        if size not in RSA_SIZES:
            raise InvalidArgumentError(f"An RSA key_size must be 2048, 3072 or 4096; got {size}.")
        rsa_size = size
    else:
        curve = _EC_SIZE_CURVES.get(size)
        if curve is None:
            raise InvalidArgumentError(
                f"For an EC certificate key_size picks the curve: 256 (P-256), 384 (P-384) or "
                f"521 (P-521); got {size}."
            )
    if not isinstance(timeout, timedelta) or timeout <= timedelta(0):
        raise InvalidArgumentError("timeout must be a positive datetime.timedelta.")
    return CertificateSpec(
        subject=subject,
        dns_names=names,
        validity_months=months,
        renew_at_percent=percent,
        key_type=kty,
        key_size=rsa_size,
        curve=curve,
        timeout=timeout.total_seconds(),
    )
