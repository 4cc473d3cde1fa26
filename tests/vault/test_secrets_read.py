"""get_secret: validity on read (strict / warn / ignore), disabled, near expiry, versions."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from safevault import (
    CachePolicy,
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    InvalidArgumentError,
    NotYetValidError,
)


def put(fake, name, value="v", **kw):
    """Write through the plain SDK client (no safevault policy), like another service would."""
    return fake.secret_client().set_secret(name, value, **kw)


def test_get_latest_and_pinned(fake, make_vault):
    old = put(fake, "db", "one")
    new = put(fake, "db", "two")
    vault = make_vault()
    latest = vault.get_secret("db")
    assert (latest.value, latest.version) == ("two", new.properties.version)
    pinned = vault.get_secret("db", version=old.properties.version)
    assert pinned.value == "one"
    assert latest.expires_on is None and latest.id.endswith(new.properties.version)


def test_repr_and_str_never_show_the_value(fake, make_vault):
    put(fake, "db", "hunter2-value")
    secret = make_vault().get_secret("db")
    assert "hunter2-value" not in repr(secret)
    assert "hunter2-value" not in str(secret)
    assert "value=<redacted>" in repr(secret)


def test_names_are_case_insensitive(fake, make_vault):
    put(fake, "DB-Password", "v")
    vault = make_vault()
    assert vault.get_secret("db-password").value == "v"
    assert vault.get_secret("DB-PASSWORD").value == "v"
    assert sum(1 for r in fake.requests if r[0] == "GET" and r[2] == 200) == 1


def test_expired_strict_refused(fake, make_vault):
    put(fake, "old", expires_on=fake.clock() - timedelta(days=1))
    with pytest.raises(ExpiredError) as info:
        make_vault().get_secret("old")
    assert info.value.name == "old" and info.value.kind == "secret"
    assert info.value.expires_on < fake.clock()
    assert "expired" in str(info.value)


def test_expired_warn_serves_and_logs_once(fake, make_vault, caplog):
    put(fake, "old", "v", expires_on=fake.clock() - timedelta(days=1))
    vault = make_vault(expiry=ExpiryPolicy(on_read="warn"))
    with caplog.at_level(logging.WARNING, logger="safevault"):
        assert vault.get_secret("old").value == "v"
        assert vault.get_secret("old").value == "v"
    warnings = [r for r in caplog.records if "although it is expired" in r.getMessage()]
    assert len(warnings) == 1


def test_expired_ignore_serves_silently(fake, make_vault, caplog):
    put(fake, "old", "v", expires_on=fake.clock() - timedelta(days=1))
    vault = make_vault(expiry=ExpiryPolicy(on_read="ignore"))
    with caplog.at_level(logging.WARNING, logger="safevault"):
        assert vault.get_secret("old").value == "v"
    assert not caplog.records


def test_not_yet_valid(fake, make_vault):
    put(fake, "future", not_before=fake.clock() + timedelta(hours=1))
    with pytest.raises(NotYetValidError) as info:
        make_vault().get_secret("future")
    assert info.value.not_before > fake.clock()
    assert make_vault(expiry=ExpiryPolicy(on_read="ignore")).get_secret("future")


def test_clock_skew_applies_to_not_before_only(fake, make_vault):
    put(fake, "soon", not_before=fake.clock() + timedelta(minutes=3))
    assert make_vault().get_secret("soon")  # within the 5 minute skew
    # a minute, not a second: Key Vault keeps whole seconds, and the fake clock runs on with
    # real time, so a one-second expiry could pass before the first read on a busy machine
    put(fake, "gone", expires_on=fake.clock() + timedelta(minutes=1))
    vault = make_vault()
    vault.get_secret("gone")
    fake.advance(timedelta(minutes=2))
    with pytest.raises(ExpiredError):
        vault.get_secret("gone")  # an expiry is never extended by the skew


def test_cached_value_never_served_after_its_expiry(fake, make_vault):
    vault = make_vault(cache=CachePolicy(ttl=timedelta(hours=1)))
    vault.set_secret("short", "v", expires_in=timedelta(minutes=2))
    assert vault.get_secret("short").value == "v"
    fake.advance(timedelta(minutes=3))
    with pytest.raises(ExpiredError):
        vault.get_secret("short")


@pytest.mark.parametrize("on_read", ["strict", "warn", "ignore"])
def test_disabled_always_refused(fake, make_vault, on_read):
    put(fake, "off", enabled=False)
    with pytest.raises(DisabledError) as info:
        make_vault(expiry=ExpiryPolicy(on_read=on_read)).get_secret("off")
    assert info.value.version is None  # Azure refused the latest; no version was revealed


def test_disabled_pinned_version_refused(fake, make_vault):
    first = put(fake, "s", "one")
    put(fake, "s", "two")
    fake.secret_client().update_secret_properties("s", first.properties.version, enabled=False)
    vault = make_vault()
    assert vault.get_secret("s").value == "two"
    with pytest.raises(DisabledError):
        vault.get_secret("s", version=first.properties.version)


def test_permission_403_is_not_disabled(fake, make_vault):
    put(fake, "s")
    fake.inject(403, match=("GET", "/secrets/s"))
    with pytest.raises(HttpResponseError) as info:
        make_vault().get_secret("s")
    assert info.value.status_code == 403
    assert not isinstance(info.value, DisabledError)


def test_revocation_takes_effect_within_one_ttl(fake, make_vault):
    created = put(fake, "s", "v")
    version = created.properties.version
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1), jitter=0))
    assert vault.get_secret("s", version=version).value == "v"
    assert vault.get_secret("s").value == "v"
    fake.secret_client().update_secret_properties("s", version, enabled=False)
    assert vault.get_secret("s", version=version).value == "v"  # within the ttl
    fake.advance(timedelta(seconds=61))
    with pytest.raises(DisabledError):
        vault.get_secret("s", version=version)
    with pytest.raises(DisabledError):
        vault.get_secret("s")


def test_near_expiry_logs_one_warning_per_version(fake, make_vault, caplog):
    put(fake, "soon", "v", expires_on=fake.clock() + timedelta(days=10))
    vault = make_vault()
    with caplog.at_level(logging.WARNING, logger="safevault"):
        for _ in range(3):
            assert vault.get_secret("soon").value == "v"
    assert len([r for r in caplog.records if "expires at" in r.getMessage()]) == 1
    put(fake, "soon", "w", expires_on=fake.clock() + timedelta(days=5))
    vault.invalidate("soon")
    with caplog.at_level(logging.WARNING, logger="safevault"):
        vault.get_secret("soon")
    assert len([r for r in caplog.records if "expires at" in r.getMessage()]) == 2


def test_not_found(fake, make_vault):
    with pytest.raises(ResourceNotFoundError):
        make_vault().get_secret("missing")


@pytest.mark.parametrize("version", ["not a version", "x/y", 5])
def test_invalid_version_refused(fake, make_vault, version):
    with pytest.raises(InvalidArgumentError):
        make_vault().get_secret("s", version=version)
    assert fake.requests == []


def test_get_secret_versions_newest_first_valid_only(fake, make_vault):
    client = fake.secret_client()
    v1 = client.set_secret("multi", "one")
    fake.advance(timedelta(seconds=10))
    v2 = client.set_secret("multi", "two")
    fake.advance(timedelta(seconds=10))
    v3 = client.set_secret("multi", "three", expires_on=fake.clock() - timedelta(seconds=1))
    fake.advance(timedelta(seconds=10))
    v4 = client.set_secret("multi", "four", enabled=False)
    vault = make_vault()
    valid = vault.get_secret_versions("multi")
    assert [s.value for s in valid] == ["two", "one"]
    assert [s.version for s in valid] == [v2.properties.version, v1.properties.version]
    assert [s.value for s in vault.get_secret_versions("multi", limit=1)] == ["two"]
    # valid_only=False lists the expired version too, with its value; the disabled one is
    # omitted (Key Vault does not release its value)
    every = vault.get_secret_versions("multi", valid_only=False, limit=4)
    assert [s.value for s in every] == ["three", "two", "one"]
    assert every[0].version == v3.properties.version
    assert v4.properties.version not in {s.version for s in every}
    with pytest.raises(InvalidArgumentError):
        vault.get_secret_versions("multi", limit=0)
