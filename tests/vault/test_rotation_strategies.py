"""The shipped strategies on an in-memory target, sync and async: SingleCredentialRotator and
AlternatingCredentialRotator (the PostgreSQL versions are in tests/postgres/)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from safevault import InvalidArgumentError, RotationError
from safevault._model._strategies import (
    AlternatingCredentialRotator,
    CredentialRejectedError,
    SingleCredentialRotator,
)
from safevault.testing import FakeVault
from vault._rotation_support import versions

NAME = "app-db"
STAGING = f"{NAME}--staging"
GRACE = timedelta(minutes=10)


class Db:
    """Users and passwords; ``login`` raises like a database refusing a password."""

    def __init__(self, **passwords: str) -> None:
        self.passwords = dict(passwords)
        self.changes: list[tuple[str, str]] = []

    def set_password(self, user: str, password: str) -> None:
        self.passwords[user] = password
        self.changes.append((user, password))

    def login(self, user: str, password: str) -> None:
        if self.passwords.get(user) != password:
            raise PermissionError(f"login refused for {user}")

    def works(self, value: str) -> bool:
        creds = json.loads(value)
        return self.passwords.get(creds["username"]) == creds["password"]


def creds(user: str, password: str, **extra: str) -> str:
    return json.dumps({"username": user, "password": password, **extra})


# -- single credential ----------------------------------------------------------------------


def test_single_credential_rotation_replaces_the_one_credential(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    db = Db(app="first")
    revoked: list[str] = []
    rotator = SingleCredentialRotator(
        set_credential=lambda value: db.set_password("app", value),
        check=lambda value: db.login("app", value),
        revoke=revoked.append,
    )
    vault = make_vault()
    vault.set_secret(NAME, "first")
    result = vault.rotate_secret(NAME, rotator, grace=GRACE)
    new_value = vault.get_secret(NAME).value
    assert result.rotated and len(new_value) == 43
    assert db.passwords["app"] == new_value
    with pytest.raises(PermissionError):  # single credential: the old value stopped at apply
        db.login("app", "first")
    fake.advance(GRACE + timedelta(seconds=1))
    vault.rotate_secret(NAME, rotator, grace=GRACE, if_older_than=timedelta(days=1))
    assert revoked == ["first"]


def test_single_credential_custom_generate_and_a_check_returning_false(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    target = {"value": "first"}
    rotator = SingleCredentialRotator(
        set_credential=lambda value: target.update(value="something else"),
        check=lambda value: target["value"] == value,
        generate=lambda: "Aa1!" + "x" * 20,
    )
    vault = make_vault()
    vault.set_secret(NAME, "first")
    with pytest.raises(RotationError) as caught:
        vault.rotate_secret(NAME, rotator)
    assert caught.value.step == "verify"
    assert isinstance(caught.value.__cause__, CredentialRejectedError)
    assert "Aa1!" not in str(caught.value) + repr(caught.value)
    assert vault.get_secret(NAME).value == "first"
    assert fake.secret_client().get_secret(STAGING).value == "Aa1!" + "x" * 20


def test_single_credential_without_revoke_revokes_nothing(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    target = {"value": "first"}
    rotator = SingleCredentialRotator(
        set_credential=lambda value: target.update(value=value),
        check=lambda value: target["value"] == value,
    )
    vault = make_vault()
    vault.set_secret(NAME, "first")
    vault.rotate_secret(NAME, rotator, grace=GRACE)
    fake.advance(GRACE + timedelta(seconds=1))
    result = vault.rotate_secret(NAME, rotator, grace=GRACE)
    assert result.revoked_version is not None and result.rotated
    assert target["value"] == vault.get_secret(NAME).value


@pytest.mark.parametrize(
    "kwargs",
    [
        {"set_credential": None, "check": print},
        {"set_credential": print, "check": "no"},
        {"set_credential": print, "check": print, "revoke": 1},
        {"set_credential": print, "check": print, "generate": "x"},
    ],
)
def test_single_credential_parameters_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        SingleCredentialRotator(**kwargs)


async def test_single_credential_with_async_callables(fake: FakeVault) -> None:
    target = {"value": "first"}
    revoked: list[str] = []

    async def set_credential(value: str) -> None:
        target["value"] = value

    async def check(value: str) -> bool:
        return target["value"] == value

    async def revoke(old: str) -> None:
        revoked.append(old)

    rotator = SingleCredentialRotator(set_credential=set_credential, check=check, revoke=revoke)
    async with fake.aio_vault() as vault:
        await vault.set_secret(NAME, "first")
        await vault.rotate_secret(NAME, rotator, grace=GRACE)
        assert (await vault.get_secret(NAME)).value == target["value"]
        fake.advance(GRACE + timedelta(seconds=1))
        await vault.rotate_secret(NAME, rotator, grace=GRACE, if_older_than=timedelta(days=1))
    assert revoked == ["first"]


async def test_single_credential_async_check_returning_false_fails_verify(
    fake: FakeVault,
) -> None:
    async def check(value: str) -> bool:
        return False

    rotator = SingleCredentialRotator(set_credential=lambda value: None, check=check)
    async with fake.aio_vault() as vault:
        await vault.set_secret(NAME, "first")
        with pytest.raises(RotationError) as caught:
            await vault.rotate_secret(NAME, rotator)
    assert isinstance(caught.value.__cause__, CredentialRejectedError)


# -- alternating credentials ----------------------------------------------------------------


def alternating(db: Db) -> AlternatingCredentialRotator:
    return AlternatingCredentialRotator(
        users=("app_a", "app_b"), set_password=db.set_password, check=db.login
    )


def test_alternating_refreshes_the_idle_user_and_keeps_the_old_one_until_revoke(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    db = Db(app_a="pa0", app_b="pb0")
    old = creds("app_a", "pa0", host="db.internal")
    vault = make_vault()
    vault.set_secret(NAME, old)

    result = vault.rotate_secret(NAME, alternating(db), grace=GRACE)

    new = json.loads(vault.get_secret(NAME).value)
    assert new["username"] == "app_b" and new["host"] == "db.internal"
    assert db.passwords["app_b"] == new["password"] != "pb0"
    assert db.works(old), "the previous user keeps working until its revoke"
    assert db.changes == [("app_b", new["password"])]

    fake.advance(GRACE - timedelta(seconds=5))
    vault.rotate_secret(NAME, alternating(db), grace=GRACE)
    assert db.works(old)
    fake.advance(timedelta(seconds=10))
    later = vault.rotate_secret(NAME, alternating(db), grace=GRACE, if_older_than=timedelta(1))
    assert later.revoked_version == result.old_version
    assert not db.works(old), "after revoke the old value no longer logs in"
    assert db.passwords["app_a"] not in (old, "pa0")
    assert db.works(vault.get_secret(NAME).value)


def test_alternating_flips_between_the_two_users(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    db = Db()
    vault = make_vault()
    users = []
    for _ in range(4):
        vault.rotate_secret(NAME, alternating(db), grace=GRACE)
        value = vault.get_secret(NAME).value
        users.append(json.loads(value)["username"])
        assert db.works(value)
        fake.advance(GRACE + timedelta(seconds=1))
    assert users == ["app_a", "app_b", "app_a", "app_b"]
    assert len(versions(fake, NAME)) == 4


@pytest.mark.parametrize(
    "current",
    ["plain-password", creds("someone_else", "pw"), json.dumps(["app_a", "pw"])],
    ids=["not-json", "unknown-user", "not-an-object"],
)
def test_alternating_refuses_a_current_value_it_cannot_read_before_storing_anything(
    fake: FakeVault, make_vault: Callable[..., Any], current: str
) -> None:
    db = Db()
    vault = make_vault()
    vault.set_secret(NAME, current)
    with pytest.raises(RotationError) as caught:
        vault.rotate_secret(NAME, alternating(db))
    assert caught.value.step == "generate"
    assert isinstance(caught.value.__cause__, InvalidArgumentError)
    assert "pw" not in str(caught.value.__cause__) and "plain" not in str(caught.value.__cause__)
    assert versions(fake, STAGING) == []
    assert db.changes == []


def test_alternating_revoke_of_a_value_it_does_not_know_is_skipped_with_a_warning(
    fake: FakeVault, make_vault: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Adopting the strategy on a secret whose previous value is a plain password: there is no
    user to revoke, which must not block rotation forever."""
    db = Db(app_a="pa0")
    vault = make_vault()
    vault.set_secret(NAME, "legacy-password")
    vault.set_secret(NAME, creds("app_a", "pa0"))
    client = fake.secret_client()
    latest = client.get_secret(NAME).properties
    legacy = next(p.version for p in versions(fake, NAME) if p.version != latest.version)
    client.update_secret_properties(
        NAME,
        latest.version,
        tags={
            "safevault-previous-version": legacy,
            "safevault-revoke-after": fake.clock().isoformat(),
        },
    )
    with caplog.at_level(logging.WARNING, logger="safevault"):
        result = vault.rotate_secret(NAME, alternating(db), grace=GRACE)
    assert result.revoked_version == legacy and result.rotated
    assert "legacy-password" not in caplog.text
    assert any("nothing revoked" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "users",
    [("app_a",), ("app_a", "app_a"), ("app_a", ""), "ab", ("a", "b", "c"), ("a", 1)],
)
def test_alternating_needs_two_distinct_users(users: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        AlternatingCredentialRotator(users=users, set_password=print, check=print)


def test_alternating_repr_shows_users_only() -> None:
    rotator = AlternatingCredentialRotator(
        users=("app_a", "app_b"), set_password=print, check=print
    )
    assert repr(rotator) == "AlternatingCredentialRotator(users=('app_a', 'app_b'))"
    assert rotator.idle_user(None) == "app_a"


async def test_alternating_with_async_callables(fake: FakeVault) -> None:
    db = Db(app_a="pa0", app_b="pb0")

    async def set_password(user: str, password: str) -> None:
        db.set_password(user, password)

    async def check(user: str, password: str) -> None:
        db.login(user, password)

    rotator = AlternatingCredentialRotator(
        users=("app_a", "app_b"), set_password=set_password, check=check
    )
    old = creds("app_a", "pa0")
    async with fake.aio_vault() as vault:
        await vault.set_secret(NAME, old)
        await vault.rotate_secret(NAME, rotator, grace=GRACE)
        new = (await vault.get_secret(NAME)).value
        assert db.works(new) and db.works(old)
        fake.advance(GRACE + timedelta(seconds=1))
        await vault.rotate_secret(NAME, rotator, grace=GRACE, if_older_than=timedelta(days=1))
    assert not db.works(old) and db.works(new)
