"""Keys: expiry on creation, rotation policies, and envelope encryption that survives rotation.

GENERATED from ``safevault/aio/_keys.py`` by ``scripts/unasync.py``: do not edit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.keys import KeyVaultKey
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

from safevault._convert_keys import key_from_sdk
from safevault._envelope import (
    WRAP_ALGORITHM,
    KeyRef,
    encode,
    new_data_key,
    open_envelope,
    parse,
    parse_key_id,
)
from safevault._keycrypto import (
    VersionTable,
    check_wrapping_key,
    public_fields,
    refusal_label,
    same_vault,
    window_refusal,
    wrap_data_key,
)
from safevault._keymodels import Key
from safevault._keyrotation import KeyRotation
from safevault._keyvalidation import check_bytes, check_key_spec
from safevault._sync._shell import VaultShell
from safevault._telemetry import Operation, Telemetry
from safevault._validation import check_duration, check_name, check_tags, check_version, check_when
from safevault._validity import resolve_create_window
from safevault.errors import DecryptionError, InvalidArgumentError, ValidityError

__all__ = ["KeysMixin"]

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


class KeysMixin(VaultShell):
    """``create_key``, ``get_key``, ``rotate_key``, rotation policies, ``encrypt``/``decrypt``."""

    # -- keys: create and read ------------------------------------------------------------

    def create_key(
        self,
        name: str,
        *,
        key_type: str = "RSA",
        size: int | None = None,
        curve: str | None = None,
        hsm: bool = False,
        expires_on: datetime | None = None,
        expires_in: timedelta | None = None,
        not_before: datetime | None = None,
        rotation: KeyRotation | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Key:
        """Create a key (or a new version of it) with an expiry and a rotation policy.

        Everything is checked before any request: the arguments, the
        :class:`~safevault.ExpiryPolicy` (the first version's expiry; a default lifetime
        applies when none is given), and the rotation policy (Key Vault's limits, its
        ``expires_in`` against ``max_lifetime``, and a trigger that fires at least 7 days
        after this version's creation and 7 days before its expiry). Two requests follow:
        create, then set the rotation policy (``KeyRotation()`` when none is given; it
        replaces the key's existing policy). If the second fails, the version exists without
        the policy and the error is raised: call :meth:`set_key_rotation`. Requires
        keys/create and keys/update permissions.

        :param str name: the key's name.
        :keyword str key_type: ``"RSA"`` (default) or ``"EC"``.
        :keyword int size: RSA size: 2048 (Key Vault's default), 3072 or 4096.
        :keyword str curve: EC curve: P-256 (default), P-384, P-521 or P-256K.
        :keyword bool hsm: create an HSM-protected key (RSA-HSM / EC-HSM; Premium vaults).
        :keyword expires_on: when the first version expires (tz-aware).
        :keyword expires_in: or: how long from now it lives.
        :keyword not_before: when the first version becomes valid (tz-aware).
        :keyword rotation: the :class:`~safevault.KeyRotation` (default: rotate 30 days before
            a 90-day expiry).
        :keyword tags: str-to-str tags (at most 15).
        :returns: the new version.
        :rtype: ~safevault.Key
        :raises InvalidArgumentError: a bad argument, or a rotation that cannot work for this
            version; nothing was sent.
        :raises ExpiryPolicyError: the policy refused the expiry or the rotation's lifetime;
            nothing was sent.
        """
        check_name(name, "key")
        kty, size, curve = check_key_spec(key_type, size, curve, hsm)
        tag_map = check_tags(tags)
        expires_on = check_when("expires_on", expires_on)
        not_before = check_when("not_before", not_before)
        expires_in = check_duration("expires_in", expires_in)
        if rotation is None:
            rotation = KeyRotation()
        elif not isinstance(rotation, KeyRotation):
            raise InvalidArgumentError("rotation must be a safevault.KeyRotation or None.")
        now = self._clock()
        not_before, expires_on = resolve_create_window(
            self._expiry,
            now,
            expires_on=expires_on,
            expires_in=expires_in,
            not_before=not_before,
            kind="key",
        )
        rotation.check_against(self._expiry)
        rotation.check_first_version(None if expires_on is None else expires_on - now)
        policy = rotation.to_policy()
        with self._tel.operation("create_key", "key", name) as op:
            with Telemetry.vault_request("create_key"):
                created = self._keys.create_key(
                    name,
                    kty,
                    size=size,
                    curve=curve,
                    not_before=not_before,
                    expires_on=expires_on,
                    tags=tag_map,
                )
            with Telemetry.vault_request("update_key_rotation_policy"):
                self._keys.update_key_rotation_policy(name, policy)
            return self._stored_key(op, name, created)

    def get_key(self, name: str, *, version: str | None = None) -> Key:
        """Get a key version's attributes and public JWK: cached, and checked like secrets.

        The version is checked against the :class:`~safevault.ExpiryPolicy`. Requires
        keys/get permission.

        :param str name: the key's name (case-insensitive).
        :keyword str version: a version id; None reads the latest version.
        :rtype: ~safevault.Key
        :raises ExpiredError: expired, under ``on_read="strict"``.
        :raises NotYetValidError: before its ``not_before``, under ``on_read="strict"``.
        :raises DisabledError: the version is disabled.
        :raises ~azure.core.exceptions.ResourceNotFoundError: no such key or version.
        """
        try:
            entry = self._key_cache.entries.get((name.lower(), version))
        except (AttributeError, TypeError):
            entry = None
        if entry is not None:
            now = self._timer()
            if now < entry.hit_until:
                entry.last_used = now
                item: Key = entry.item
                self._tel.hit("get_key", "key", entry)
                return item
        check_name(name, "key")
        version = check_version(version or None)
        with self._tel.operation("get_key", "key", name) as op:
            return self._read_key(op, name, version)

    def _read_key(self, op: Operation, name: str, version: str | None) -> Key:
        """The key version through the cache, checked against the expiry policy."""
        try:
            fetch = self._key_fetch(name, version)
            item, result = self._resolve(
                self._key_cache, (name.lower(), version), fetch, op, "key", name
            )
            Telemetry.cache_result(op, result)
            checked: Key = self._checked(self._key_cache, "key", item, op)
            return checked
        except ValidityError as error:
            Telemetry.refusal(op, "key", refusal_label(error))
            raise

    def _key_fetch(self, name: str, version: str | None) -> Any:
        def fetch() -> Key:
            with Telemetry.vault_request("get_key"):
                key = self._keys.get_key(name, version)
            return key_from_sdk(key)

        return fetch

    def _stored_key(self, op: Operation, name: str, key: KeyVaultKey) -> Key:
        """Cache a version this vault just wrote as the key's latest, and return it."""
        item = key_from_sdk(key)
        op.set_item(item)
        self._key_cache.store(
            (name.lower(), None),
            item,
            self._timer(),
            self._clock(),
            version=item.version,
            write=True,
        )
        return item

    # -- rotation -------------------------------------------------------------------------

    def rotate_key(self, name: str) -> Key:
        """Make a new version of the key now (Key Vault's rotate; the rotation policy's
        ``expires_in`` gives it its expiry). Requires keys/rotate permission.

        :param str name: the key's name.
        :returns: the new version, also cached as the key's latest.
        :rtype: ~safevault.Key
        """
        check_name(name, "key")
        with self._tel.operation("rotate_key", "key", name) as op:
            with Telemetry.vault_request("rotate_key"):
                rotated = self._keys.rotate_key(name)
            return self._stored_key(op, name, rotated)

    def set_key_rotation(self, name: str, rotation: KeyRotation) -> KeyRotation:
        """Replace the key's rotation policy. Requires keys/update permission.

        :param str name: the key's name.
        :param rotation: the new policy; its ``expires_in`` is checked against the
            :class:`~safevault.ExpiryPolicy` before any request.
        :returns: the policy as the vault stored it.
        :rtype: ~safevault.KeyRotation
        :raises ExpiryPolicyError: ``expires_in`` beyond ``max_lifetime`` (or missing while an
            expiry is required); nothing was sent.
        """
        check_name(name, "key")
        if not isinstance(rotation, KeyRotation):
            raise InvalidArgumentError("rotation must be a safevault.KeyRotation.")
        rotation.check_against(self._expiry)
        with self._tel.operation("set_key_rotation", "key", name):
            with Telemetry.vault_request("update_key_rotation_policy"):
                stored = self._keys.update_key_rotation_policy(name, rotation.to_policy())
            return KeyRotation.from_policy(stored) or rotation

    def get_key_rotation(self, name: str) -> KeyRotation | None:
        """The key's rotation policy; None when it has no Rotate action (a key never given a
        policy shows the service's default, a Notify only). Requires keys/get permission.

        :param str name: the key's name.
        :rtype: ~safevault.KeyRotation or None
        """
        check_name(name, "key")
        with self._tel.operation("get_key_rotation", "key", name):
            with Telemetry.vault_request("get_key_rotation_policy"):
                policy = self._keys.get_key_rotation_policy(name)
            return KeyRotation.from_policy(policy)

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
                Telemetry.refusal(op, "key", refusal_label(refused))
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
            Telemetry.cache_result(op, "hit")
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
                with Telemetry.vault_request("unwrap_key"):
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
            Telemetry.cache_result(op, "hit")
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
        Telemetry.cache_result(op, result)
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
