"""FakeVault's key operations: encrypt, decrypt, wrapKey, unwrapKey, sign, verify.

``POST /keys/{name}/{version}/{operation}``; an empty or missing version
(``/keys/{name}//encrypt``, ``/keys/{name}/encrypt``) uses the latest version.

Checks, in Key Vault's order of concerns:

1. the key exists (404 ``KeyNotFound``);
2. it is enabled -- otherwise 403 Forbidden, inner code ``KeyDisabled``, "Operation X is not
   allowed on a disabled key." (reported from the live service in azure-sdk-for-python#45342;
   for GET it is assumed by analogy with the documented ``SecretDisabled``);
3. the operation is in the key's ``key_ops`` -- otherwise 403 Forbidden, inner code
   ``KeyOperationForbidden``, "Operation X is not permitted on this key." (the live service's
   answer quoted in azure-sdk-for-net#11518);
4. for encrypt, wrapKey and sign only: now is inside ``nbf``..``exp``. Azure documents that
   these are refused outside the validity window while decrypt, unwrapKey and verify are not
   (so data is never locked away); the answer -- 403 Forbidden with inner code ``KeyExpired``
   or ``KeyNotYetValid`` -- is an assumption. The boundaries follow the SDK's local check
   (``azure.keyvault.keys.crypto._key_validity``): expired once ``exp <= now``, not yet valid
   while ``nbf > now``;
5. the algorithm fits the key and the input is well formed -- otherwise 400 ``BadParameter``
   (ciphertext that does not decrypt included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import _key_crypto as crypto
from ._http import FakeRequest, FakeResponse, Router, ServiceError
from ._key_store import KeyVersion

if TYPE_CHECKING:
    from ._state import VaultState

__all__ = ["key_operations_router", "refuse_disabled"]

key_operations_router = Router()

_WINDOW_CHECKED = frozenset({"encrypt", "wrapKey", "sign"})


def refuse_disabled(version: KeyVersion, operation: str) -> None:
    if not version.enabled:
        raise ServiceError(
            403,
            "Forbidden",
            f"Operation {operation} is not allowed on a disabled key.",
            inner_code="KeyDisabled",
        )


def _refuse_outside_window(version: KeyVersion, operation: str, now: int) -> None:
    if version.exp is not None and version.exp <= now:
        raise ServiceError(
            403,
            "Forbidden",
            f"Operation {operation} is not allowed on an expired key.",
            inner_code="KeyExpired",
        )
    if version.nbf is not None and version.nbf > now:
        raise ServiceError(
            403,
            "Forbidden",
            f"Operation {operation} is not allowed on a key that is not yet valid.",
            inner_code="KeyNotYetValid",
        )


def _field(body: Mapping[str, Any], name: str) -> bytes:
    if body.get(name) is None:
        raise ServiceError(400, "BadParameter", f"The parameter '{name}' is required.")
    return crypto.b64url_decode(body[name], field=name)


def _algorithm(body: Mapping[str, Any]) -> str:
    alg = body.get("alg")
    if not isinstance(alg, str) or not alg:
        raise ServiceError(400, "BadParameter", "The parameter 'alg' is required.")
    return alg


def _encrypt(version: KeyVersion, body: Mapping[str, Any]) -> dict[str, Any]:
    value = crypto.encrypt(version.private_key, _algorithm(body), _field(body, "value"))
    return {"value": crypto.b64url_encode(value)}


def _decrypt(version: KeyVersion, body: Mapping[str, Any]) -> dict[str, Any]:
    value = crypto.decrypt(version.private_key, _algorithm(body), _field(body, "value"))
    return {"value": crypto.b64url_encode(value)}


def _sign(version: KeyVersion, body: Mapping[str, Any]) -> dict[str, Any]:
    value = crypto.sign(version.private_key, _algorithm(body), _field(body, "value"))
    return {"value": crypto.b64url_encode(value)}


def _verify(version: KeyVersion, body: Mapping[str, Any]) -> dict[str, Any]:
    valid = crypto.verify(
        version.private_key, _algorithm(body), _field(body, "digest"), _field(body, "value")
    )
    return {"value": valid}


# path segment -> (key operation name, implementation)
_OPERATIONS: dict[str, tuple[str, Callable[[KeyVersion, Mapping[str, Any]], dict[str, Any]]]] = {
    "encrypt": ("encrypt", _encrypt),
    "decrypt": ("decrypt", _decrypt),
    "wrapkey": ("wrapKey", _encrypt),
    "unwrapkey": ("unwrapKey", _decrypt),
    "sign": ("sign", _sign),
    "verify": ("verify", _verify),
}


def _perform(
    ctx: VaultState, request: FakeRequest, name: str, version: str, segment: str
) -> FakeResponse:
    operation, implementation = _OPERATIONS[segment]
    ctx.check_name(name)
    body = request.json()
    if not isinstance(body, Mapping):
        raise ServiceError(400, "BadParameter", "The request body must be a JSON object.")
    record, found = ctx.keys.version(name, version)
    refuse_disabled(found, operation)
    if operation not in found.key_ops:
        raise ServiceError(
            403,
            "Forbidden",
            f"Operation {operation} is not permitted on this key.",
            inner_code="KeyOperationForbidden",
        )
    if operation in _WINDOW_CHECKED:
        _refuse_outside_window(found, operation, ctx.now())
    try:
        result = implementation(found, body)
    except crypto.CryptoInputError as exc:
        raise ServiceError(400, "BadParameter", str(exc)) from None
    if operation != "verify":
        result = {"kid": ctx.keys.kid(record, found), **result}
    return FakeResponse(200, result)


def _register(segment: str) -> None:
    def versioned(ctx: VaultState, request: FakeRequest, name: str, version: str) -> FakeResponse:
        return _perform(ctx, request, name, version, segment)

    def latest(ctx: VaultState, request: FakeRequest, name: str) -> FakeResponse:
        return _perform(ctx, request, name, "", segment)

    key_operations_router.route("POST", f"/keys/{{name}}/{{version}}/{segment}")(versioned)
    key_operations_router.route("POST", f"/keys/{{name}}/{segment}")(latest)


for _segment in _OPERATIONS:
    _register(_segment)
