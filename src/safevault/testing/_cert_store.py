"""FakeVault's certificate objects: versions, pending operations, policies and their JSON.

A certificate version is backed by a key and a secret of the same name AND version, both
``managed``: the key in ``ctx.keys`` (its private key), the secret in ``ctx.secrets`` (PKCS#12
or PEM). Issuance by the ``Self`` issuer happens when the create request arrives; the pending
operation answers ``inProgress`` in the 202 and ``completed`` from the first poll on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import _cert_x509 as certs
from ._cert_policy import renewal_due
from ._http import ServiceError
from ._key_crypto import PrivateKey, generate_key

if TYPE_CHECKING:
    from ._context import Context
    from ._key_store import KeyStore
    from ._secret_store import SecretStore

__all__ = ["CertRecord", "CertVersion", "CertificateStore", "PendingOperation"]

_MAX_CATCH_UP = 1_000  # renewals performed in one look


def certificate_not_found(name: str, version: str | None = None) -> ServiceError:
    ident = f"{name}/{version}" if version else name
    return ServiceError(
        404,
        "CertificateNotFound",
        f"A certificate with (name/id) {ident} was not found in this key vault. If you recently "
        "deleted this certificate you may be able to recover it using the correct recovery "
        "command.",
    )


@dataclass
class CertVersion:
    version: str
    certificate: x509.Certificate
    private_key: PrivateKey
    enabled: bool
    nbf: int
    exp: int
    created: int
    updated: int
    tags: dict[str, str] | None

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class PendingOperation:
    issuer: str
    csr: bytes
    request_id: str
    status: str  # "inProgress" | "completed" | "failed"
    polled: bool = False
    cancellation_requested: bool = False
    error: dict[str, str] | None = None


@dataclass
class CertRecord:
    name: str
    policy: dict[str, Any]
    versions: list[CertVersion] = field(default_factory=list)
    pending: PendingOperation | None = None
    deleted_date: int | None = None

    @property
    def latest(self) -> CertVersion | None:
        return self.versions[-1] if self.versions else None


class CertificateStore:
    """Every certificate of one fake vault, live and soft-deleted. Callers hold ``ctx.lock``."""

    def __init__(self, state: Context, secrets: SecretStore, keys: KeyStore) -> None:
        self._ctx = state
        self._secrets = secrets
        self._keys = keys
        self._live: dict[str, CertRecord] = {}
        self._deleted: dict[str, CertRecord] = {}

    # -- lookup ------------------------------------------------------------------------------

    def _purge_expired(self) -> None:
        now = self._ctx.now()
        for record in list(self._deleted.values()):
            if self._ctx.scheduled_purge(record.deleted_date or 0) <= now:
                self.purge(record.name)

    def record(self, name: str) -> CertRecord:
        """The live certificate ``name`` (possibly without a version yet), renewals done."""
        self._purge_expired()
        record = self._live.get(name.lower())
        if record is None:
            raise certificate_not_found(name)
        self._catch_up_renewals(record)
        return record

    def settle(self, name: str) -> None:
        """Perform the due renewals of live certificate ``name``, if there is one.

        The key store calls this before answering for a certificate's key, so a renewal shows
        whichever of the three objects is read first.
        """
        record = self._live.get(name.lower())
        if record is not None:
            self._catch_up_renewals(record)

    def _catch_up_renewals(self, record: CertRecord) -> None:
        """Perform every AutoRenew the policy made due, each at its due time."""
        for _ in range(_MAX_CATCH_UP):
            latest = record.latest
            if latest is None:
                return
            due = renewal_due(record.policy, nbf=latest.nbf, exp=latest.exp)
            if due is None or due > self._ctx.now():
                return
            due = max(due, latest.created, record.policy["attributes"]["updated"])
            reuse = record.policy["key_props"]["reuse_key"]
            key = latest.private_key if reuse else _new_key(record.policy)
            enabled = record.policy["attributes"]["enabled"]
            self._issue(record, key, enabled=enabled, tags=latest.tags, at=due)

    def version(self, name: str, version: str | None) -> tuple[CertRecord, CertVersion]:
        record = self.record(name)
        if not version:
            if record.latest is None:
                raise certificate_not_found(name)
            return record, record.latest
        found = next((v for v in record.versions if v.version == version.lower()), None)
        if found is None:
            raise certificate_not_found(name, version)
        return record, found

    def deleted(self, name: str) -> CertRecord:
        self._purge_expired()
        record = self._deleted.get(name.lower())
        if record is None:
            raise ServiceError(404, "CertificateNotFound", f"Deleted Certificate not found: {name}")
        return record

    def all_live(self) -> list[CertRecord]:
        self._purge_expired()
        records = [self._live[k] for k in sorted(self._live)]
        for record in records:
            self._catch_up_renewals(record)
        return [record for record in records if record.versions]

    def all_deleted(self) -> list[CertRecord]:
        self._purge_expired()
        return [self._deleted[k] for k in sorted(self._deleted)]

    # -- issuance ----------------------------------------------------------------------------

    def begin_create(
        self,
        name: str,
        policy: dict[str, Any],
        *,
        enabled: bool,
        tags: dict[str, str] | None,
    ) -> CertRecord:
        """Record a create request; the Self issuer issues the new version at once."""
        lower = name.lower()
        if lower in self._deleted:
            raise ServiceError(
                409,
                "Conflict",
                f"Certificate {name} is currently in a deleted but recoverable state, and its "
                "name cannot be reused; in this state, the certificate can only be recovered or "
                "purged.",
                inner_code="ObjectIsDeletedButRecoverable",
            )
        issuer = policy["issuer"]["name"]
        record = self._live.get(lower)
        previous = record.latest if record is not None else None
        if issuer.lower() == "self":
            self._check_backing_names_free(name)
        reuse = policy["key_props"]["reuse_key"] and previous is not None
        key = previous.private_key if reuse and previous is not None else _new_key(policy)
        x509_props = policy["x509_props"]
        csr = certs.build_csr(
            key,
            subject=x509_props["subject"],
            dns_names=x509_props.get("sans", {}).get("dns_names", []),
        ).public_bytes(serialization.Encoding.DER)
        if record is None:
            record = self._live[lower] = CertRecord(name=name, policy=policy)
        record.policy = policy
        pending = PendingOperation(
            issuer=issuer, csr=csr, request_id=self._ctx.new_version(), status="inProgress"
        )
        record.pending = pending
        if issuer.lower() == "self":
            self._issue(record, key, enabled=enabled, tags=tags)
            pending.status = "completed"
        elif issuer.lower() != "unknown":
            # Any issuer this fake does not know fails the way an unreachable issuer would.
            pending.status = "failed"
            pending.error = {
                "code": "CertificateIssuerNotFound",
                "message": f"The issuer '{issuer}' is not configured in this key vault.",
            }
        return record

    def _check_backing_names_free(self, name: str) -> None:
        """Refuse (409) a name an unmanaged or deleted key or secret holds (assumed answer)."""
        lower = name.lower()
        key = self._keys.find_live(name)
        secret = self._secrets.live.get(lower)
        if self._keys.find_deleted(name) is not None or lower in self._secrets.deleted:
            raise ServiceError(
                409,
                "Conflict",
                f"A key or secret named {name} is deleted but recoverable; recover or purge it.",
            )
        if (key is not None and not key.managed) or (secret is not None and not secret.managed):
            raise ServiceError(
                409,
                "Conflict",
                f"A key or secret named {name} already exists and is not managed by a certificate.",
            )

    def _issue(
        self,
        record: CertRecord,
        key: PrivateKey,
        *,
        enabled: bool,
        tags: dict[str, str] | None,
        at: int | None = None,
    ) -> CertVersion:
        policy, now = record.policy, self._ctx.now() if at is None else at
        x509_props, sans = record.policy["x509_props"], record.policy["x509_props"].get("sans", {})
        try:
            certificate = certs.issue_self_signed(
                key,
                subject=x509_props["subject"],
                dns_names=sans.get("dns_names", []),
                emails=sans.get("emails", []),
                ip_addresses=sans.get("ipAddresses", []),
                uris=sans.get("uris", []),
                validity_months=x509_props["validity_months"],
                key_usage=x509_props["key_usage"],
                ekus=x509_props["ekus"],
                now=now,
            )
        except certs.SubjectError as exc:
            raise ServiceError(400, "BadParameter", str(exc)) from None
        nbf = int(certificate.not_valid_before_utc.timestamp())
        exp = int(certificate.not_valid_after_utc.timestamp())
        vid = self._ctx.new_version()
        kty = policy["key_props"]["kty"]
        _, key_version = self._keys.add_version(
            record.name,
            key,
            kty=kty,
            key_ops=None,
            attributes={"enabled": enabled, "nbf": nbf, "exp": exp},
            tags=None,
            managed=True,
            version=vid,
            created=now,
        )
        content_type = policy["secret_props"]["contentType"]
        self._secrets.add_version(
            record.name,
            certs.secret_value(
                key, certificate, content_type, exportable=policy["key_props"]["exportable"]
            ),
            content_type=content_type,
            tags=None,
            enabled=enabled,
            nbf=nbf,
            exp=exp,
            managed=True,
            kid=self._ctx.object_id("keys", record.name, key_version.version),
            version=vid,
        )
        new = CertVersion(vid, certificate, key, enabled, nbf, exp, now, now, tags)
        record.versions.append(new)
        return new

    # -- updates -----------------------------------------------------------------------------

    def set_enabled(self, record: CertRecord, version: CertVersion, enabled: bool) -> None:
        """Enable or disable a version together with its backing key and secret version."""
        version.enabled = enabled
        key_record = self._keys.find_live(record.name)
        if key_record is not None:
            key_version = key_record.find(version.version)
            if key_version is not None:
                key_version.enabled = enabled
        secret = self._secrets.live.get(record.name.lower())
        if secret is not None and version.version in secret.versions:
            secret.versions[version.version].enabled = enabled

    # -- soft delete (the backing key and secret follow) ----------------------------------------

    def soft_delete(self, name: str) -> CertRecord:
        record = self.record(name)
        if record.latest is None:
            raise certificate_not_found(name)
        del self._live[record.name.lower()]
        record.deleted_date = self._ctx.now()
        self._deleted[record.name.lower()] = record
        if self._keys.find_live(record.name) is not None:
            self._keys.soft_delete(record.name)
        if record.name.lower() in self._secrets.live:
            self._secrets.soft_delete(record.name)
        return record

    def recover(self, name: str) -> CertRecord:
        record = self.deleted(name)
        del self._deleted[record.name.lower()]
        record.deleted_date = None
        self._live[record.name.lower()] = record
        if self._keys.find_deleted(record.name) is not None:
            self._keys.recover(record.name)
        if record.name.lower() in self._secrets.deleted:
            self._secrets.recover(record.name)
        return record

    def purge(self, name: str) -> None:
        record = self._deleted.pop(name.lower(), None)
        if record is None:
            raise ServiceError(404, "CertificateNotFound", f"Deleted Certificate not found: {name}")
        if self._keys.find_deleted(name) is not None:
            self._keys.purge(name)
        if name.lower() in self._secrets.deleted:
            self._secrets.purge(name)


def _new_key(policy: dict[str, Any]) -> PrivateKey:
    props = policy["key_props"]
    return generate_key(props["kty"], size=props.get("key_size"), curve=props.get("crv"))
