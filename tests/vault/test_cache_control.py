"""``invalidate`` and ``on_change`` for every kind of object (the kinds table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from safevault import CachePolicy, InvalidArgumentError
from safevault.testing import FakeVault
from support import gets

POLICY = CachePolicy(ttl=timedelta(minutes=10), jitter=0.0)


def _key_gets(fake: FakeVault, name: str) -> int:
    prefix = f"/keys/{name}".lower()
    return sum(
        1
        for method, path, status in fake.requests
        if method == "GET"
        and status != 401
        and path.lower().rstrip("/").startswith(prefix)
        and "rotationpolicy" not in path
    )


def test_on_change_for_keys(fake: FakeVault, make_vault: Callable[..., Any]) -> None:
    vault = make_vault(cache=POLICY)
    seen: list[tuple[str | None, str]] = []
    first = vault.create_key("k-watched")
    vault.on_change(
        "K-Watched",
        lambda old, new: seen.append((getattr(old, "version", None), new.version)),
        kind="key",
    )
    rotated = vault.rotate_key("k-watched")
    assert seen == [(first.version, rotated.version)]
    # a rotation by someone else is announced at the first read after the ttl
    other = fake.key_client().rotate_key("k-watched")
    fake.advance(timedelta(minutes=11))
    assert vault.get_key("k-watched").version == other.properties.version
    assert seen[-1] == (rotated.version, other.properties.version)


def test_on_change_for_certificates(fake: FakeVault, make_vault: Callable[..., Any]) -> None:
    vault = make_vault(cache=POLICY)
    seen: list[tuple[str | None, str]] = []
    first = vault.create_certificate("c-watched", subject="CN=watched")
    vault.on_change(
        "c-watched",
        lambda old, new: seen.append((getattr(old, "version", None), new.version)),
        kind="certificate",
    )
    second = vault.create_certificate("c-watched", subject="CN=watched")
    assert seen == [(first.version, second.version)]


def test_invalidate_one_kind(fake: FakeVault, make_vault: Callable[..., Any]) -> None:
    vault = make_vault(cache=POLICY)
    vault.create_key("shared")
    vault.set_secret("shared", "v")
    vault.invalidate()
    vault.get_key("shared")
    vault.get_secret("shared")
    keys, secrets = _key_gets(fake, "shared"), gets(fake, "shared")
    vault.invalidate("shared", kind="key")  # the secret stays cached
    vault.get_key("shared")
    vault.get_secret("shared")
    assert (_key_gets(fake, "shared"), gets(fake, "shared")) == (keys + 1, secrets)
    vault.invalidate("shared")  # the default kind: secrets
    vault.get_key("shared")
    vault.get_secret("shared")
    assert (_key_gets(fake, "shared"), gets(fake, "shared")) == (keys + 1, secrets + 1)
    vault.invalidate(kind=None)  # every name of every kind
    vault.get_key("shared")
    vault.get_secret("shared")
    assert (_key_gets(fake, "shared"), gets(fake, "shared")) == (keys + 2, secrets + 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.invalidate("x", kind="keys"),
        lambda v: v.on_change("x", print, kind="blob"),
        lambda v: v.on_change("x", print, kind=None),
    ],
)
def test_unknown_kind_refused(make_vault: Callable[..., Any], call: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="kind"):
        call(make_vault())
