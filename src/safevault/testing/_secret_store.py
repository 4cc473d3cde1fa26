"""FakeVault's secret objects: versions, soft delete and their JSON bundles.

Secrets are stored under the lower-cased name and keep the casing of their first creation in
every id. Callers hold ``ctx.lock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._http import ServiceError

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MAX_CONTENT_TYPE", "MAX_VALUE_BYTES", "SecretEntry", "SecretStore", "SecretVersion"]

MAX_VALUE_BYTES = 25 * 1024
MAX_CONTENT_TYPE = 255
_HELP = (
    " If you recently deleted this secret you may be able to recover it using the correct"
    " recovery command. For help resolving this issue, please see"
    " https://go.microsoft.com/fwlink/?linkid=2125182"
)


def secret_not_found(name: str, version: str | None = None) -> ServiceError:
    """The 404 Key Vault answers for a missing secret (or secret version).

    :param name: the name asked for.
    :param version: the version asked for, if any.
    :returns: the error to raise.
    """
    ident = f"{name}/{version}" if version else name
    return ServiceError(
        404,
        "SecretNotFound",
        f"A secret with (name/id) {ident} was not found in this key vault.{_HELP}",
    )


def deleted_secret_not_found(name: str) -> ServiceError:
    """The 404 for a name that is not in the soft-deleted collection.

    :param name: the name asked for.
    :returns: the error to raise.
    """
    return ServiceError(
        404, "SecretNotFound", f"Deleted Secret not found: {name}. The secret is not deleted."
    )


@dataclass
class SecretVersion:
    """One version of a secret."""

    version: str
    value: str
    content_type: str | None
    tags: dict[str, str] | None
    enabled: bool
    nbf: int | None
    exp: int | None
    created: int
    updated: int
    managed: bool = False
    kid: str | None = None


@dataclass
class SecretEntry:
    """A secret: its versions in creation order and its soft-delete dates."""

    name: str
    versions: dict[str, SecretVersion] = field(default_factory=dict)
    deleted_date: int | None = None
    scheduled_purge_date: int | None = None

    @property
    def latest(self) -> SecretVersion:
        return next(reversed(self.versions.values()))

    @property
    def managed(self) -> bool:
        return self.latest.managed


class SecretStore:
    """Every secret of one fake vault, live and soft-deleted.

    ``live`` and ``deleted`` map lower-cased names to :class:`SecretEntry` (whose ``versions``
    keep creation order and whose ``managed`` is True for a certificate's backing secret); other
    stores may read them. Writes go through :meth:`add_version`, :meth:`soft_delete`,
    :meth:`recover` and :meth:`purge`.

    :param ctx: the vault state the store belongs to.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.live: dict[str, SecretEntry] = {}
        self.deleted: dict[str, SecretEntry] = {}

    # -- lookups -----------------------------------------------------------------------------

    def purge_expired(self) -> None:
        """Purge soft-deleted secrets whose scheduled purge date has passed."""
        now = self._ctx.now()
        for key in [k for k, e in self.deleted.items() if (e.scheduled_purge_date or 0) <= now]:
            del self.deleted[key]

    def entry(self, name: str) -> SecretEntry:
        """The live secret ``name``.

        :param name: the secret's name, any casing.
        :returns: the entry; raises 404 SecretNotFound.
        """
        self.purge_expired()
        entry = self.live.get(name.lower())
        if entry is None:
            raise secret_not_found(name)
        return entry

    def deleted_entry(self, name: str) -> SecretEntry:
        """The soft-deleted secret ``name``.

        :param name: the secret's name, any casing.
        :returns: the entry; raises 404 SecretNotFound.
        """
        self.purge_expired()
        entry = self.deleted.get(name.lower())
        if entry is None:
            raise deleted_secret_not_found(name)
        return entry

    def version_of(self, name: str, version: str) -> tuple[SecretEntry, SecretVersion]:
        """A version of a live secret (``""`` is the latest).

        :param name: the secret's name.
        :param version: the version id or ``""``.
        :returns: the entry and the version; raises 404 SecretNotFound.
        """
        entry = self.entry(name)
        if not version:
            return entry, entry.latest
        found = entry.versions.get(version.lower())
        if found is None:
            raise secret_not_found(name, version)
        return entry, found

    # -- writes (also the API the certificates store uses) -------------------------------------

    def add_version(
        self,
        name: str,
        value: str,
        *,
        content_type: str | None,
        tags: dict[str, str] | None,
        enabled: bool,
        nbf: int | None,
        exp: int | None,
        managed: bool = False,
        kid: str | None = None,
        version: str | None = None,
    ) -> dict[str, Any]:
        """Add a version to secret ``name`` (creating it), as ``PUT /secrets/{name}`` does.

        Certificates call this with ``managed=True`` and the certificate's ``kid`` and version.
        Raises 409 Conflict when the name is soft-deleted, and when a managed and an unmanaged
        secret would share a name; 400 BadParameter for an invalid name, value or content type.

        :param name: the secret's name.
        :param value: the secret's value.
        :param content_type: the content type, or None.
        :param tags: the version's tags, or None.
        :param enabled: whether the version is enabled.
        :param nbf: not-before, Unix seconds, or None.
        :param exp: expiry, Unix seconds, or None.
        :param managed: True for a certificate's backing secret.
        :param kid: the backing key's id (certificate-backed secrets).
        :param version: the version id to use (default: a fresh one).
        :returns: the new version's SecretBundle (with its value).
        """
        self._ctx.check_name(name)
        check_value(value)
        check_content_type(content_type)
        self.purge_expired()
        key = name.lower()
        if key in self.deleted:
            raise ServiceError(
                409,
                "Conflict",
                f"Secret {name} is currently in a deleted but recoverable state, and its name"
                " cannot be reused; in this state, the secret can only be recovered or purged.",
            )
        entry = self.live.get(key)
        if entry is not None and entry.managed != managed:
            if entry.managed:
                raise ServiceError(
                    409,
                    "Conflict",
                    f"Secret {name} is managed by a certificate; set it through the certificate.",
                )
            raise ServiceError(
                409,
                "Conflict",
                f"A secret with name {name} already exists and is not managed by a certificate.",
            )
        if entry is None:
            entry = self.live[key] = SecretEntry(name=name)
        now = self._ctx.now()
        vid = (version or self._ctx.new_version()).lower()
        entry.versions.pop(vid, None)
        entry.versions[vid] = SecretVersion(
            version=vid,
            value=value,
            content_type=content_type,
            tags=dict(tags) if tags is not None else None,
            enabled=enabled,
            nbf=nbf,
            exp=exp,
            created=now,
            updated=now,
            managed=managed,
            kid=kid,
        )
        return self.bundle(entry, entry.versions[vid])

    def soft_delete(self, name: str) -> None:
        """Move secret ``name`` (all versions) to the soft-deleted collection.

        :param name: the secret's name; raises 404 SecretNotFound if it is not live.
        """
        entry = self.entry(name)
        now = self._ctx.now()
        entry.deleted_date = now
        entry.scheduled_purge_date = self._ctx.scheduled_purge(now)
        del self.live[name.lower()]
        self.deleted[name.lower()] = entry

    def recover(self, name: str) -> None:
        """Bring soft-deleted secret ``name`` back with all its versions.

        :param name: the secret's name; raises 404 SecretNotFound if it is not deleted.
        """
        entry = self.deleted_entry(name)
        entry.deleted_date = entry.scheduled_purge_date = None
        del self.deleted[name.lower()]
        self.live[name.lower()] = entry

    def purge(self, name: str) -> None:
        """Forget soft-deleted secret ``name`` for good.

        :param name: the secret's name; raises 404 SecretNotFound if it is not deleted.
        """
        self.deleted_entry(name)
        del self.deleted[name.lower()]

    # -- restore ---------------------------------------------------------------------------------

    def restore(self, entry: SecretEntry) -> SecretEntry:
        """Add a secret decoded from a backup blob (see ``_secret_backup``).

        :param entry: the secret with all its versions.
        :returns: the restored entry; 409 Conflict if the name is in use.
        """
        self.purge_expired()
        key = entry.name.lower()
        if key in self.live or key in self.deleted:
            raise ServiceError(
                409,
                "Conflict",
                f"Secret {entry.name} already exists in this vault (or is deleted but"
                " recoverable); its backup cannot be restored.",
            )
        self.live[key] = entry
        return entry

    # -- JSON ----------------------------------------------------------------------------------

    def attributes(self, version: SecretVersion) -> dict[str, Any]:
        """The ``attributes`` object of a version.

        :param version: the version.
        :returns: enabled, nbf, exp, created, updated and the recovery fields.
        """
        attrs: dict[str, Any] = {"enabled": version.enabled}
        if version.nbf is not None:
            attrs["nbf"] = version.nbf
        if version.exp is not None:
            attrs["exp"] = version.exp
        attrs["created"] = version.created
        attrs["updated"] = version.updated
        attrs.update(self._ctx.recovery_attributes())
        return attrs

    def bundle(
        self, entry: SecretEntry, version: SecretVersion, *, with_value: bool = True
    ) -> dict[str, Any]:
        """A SecretBundle.

        :param entry: the secret.
        :param version: the version.
        :param with_value: include ``value``.
        :returns: the JSON object.
        """
        out: dict[str, Any] = {}
        if with_value:
            out["value"] = version.value
        out["id"] = self._ctx.object_id("secrets", entry.name, version.version)
        if version.content_type is not None:
            out["contentType"] = version.content_type
        out["attributes"] = self.attributes(version)
        if version.tags is not None:
            out["tags"] = dict(version.tags)
        if version.kid is not None:
            out["kid"] = version.kid
        if version.managed:
            out["managed"] = True
        return out

    def item(
        self, entry: SecretEntry, version: SecretVersion, *, versioned: bool
    ) -> dict[str, Any]:
        """A SecretItem of a listing.

        :param entry: the secret.
        :param version: the version described.
        :param versioned: True for versions listings (the id carries the version).
        :returns: the JSON object.
        """
        out: dict[str, Any] = {
            "id": self._ctx.object_id(
                "secrets", entry.name, version.version if versioned else None
            ),
            "attributes": self.attributes(version),
        }
        if version.tags is not None:
            out["tags"] = dict(version.tags)
        if version.content_type is not None:
            out["contentType"] = version.content_type
        if version.managed:
            out["managed"] = True
        return out

    def deleted_fields(self, entry: SecretEntry) -> dict[str, Any]:
        """The soft-delete fields of a deleted secret.

        :param entry: a soft-deleted secret.
        :returns: recoveryId, deletedDate and scheduledPurgeDate.
        """
        return {
            "recoveryId": self._ctx.recovery_id("secrets", entry.name),
            "deletedDate": entry.deleted_date,
            "scheduledPurgeDate": entry.scheduled_purge_date,
        }


def check_value(value: Any) -> str:
    """Refuse a missing, non-string or oversized secret value.

    :param value: the ``value`` property of a request.
    :returns: the value, now known to be a valid string.
    """
    if not isinstance(value, str):
        raise ServiceError(
            400, "BadParameter", "Property 'value' is required and must be a string."
        )
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        raise ServiceError(
            400,
            "BadParameter",
            f"The secret value exceeds the maximum allowed size of {MAX_VALUE_BYTES} bytes.",
        )
    return value


def check_content_type(content_type: Any) -> None:
    """Refuse a non-string or oversized content type.

    :param content_type: the ``contentType`` property of a request (None is allowed).
    """
    if content_type is None:
        return
    if not isinstance(content_type, str):
        raise ServiceError(400, "BadParameter", "Property 'contentType' must be a string.")
    if len(content_type) > MAX_CONTENT_TYPE:
        raise ServiceError(
            400,
            "BadParameter",
            f"Property 'contentType' exceeds the maximum length of {MAX_CONTENT_TYPE} characters.",
        )
