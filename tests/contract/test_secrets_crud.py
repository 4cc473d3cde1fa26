"""Secrets: set, get, update and list, through the sync and the async SDK clients."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from ._backend import Backend

VERSION = re.compile(r"^[0-9a-f]{32}$")
SKEW = timedelta(minutes=5)


def _near_now(moment: datetime | None) -> bool:
    assert moment is not None
    return abs(datetime.now(timezone.utc) - moment) < SKEW


async def test_set_returns_full_bundle(backend: Backend, secret_ops: Any) -> None:
    secret = await secret_ops.set(
        backend.name, "s3cret", content_type="text/plain", tags={"team": "core"}
    )
    assert secret.value == "s3cret"
    assert secret.name == backend.name
    assert VERSION.match(secret.properties.version)
    assert secret.id == f"{backend.vault_url}/secrets/{backend.name}/{secret.properties.version}"
    assert secret.properties.content_type == "text/plain"
    assert secret.properties.tags == {"team": "core"}
    assert secret.properties.enabled is True
    assert secret.properties.expires_on is None
    assert secret.properties.not_before is None
    assert _near_now(secret.properties.created_on)
    assert secret.properties.updated_on == secret.properties.created_on
    assert secret.properties.recovery_level == "Recoverable+Purgeable"
    assert secret.properties.recoverable_days == 90
    assert secret.properties.managed in (None, False)


async def test_get_latest_and_by_version(backend: Backend, secret_ops: Any) -> None:
    first = await secret_ops.set(backend.name, "one")
    second = await secret_ops.set(backend.name, "two")
    assert first.properties.version != second.properties.version
    latest = await secret_ops.get(backend.name)
    assert (latest.value, latest.properties.version) == ("two", second.properties.version)
    old = await secret_ops.get(backend.name, first.properties.version)
    assert (old.value, old.id) == ("one", first.id)


async def test_set_with_attributes_round_trips(backend: Backend, secret_ops: Any) -> None:
    nbf = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    exp = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    await secret_ops.set(backend.name, "v", not_before=nbf, expires_on=exp)
    props = (await secret_ops.get(backend.name)).properties
    assert (props.not_before, props.expires_on) == (nbf, exp)


async def test_names_are_case_insensitive_and_keep_first_casing(
    backend: Backend, secret_ops: Any
) -> None:
    mixed = "Mixed-" + backend.name
    backend.names.append(mixed)
    await secret_ops.set(mixed, "v1")
    await secret_ops.set(mixed.upper(), "v2")
    got = await secret_ops.get(mixed.lower())
    assert got.value == "v2"
    assert got.name == mixed
    assert got.id.startswith(f"{backend.vault_url}/secrets/{mixed}/")
    assert len(await secret_ops.list_versions(mixed.lower())) == 2


async def test_empty_value_is_allowed(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "")
    assert (await secret_ops.get(backend.name)).value == ""


async def test_value_of_exactly_25_kib_is_accepted(backend: Backend, secret_ops: Any) -> None:
    value = "é" * 12_800  # 25,600 bytes in UTF-8
    await secret_ops.set(backend.name, value)
    assert (await secret_ops.get(backend.name)).value == value


async def test_update_latest_properties_omits_value(backend: Backend, secret_ops: Any) -> None:
    created = await secret_ops.set(backend.name, "v", content_type="a", tags={"x": "1"})
    exp = datetime(2040, 5, 6, tzinfo=timezone.utc)
    props = await secret_ops.update(backend.name, content_type="b", tags={"y": "2"}, expires_on=exp)
    assert props.version == created.properties.version
    assert props.content_type == "b"
    assert props.tags == {"y": "2"}
    assert props.expires_on == exp
    assert props.updated_on >= props.created_on
    got = await secret_ops.get(backend.name)
    assert (got.value, got.properties.content_type, got.properties.expires_on) == ("v", "b", exp)


async def test_update_a_specific_version_leaves_latest(backend: Backend, secret_ops: Any) -> None:
    first = await secret_ops.set(backend.name, "one", tags={"gen": "1"})
    await secret_ops.set(backend.name, "two", tags={"gen": "2"})
    await secret_ops.update(backend.name, first.properties.version, tags={"gen": "old"})
    assert (await secret_ops.get(backend.name)).properties.tags == {"gen": "2"}
    old = await secret_ops.get(backend.name, first.properties.version)
    assert old.properties.tags == {"gen": "old"}


async def test_update_missing_secret_is_404(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.update(backend.name, enabled=False)
    assert info.value.error.code == "SecretNotFound"


async def test_list_secrets_has_versionless_ids_and_no_values(
    backend: Backend, secret_ops: Any
) -> None:
    await secret_ops.set(backend.name, "v1")
    await secret_ops.set(backend.name, "v2", content_type="text/x", tags={"k": "v"})
    mine = [p for p in await secret_ops.list_secrets() if p.name == backend.name]
    assert len(mine) == 1
    item = mine[0]
    assert item.id == f"{backend.vault_url}/secrets/{backend.name}"
    assert item.version is None
    assert item.content_type == "text/x"
    assert item.tags == {"k": "v"}
    assert item.enabled is True
    assert not hasattr(item, "value")


async def test_list_versions_lists_every_version(backend: Backend, secret_ops: Any) -> None:
    made = [await secret_ops.set(backend.name, f"v{i}") for i in range(3)]
    await secret_ops.update(backend.name, made[0].properties.version, enabled=False)
    listed = await secret_ops.list_versions(backend.name)
    assert sorted(p.version for p in listed) == sorted(s.properties.version for s in made)
    by_version = {p.version: p for p in listed}
    assert by_version[made[0].properties.version].enabled is False
    assert all(p.id.endswith(p.version) for p in listed)


async def test_list_versions_of_unknown_secret_is_empty(backend: Backend, secret_ops: Any) -> None:
    assert await secret_ops.list_versions(backend.name) == []


@pytest.mark.lowkey_divergence(reason="Lowkey answers 404 SecretNotFound for a disabled secret")
async def test_disabled_version_get_is_403_secret_disabled(
    backend: Backend, secret_ops: Any
) -> None:
    first = await secret_ops.set(backend.name, "one")
    await secret_ops.set(backend.name, "two")
    await secret_ops.update(backend.name, first.properties.version, enabled=False)
    status = backend.expect(azure=403, lowkey=404, reason="Lowkey: 404 for disabled secrets")
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.get(backend.name, first.properties.version)
    assert info.value.status_code == status
    if status == 403:
        assert info.value.error.code == "Forbidden"
        assert info.value.error.innererror == {"code": "SecretDisabled"}
        assert info.value.error.message == "Operation get is not allowed on a disabled secret."
    assert (await secret_ops.get(backend.name)).value == "two"


@pytest.mark.lowkey_divergence(reason="Lowkey answers 404 SecretNotFound for a disabled secret")
async def test_disabled_latest_does_not_fall_back(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "old")
    await secret_ops.set(backend.name, "new", enabled=False)
    status = backend.expect(azure=403, lowkey=404, reason="Lowkey: 404 for disabled secrets")
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.get(backend.name)
    assert info.value.status_code == status
    if status == 403:
        assert info.value.error.innererror == {"code": "SecretDisabled"}


async def test_reenabling_a_version_makes_it_readable(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v", enabled=False)
    props = await secret_ops.update(backend.name, enabled=True)
    assert props.enabled is True
    assert (await secret_ops.get(backend.name)).value == "v"


async def test_expired_secret_is_still_returned(backend: Backend, secret_ops: Any) -> None:
    past = datetime.now(timezone.utc) - timedelta(days=2)
    await secret_ops.set(backend.name, "stale", expires_on=past.replace(microsecond=0))
    got = await secret_ops.get(backend.name)
    assert got.value == "stale"
    assert got.properties.expires_on == past.replace(microsecond=0)


async def test_not_yet_valid_secret_is_still_returned(backend: Backend, secret_ops: Any) -> None:
    future = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    await secret_ops.set(backend.name, "early", not_before=future)
    got = await secret_ops.get(backend.name)
    assert (got.value, got.properties.not_before) == ("early", future)
