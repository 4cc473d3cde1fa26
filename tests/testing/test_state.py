"""The ``ctx`` helpers handlers share, and the secrets API the certificates store uses."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError

from safevault.testing import FakeVault
from safevault.testing._http import FakeRequest, ServiceError
from safevault.testing._state import VaultState


@pytest.fixture
def fake() -> FakeVault:
    return FakeVault()


@pytest.fixture
def ctx(fake: FakeVault) -> VaultState:
    return fake.state


def _request(query: str = "") -> FakeRequest:
    return FakeRequest.build("GET", f"https://fake.vault.azure.net/keys?{query}", {}, None)


def test_identity_helpers(ctx: VaultState) -> None:
    version = ctx.new_version()
    assert len(version) == 32
    assert version == version.lower()
    int(version, 16)
    assert ctx.new_version() != version
    assert ctx.object_id("keys", "K", "v") == "https://fake.vault.azure.net/keys/K/v"
    assert ctx.object_id("secrets", "s") == "https://fake.vault.azure.net/secrets/s"
    assert (
        ctx.recovery_id("certificates", "c") == "https://fake.vault.azure.net/deletedcertificates/c"
    )
    assert ctx.recovery_attributes() == {
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    }
    assert ctx.scheduled_purge(1000) == 1000 + 90 * 86400
    with pytest.raises(ValueError):
        ctx.object_id("blobs", "x")


def test_now_follows_the_fake_clock(fake: FakeVault, ctx: VaultState) -> None:
    assert ctx.now() == int(fake.clock().timestamp())
    assert abs((ctx.now_datetime() - fake.clock()).total_seconds()) < 1


@pytest.mark.parametrize("name", ["a", "A-1", "x" * 127, "0-0"])
def test_check_name_accepts(ctx: VaultState, name: str) -> None:
    ctx.check_name(name)


@pytest.mark.parametrize("name", ["", "x" * 128, "a_b", "a.b", "a b", "é"])
def test_check_name_refuses(ctx: VaultState, name: str) -> None:
    with pytest.raises(ServiceError) as info:
        ctx.check_name(name)
    assert (info.value.status, info.value.code) == (400, "BadParameter")


def test_parse_attributes(ctx: VaultState) -> None:
    assert ctx.parse_attributes(None) == {}
    assert ctx.parse_attributes({"enabled": False, "exp": 5, "nbf": None}) == {
        "enabled": False,
        "exp": 5,
        "nbf": None,
    }
    for bad in ({"enabled": "yes"}, {"exp": "soon"}, {"nbf": True}, [1]):
        with pytest.raises(ServiceError):
            ctx.parse_attributes(bad)


def test_parse_tags(ctx: VaultState) -> None:
    assert ctx.parse_tags(None) is None
    assert ctx.parse_tags({"a": "b"}) == {"a": "b"}
    assert ctx.parse_tags({f"k{i}": "v" for i in range(15)}) is not None
    for bad in ({f"k{i}": "v" for i in range(16)}, {"a": 1}, ["a"]):
        with pytest.raises(ServiceError):
            ctx.parse_tags(bad)


def test_paginate_pages_and_links(ctx: VaultState) -> None:
    items = [{"id": str(i)} for i in range(60)]
    first = ctx.paginate(items, _request("api-version=7.6"), "/keys")
    assert [i["id"] for i in first["value"]] == [str(i) for i in range(25)]
    link = first["nextLink"]
    assert link.startswith("https://fake.vault.azure.net:443/keys?api-version=7.6&$skiptoken=")
    token = link.split("$skiptoken=")[1]
    second = ctx.paginate(items, _request(f"api-version=7.6&$skiptoken={token}"), "/keys")
    assert second["value"][0] == {"id": "25"}
    token = second["nextLink"].split("$skiptoken=")[1]
    last = ctx.paginate(items, _request(f"api-version=7.6&$skiptoken={token}"), "/keys")
    assert len(last["value"]) == 10
    assert last["nextLink"] is None


def test_paginate_maxresults(ctx: VaultState) -> None:
    items = [{"id": str(i)} for i in range(5)]
    page = ctx.paginate(items, _request("api-version=7.6&maxresults=2"), "/keys/k/versions")
    assert len(page["value"]) == 2
    assert page["nextLink"].endswith("&maxresults=2")
    assert "/keys/k/versions?" in page["nextLink"]
    for bad in ("0", "26", "many"):
        with pytest.raises(ServiceError):
            ctx.paginate(items, _request(f"maxresults={bad}"), "/keys")


def test_paginate_refuses_a_forged_skiptoken(ctx: VaultState) -> None:
    with pytest.raises(ServiceError) as info:
        ctx.paginate([], _request("$skiptoken=garbage!"), "/keys")
    assert info.value.code == "BadParameter"


def test_paginate_empty(ctx: VaultState) -> None:
    assert ctx.paginate([], _request(), "/keys") == {"value": [], "nextLink": None}


def _managed(ctx: VaultState, name: str, **kw: Any) -> dict[str, Any]:
    with ctx.lock:
        return ctx.secrets.add_version(
            name,
            "PKCS12-BLOB",
            content_type="application/x-pkcs12",
            tags=None,
            enabled=True,
            nbf=None,
            exp=None,
            managed=True,
            kid=ctx.object_id("keys", name, "a" * 32),
            **kw,
        )


def test_add_version_for_a_certificate(fake: FakeVault, ctx: VaultState) -> None:
    bundle = _managed(ctx, "Cert", version="B" * 32)
    assert bundle["id"] == f"{fake.vault_url}/secrets/Cert/{'b' * 32}"
    assert bundle["managed"] is True
    assert bundle["kid"] == f"{fake.vault_url}/keys/Cert/{'a' * 32}"
    secret = fake.secret_client().get_secret("cert")
    assert secret.value == "PKCS12-BLOB"
    assert secret.properties.managed is True
    assert secret.properties.key_id == bundle["kid"]
    listed = list(fake.secret_client().list_properties_of_secrets())
    assert [p.managed for p in listed] == [True]


def test_managed_secret_refuses_direct_writes(fake: FakeVault, ctx: VaultState) -> None:
    _managed(ctx, "cert")
    client = fake.secret_client()
    with pytest.raises(HttpResponseError) as info:
        client.set_secret("cert", "overwrite")
    assert (info.value.status_code, info.value.error.code) == (403, "Forbidden")
    with pytest.raises(HttpResponseError) as info:
        client.begin_delete_secret("cert")
    assert info.value.status_code == 403
    with pytest.raises(HttpResponseError) as info:
        client.update_secret_properties("cert", enabled=False)
    assert info.value.status_code == 403
    with pytest.raises(HttpResponseError) as info:
        client.backup_secret("cert")
    assert info.value.status_code == 403
    assert client.get_secret("cert").value == "PKCS12-BLOB"


def test_certificate_name_taken_by_a_plain_secret(fake: FakeVault, ctx: VaultState) -> None:
    fake.secret_client().set_secret("plain", "v")
    with pytest.raises(ServiceError) as info:
        _managed(ctx, "plain")
    assert info.value.status == 409


def test_soft_delete_recover_purge_for_certificates(fake: FakeVault, ctx: VaultState) -> None:
    _managed(ctx, "cert")
    _managed(ctx, "cert")
    client = fake.secret_client()
    with ctx.lock:
        ctx.secrets.soft_delete("CERT")
    assert client.get_deleted_secret("cert").properties.managed is True
    with pytest.raises(ResourceExistsError):
        client.set_secret("cert", "v")
    with ctx.lock:
        ctx.secrets.recover("cert")
    assert len(list(client.list_properties_of_secret_versions("cert"))) == 2
    with ctx.lock:
        ctx.secrets.soft_delete("cert")
        ctx.secrets.purge("cert")
        with pytest.raises(ServiceError) as info:
            ctx.secrets.purge("cert")
    assert info.value.code == "SecretNotFound"
    with ctx.lock, pytest.raises(ServiceError):
        ctx.secrets.recover("cert")


def test_add_version_validates(ctx: VaultState) -> None:
    with pytest.raises(ServiceError):
        _managed(ctx, "bad_name")
    with ctx.lock, pytest.raises(ServiceError):
        ctx.secrets.add_version(
            "ok", "x" * 25_601, content_type=None, tags=None, enabled=True, nbf=None, exp=None
        )
