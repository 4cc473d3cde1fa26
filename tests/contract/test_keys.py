"""Keys: create, import, get, list, update, soft delete, through the sync and async KeyClient."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.keys import JsonWebKey
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from ._backend import Backend
from ._key_cert_twins import Twin, error_code, open_twin

VERSION = re.compile(r"^[0-9a-f]{32}$")
RSA_OPS = {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"}
CURVE_BYTES = {"P-256": 32, "P-256K": 32, "P-384": 48, "P-521": 66}


@pytest.fixture(params=["sync", "aio"])
async def kv(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[Twin]:
    async with open_twin(backend, request.param) as twin:
        yield twin


@pytest.fixture(params=["sync", "aio"])
async def purgeable_kv(
    request: pytest.FixtureRequest, purgeable_backend: Backend
) -> AsyncIterator[Twin]:
    async with open_twin(purgeable_backend, request.param) as twin:
        yield twin


def _near_now(moment: datetime | None) -> bool:
    assert moment is not None
    return abs(datetime.now(timezone.utc) - moment) < timedelta(minutes=5)


# -- create ------------------------------------------------------------------------------------


async def test_create_rsa_key_defaults(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    assert key.name == backend.name
    assert VERSION.match(key.properties.version)
    assert key.id == f"{backend.vault_url}/keys/{backend.name}/{key.properties.version}"
    assert key.key.kid == key.id
    assert key.key_type == "RSA"
    assert set(key.key_operations) == RSA_OPS
    assert len(key.key.n) == 256  # 2048 bits by default
    assert int.from_bytes(key.key.e, "big") == 65537
    assert key.key.d is None  # the public part only
    assert key.key.p is None
    props = key.properties
    assert props.enabled is True
    assert props.not_before is None
    assert props.expires_on is None
    assert _near_now(props.created_on)
    assert props.updated_on == props.created_on
    assert props.recovery_level == "Recoverable+Purgeable"
    assert props.recoverable_days == 90
    assert props.managed in (None, False)


async def test_create_rsa_3072_and_hsm(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name, size=3072, hardware_protected=True)
    assert key.key_type == "RSA-HSM"
    assert len(key.key.n) == 384


@pytest.mark.parametrize("curve", ["P-256", "P-256K", "P-384", "P-521"])
async def test_create_ec_key_on_each_curve(backend: Backend, kv: Twin, curve: str) -> None:
    key = await kv.keys("create_ec_key", backend.name, curve=curve)
    assert key.key_type == "EC"
    assert key.key.crv == curve
    assert len(key.key.x) == len(key.key.y) == CURVE_BYTES[curve]
    assert set(key.key_operations) == {"sign", "verify"}
    assert key.key.n is None


async def test_create_ec_hsm_key_defaults_to_p256(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_ec_key", backend.name, hardware_protected=True)
    assert (key.key_type, key.key.crv) == ("EC-HSM", "P-256")


async def test_create_with_ops_tags_and_dates(backend: Backend, kv: Twin) -> None:
    nbf = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    exp = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    key = await kv.keys(
        "create_rsa_key",
        backend.name,
        key_operations=["sign", "verify"],
        tags={"team": "core"},
        not_before=nbf,
        expires_on=exp,
        enabled=False,
    )
    assert key.key_operations == ["sign", "verify"]
    props = key.properties
    assert (props.tags, props.not_before, props.expires_on, props.enabled) == (
        {"team": "core"},
        nbf,
        exp,
        False,
    )


@pytest.mark.lowkey_divergence(reason="Lowkey Vault creates oct keys in vaults")
@pytest.mark.parametrize("kty", ["oct", "oct-HSM"])
async def test_oct_key_is_refused_in_a_vault(backend: Backend, kv: Twin, kty: str) -> None:
    refused = backend.expect(azure=True, lowkey=False, reason="Lowkey allows oct keys")
    if not refused:
        await kv.keys("create_key", backend.name, kty)
        return
    with pytest.raises(HttpResponseError) as info:
        await kv.keys("create_key", backend.name, kty)
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


@pytest.mark.parametrize("name", ["under_score", "dot.name", "a" * 128])
async def test_invalid_key_name_is_400(kv: Twin, name: str) -> None:
    with pytest.raises(HttpResponseError) as info:
        await kv.keys("create_ec_key", name)
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


async def test_unsupported_rsa_size_is_400(backend: Backend, kv: Twin) -> None:
    with pytest.raises(HttpResponseError) as info:
        await kv.keys("create_rsa_key", backend.name, size=1024)
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")
    with pytest.raises(ResourceNotFoundError):
        await kv.keys("get_key", backend.name)


# -- import ------------------------------------------------------------------------------------


def _b(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or (value.bit_length() + 7) // 8, "big")


async def test_import_rsa_key_uses_the_imported_private_key(backend: Backend, kv: Twin) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.private_numbers()
    pub = numbers.public_numbers
    jwk = JsonWebKey(
        kty="RSA",
        key_ops=["sign", "verify"],
        n=_b(pub.n),
        e=_b(pub.e),
        d=_b(numbers.d),
        p=_b(numbers.p),
        q=_b(numbers.q),
        dp=_b(numbers.dmp1),
        dq=_b(numbers.dmq1),
        qi=_b(numbers.iqmp),
    )
    key = await kv.keys("import_key", backend.name, jwk, tags={"src": "import"})
    assert key.key_type == "RSA"
    assert int.from_bytes(key.key.n, "big") == pub.n
    assert key.key.d is None  # never shown again
    assert key.key_operations == ["sign", "verify"]
    assert key.properties.tags == {"src": "import"}
    digest = hashlib.sha256(b"imported").digest()
    signed = await kv.crypto(key.id, "sign", "RS256", digest)
    private.public_key().verify(
        signed.signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )


async def test_import_ec_key_as_hsm(backend: Backend, kv: Twin) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_numbers()
    jwk = JsonWebKey(
        kty="EC",
        crv="P-256",
        x=_b(point.x, 32),
        y=_b(point.y, 32),
        d=_b(private.private_numbers().private_value, 32),
    )
    key = await kv.keys("import_key", backend.name, jwk, hardware_protected=True)
    assert key.key_type == "EC-HSM"
    assert (key.key.x, key.key.y) == (_b(point.x, 32), _b(point.y, 32))


async def test_import_public_only_key_is_400(backend: Backend, kv: Twin) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = private.public_key().public_numbers()
    with pytest.raises(HttpResponseError) as info:
        await kv.keys("import_key", backend.name, JsonWebKey(kty="RSA", n=_b(pub.n), e=_b(pub.e)))
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


# -- get / list --------------------------------------------------------------------------------


async def test_get_latest_and_by_version(backend: Backend, kv: Twin) -> None:
    first = await kv.keys("create_ec_key", backend.name)
    second = await kv.keys("create_ec_key", backend.name, curve="P-384")
    assert first.properties.version != second.properties.version
    latest = await kv.keys("get_key", backend.name)
    assert (latest.id, latest.key.crv) == (second.id, "P-384")
    old = await kv.keys("get_key", backend.name, first.properties.version)
    assert (old.id, old.key.x) == (first.id, first.key.x)


async def test_names_are_case_insensitive_and_keep_first_casing(backend: Backend, kv: Twin) -> None:
    name = backend.name.upper()
    created = await kv.keys("create_ec_key", name)
    fetched = await kv.keys("get_key", name.lower())
    assert fetched.id == created.id
    assert fetched.name == name


async def test_missing_key_is_404_key_not_found(backend: Backend, kv: Twin) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await kv.keys("get_key", backend.name)
    assert error_code(info.value) == "KeyNotFound"
    await kv.keys("create_ec_key", backend.name)
    with pytest.raises(ResourceNotFoundError) as info:
        await kv.keys("get_key", backend.name, "0" * 32)
    assert error_code(info.value) == "KeyNotFound"


async def test_list_keys_pages_and_shows_latest(backend: Backend, kv: Twin) -> None:
    names = [backend.new_name("k") for _ in range(3)]
    for name in names:
        await kv.keys("create_ec_key", name)
    latest = await kv.keys("create_ec_key", names[0], tags={"v": "2"})
    pages = await kv.key_pages("list_properties_of_keys", max_page_size=2)
    listed = {p.name: p for page in pages for p in page}
    assert set(names) <= set(listed)
    assert len(pages) >= 2
    assert all(len(page) <= 2 for page in pages)
    item = listed[names[0]]
    assert item.id == f"{backend.vault_url}/keys/{names[0]}"  # versionless
    assert item.version is None
    assert item.tags == {"v": "2"}
    assert item.created_on == latest.properties.created_on


async def test_list_versions_pages(backend: Backend, kv: Twin) -> None:
    made = [await kv.keys("create_ec_key", backend.name) for _ in range(3)]
    pages = await kv.key_pages("list_properties_of_key_versions", backend.name, max_page_size=2)
    assert [len(page) for page in pages] == [2, 1]
    listed = {p.version for page in pages for p in page}
    assert listed == {k.properties.version for k in made}
    assert all(p.id.endswith(f"/{p.version}") for page in pages for p in page)


async def test_default_page_is_25_keys(backend: Backend, kv: Twin) -> None:
    names = {backend.new_name("p") for _ in range(26)}
    for name in names:
        await kv.keys("create_ec_key", name)
    pages = await kv.key_pages("list_properties_of_keys")
    assert len(pages) >= 2
    assert all(len(page) <= 25 for page in pages)
    assert names <= {p.name for page in pages for p in page}


# -- update --------------------------------------------------------------------------------------


async def test_update_key_properties(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    exp = datetime(2040, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    updated = await kv.keys(
        "update_key_properties",
        backend.name,
        key.properties.version,
        expires_on=exp,
        tags={"a": "b"},
        key_operations=["encrypt", "decrypt"],
    )
    assert updated.id == key.id
    assert updated.properties.expires_on == exp
    assert updated.properties.tags == {"a": "b"}
    assert set(updated.key_operations) == {"encrypt", "decrypt"}
    assert updated.properties.updated_on >= key.properties.updated_on
    again = await kv.keys("get_key", backend.name)
    assert (again.properties.expires_on, again.properties.tags) == (exp, {"a": "b"})


async def test_update_latest_without_version(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    second = await kv.keys("create_ec_key", backend.name)
    updated = await kv.keys("update_key_properties", backend.name, tags={"x": "y"})
    assert updated.id == second.id
    assert updated.properties.tags == {"x": "y"}


@pytest.mark.lowkey_divergence(reason="Lowkey answers 404 for a disabled key")
async def test_disabled_key_get_is_403_key_disabled(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_ec_key", backend.name)
    await kv.keys("update_key_properties", backend.name, enabled=False)
    status = backend.expect(azure=403, lowkey=404, reason="Lowkey answers 404 for disabled keys")
    with pytest.raises(HttpResponseError) as info:
        await kv.keys("get_key", backend.name)
    assert info.value.status_code == status
    if status == 403:
        assert error_code(info.value) == "Forbidden"
        assert info.value.error.innererror["code"] == "KeyDisabled"
    listed = {p.name: p for p in await kv.key_list("list_properties_of_keys")}
    assert listed[backend.name].enabled is False  # listing still shows it
    enabled = await kv.keys("update_key_properties", backend.name, enabled=True)
    assert enabled.id == key.id


# -- soft delete -----------------------------------------------------------------------------------


async def test_delete_recover_round_trip(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_ec_key", backend.name, tags={"t": "1"})
    deleted = await kv.delete_key(backend.name)
    assert deleted.id == key.id
    assert deleted.recovery_id == f"{backend.vault_url}/deletedkeys/{backend.name}"
    assert _near_now(deleted.deleted_date)
    assert deleted.scheduled_purge_date - deleted.deleted_date == timedelta(days=90)
    with pytest.raises(ResourceNotFoundError):
        await kv.keys("get_key", backend.name)
    fetched = await kv.keys("get_deleted_key", backend.name)
    assert (fetched.id, fetched.properties.tags) == (key.id, {"t": "1"})
    assert backend.name in {d.name for d in await kv.key_list("list_deleted_keys")}
    recovered = await kv.recover_key(backend.name)
    assert recovered.id == key.id
    assert (await kv.keys("get_key", backend.name)).key.x == key.key.x


async def test_create_on_soft_deleted_name_is_409(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    await kv.delete_key(backend.name)
    with pytest.raises(ResourceExistsError) as info:
        await kv.keys("create_ec_key", backend.name)
    assert info.value.status_code == 409
    assert error_code(info.value) == "Conflict"


async def test_deleted_key_missing_is_404(backend: Backend, kv: Twin) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await kv.keys("get_deleted_key", backend.name)
    assert error_code(info.value) == "KeyNotFound"


async def test_purge_forgets_the_key(purgeable_backend: Backend, purgeable_kv: Twin) -> None:
    name = purgeable_backend.name
    await purgeable_kv.keys("create_ec_key", name)
    await purgeable_kv.delete_key(name)
    await purgeable_kv.keys("purge_deleted_key", name)
    with pytest.raises(ResourceNotFoundError):
        await purgeable_kv.keys("get_deleted_key", name)
    again = await purgeable_kv.keys("create_ec_key", name)  # the name is free again
    assert len(await purgeable_kv.key_list("list_properties_of_key_versions", name)) == 1
    assert again.name == name


async def test_public_jwk_is_base64url_without_padding(backend: Backend, kv: Twin) -> None:
    key = await kv.keys("create_rsa_key", backend.name)
    status, body = await kv.send("GET", f"/keys/{backend.name}/{key.properties.version}")
    assert status == 200
    jwk = body["key"]
    assert set(jwk) >= {"kid", "kty", "key_ops", "n", "e"}
    assert "d" not in jwk
    for field in ("n", "e"):
        assert not set(jwk[field]) & set("=+/")
        padded = jwk[field] + "=" * (-len(jwk[field]) % 4)
        assert base64.urlsafe_b64decode(padded) == getattr(key.key, field)
    assert isinstance(body["attributes"]["created"], int)
