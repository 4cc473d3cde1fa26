"""Secrets: soft delete, recover, purge, backup and restore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from ._backend import Backend


async def test_delete_returns_deleted_secret(backend: Backend, secret_ops: Any) -> None:
    made = await secret_ops.set(backend.name, "v", tags={"a": "b"})
    deleted = await secret_ops.delete(backend.name)
    assert deleted.name == backend.name
    assert deleted.id == made.id
    assert deleted.recovery_id == f"{backend.vault_url}/deletedsecrets/{backend.name}"
    assert deleted.deleted_date is not None
    assert deleted.scheduled_purge_date - deleted.deleted_date == timedelta(days=90)
    assert deleted.properties.tags == {"a": "b"}


async def test_deleted_secret_cannot_be_read(backend: Backend, secret_ops: Any) -> None:
    first = await secret_ops.set(backend.name, "v")
    await secret_ops.delete(backend.name)
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.get(backend.name)
    assert info.value.error.code == "SecretNotFound"
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.get(backend.name, first.properties.version)
    assert backend.name not in {p.name for p in await secret_ops.list_secrets()}
    assert await secret_ops.list_versions(backend.name) == []


async def test_delete_missing_secret_is_404(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.delete(backend.name)
    assert info.value.error.code == "SecretNotFound"


async def test_get_and_list_deleted(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v", content_type="text/plain")
    await secret_ops.delete(backend.name)
    deleted = await secret_ops.get_deleted(backend.name)
    assert deleted.recovery_id == f"{backend.vault_url}/deletedsecrets/{backend.name}"
    assert deleted.properties.content_type == "text/plain"
    listed = [d for d in await secret_ops.list_deleted() if d.name == backend.name]
    assert len(listed) == 1
    assert listed[0].recovery_id == deleted.recovery_id
    assert listed[0].scheduled_purge_date == deleted.scheduled_purge_date


async def test_get_deleted_of_live_secret_is_404(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v")
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.get_deleted(backend.name)


async def test_set_on_soft_deleted_name_is_409(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v")
    await secret_ops.delete(backend.name)
    with pytest.raises(ResourceExistsError) as info:
        await secret_ops.set(backend.name, "again")
    assert info.value.status_code == 409
    assert info.value.error.code == "Conflict"
    assert "deleted but recoverable state" in info.value.error.message


async def test_recover_brings_back_every_version(backend: Backend, secret_ops: Any) -> None:
    first = await secret_ops.set(backend.name, "one")
    second = await secret_ops.set(backend.name, "two", tags={"t": "2"})
    await secret_ops.delete(backend.name)
    recovered = await secret_ops.recover(backend.name)
    assert recovered.id == second.id
    assert (await secret_ops.get(backend.name)).value == "two"
    assert (await secret_ops.get(backend.name, first.properties.version)).value == "one"
    assert len(await secret_ops.list_versions(backend.name)) == 2
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.get_deleted(backend.name)


async def test_recover_of_live_secret_is_404(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v")
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.recover(backend.name)


async def test_purge_forgets_the_name(
    purgeable_backend: Backend, purgeable_secret_ops: Any
) -> None:
    ops, name = purgeable_secret_ops, purgeable_backend.name
    await ops.set(name, "v")
    await ops.delete(name)
    await ops.purge(name)
    with pytest.raises(ResourceNotFoundError):
        await ops.get_deleted(name)
    with pytest.raises(ResourceNotFoundError):
        await ops.recover(name)
    fresh = await ops.set(name, "reborn")
    assert len(await ops.list_versions(name)) == 1
    assert (await ops.get(name)).properties.version == fresh.properties.version


async def test_purge_of_non_deleted_name_is_404(
    purgeable_backend: Backend, purgeable_secret_ops: Any
) -> None:
    await purgeable_secret_ops.set(purgeable_backend.name, "v")
    with pytest.raises(ResourceNotFoundError) as info:
        await purgeable_secret_ops.purge(purgeable_backend.name)
    assert info.value.error.code == "SecretNotFound"
    with pytest.raises(ResourceNotFoundError):
        await purgeable_secret_ops.purge(purgeable_backend.new_name())
    assert (await purgeable_secret_ops.get(purgeable_backend.name)).value == "v"


async def test_backup_and_restore_every_version(
    purgeable_backend: Backend, purgeable_secret_ops: Any
) -> None:
    ops, name = purgeable_secret_ops, purgeable_backend.name
    first = await ops.set(name, "one", content_type="text/plain")
    second = await ops.set(name, "two", tags={"k": "v"})
    blob = await ops.backup(name)
    assert isinstance(blob, bytes)
    assert b"two" not in blob  # opaque
    await ops.delete(name)
    await ops.purge(name)
    restored = await ops.restore(blob)
    assert restored.name == name
    assert restored.version == second.properties.version
    assert (await ops.get(name)).value == "two"
    old = await ops.get(name, first.properties.version)
    assert (old.value, old.properties.content_type) == ("one", "text/plain")


async def test_restore_over_existing_name_is_409(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v")
    blob = await secret_ops.backup(backend.name)
    with pytest.raises(ResourceExistsError) as info:
        await secret_ops.restore(blob)
    assert info.value.error.code == "Conflict"


async def test_backup_of_missing_secret_is_404(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.backup(backend.name)


async def test_restore_of_garbage_is_400(secret_ops: Any) -> None:
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.restore(b"definitely not a Key Vault backup")
    assert info.value.status_code == 400
    assert info.value.error.code == "BadParameter"
