"""Decisions of the key operations, free of I/O and shared by the sync and async shells.

Which key versions may wrap a data key (RSA only, inside their validity window), the local
RSA-OAEP-256 wrap, whether a ciphertext's key belongs to this vault, and a small lock-free
table of per-version objects (public keys, ``CryptographyClient`` instances).

Why EC keys cannot encrypt: Key Vault offers no wrapKey/unwrapKey/encrypt/decrypt for EC keys
(only sign/verify), and no ECDH either, so a data key wrapped to an EC key (ECIES) could never
be unwrapped through the vault without exporting the private key, which vault keys cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Generic, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from safevault._core._envelope import KeyRef
from safevault._core._validity import assess
from safevault._model._keys import Key
from safevault._model._policy import ExpiryPolicy
from safevault._model._validity import Validity
from safevault.errors import (
    ExpiredError,
    InvalidArgumentError,
    NotYetValidError,
    ValidityError,
)

__all__ = [
    "VersionTable",
    "check_wrapping_key",
    "same_vault",
    "window_refusal",
    "wrap_data_key",
]

K = TypeVar("K")
V = TypeVar("V")

_OAEP_256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class VersionTable(Generic[K, V]):
    """A bounded dict of immutable per-version objects; reads and writes take no lock.

    Eviction drops the oldest insertion once ``max_size`` is exceeded (a version evicted is
    simply rebuilt on next use).
    """

    __slots__ = ("_data", "_max")

    def __init__(self, max_size: int) -> None:
        self._data: dict[K, V] = {}
        self._max = max_size

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> V:
        self._data[key] = value
        while len(self._data) > self._max:
            try:
                self._data.pop(next(iter(self._data)), None)
            except (RuntimeError, StopIteration):  # changed by another thread meanwhile
                break
        return value

    def __len__(self) -> int:
        return len(self._data)


def check_wrapping_key(key: Key) -> None:
    """Refuse a key version that cannot wrap a data key, before anything is sent.

    :raises InvalidArgumentError: an EC (or other non-RSA) key, or an RSA key whose
        permitted operations exclude wrapKey.
    """
    kty = key.key_type.removesuffix("-HSM")
    if kty == "EC":
        raise InvalidArgumentError(
            f"The key {key.name!r} is an EC key; Key Vault cannot wrap or unwrap with EC keys "
            f"(they only sign and verify), so encrypt needs an RSA key: create one with "
            f"create_key(name, key_type='RSA')."
        )
    if kty != "RSA":
        raise InvalidArgumentError(
            f"The key {key.name!r} has type {key.key_type}; encrypt needs an RSA key."
        )
    ops = key.key.get("key_ops")
    if ops is not None and "wrapKey" not in ops:
        raise InvalidArgumentError(
            f"The key {key.name!r} does not permit wrapKey (its key_ops are "
            f"{', '.join(ops) or 'empty'}); allow wrapKey and unwrapKey on it, or use another key."
        )


def wrap_data_key(public_key: rsa.RSAPublicKey, data_key: bytes) -> bytes:
    """RSA-OAEP-256 (OAEP, SHA-256, MGF1-SHA-256): what Key Vault's wrapKey would compute."""
    return public_key.encrypt(data_key, _OAEP_256)


def window_refusal(key: Key, now: datetime, policy: ExpiryPolicy) -> ValidityError | None:
    """The error for wrapping with ``key`` outside its validity window, whatever ``on_read``.

    Key Vault refuses wrapKey with an expired or not-yet-valid key version; safevault wraps
    locally with the public key, so it refuses the same, also under ``on_read="warn"`` /
    ``"ignore"`` (which govern reads, not new ciphertext).
    """
    validity = assess(
        enabled=key.enabled,
        not_before=key.not_before,
        expires_on=key.expires_on,
        now=now,
        policy=policy,
    )
    if validity is Validity.EXPIRED and key.expires_on is not None:
        return ExpiredError(
            f"The key {key.name!r} (version {key.version}) expired at "
            f"{key.expires_on.isoformat()}; Key Vault does not wrap with an expired key, so "
            f"encrypt refuses it. Rotate the key (rotate_key) and encrypt again; existing "
            f"ciphertext still decrypts.",
            kind="key",
            name=key.name,
            version=key.version,
            expires_on=key.expires_on,
        )
    if validity is Validity.NOT_YET_VALID and key.not_before is not None:
        return NotYetValidError(
            f"The key {key.name!r} (version {key.version}) is not valid before "
            f"{key.not_before.isoformat()}; Key Vault does not wrap with it before then.",
            kind="key",
            name=key.name,
            version=key.version,
            not_before=key.not_before,
        )
    return None


def same_vault(ref: KeyRef, host: str, port: int) -> bool:
    """Whether a ciphertext's key id names this vault (host case-insensitive, port 443 default)."""
    return ref.host == host.lower() and ref.port == port


def public_fields(jwk: Mapping[str, object]) -> dict[str, object]:
    """A mutable copy of a read-only JWK mapping (what the SDK's ``JsonWebKey`` takes)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in jwk.items()}
