"""FakeVault's key objects: versions, soft delete, rotation and the JSON Key Vault answers with.

Keys are found by name case-insensitively (stored under the lower-cased name) and keep the
casing of their first creation in every id. A key that backs a certificate is ``managed``: it
changes only with its certificate (a due AutoRenew of the certificate adds its next version).
Soft-deleted keys are purged by themselves 90 days after deletion.

Auto-rotation is lazy: whenever a key is looked up, :meth:`KeyStore.live` first performs every
rotation its policy made due since the last look, each as the service would have done it at
the due time (the new version's ``created`` is that time), so ``fake.advance(...)`` past a
trigger shows a new version on the next read or use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _key_crypto as crypto
from ._http import ServiceError
from ._rotation_policy import RotationPolicy

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["KeyRecord", "KeyStore", "KeyVersion", "default_key_ops", "key_not_found"]

RSA_OPS = ("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey")
EC_OPS = ("sign", "verify")
_MAX_CATCH_UP = 10_000  # rotations performed in one look; triggers are >= 7 days apart


def default_key_ops(kty: str) -> list[str]:
    """Every operation the key type supports (what Key Vault grants when none are asked for)."""
    return list(RSA_OPS if kty.startswith("RSA") else EC_OPS)


def key_not_found(name: str, version: str | None = None) -> ServiceError:
    ident = f"{name}/{version}" if version else name
    return ServiceError(
        404,
        "KeyNotFound",
        f"A key with (name/id) {ident} was not found in this key vault. If you recently deleted "
        "this key you may be able to recover it using the correct recovery command.",
    )


@dataclass
class KeyVersion:
    version: str
    kty: str
    private_key: crypto.PrivateKey
    key_ops: list[str]
    enabled: bool
    nbf: int | None
    exp: int | None
    created: int
    updated: int
    tags: dict[str, str] | None
    exportable: bool = False


@dataclass
class KeyRecord:
    name: str  # casing of the first creation
    versions: list[KeyVersion] = field(default_factory=list)  # creation order
    policy: RotationPolicy | None = None
    managed: bool = False
    deleted_date: int | None = None

    @property
    def latest(self) -> KeyVersion:
        return self.versions[-1]

    def find(self, version: str | None) -> KeyVersion | None:
        if not version:
            return self.latest
        return next((v for v in self.versions if v.version == version.lower()), None)


class KeyStore:
    """Every key of one fake vault, live and soft-deleted. Callers hold ``ctx.lock``."""

    def __init__(self, state: Context) -> None:
        self._ctx = state
        self._live: dict[str, KeyRecord] = {}
        self._deleted: dict[str, KeyRecord] = {}
        # set by the vault's state: a certificate's due AutoRenew adds a version to its key
        self.settle_managed: Callable[[str], None] = lambda name: None

    # -- lookup ------------------------------------------------------------------------------

    def live(self, name: str) -> KeyRecord:
        """The live key ``name`` with due rotations done; 404 KeyNotFound otherwise."""
        record = self._live.get(name.lower())
        if record is None:
            raise key_not_found(name)
        if record.managed:
            self.settle_managed(record.name)  # a due AutoRenew adds a key version
        else:
            self._catch_up_rotations(record)
        return record

    def version(self, name: str, version: str | None) -> tuple[KeyRecord, KeyVersion]:
        record = self.live(name)
        found = record.find(version)
        if found is None:
            raise key_not_found(name, version)
        return record, found

    def _purge_expired(self) -> None:
        now = self._ctx.now()
        for lower, record in list(self._deleted.items()):
            if self._ctx.scheduled_purge(record.deleted_date or 0) <= now:
                del self._deleted[lower]

    def find_deleted(self, name: str) -> KeyRecord | None:
        self._purge_expired()
        return self._deleted.get(name.lower())

    def deleted(self, name: str) -> KeyRecord:
        record = self.find_deleted(name)
        if record is None:
            raise ServiceError(404, "KeyNotFound", f"Deleted Key not found: {name}")
        return record

    def all_live(self) -> list[KeyRecord]:
        for name in sorted(self._live):
            self.live(name)
        return [self._live[k] for k in sorted(self._live)]

    def all_deleted(self) -> list[KeyRecord]:
        self._purge_expired()
        return [self._deleted[k] for k in sorted(self._deleted)]

    def find_live(self, name: str) -> KeyRecord | None:
        """The live key ``name`` (due rotations done), or None."""
        return self.live(name) if name.lower() in self._live else None

    # -- writes ------------------------------------------------------------------------------

    def add_version(
        self,
        name: str,
        private_key: crypto.PrivateKey,
        *,
        kty: str,
        key_ops: list[str] | None,
        attributes: dict[str, Any],
        tags: dict[str, str] | None,
        managed: bool = False,
        version: str | None = None,
        created: int | None = None,
    ) -> tuple[KeyRecord, KeyVersion]:
        """Store a new version (a new key, or the next version of an existing one).

        ``attributes`` is what :meth:`Context.parse_attributes` returned (plus optional
        ``exportable``). A name that is soft-deleted answers 409 Conflict.
        """
        lower = name.lower()
        if self.find_deleted(name) is not None:
            raise ServiceError(
                409,
                "Conflict",
                f"Key {name} is currently in a deleted but recoverable state, and its name cannot "
                "be reused; in this state, the key can only be recovered or purged.",
                inner_code="ObjectIsDeletedButRecoverable",
            )
        record = self._live.get(lower)
        if record is None:
            record = KeyRecord(name=name, managed=managed)
            self._live[lower] = record
        now = self._ctx.now() if created is None else created
        new = KeyVersion(
            version=version or self._ctx.new_version(),
            kty=kty,
            private_key=private_key,
            key_ops=list(key_ops) if key_ops is not None else default_key_ops(kty),
            enabled=attributes.get("enabled", True),
            nbf=attributes.get("nbf"),
            exp=attributes.get("exp"),
            created=now,
            updated=now,
            tags=tags,
            exportable=bool(attributes.get("exportable", False)),
        )
        record.versions.append(new)
        return record, new

    def rotate(self, record: KeyRecord, *, at: int | None = None) -> KeyVersion:
        """A new version like the latest one (type, size or curve, operations, tags).

        Its ``exp`` is ``created`` + the policy's ``expiryTime`` when the policy has one; with no
        policy expiry the new version gets none (the old version's dates are not carried over).
        """
        latest = record.latest
        created = self._ctx.now() if at is None else at
        old = latest.private_key
        private_key = crypto.generate_key(
            latest.kty, size=crypto.key_size(old), curve=crypto.curve_name(old)
        )
        lifetime = record.policy.expiry_seconds() if record.policy is not None else None
        _, new = self.add_version(
            record.name,
            private_key,
            kty=latest.kty,
            key_ops=latest.key_ops,
            attributes={"exp": None if lifetime is None else created + lifetime},
            tags=dict(latest.tags) if latest.tags is not None else None,
            created=created,
        )
        return new

    def _catch_up_rotations(self, record: KeyRecord) -> None:
        policy = record.policy
        if policy is None:
            return
        now = self._ctx.now()
        for _ in range(_MAX_CATCH_UP):
            latest = record.latest
            due = policy.rotation_due(created=latest.created, expires=latest.exp)
            if due is None or due > now:
                return
            # A trigger already past when the policy was set fires at the moment it was set.
            self.rotate(record, at=max(due, latest.created, policy.updated))

    def soft_delete(self, name: str) -> KeyRecord:
        record = self.live(name)
        del self._live[record.name.lower()]
        record.deleted_date = self._ctx.now()
        self._deleted[record.name.lower()] = record
        return record

    def recover(self, name: str) -> KeyRecord:
        record = self.deleted(name)
        del self._deleted[record.name.lower()]
        record.deleted_date = None
        self._live[record.name.lower()] = record
        return record

    def purge(self, name: str) -> None:
        record = self.deleted(name)
        del self._deleted[record.name.lower()]

    # -- JSON --------------------------------------------------------------------------------

    def kid(self, record: KeyRecord, version: KeyVersion | None = None) -> str:
        return self._ctx.object_id("keys", record.name, version.version if version else None)

    def attributes(self, version: KeyVersion) -> dict[str, Any]:
        out: dict[str, Any] = {"enabled": version.enabled}
        if version.nbf is not None:
            out["nbf"] = version.nbf
        if version.exp is not None:
            out["exp"] = version.exp
        out["created"] = version.created
        out["updated"] = version.updated
        out.update(self._ctx.recovery_attributes())
        out["exportable"] = version.exportable
        return out

    def bundle(self, record: KeyRecord, version: KeyVersion) -> dict[str, Any]:
        """A KeyBundle: the public JWK only, attributes, tags."""
        jwk: dict[str, Any] = {
            "kid": self.kid(record, version),
            "kty": version.kty,
            "key_ops": list(version.key_ops),
        }
        jwk.update(crypto.public_jwk(version.private_key))
        out: dict[str, Any] = {"key": jwk, "attributes": self.attributes(version)}
        self._decorate(out, record, version)
        return out

    def item(self, record: KeyRecord, version: KeyVersion, *, versionless: bool) -> dict[str, Any]:
        """A KeyItem of a listing (versionless kid in ``GET /keys``)."""
        out: dict[str, Any] = {
            "kid": self.kid(record, None if versionless else version),
            "attributes": self.attributes(version),
        }
        self._decorate(out, record, version)
        return out

    def deleted_fields(self, record: KeyRecord) -> dict[str, Any]:
        deleted = record.deleted_date or 0
        return {
            "recoveryId": self._ctx.recovery_id("keys", record.name),
            "deletedDate": deleted,
            "scheduledPurgeDate": self._ctx.scheduled_purge(deleted),
        }

    @staticmethod
    def _decorate(out: dict[str, Any], record: KeyRecord, version: KeyVersion) -> None:
        if version.tags:
            out["tags"] = dict(version.tags)
        if record.managed:
            out["managed"] = True
