"""Careless use gets a clear error before the network, and never a raw Python error.

* An unknown keyword (``cahce=``, ``expirey=``) used to vanish into the SDK clients' keyword
  arguments: it raises ``TypeError`` naming the closest valid option.
* ``version=""`` read the latest version; a value with a lone surrogate raised a raw
  ``UnicodeEncodeError`` (whose ``.object`` is the value); ``expires_in=timedelta.max`` raised
  ``OverflowError``; ``CachePolicy(enabled="no")`` counted as True; a string passed as the
  credential, or a clock returning naive datetimes, failed only at the first read.
* ``get_secret_versions(valid_only=False)`` raised on the first invalid version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

import safevault
import safevault.aio
from adversarial._reach import holds
from safevault import (
    CachePolicy,
    ExpiryPolicy,
    InvalidArgumentError,
    KeyRotation,
    Rotator,
)
from safevault.testing import FakeVault

URL = "https://x.vault.azure.net"


# -- unknown keywords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "suggestion"),
    [
        ("cahce", "cache"),
        ("expirey", "expiry"),
        ("allow_any_hosts", "allow_any_host"),
        ("retry_totl", "retry_total"),
        ("verify_challenge", "verify_challenge_resource"),
        ("timeer", "timer"),
    ],
)
def test_unknown_keyword_names_the_closest_option(keyword: str, suggestion: str) -> None:
    fake = FakeVault()
    for build in (
        lambda: safevault.Vault(URL, credential=fake.credential, **{keyword: 1}),
        lambda: safevault.aio.Vault(URL, credential=fake.async_credential, **{keyword: 1}),
        lambda: safevault.configure(URL, credential=fake.credential, **{keyword: 1}),
    ):
        with pytest.raises(TypeError) as info:
            build()
        assert repr(keyword) in str(info.value)
        assert f"did you mean {suggestion}=" in str(info.value)


def test_a_keyword_nothing_resembles_is_still_refused() -> None:
    with pytest.raises(TypeError, match="'zzz'"):
        safevault.Vault(URL, credential=FakeVault().credential, zzz=True)


@pytest.mark.parametrize(
    "keyword", ["authentication_policy", "logging_policy", "http_logging_policy", "policies"]
)
def test_keywords_that_would_undo_safety_are_refused(keyword: str) -> None:
    with pytest.raises(InvalidArgumentError, match=keyword):
        safevault.Vault(URL, credential=FakeVault().credential, **{keyword: object()})


def test_pass_through_keywords_reach_the_sdk_clients() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    seen: list[str] = []
    vault = fake.vault(
        api_version="7.5",
        retry_total=0,
        connection_timeout=5,
        read_timeout=5,
        user_agent="careless-test",
        headers={"x-test": "1"},
        raw_request_hook=lambda request: seen.append(request.http_request.url),
        verify_challenge_resource=True,
    )
    with vault:
        assert vault.get_secret("s").value == "v"
    assert seen and all("api-version=7.5" in url for url in seen)


# -- arguments checked before any request ------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.get_secret("s", version=""),
        lambda v: v.get_key("k", version=""),
        lambda v: v.get_certificate("c", version=""),
        lambda v: v.get_certificate_with_key("c", version=""),
    ],
)
def test_an_empty_version_is_not_the_latest(
    fake: FakeVault, make_vault: Callable[..., Any], call: Any
) -> None:
    vault = make_vault()
    with pytest.raises(InvalidArgumentError, match="version"):
        call(vault)
    assert fake.requests == []


LONE = "Zq-lone-ghijklmnop\udc80surrogate"


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.set_secret("s", LONE),
        lambda v: v.set_secret("s", "ok", tags={"t": LONE}),
        lambda v: v.set_secret("s", "ok", tags={LONE: "t"}),
        lambda v: v.set_secret("s", "ok", content_type=LONE),
    ],
)
def test_a_lone_surrogate_is_refused_without_quoting_the_value(
    fake: FakeVault, make_vault: Callable[..., Any], call: Any
) -> None:
    vault = make_vault()
    with pytest.raises(InvalidArgumentError, match="surrogate") as info:
        call(vault)
    assert not isinstance(info.value, UnicodeError)
    assert not holds(info.value, "ghijklmnop")
    assert fake.requests == []


def test_a_rotator_generating_a_lone_surrogate_fails_at_generate(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    class Bad(Rotator):
        def generate(self, current: Any) -> str:
            return LONE

        def apply(self, new_value: str, current: Any) -> None:
            raise AssertionError("never applied")

        def verify(self, new_value: str) -> None:
            raise AssertionError("never verified")

    vault = make_vault()
    vault.set_secret("s", "v")
    with pytest.raises(safevault.RotationError) as info:
        vault.rotate_secret("s", Bad())
    assert info.value.step == "generate"
    assert not holds(info.value, "ghijklmnop")


HUGE = timedelta.max


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.set_secret("s", "v", expires_in=HUGE),
        lambda v: v.create_key("k", expires_in=HUGE),
        lambda v: v.rotate_secret("s", Rotator(), expires_in=HUGE),
        lambda v: v.rotate_secret("s", Rotator(), grace=HUGE),
        lambda v: v.rotate_secret("s", Rotator(), if_older_than=HUGE),
        lambda v: v.expiring(within=HUGE),
    ],
)
def test_an_enormous_duration_is_refused(
    fake: FakeVault, make_vault: Callable[..., Any], call: Any
) -> None:
    vault = make_vault(expiry=ExpiryPolicy(max_lifetime=None))
    with pytest.raises(InvalidArgumentError, match="100 years"):
        call(vault)
    assert fake.requests == []


@pytest.mark.parametrize(
    "build",
    [
        lambda: CachePolicy(enabled="no"),
        lambda: CachePolicy(enabled=0),
        lambda: CachePolicy(refresh_ahead="yes"),
        lambda: CachePolicy(jitter="0.1"),
        lambda: CachePolicy(jitter=True),
        lambda: CachePolicy(max_entries=True),
        lambda: CachePolicy(max_entries=10.0),
        lambda: CachePolicy(ttl=HUGE),
        lambda: ExpiryPolicy(require_expiry="no"),
        lambda: ExpiryPolicy(on_read=["strict"]),
        lambda: ExpiryPolicy(max_certificate_months=True),
        lambda: ExpiryPolicy(default_lifetime=HUGE, max_lifetime=None),
        lambda: KeyRotation(expires_in=HUGE),
    ],
)
def test_policies_refuse_values_of_the_wrong_kind(build: Callable[[], Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        build()


@pytest.mark.parametrize(("keyword", "value"), [("allow_any_host", "yes"), ("audit_principal", 1)])
def test_vault_flags_must_be_booleans(keyword: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=keyword):
        safevault.Vault(URL, credential=FakeVault().credential, **{keyword: value})


@pytest.mark.parametrize(
    "credential",
    ["Zq-account-key-ghijklmnop==", b"Zq-bytes-ghijklmnop", object(), 42, {"key": "v"}],
    ids=["str", "bytes", "object", "int", "dict"],
)
def test_a_credential_that_is_not_one_is_refused_unquoted(credential: Any) -> None:
    for vault_class in (safevault.Vault, safevault.aio.Vault):
        with pytest.raises(InvalidArgumentError, match="credential") as info:
            vault_class(URL, credential=credential)
        assert not holds(info.value, "ghijklmnop")


def test_sync_and_async_credentials_are_not_mixed_up() -> None:
    fake = FakeVault()
    with pytest.raises(InvalidArgumentError, match=r"safevault\.aio\.Vault"):
        safevault.Vault(URL, credential=fake.async_credential)
    with pytest.raises(InvalidArgumentError, match="synchronous"):
        safevault.aio.Vault(URL, credential=fake.credential)


@pytest.mark.parametrize(
    ("clock", "problem"),
    [
        (datetime.now, "naive"),
        (lambda: datetime(2030, 1, 1), "naive"),
        (lambda: "2030-01-01T00:00:00Z", "datetime"),
        (lambda: 1_900_000_000.0, "datetime"),
    ],
)
def test_a_wrong_clock_fails_at_construction(clock: Any, problem: str) -> None:
    fake = FakeVault()
    with pytest.raises(InvalidArgumentError, match=problem):
        fake.vault(clock=clock)
    assert fake.requests == []


def test_a_wrong_timer_fails_at_construction() -> None:
    fake = FakeVault()
    with pytest.raises(InvalidArgumentError, match="timer"):
        fake.vault(timer=lambda: "now")


# -- get_secret_versions(valid_only=False) ---------------------------------------------------


def test_versions_without_valid_only_lists_invalid_versions(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    client = fake.secret_client()
    current = client.set_secret("multi", "current")
    fake.advance(timedelta(seconds=2))
    expired = client.set_secret("multi", "old", expires_on=fake.clock() - timedelta(seconds=1))
    fake.advance(timedelta(seconds=2))
    future = client.set_secret("multi", "soon", not_before=fake.clock() + timedelta(days=1))
    fake.advance(timedelta(seconds=2))
    client.set_secret("multi", "off", enabled=False)
    vault = make_vault()
    every = vault.get_secret_versions("multi", valid_only=False, limit=10)
    assert [(s.version, s.value) for s in every] == [
        (future.properties.version, "soon"),
        (expired.properties.version, "old"),
        (current.properties.version, "current"),
    ]
    assert [s.value for s in vault.get_secret_versions("multi", limit=10)] == ["current"]
    with pytest.raises(InvalidArgumentError):
        vault.get_secret_versions("multi", valid_only="no")


def test_every_pass_through_keyword_is_documented() -> None:
    """The TypeError for an unknown keyword points at this list: it must be complete."""
    from safevault._sdk._config import PASS_THROUGH

    for vault_class in (safevault.Vault, safevault.aio.Vault):
        doc = vault_class.__doc__ or ""
        missing = sorted(k for k in PASS_THROUGH if f"``{k}``" not in doc)
        assert missing == [], f"document these pass-through keywords: {missing}"
