"""FakeVault's certificate REST operations.

Create (202 + pending operation), get, list, versions, policy get/update, properties update,
soft delete / recover / purge (the backing key and secret follow the certificate). Issuers:
``Self`` issues at once (the operation reads ``completed`` from the first poll), ``Unknown``
stays ``inProgress`` (a merge would follow; not implemented), any other issuer fails with
``CertificateIssuerNotFound`` (this fake has no issuer objects). Policies: :mod:`._cert_policy`;
objects and JSON: :mod:`._cert_store`.

Assumed where Azure's documentation is silent: creating a certificate whose name an unmanaged
key or secret holds answers 409 Conflict; enabling or disabling a certificate version also
enables or disables its backing key and secret version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _cert_json as render
from ._cert_policy import PolicyError, merge_policy, normalize_policy
from ._cert_store import CertificateStore, CertRecord
from ._http import FakeRequest, FakeResponse, Router, ServiceError

if TYPE_CHECKING:
    from ._state import VaultState

__all__ = ["CertificateStore", "certificates_router"]

certificates_router = Router()


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "BadParameter", message)


def _body(request: FakeRequest) -> Mapping[str, Any]:
    body = request.json()
    if not isinstance(body, Mapping):
        raise _bad("The request body must be a JSON object.")
    return body


def _ok(ctx: VaultState, record: CertRecord, version: Any) -> FakeResponse:
    return FakeResponse(200, render.bundle(ctx, record, version))


# -- create and the pending operation ------------------------------------------------------


@certificates_router.route("POST", "/certificates/{name}/create")
def create_certificate(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    try:
        policy = normalize_policy(body.get("policy"), now=ctx.now())
    except PolicyError as exc:
        raise _bad(str(exc)) from None
    attributes = ctx.parse_attributes(body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    enabled = attributes.get("enabled", policy["attributes"]["enabled"])
    record = ctx.certificates.begin_create(name, policy, enabled=enabled, tags=tags)
    assert record.pending is not None
    operation = render.operation(ctx, record, record.pending)
    location = f"{ctx.object_id('certificates', record.name)}/pending"
    api_version = request.query.get("api-version")
    if api_version:
        location += f"?api-version={api_version}"
    return FakeResponse(202, operation, {"Location": location})


def _pending(ctx: VaultState, name: str) -> tuple[CertRecord, Any]:
    record = ctx.certificates.record(name)
    if record.pending is None:
        raise ServiceError(
            404, "PendingCertificateNotFound", f"Pending certificate not found: {name}"
        )
    return record, record.pending


@certificates_router.route("GET", "/certificates/{name}/pending")
def get_certificate_operation(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record, pending = _pending(ctx, name)
    pending.polled = True
    return FakeResponse(200, render.operation(ctx, record, pending))


@certificates_router.route("PATCH", "/certificates/{name}/pending")
def cancel_certificate_operation(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    record, pending = _pending(ctx, name)
    if not isinstance(body.get("cancellation_requested"), bool):
        raise _bad("'cancellation_requested' must be a boolean.")
    pending.cancellation_requested = body["cancellation_requested"]
    return FakeResponse(200, render.operation(ctx, record, pending))


@certificates_router.route("DELETE", "/certificates/{name}/pending")
def delete_certificate_operation(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record, pending = _pending(ctx, name)
    answer = render.operation(ctx, record, pending)
    record.pending = None
    return FakeResponse(200, answer)


# -- policy ----------------------------------------------------------------------------------


@certificates_router.route("GET", "/certificates/{name}/policy")
def get_certificate_policy(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.certificates.record(name)
    return FakeResponse(200, render.policy(ctx, record))


@certificates_router.route("PATCH", "/certificates/{name}/policy")
def update_certificate_policy(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.certificates.record(name)
    try:
        record.policy = merge_policy(record.policy, request.json(), now=ctx.now())
    except PolicyError as exc:
        raise _bad(str(exc)) from None
    return FakeResponse(200, render.policy(ctx, record))


# -- read / list / update ----------------------------------------------------------------------


@certificates_router.route("GET", "/certificates")
def list_certificates(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    items = []
    for record in ctx.certificates.all_live():
        assert record.latest is not None
        items.append(render.item(ctx, record, record.latest, versionless=True))
    return FakeResponse(200, ctx.paginate(items, request, "/certificates"))


@certificates_router.route("GET", "/certificates/{name}/versions")
def list_certificate_versions(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.certificates.record(name)
    items = [render.item(ctx, record, v, versionless=False) for v in record.versions]
    return FakeResponse(200, ctx.paginate(items, request, f"/certificates/{record.name}/versions"))


@certificates_router.route("GET", "/certificates/{name}/{version}")
def get_certificate(
    ctx: VaultState, request: FakeRequest, name: str, version: str = ""
) -> FakeResponse:
    ctx.check_name(name)
    record, found = ctx.certificates.version(name, version)
    return _ok(ctx, record, found)


certificates_router.route("GET", "/certificates/{name}")(get_certificate)


@certificates_router.route("PATCH", "/certificates/{name}/{version}")
def update_certificate(
    ctx: VaultState, request: FakeRequest, name: str, version: str = ""
) -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    record, found = ctx.certificates.version(name, version)
    attributes = ctx.parse_attributes(body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    if body.get("policy") is not None:
        try:
            record.policy = merge_policy(record.policy, body["policy"], now=ctx.now())
        except PolicyError as exc:
            raise _bad(str(exc)) from None
    if "enabled" in attributes:
        ctx.certificates.set_enabled(record, found, attributes["enabled"])
    if tags is not None:
        found.tags = tags
    found.updated = ctx.now()
    return _ok(ctx, record, found)


certificates_router.route("PATCH", "/certificates/{name}")(update_certificate)


# -- soft delete -------------------------------------------------------------------------------


def _deleted_bundle(ctx: VaultState, record: CertRecord) -> dict[str, Any]:
    assert record.latest is not None
    out = render.bundle(ctx, record, record.latest)
    out.update(render.deleted_fields(ctx, record))
    return out


@certificates_router.route("DELETE", "/certificates/{name}")
def delete_certificate(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.certificates.soft_delete(name)
    return FakeResponse(200, _deleted_bundle(ctx, record))


@certificates_router.route("GET", "/deletedcertificates")
def list_deleted_certificates(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    items = []
    for record in ctx.certificates.all_deleted():
        assert record.latest is not None
        item = render.item(ctx, record, record.latest, versionless=True)
        item.update(render.deleted_fields(ctx, record))
        items.append(item)
    return FakeResponse(200, ctx.paginate(items, request, "/deletedcertificates"))


@certificates_router.route("GET", "/deletedcertificates/{name}")
def get_deleted_certificate(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    return FakeResponse(200, _deleted_bundle(ctx, ctx.certificates.deleted(name)))


@certificates_router.route("POST", "/deletedcertificates/{name}/recover")
def recover_deleted_certificate(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.certificates.recover(name)
    return _ok(ctx, record, record.latest)


@certificates_router.route("DELETE", "/deletedcertificates/{name}")
def purge_deleted_certificate(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    ctx.certificates.purge(name)
    return FakeResponse(204)
