"""Key operations: encrypt/decrypt, wrap/unwrap, sign/verify, and when Key Vault refuses them.

``CryptographyClient`` built from a key id first GETs the key, then performs the public-key
operations (encrypt, wrapKey, verify) LOCALLY and sends only decrypt, unwrapKey and sign to the
service (``azure/keyvault/keys/crypto/_client.py``). The SDK has no "remote only" switch, so
the service's own encrypt/wrapKey/verify are exercised through ``KeyClient.send_request`` --
the SDK's documented way to send a request through the client's pipeline (auth included).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from ._backend import Backend
from ._key_cert_twins import Twin, error_code, open_twin

DIGEST = hashlib.sha256(b"the data").digest()
TAMPERED = hashlib.sha256(b"the data!").digest()


@pytest.fixture(params=["sync", "aio"])
async def kv(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[Twin]:
    async with open_twin(backend, request.param) as twin:
        yield twin


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_rsa(key: Any) -> rsa.RSAPublicKey:
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(key.key.e, "big"), int.from_bytes(key.key.n, "big")
    )
    return numbers.public_key()


async def remote(kv: Twin, key: Any, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST /keys/{name}/{version}/{operation} through the KeyClient's pipeline."""
    path = f"/keys/{key.name}/{key.properties.version}/{operation}"
    return await kv.send("POST", path, body)


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RSA-OAEP-256", "RSA-OAEP", "RSA1_5"])
async def test_encrypt_decrypt_round_trip(backend: Backend, kv: Twin, alg: str) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    encrypted = await kv.crypto(key.id, "encrypt", alg, b"plain text")  # local (public key)
    assert encrypted.ciphertext != b"plain text"
    decrypted = await kv.crypto(key.id, "decrypt", alg, encrypted.ciphertext)  # the service
    assert decrypted.plaintext == b"plain text"
    assert decrypted.key_id == key.id


@pytest.mark.parametrize("alg", ["RSA-OAEP-256", "RSA-OAEP"])
async def test_service_encrypt_then_decrypt(backend: Backend, kv: Twin, alg: str) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    status, body = await remote(kv, key, "encrypt", {"alg": alg, "value": b64url(b"secret")})
    assert status == 200
    assert body["kid"] == key.id
    decrypted = await kv.crypto(key.id, "decrypt", alg, unb64url(body["value"]))
    assert decrypted.plaintext == b"secret"


@pytest.mark.parametrize("alg", ["RSA-OAEP-256", "RSA-OAEP"])
async def test_wrap_unwrap_round_trip(backend: Backend, kv: Twin, alg: str) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    data_key = os.urandom(32)
    status, body = await remote(kv, key, "wrapkey", {"alg": alg, "value": b64url(data_key)})
    assert status == 200
    assert (await kv.crypto(key.id, "unwrap_key", alg, unb64url(body["value"]))).key == data_key
    wrapped = await kv.crypto(key.id, "wrap_key", alg, data_key)  # local wrap
    assert (await kv.crypto(key.id, "unwrap_key", alg, wrapped.encrypted_key)).key == data_key


@pytest.mark.parametrize(
    ("alg", "pad"),
    [
        ("RS256", padding.PKCS1v15()),
        ("PS256", padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)),
    ],
)
async def test_rsa_sign_verify(backend: Backend, kv: Twin, alg: str, pad: Any) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    signed = await kv.crypto(key.id, "sign", alg, DIGEST)
    assert signed.key_id == key.id
    public_rsa(key).verify(signed.signature, DIGEST, pad, utils.Prehashed(hashes.SHA256()))
    assert (await kv.crypto(key.id, "verify", alg, DIGEST, signed.signature)).is_valid
    assert not (await kv.crypto(key.id, "verify", alg, TAMPERED, signed.signature)).is_valid
    for digest, expected in ((DIGEST, True), (TAMPERED, False)):
        status, body = await remote(
            kv,
            key,
            "verify",
            {"alg": alg, "digest": b64url(digest), "value": b64url(signed.signature)},
        )
        assert (status, body["value"]) == (200, expected)


async def test_ec_sign_verify_es256(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_ec_key", backend.name, curve="P-256")
    signed = await kv.crypto(key.id, "sign", "ES256", DIGEST)
    assert len(signed.signature) == 64  # r || s, 32 bytes each
    assert (await kv.crypto(key.id, "verify", "ES256", DIGEST, signed.signature)).is_valid
    assert not (await kv.crypto(key.id, "verify", "ES256", TAMPERED, signed.signature)).is_valid
    status, body = await remote(
        kv,
        key,
        "verify",
        {"alg": "ES256", "digest": b64url(TAMPERED), "value": b64url(signed.signature)},
    )
    assert (status, body["value"]) == (200, False)


async def test_versionless_operation_uses_latest_version(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_rsa_key", backend.name)
    latest = await kv.keys("create_rsa_key", backend.name)
    status, body = await kv.send(
        "POST", f"/keys/{backend.name}//sign", {"alg": "RS256", "value": b64url(DIGEST)}
    )
    assert (status, body["kid"]) == (200, latest.id)
    public_rsa(latest).verify(
        unb64url(body["value"]), DIGEST, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )


# -- refusals --------------------------------------------------------------------------------------


async def test_bad_ciphertext_is_400(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    with pytest.raises(HttpResponseError) as info:
        await kv.crypto(key.id, "decrypt", "RSA-OAEP-256", os.urandom(256))
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


async def test_wrong_digest_length_is_400(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    with pytest.raises(HttpResponseError) as info:
        await kv.crypto(key.id, "sign", "RS256", b"short")
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


async def test_operation_outside_key_ops_is_403(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name, key_operations=["encrypt", "verify"])
    with pytest.raises(HttpResponseError) as info:
        await kv.crypto(key.id, "sign", "RS256", DIGEST)
    assert (info.value.status_code, error_code(info.value)) == (403, "Forbidden")
    assert info.value.error.innererror["code"] == "KeyOperationForbidden"
    status, body = await remote(kv, key, "wrapkey", {"alg": "RSA-OAEP", "value": b64url(b"k")})
    assert (status, body["error"]["innererror"]["code"]) == (403, "KeyOperationForbidden")


@pytest.mark.lowkey_divergence(reason="Lowkey answers 404 for a disabled key")
async def test_disabled_key_refuses_every_operation(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    await kv.keys("update_key_properties", backend.name, enabled=False)
    status = backend.expect(azure=403, lowkey=404, reason="Lowkey answers 404 for disabled keys")
    # The client's GET is refused too, so every operation goes to the service.
    for operation, args in (("sign", ("RS256", DIGEST)), ("encrypt", ("RSA-OAEP", b"p"))):
        with pytest.raises(HttpResponseError) as info:
            await kv.crypto(key.id, operation, *args)
        assert info.value.status_code == status
        if status == 403:
            assert info.value.error.innererror["code"] == "KeyDisabled"


async def _window_fixture(
    kv: Twin, name: str, **dates: datetime
) -> tuple[Any, bytes, bytes, bytes]:
    """A key that signed, encrypted and wrapped while valid, then moved outside its window."""
    key = await kv.keys("create_rsa_key", name)
    signature = (await kv.crypto(key.id, "sign", "RS256", DIGEST)).signature
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ciphertext = public_rsa(key).encrypt(b"plain", oaep)
    wrapped = public_rsa(key).encrypt(b"k" * 32, oaep)
    await kv.keys("update_key_properties", name, key.properties.version, **dates)
    return key, signature, ciphertext, wrapped


async def _assert_window_enforced(backend: Backend, kv: Twin, key: Any, inner: str) -> None:
    refused = backend.expect(
        azure=403, lowkey=200, reason="Lowkey does not enforce key validity windows"
    )
    if refused == 403:
        with pytest.raises(HttpResponseError) as info:
            await kv.crypto(key.id, "sign", "RS256", DIGEST)  # always remote
        assert (info.value.status_code, info.value.error.innererror["code"]) == (403, inner)
    else:
        await kv.crypto(key.id, "sign", "RS256", DIGEST)
    for operation in ("encrypt", "wrapkey"):
        status, body = await remote(
            kv, key, operation, {"alg": "RSA-OAEP-256", "value": b64url(b"x")}
        )
        assert status == refused
        if status == 403:
            assert body["error"]["code"] == "Forbidden"
            assert body["error"]["innererror"]["code"] == inner


async def _assert_reads_still_work(
    kv: Twin, key: Any, sig: bytes, ct: bytes, wrapped: bytes
) -> None:
    assert (await kv.crypto(key.id, "decrypt", "RSA-OAEP-256", ct)).plaintext == b"plain"
    assert (await kv.crypto(key.id, "unwrap_key", "RSA-OAEP-256", wrapped)).key == b"k" * 32
    status, body = await remote(
        kv, key, "verify", {"alg": "RS256", "digest": b64url(DIGEST), "value": b64url(sig)}
    )
    assert (status, body["value"]) == (200, True)


@pytest.mark.lowkey_divergence(reason="Lowkey does not enforce key validity windows")
async def test_expired_key_refuses_encrypt_wrap_sign(backend: Backend, kv: Twin) -> None:
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    key, sig, ct, wrapped = await _window_fixture(kv, backend.name, expires_on=past)
    await _assert_window_enforced(backend, kv, key, "KeyExpired")
    await _assert_reads_still_work(kv, key, sig, ct, wrapped)


@pytest.mark.lowkey_divergence(reason="Lowkey does not enforce key validity windows")
async def test_not_yet_valid_key_refuses_encrypt_wrap_sign(backend: Backend, kv: Twin) -> None:
    future = datetime.now(timezone.utc) + timedelta(days=1)
    key, sig, ct, wrapped = await _window_fixture(kv, backend.name, not_before=future)
    await _assert_window_enforced(backend, kv, key, "KeyNotYetValid")
    await _assert_reads_still_work(kv, key, sig, ct, wrapped)
