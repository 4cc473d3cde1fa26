"""The JSON Key Vault answers with for certificates: bundles, items, policies, operations.

Listings (``CertificateItem``) carry no recovery attributes, as the service's do; bundles do.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ._cert_x509 import thumbprint

if TYPE_CHECKING:
    from ._cert_store import CertRecord, CertVersion, PendingOperation
    from ._context import Context

__all__ = ["bundle", "deleted_fields", "item", "operation", "policy"]

IN_PROGRESS_DETAILS = (
    "Pending certificate created. Certificate request is in progress. This may take some time "
    "based on the issuer provider. Please check again later."
)


def policy(ctx: Context, record: CertRecord) -> dict[str, Any]:
    return {"id": ctx.object_id("certificates", record.name) + "/policy", **record.policy}


def _attributes(ctx: Context, version: CertVersion, *, recovery: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "enabled": version.enabled,
        "nbf": version.nbf,
        "exp": version.exp,
        "created": version.created,
        "updated": version.updated,
    }
    if recovery:
        out.update(ctx.recovery_attributes())
    return out


def bundle(ctx: Context, record: CertRecord, version: CertVersion) -> dict[str, Any]:
    """A CertificateBundle (with the current policy)."""
    out: dict[str, Any] = {
        "id": ctx.object_id("certificates", record.name, version.version),
        "kid": ctx.object_id("keys", record.name, version.version),
        "sid": ctx.object_id("secrets", record.name, version.version),
        "x5t": thumbprint(version.certificate),
        "cer": base64.b64encode(version.der).decode("ascii"),
        "contentType": record.policy["secret_props"]["contentType"],
        "attributes": _attributes(ctx, version, recovery=True),
        "policy": policy(ctx, record),
    }
    if version.tags:
        out["tags"] = dict(version.tags)
    return out


def item(
    ctx: Context, record: CertRecord, version: CertVersion, *, versionless: bool
) -> dict[str, Any]:
    """A CertificateItem of a listing (versionless id in ``GET /certificates``)."""
    out: dict[str, Any] = {
        "id": ctx.object_id("certificates", record.name, None if versionless else version.version),
        "attributes": _attributes(ctx, version, recovery=False),
        "x5t": thumbprint(version.certificate),
    }
    if version.tags:
        out["tags"] = dict(version.tags)
    return out


def deleted_fields(ctx: Context, record: CertRecord) -> dict[str, Any]:
    deleted = record.deleted_date or 0
    return {
        "recoveryId": ctx.recovery_id("certificates", record.name),
        "deletedDate": deleted,
        "scheduledPurgeDate": ctx.scheduled_purge(deleted),
    }


def operation(ctx: Context, record: CertRecord, pending: PendingOperation) -> dict[str, Any]:
    """A CertificateOperation; it reads ``inProgress`` until the first poll."""
    status = pending.status if pending.polled else "inProgress"
    out: dict[str, Any] = {
        "id": ctx.object_id("certificates", record.name) + "/pending",
        "issuer": {"name": pending.issuer},
        "csr": base64.b64encode(pending.csr).decode("ascii"),
        "cancellation_requested": pending.cancellation_requested,
        "status": status,
        "request_id": pending.request_id,
    }
    if status == "inProgress":
        out["status_details"] = IN_PROGRESS_DETAILS
    elif status == "completed":
        out["target"] = ctx.object_id("certificates", record.name)
    elif pending.error is not None:
        out["status_details"] = pending.error["message"]
        out["error"] = dict(pending.error)
    return out
