# GENERATED from src/safevault/_async/_envelope_ops.py by scripts/unasync.py: do not edit.
"""Envelope encryption that survives key rotation: ``encrypt`` and ``decrypt``.

The blob format is in ``safevault._core._envelope``; key checks in ``safevault._core._crypto``.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.keys import KeyVaultKey
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

from safevault._core._arguments import check_name
from safevault._core._crypto import (
    VersionTable,
    check_wrapping_key,
    public_fields,
    same_vault,
    window_refusal,
    wrap_data_key,
)
from safevault._core._envelope import (
    WRAP_ALGORITHM,
    KeyRef,
    encode,
    new_data_key,
    open_envelope,
    parse,
    parse_key_id,
)
from safevault._core._key_arguments import check_bytes
from safevault._model._keys import Key
from safevault._sync._keys import KeysMixin
from safevault._telemetry import Operation, Telemetry
from safevault.errors import DecryptionError

__all__ = ["EncryptionMixin"]

# Per-version objects kept for encrypt (public keys) and decrypt (CryptographyClient).
MAX_VERSIONS = 256


class _CryptoState:
    """Per-vault, per-process tables of the key operations (rebuilt after ``os.fork``)."""

    __slots__ = ("pid", "public_keys", "unwrappers")

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.public_keys: VersionTable[str, Any] = VersionTable(MAX_VERSIONS)
        self.unwrappers: VersionTable[tuple[str, str], CryptographyClient] = VersionTable(
            MAX_VERSIONS
        )


class EncryptionMixin(KeysMixin):
    """``encrypt`` and ``decrypt`` with the vault's keys (on top of the keys' read path)."""

    # -- envelope encryption ---------------------------------------------------------------

    def encrypt(
        self, key_name: str, plaintext: bytes, *, associated_data: bytes | None = None
    ) -> bytes:
        """Encrypt with a fresh AES-256-GCM data key wrapped by the key's current version.

        The data key is wrapped locally with the cached public key (RSA-OAEP-256, what Key
        Vault's wrapKey computes), so a warm call sends nothing. The result records the full
        versioned key id; :meth:`decrypt` opens it after any number of rotations. The
        format is documented in ``docs/concepts/keys.md``. Requires keys/get permission.

        :param str key_name: an RSA key (EC keys cannot wrap in Key Vault).
        :param bytes plaintext: the data (any length, empty included).
        :keyword bytes associated_data: authenticated, not encrypted; the same bytes must be
            passed to :meth:`decrypt`.
        :returns: the ciphertext blob.
        :rtype: bytes
        :raises ExpiredError: the current version has expired (under any ``on_read``: Key
            Vault does not wrap with an expired key); rotate it.
        :raises NotYetValidError: the current version is not valid yet.
        :raises InvalidArgumentError: not bytes, or an EC key or one without wrapKey.
        """
        check_name(key_name, "key")
        data = check_bytes("plaintext", plaintext)
        aad = check_bytes("associated_data", associated_data, optional=True)
        assert data is not None
        with self._tel.operation("encrypt", "key", key_name) as op:
            key = self._current_key(op, key_name)
            refused = window_refusal(key, self._clock(), self._expiry)
            if refused is not None:
                Telemetry.refusal(op, "key", refused.validity)
                raise refused
            check_wrapping_key(key)
            state = self._crypto()
            public = state.public_keys.get(key.id)
            if public is None:
                public = state.public_keys.put(key.id, key.public_key())
            data_key, nonce = new_data_key()
            return encode(
                key_id=key.id,
                wrap_algorithm=WRAP_ALGORITHM,
                wrapped_key=wrap_data_key(public, data_key),
                data_key=data_key,
                nonce=nonce,
                plaintext=data,
                associated_data=aad,
            )

    def _current_key(self, op: Operation, name: str) -> Key:
        entry = self._key_cache.entries.get((name.lower(), None))
        if entry is not None and self._timer() < entry.hit_until:
            item: Key = entry.item
            Telemetry.cache_result(op, "key", "hit")
            op.set_item(item, "valid" if item.expires_on is not None else "no_expiry")
            return item
        return self._read_key(op, name, None)

    def decrypt(
        self,
        ciphertext: bytes,
        *,
        key_name: str | None = None,
        associated_data: bytes | None = None,
    ) -> bytes:
        """Decrypt a blob from :meth:`encrypt`, unwrapping with exactly the version it names.

        Works after the key expired (Key Vault allows unwrap then) and after any number of
        rotations. The key version's material is fetched at most once while cached (a
        ``CryptographyClient`` per version); each call sends one unwrapKey request.
        Requires keys/get and keys/unwrapKey permissions.

        :param bytes ciphertext: the blob.
        :keyword str key_name: if given, the blob's key must be a version of this key in this
            vault; otherwise any key of this vault is accepted.
        :keyword bytes associated_data: the bytes given to :meth:`encrypt`.
        :returns: the whole plaintext (never a part of it).
        :rtype: bytes
        :raises DecryptionError: malformed, truncated or tampered; a wrong
            ``associated_data``; an unknown format version; a key of another vault or name; or
            the vault refusing the unwrap as a bad request (400/404).
        :raises DisabledError: the key version is disabled.
        :raises ~azure.core.exceptions.HttpResponseError: 401/403/429/5xx, unchanged.
        """
        blob = check_bytes("ciphertext", ciphertext)
        assert blob is not None
        if key_name is not None:
            check_name(key_name, "key")
        aad = check_bytes("associated_data", associated_data, optional=True)
        with self._tel.operation("decrypt", "key", key_name) as op:
            envelope = parse(blob)
            ref = parse_key_id(envelope.key_id)
            location = urlsplit(self.vault_url)
            if not same_vault(ref, self._location.host, location.port or 443):
                raise DecryptionError(
                    f"Cannot decrypt: the ciphertext was made with a key of another vault "
                    f"({ref.host}), not {self._location.host}."
                )
            if key_name is not None and ref.name.lower() != key_name.lower():
                raise DecryptionError(
                    f"Cannot decrypt: the ciphertext was made with the key {ref.name!r}, not "
                    f"{key_name!r}."
                )
            if key_name is None:
                op.set("safevault.object.name", ref.name)
            op.set("safevault.object.version", ref.version)
            client = self._unwrapper(op, ref)
            try:
                unwrapped = client.unwrap_key(
                    KeyWrapAlgorithm(envelope.wrap_algorithm), envelope.wrapped_key
                )
            except HttpResponseError as error:
                if error.status_code in (400, 404):
                    raise DecryptionError(
                        f"Cannot decrypt: the vault refused to unwrap the data key with "
                        f"{ref.name!r} version {ref.version} ({error.status_code}); the "
                        f"ciphertext was changed or is not for this key."
                    ) from error
                mapped = self._map_error(error, "key", ref.name, ref.version)
                if mapped is error:
                    raise
                raise mapped from None
            return open_envelope(envelope, unwrapped.key, aad)

    def _unwrapper(self, op: Operation, ref: KeyRef) -> CryptographyClient:
        """The ``CryptographyClient`` of one key version; its material is fetched once."""
        state = self._crypto()
        slot = (ref.name.lower(), ref.version.lower())
        client = state.unwrappers.get(slot)
        if client is not None:
            Telemetry.cache_result(op, "key", "hit")
            return client
        try:
            item, result = self._resolve(
                self._key_cache,
                (ref.name.lower(), ref.version),
                self._key_fetch(ref.name, ref.version),
                op,
                "key",
                ref.name,
            )
        except ResourceNotFoundError as error:
            raise DecryptionError(
                f"Cannot decrypt: the key {ref.name!r} version {ref.version} named by the "
                f"ciphertext does not exist in this vault (deleted, or not this vault's)."
            ) from error
        except HttpResponseError as error:
            if error.status_code == 400:
                raise DecryptionError(
                    f"Cannot decrypt: the vault refused the key id {ref.name!r}/{ref.version}."
                ) from error
            raise
        Telemetry.cache_result(op, "key", result)
        key: Key = item
        if key.key_type.removesuffix("-HSM") != "RSA":
            raise DecryptionError(
                f"Cannot decrypt: the ciphertext names {ref.name!r}, a {key.key_type} key, which "
                f"cannot unwrap; the ciphertext was changed."
            )
        sdk_key = KeyVaultKey(key.id, jwk=public_fields(key.key))
        # Share the KeyClient's pipeline (transport, retry policy, credential, api-version), as
        # KeyClient.get_cryptography_client does; built from the key, so it sends no GET.
        client = CryptographyClient(
            sdk_key,
            object(),  # type: ignore[arg-type]
            generated_client=self._keys._client,
            generated_models=self._keys._models,
        )
        return state.unwrappers.put(slot, client)

    def _crypto(self) -> _CryptoState:
        state: _CryptoState | None = self.__dict__.get("_crypto_state")
        if state is None or state.pid != os.getpid():
            state = _CryptoState()
            self.__dict__["_crypto_state"] = state
        return state
