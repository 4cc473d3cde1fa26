"""Keys: expiry on creation, rotation policies, and envelope encryption that survives rotation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from azure.keyvault.keys import KeyVaultKey

from safevault._async._shell import VaultShell
from safevault._core._arguments import (
    check_duration,
    check_name,
    check_tags,
    check_version,
    check_when,
)
from safevault._core._key_arguments import check_key_spec
from safevault._core._validity import resolve_create_window
from safevault._model._key_rotation import KeyRotation
from safevault._model._keys import Key
from safevault._sdk._convert_keys import key_from_sdk, rotation_from_policy, rotation_to_policy
from safevault._telemetry import Operation
from safevault.errors import InvalidArgumentError

__all__ = ["KeysMixin"]


class KeysMixin(VaultShell):
    """``create_key``, ``get_key``, ``rotate_key``, rotation policies, ``encrypt``/``decrypt``."""

    # -- keys: create and read ------------------------------------------------------------

    async def create_key(
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
        policy = rotation_to_policy(rotation)
        with self._tel.operation("create_key", "key", name) as op:
            created = await self._keys.create_key(
                name,
                kty,
                size=size,
                curve=curve,
                not_before=not_before,
                expires_on=expires_on,
                tags=tag_map,
            )
            await self._keys.update_key_rotation_policy(name, policy)
            return await self._stored_key(op, name, created)

    async def get_key(self, name: str, *, version: str | None = None) -> Key:
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
        cached: Key | None = self._cached(self._key_cache, "get_key", "key", name, version)
        if cached is not None:
            return cached
        check_name(name, "key")
        version = check_version(version)
        with self._tel.operation("get_key", "key", name) as op:
            return await self._read_key(op, name, version)

    async def _read_key(self, op: Operation, name: str, version: str | None) -> Key:
        """The key version through the cache, checked against the expiry policy."""
        key: Key = await self._read(
            self._key_cache, "key", name, version, self._key_fetch(name, version), op
        )
        return key

    def _key_fetch(self, name: str, version: str | None) -> Any:
        async def fetch() -> Key:
            key = await self._keys.get_key(name, version)
            return key_from_sdk(key)

        return fetch

    async def _stored_key(self, op: Operation, name: str, key: KeyVaultKey) -> Key:
        """Cache a version this vault just wrote as the key's latest, and return it."""
        item = key_from_sdk(key)
        op.set_item(item)
        await self._remember_write(self._key_cache, name, item)
        return item

    # -- rotation -------------------------------------------------------------------------

    async def rotate_key(self, name: str) -> Key:
        """Make a new version of the key now (Key Vault's rotate; the rotation policy's
        ``expires_in`` gives it its expiry). Requires keys/rotate permission.

        :param str name: the key's name.
        :returns: the new version, also cached as the key's latest.
        :rtype: ~safevault.Key
        """
        check_name(name, "key")
        with self._tel.operation("rotate_key", "key", name) as op:
            rotated = await self._keys.rotate_key(name)
            return await self._stored_key(op, name, rotated)

    async def set_key_rotation(self, name: str, rotation: KeyRotation) -> KeyRotation:
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
            stored = await self._keys.update_key_rotation_policy(name, rotation_to_policy(rotation))
            return rotation_from_policy(stored) or rotation

    async def get_key_rotation(self, name: str) -> KeyRotation | None:
        """The key's rotation policy; None when it has no Rotate action (a key never given a
        policy shows the service's default, a Notify only). Requires keys/get permission.

        :param str name: the key's name.
        :rtype: ~safevault.KeyRotation or None
        """
        check_name(name, "key")
        with self._tel.operation("get_key_rotation", "key", name):
            policy = await self._keys.get_key_rotation_policy(name)
            return rotation_from_policy(policy)
