"""call_with_secret, sync and async: one retry with a newer version after a rotation, only on
``retry_on``, and forced re-reads of a name at most once per 30 s (counted at the vault)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from safevault import CachePolicy, InvalidArgumentError, Secret
from safevault.testing import FakeVault

NAME = "api-key"
OTHER = "other-key"


class Rejected(Exception):
    """What a client raises when the credential is refused."""


def gets(fake: FakeVault, name: str = NAME, since: int = 0) -> int:
    """GETs of ``name``'s value (latest or a version) at the vault since ``since``."""
    prefix = f"/secrets/{name}/"
    return sum(
        1
        for method, path, status in fake.requests[since:]
        if method == "GET" and path.startswith(prefix) and status != 401
    )


class Client:
    """A downstream service that accepts one credential at a time."""

    def __init__(self, accepted: str) -> None:
        self.accepted = accepted
        self.calls: list[str] = []

    def call(self, secret: Secret) -> str:
        self.calls.append(secret.value)
        if secret.value != self.accepted:
            raise Rejected("401 from downstream")
        return f"ok:{secret.version}"


@pytest.fixture
def vault(fake: FakeVault, make_vault: Callable[..., Any]) -> Any:
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=10)))
    vault.set_secret(NAME, "v0")
    vault.set_secret(OTHER, "o0")
    vault.get_secret(NAME)
    return vault


def rotate_elsewhere(fake: FakeVault, name: str, value: str) -> str:
    """Another process writes a new version (this vault's cache does not know yet)."""
    client = fake.secret_client()
    try:
        return str(client.set_secret(name, value).properties.version)
    finally:
        client.close()


def test_success_calls_fn_once_from_the_cache(fake: FakeVault, vault: Any) -> None:
    client = Client("v0")
    since = len(fake.requests)
    result = vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    assert result.startswith("ok:")
    assert client.calls == ["v0"]
    assert gets(fake, since=since) == 0


def test_retries_once_with_the_newer_version_after_a_rotation(fake: FakeVault, vault: Any) -> None:
    v1 = rotate_elsewhere(fake, NAME, "v1")
    client = Client("v1")
    since = len(fake.requests)
    result = vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    assert result == f"ok:{v1}"
    assert client.calls == ["v0", "v1"]
    assert gets(fake, since=since) == 1, "exactly one forced re-read"
    since = len(fake.requests)
    assert vault.get_secret(NAME).value == "v1", "the cache now holds the newer version"
    assert gets(fake, since=since) == 0


def test_no_newer_version_reraises_the_callers_error(fake: FakeVault, vault: Any) -> None:
    client = Client("something-else")
    since = len(fake.requests)
    with pytest.raises(Rejected):
        vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    assert client.calls == ["v0"]
    assert gets(fake, since=since) == 1


def test_forced_rereads_happen_at_most_once_per_30_seconds_per_name(
    fake: FakeVault, vault: Any
) -> None:
    """A failing downstream cannot hammer the vault: 50 failing calls cost one read."""
    client = Client("something-else")
    since = len(fake.requests)
    for _ in range(50):
        with pytest.raises(Rejected):
            vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    assert gets(fake, since=since) == 1
    assert len(client.calls) == 50

    # another name has its own budget
    other = Client("nope")
    since = len(fake.requests)
    with pytest.raises(Rejected):
        vault.call_with_secret(OTHER, other.call, retry_on=(Rejected,))
    assert gets(fake, OTHER, since=since) == 1

    fake.advance(timedelta(seconds=29))
    since = len(fake.requests)
    with pytest.raises(Rejected):
        vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    assert gets(fake, since=since) == 0

    fake.advance(timedelta(seconds=2))
    v1 = rotate_elsewhere(fake, NAME, "v1")
    client.accepted = "v1"
    since = len(fake.requests)
    assert vault.call_with_secret(NAME, client.call, retry_on=(Rejected,)) == f"ok:{v1}"
    assert gets(fake, since=since) == 1


def test_within_the_30_seconds_a_rotation_is_only_seen_after_them(
    fake: FakeVault, vault: Any
) -> None:
    client = Client("v1")
    with pytest.raises(Rejected):  # no newer version yet: the forced read is spent
        vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    rotate_elsewhere(fake, NAME, "v1")
    with pytest.raises(Rejected):
        vault.call_with_secret(NAME, client.call, retry_on=(Rejected,))
    fake.advance(timedelta(seconds=31))
    assert vault.call_with_secret(NAME, client.call, retry_on=(Rejected,)).startswith("ok:")


def test_only_retry_on_errors_are_retried(fake: FakeVault, vault: Any) -> None:
    rotate_elsewhere(fake, NAME, "v1")
    calls: list[str] = []

    def fn(secret: Secret) -> None:
        calls.append(secret.value)
        raise ValueError("a bug, not a rejected credential")

    since = len(fake.requests)
    with pytest.raises(ValueError, match="a bug"):
        vault.call_with_secret(NAME, fn, retry_on=(Rejected,))
    assert calls == ["v0"]
    assert gets(fake, since=since) == 0


def test_the_retry_failing_again_raises_its_own_error(fake: FakeVault, vault: Any) -> None:
    rotate_elsewhere(fake, NAME, "v1")
    errors = [Rejected("first"), Rejected("second")]
    calls: list[str] = []

    def fn(secret: Secret) -> None:
        calls.append(secret.value)
        raise errors[len(calls) - 1]

    with pytest.raises(Rejected) as caught:
        vault.call_with_secret(NAME, fn, retry_on=(Rejected,))
    assert caught.value is errors[1]
    assert calls == ["v0", "v1"]


def test_a_newer_version_already_in_the_cache_needs_no_vault_read(
    fake: FakeVault, vault: Any, flavor: str
) -> None:
    calls: list[str] = []

    def fn(secret: Secret) -> Any:
        calls.append(secret.value)
        if secret.value == "v0":
            raise Rejected("stale")
        return secret.value

    async def afn(secret: Secret) -> Any:
        if secret.value == "v0":
            await vault.aio.set_secret(NAME, "v1")  # this process wrote a new version meanwhile
        return fn(secret)

    def sfn(secret: Secret) -> Any:
        if secret.value == "v0":
            vault.set_secret(NAME, "v1")  # this process wrote a new version meanwhile
        return fn(secret)

    since = len(fake.requests)
    assert (
        vault.call_with_secret(NAME, sfn if flavor == "sync" else afn, retry_on=(Rejected,)) == "v1"
    )
    assert calls == ["v0", "v1"]
    assert gets(fake, since=since) == 0


def test_on_change_tells_a_pool_when_call_with_secret_finds_a_newer_version(
    fake: FakeVault, vault: Any
) -> None:
    """The app's pool reconnects with the new value as soon as one caller saw the rotation."""
    changes: list[tuple[str | None, str]] = []
    vault.on_change(NAME, lambda old, new: changes.append((old.value if old else None, new.value)))
    rotate_elsewhere(fake, NAME, "v1")
    vault.call_with_secret(NAME, Client("v1").call, retry_on=(Rejected,))
    assert changes == [("v0", "v1")]


@pytest.mark.parametrize(
    "retry_on",
    [[Rejected], (Rejected, "x"), Rejected(), (int,), (Rejected, None)],
    ids=["list", "string", "instance", "not-an-exception", "none"],
)
def test_retry_on_must_be_a_tuple_of_exception_classes(
    fake: FakeVault, vault: Any, retry_on: Any
) -> None:
    since = len(fake.requests)
    with pytest.raises(InvalidArgumentError):
        vault.call_with_secret(NAME, Client("v0").call, retry_on=retry_on)
    assert fake.requests[since:] == []


def test_retry_on_has_no_default(vault: Any) -> None:
    with pytest.raises(TypeError):
        vault.call_with_secret(NAME, Client("v0").call)


async def test_async_fn_is_awaited_and_retried(fake: FakeVault) -> None:
    async with fake.aio_vault() as vault:
        await vault.set_secret(NAME, "v0")
        await vault.get_secret(NAME)
        v1 = rotate_elsewhere(fake, NAME, "v1")
        calls: list[str] = []

        async def fn(secret: Secret) -> str:
            calls.append(secret.value)
            if secret.value != "v1":
                raise Rejected("refused")
            return secret.version

        since = len(fake.requests)
        assert await vault.call_with_secret(NAME, fn, retry_on=(Rejected,)) == v1
        assert calls == ["v0", "v1"]
        assert gets(fake, since=since) == 1
