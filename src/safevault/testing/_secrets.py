"""The secrets operations of the Key Vault data plane (``/secrets``, ``/deletedsecrets``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._http import FakeRequest, FakeResponse, Router, ServiceError
from ._secret_backup import decode_backup, encode_backup
from ._secret_store import check_content_type, check_value
from ._state import VaultState

__all__ = ["secrets_router"]

secrets_router = Router()


def _body(request: FakeRequest) -> Mapping[str, Any]:
    body = request.json()
    if not isinstance(body, Mapping):
        raise ServiceError(400, "BadParameter", "The request body must be a JSON object.")
    return body


def _forbid_managed(ctx: VaultState, name: str, operation: str) -> None:
    entry = ctx.secrets.live.get(name.lower())
    if entry is not None and entry.managed:
        raise ServiceError(
            403,
            "Forbidden",
            f"Operation {operation} is not allowed on a secret managed by a certificate.",
        )


# Literal segments first: "/secrets/{name}/versions" must win over "/secrets/{name}/{version}".


@secrets_router.route("POST", "/secrets/restore")
def restore_secret(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    """POST /secrets/restore: recreate a secret (all versions) from a backup blob."""
    entry = ctx.secrets.restore(decode_backup(_body(request).get("value")))
    return FakeResponse(200, ctx.secrets.bundle(entry, entry.latest, with_value=False))


@secrets_router.route("GET", "/secrets")
def list_secrets(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    """GET /secrets: one page of SecretItems (versionless ids, latest attributes)."""
    store = ctx.secrets
    store.purge_expired()
    items = [
        store.item(entry, entry.latest, versioned=False) for _, entry in sorted(store.live.items())
    ]
    return FakeResponse(200, ctx.paginate(items, request, "/secrets"))


@secrets_router.route("GET", "/secrets/{name}/versions")
def list_secret_versions(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """GET /secrets/{name}/versions: one page of the versions, in creation order."""
    ctx.check_name(name)
    store = ctx.secrets
    store.purge_expired()
    entry = store.live.get(name.lower())
    items = [store.item(entry, v, versioned=True) for v in entry.versions.values()] if entry else []
    return FakeResponse(200, ctx.paginate(items, request, f"/secrets/{name}/versions"))


@secrets_router.route("POST", "/secrets/{name}/backup")
def backup_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """POST /secrets/{name}/backup: an opaque blob of every version."""
    ctx.check_name(name)
    _forbid_managed(ctx, name, "backup")
    return FakeResponse(200, {"value": encode_backup(ctx.secrets.entry(name))})


@secrets_router.route("PUT", "/secrets/{name}")
def set_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """PUT /secrets/{name}: add a version (creating the secret)."""
    ctx.check_name(name)
    body = _body(request)
    attrs = ctx.parse_attributes(body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    _forbid_managed(ctx, name, "set")
    bundle = ctx.secrets.add_version(
        name,
        check_value(body.get("value")),
        content_type=body.get("contentType"),
        tags=tags,
        enabled=attrs.get("enabled", True),
        nbf=attrs.get("nbf"),
        exp=attrs.get("exp"),
    )
    return FakeResponse(200, bundle)


@secrets_router.route("DELETE", "/secrets/{name}")
def delete_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """DELETE /secrets/{name}: soft-delete every version."""
    ctx.check_name(name)
    _forbid_managed(ctx, name, "delete")
    store = ctx.secrets
    store.soft_delete(name)
    entry = store.deleted[name.lower()]
    body = store.deleted_fields(entry)
    body.update(store.bundle(entry, entry.latest, with_value=False))
    return FakeResponse(200, body)


@secrets_router.route("GET", "/secrets/{name}/{version}")
def get_secret(ctx: VaultState, request: FakeRequest, name: str, version: str) -> FakeResponse:
    """GET /secrets/{name}/{version}: a version (``""``: the latest) with its value."""
    ctx.check_name(name)
    entry, found = ctx.secrets.version_of(name, version)
    if not found.enabled:
        raise ServiceError(
            403,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            inner_code="SecretDisabled",
        )
    # Key Vault does not enforce nbf/exp on secrets: they are informational.
    return FakeResponse(200, ctx.secrets.bundle(entry, found))


@secrets_router.route("PATCH", "/secrets/{name}/{version}")
def update_secret(ctx: VaultState, request: FakeRequest, name: str, version: str) -> FakeResponse:
    """PATCH /secrets/{name}/{version}: change attributes, contentType or tags."""
    ctx.check_name(name)
    body = _body(request)
    attrs = ctx.parse_attributes(body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    if "contentType" in body:
        check_content_type(body["contentType"])
    _forbid_managed(ctx, name, "update")
    entry, found = ctx.secrets.version_of(name, version)
    if "enabled" in attrs:
        found.enabled = attrs["enabled"]
    if "nbf" in attrs:
        found.nbf = attrs["nbf"]
    if "exp" in attrs:
        found.exp = attrs["exp"]
    if "contentType" in body:
        found.content_type = body["contentType"]
    if "tags" in body:
        found.tags = tags
    found.updated = ctx.now()
    return FakeResponse(200, ctx.secrets.bundle(entry, found, with_value=False))


@secrets_router.route("GET", "/deletedsecrets")
def list_deleted_secrets(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    """GET /deletedsecrets: one page of DeletedSecretItems."""
    store = ctx.secrets
    store.purge_expired()
    items = []
    for _, entry in sorted(store.deleted.items()):
        item = store.item(entry, entry.latest, versioned=False)
        item.update(store.deleted_fields(entry))
        items.append(item)
    return FakeResponse(200, ctx.paginate(items, request, "/deletedsecrets"))


@secrets_router.route("GET", "/deletedsecrets/{name}")
def get_deleted_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """GET /deletedsecrets/{name}: the DeletedSecretBundle (without value)."""
    ctx.check_name(name)
    store = ctx.secrets
    entry = store.deleted_entry(name)
    body = store.deleted_fields(entry)
    body.update(store.bundle(entry, entry.latest, with_value=False))
    return FakeResponse(200, body)


@secrets_router.route("POST", "/deletedsecrets/{name}/recover")
def recover_deleted_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """POST /deletedsecrets/{name}/recover: bring every version back."""
    ctx.check_name(name)
    store = ctx.secrets
    store.recover(name)
    entry = store.live[name.lower()]
    return FakeResponse(200, store.bundle(entry, entry.latest, with_value=False))


@secrets_router.route("DELETE", "/deletedsecrets/{name}")
def purge_deleted_secret(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    """DELETE /deletedsecrets/{name}: forget a soft-deleted secret (204)."""
    ctx.check_name(name)
    ctx.secrets.purge(name)
    return FakeResponse(204)
