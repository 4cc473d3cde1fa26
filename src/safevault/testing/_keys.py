"""FakeVault's key REST operations (vaults, not Managed HSM).

Create, import, get, list, update, rotate, rotation policy, soft delete / recover / purge.
The cryptographic operations (encrypt, decrypt, wrap, unwrap, sign, verify) are registered
from :mod:`._key_operations`; the store lives in :mod:`._key_store`.

Azure behaviours assumed where the documentation is silent (each marked where it is coded):

- A disabled key answers GET with 403 Forbidden, inner code ``KeyDisabled`` (by analogy with
  the documented ``SecretDisabled``; Lowkey answers 404 instead).
- Keys that back a certificate (``managed``) refuse direct writes (update, rotate, delete,
  import, new versions, rotation policy, recover, purge) with 403 Forbidden, inner code
  ``KeyManagedByKeyVault``: they change with the certificate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _key_crypto as crypto
from ._http import FakeRequest, FakeResponse, Router, ServiceError
from ._key_operations import key_operations_router, refuse_disabled
from ._key_store import RSA_OPS, KeyRecord, KeyStore
from ._rotation_policy import RotationPolicy, RotationPolicyError

if TYPE_CHECKING:
    from ._state import VaultState

__all__ = ["KeyStore", "keys_router"]

keys_router = Router()

_CREATABLE = ("RSA", "RSA-HSM", "EC", "EC-HSM")
_KNOWN_OPS = (*RSA_OPS, "import", "export")


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "BadParameter", message)


def _body(request: FakeRequest) -> Mapping[str, Any]:
    body = request.json()
    if not isinstance(body, Mapping):
        raise _bad("The request body must be a JSON object.")
    return body


def _key_ops(raw: Any, kty: str) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(op, str) for op in raw):
        raise _bad("'key_ops' must be a list of operation names.")
    allowed = RSA_OPS if kty.startswith("RSA") else ("sign", "verify")
    for op in raw:
        if op not in _KNOWN_OPS:
            raise _bad(f"Invalid key operation: {op}.")
        # Assumed: Key Vault refuses an operation the key type cannot perform.
        if op in RSA_OPS and op not in allowed:
            raise _bad(f"The key operation {op} is not supported by the key type {kty}.")
    return list(dict.fromkeys(raw))


def _attributes(ctx: VaultState, raw: Any) -> dict[str, Any]:
    attributes = ctx.parse_attributes(raw)
    if isinstance(raw, Mapping) and raw.get("exportable") is not None:
        if raw["exportable"] is True:
            # Exportable keys need a release policy (Managed HSM / Premium secure key release).
            raise _bad("An exportable key needs a release policy (not supported here).")
        attributes["exportable"] = False
    return attributes


def _refuse_managed(record: KeyRecord, operation: str) -> None:
    if record.managed:
        # The live service refuses writes to a certificate's secret with 403 Forbidden,
        # inner code SecretManagedByKeyVault (hashicorp/terraform-provider-azurerm#5659);
        # the same answer for the certificate's key is assumed by analogy.
        raise ServiceError(
            403,
            "Forbidden",
            f'Operation "{operation}" is not allowed as this object\'s lifetime is managed by '
            "Key Vault.",
            inner_code="KeyManagedByKeyVault",
        )


def _ok(ctx: VaultState, record: KeyRecord, version: Any) -> FakeResponse:
    return FakeResponse(200, ctx.keys.bundle(record, version))


# -- create / import -----------------------------------------------------------------------


@keys_router.route("POST", "/keys/{name}/create")
def create_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    kty = body.get("kty")
    if kty in ("oct", "oct-HSM"):
        raise _bad(f"The key type {kty} is supported only by Managed HSM.")
    if kty not in _CREATABLE:
        raise _bad(f"Invalid key type: {kty}.")
    key_ops = _key_ops(body.get("key_ops"), kty)
    attributes = _attributes(ctx, body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    size, curve = body.get("key_size"), body.get("crv")
    if kty.startswith("RSA") and curve is not None:
        raise _bad("'crv' applies to EC keys only.")
    if kty.startswith("EC") and size is not None:
        raise _bad("'key_size' applies to RSA keys only.")
    if body.get("public_exponent") not in (None, 65537):
        raise _bad("Only the public exponent 65537 is supported.")
    _refuse_managed_name(ctx, name, "create")
    try:
        private_key = crypto.generate_key(kty, size=size, curve=curve)
    except crypto.CryptoInputError as exc:
        raise _bad(str(exc)) from None
    record, version = ctx.keys.add_version(
        name, private_key, kty=kty, key_ops=key_ops, attributes=attributes, tags=tags
    )
    return _ok(ctx, record, version)


@keys_router.route("PUT", "/keys/{name}")
def import_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    jwk = body.get("key")
    if not isinstance(jwk, Mapping):
        raise _bad("The request needs the key to import as 'key' (a JSON Web Key).")
    base = str(jwk.get("kty", "")).removesuffix("-HSM")
    if base not in ("RSA", "EC"):
        raise _bad(f"The key type {jwk.get('kty')} cannot be imported into a vault.")
    hsm = body.get("Hsm", body.get("hsm")) is True or str(jwk.get("kty", "")).endswith("-HSM")
    kty = f"{base}-HSM" if hsm else base
    key_ops = _key_ops(jwk.get("key_ops"), kty)
    attributes = _attributes(ctx, body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    _refuse_managed_name(ctx, name, "import")
    try:
        private_key = crypto.private_key_from_jwk(jwk)
    except crypto.CryptoInputError as exc:
        raise _bad(str(exc)) from None
    record, version = ctx.keys.add_version(
        name, private_key, kty=kty, key_ops=key_ops, attributes=attributes, tags=tags
    )
    return _ok(ctx, record, version)


def _refuse_managed_name(ctx: VaultState, name: str, operation: str) -> None:
    record = ctx.keys.find_live(name)
    if record is not None:
        _refuse_managed(record, operation)


# -- rotation ------------------------------------------------------------------------------


@keys_router.route("POST", "/keys/{name}/rotate")
def rotate_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.keys.live(name)
    _refuse_managed(record, "rotate")
    version = ctx.keys.rotate(record)
    return _ok(ctx, record, version)


def _policy_id(ctx: VaultState, record: KeyRecord) -> str:
    return ctx.object_id("keys", record.name) + "/rotationpolicy"


@keys_router.route("GET", "/keys/{name}/rotationpolicy")
def get_rotation_policy(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.keys.live(name)
    # A key never given a policy shows the service default: notify 30 days before expiry.
    policy = record.policy or RotationPolicy.default(record.versions[0].created)
    return FakeResponse(200, policy.to_json(_policy_id(ctx, record)))


@keys_router.route("PUT", "/keys/{name}/rotationpolicy")
def set_rotation_policy(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.keys.live(name)
    _refuse_managed(record, "setRotationPolicy")
    try:
        policy = RotationPolicy.from_request(request.json(), now=ctx.now(), previous=record.policy)
    except RotationPolicyError as exc:
        raise _bad(str(exc)) from None
    record.policy = policy
    ctx.keys.live(name)  # a trigger already past is due now
    return FakeResponse(200, policy.to_json(_policy_id(ctx, record)))


# -- crypto operations (before the generic /keys/{name}/{version} routes) ------------------

keys_router.include(key_operations_router)


# -- read / list / update ------------------------------------------------------------------


@keys_router.route("GET", "/keys")
def list_keys(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    items = [ctx.keys.item(r, r.latest, versionless=True) for r in ctx.keys.all_live()]
    return FakeResponse(200, ctx.paginate(items, request, "/keys"))


@keys_router.route("GET", "/keys/{name}/versions")
def list_key_versions(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    record = ctx.keys.live(name)
    items = [ctx.keys.item(record, v, versionless=False) for v in record.versions]
    return FakeResponse(200, ctx.paginate(items, request, f"/keys/{record.name}/versions"))


@keys_router.route("GET", "/keys/{name}/{version}")
def get_key(ctx: VaultState, request: FakeRequest, name: str, version: str = "") -> FakeResponse:
    ctx.check_name(name)
    record, found = ctx.keys.version(name, version)
    refuse_disabled(found, "get")
    return _ok(ctx, record, found)


keys_router.route("GET", "/keys/{name}")(get_key)


@keys_router.route("PATCH", "/keys/{name}/{version}")
def update_key(ctx: VaultState, request: FakeRequest, name: str, version: str = "") -> FakeResponse:
    ctx.check_name(name)
    body = _body(request)
    record, found = ctx.keys.version(name, version)
    _refuse_managed(record, "update")
    key_ops = _key_ops(body.get("key_ops"), found.kty)
    attributes = _attributes(ctx, body.get("attributes"))
    tags = ctx.parse_tags(body.get("tags"))
    for field in ("enabled", "nbf", "exp", "exportable"):
        if field in attributes:
            setattr(found, field, attributes[field])
    if key_ops is not None:
        found.key_ops = key_ops
    if tags is not None:
        found.tags = tags
    found.updated = ctx.now()
    return _ok(ctx, record, found)


keys_router.route("PATCH", "/keys/{name}")(update_key)


# -- soft delete ---------------------------------------------------------------------------


def _deleted_bundle(ctx: VaultState, record: KeyRecord) -> dict[str, Any]:
    out = ctx.keys.bundle(record, record.latest)
    out.update(ctx.keys.deleted_fields(record))
    return out


@keys_router.route("DELETE", "/keys/{name}")
def delete_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    _refuse_managed(ctx.keys.live(name), "delete")
    record = ctx.keys.soft_delete(name)
    return FakeResponse(200, _deleted_bundle(ctx, record))


@keys_router.route("GET", "/deletedkeys")
def list_deleted_keys(ctx: VaultState, request: FakeRequest) -> FakeResponse:
    items = []
    # Keys backing a deleted certificate stay out of this listing (GET by name still works).
    for record in (r for r in ctx.keys.all_deleted() if not r.managed):
        item = ctx.keys.item(record, record.latest, versionless=True)
        item.update(ctx.keys.deleted_fields(record))
        items.append(item)
    return FakeResponse(200, ctx.paginate(items, request, "/deletedkeys"))


@keys_router.route("GET", "/deletedkeys/{name}")
def get_deleted_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    return FakeResponse(200, _deleted_bundle(ctx, ctx.keys.deleted(name)))


@keys_router.route("POST", "/deletedkeys/{name}/recover")
def recover_deleted_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    _refuse_managed(ctx.keys.deleted(name), "recover")
    record = ctx.keys.recover(name)
    return _ok(ctx, record, record.latest)


@keys_router.route("DELETE", "/deletedkeys/{name}")
def purge_deleted_key(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
    ctx.check_name(name)
    _refuse_managed(ctx.keys.deleted(name), "purge")
    ctx.keys.purge(name)
    return FakeResponse(204)
