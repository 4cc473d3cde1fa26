"""set_secret: validation and the expiry policy run before any request."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safevault import (
    DisabledError,
    ExpiryPolicy,
    ExpiryPolicyError,
    InvalidArgumentError,
)


def test_default_lifetime_applied(fake, make_vault):
    vault = make_vault()
    before = fake.clock()
    secret = vault.set_secret("db-password", "s3cret")
    assert secret.expires_on is not None
    assert abs((secret.expires_on - before) - timedelta(days=90)) < timedelta(seconds=5)
    stored = fake.secret_client().get_secret("db-password")
    assert stored.value == "s3cret"
    assert stored.properties.expires_on == secret.expires_on


def test_explicit_expiry_and_metadata_round_trip(fake, make_vault):
    vault = make_vault()
    nbf = fake.clock() - timedelta(minutes=1)
    exp = fake.clock() + timedelta(days=10)
    secret = vault.set_secret(
        "api-key",
        "v",
        expires_on=exp,
        not_before=nbf,
        content_type="text/plain",
        tags={"owner": "team-a"},
    )
    props = fake.secret_client().get_secret("api-key").properties
    assert props.content_type == "text/plain"
    assert props.tags == {"owner": "team-a"}
    assert int(props.expires_on.timestamp()) == int(exp.timestamp())
    assert int(props.not_before.timestamp()) == int(nbf.timestamp())
    assert dict(secret.tags) == {"owner": "team-a"}
    with pytest.raises(TypeError):
        secret.tags["owner"] = "x"  # type: ignore[index]


def test_expires_in(fake, make_vault):
    secret = make_vault().set_secret("a", "v", expires_in=timedelta(days=3))
    assert abs(secret.expires_on - (fake.clock() + timedelta(days=3))) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"expires_in": timedelta(days=1), "expires_on": "soon"}, InvalidArgumentError),
        ({"expires_in": timedelta(days=400)}, ExpiryPolicyError),
        ({"expires_in": timedelta(days=-1)}, InvalidArgumentError),
        ({"not_before": datetime(2030, 1, 1)}, InvalidArgumentError),  # naive
        ({"content_type": "x" * 256}, InvalidArgumentError),
        ({"tags": {"k": 1}}, InvalidArgumentError),
        ({"tags": {f"k{i}": "v" for i in range(16)}}, InvalidArgumentError),
        ({"enabled": "yes"}, InvalidArgumentError),
    ],
)
def test_bad_arguments_refused_before_any_request(fake, make_vault, kwargs, error):
    vault = make_vault()
    with pytest.raises(error):
        vault.set_secret("name", "value", **kwargs)
    assert fake.requests == []


def test_both_expiries_refused(fake, make_vault):
    vault = make_vault()
    with pytest.raises(InvalidArgumentError, match="not both"):
        vault.set_secret(
            "n", "v", expires_in=timedelta(days=1), expires_on=fake.clock() + timedelta(days=1)
        )
    assert fake.requests == []


def test_expiry_in_past_refused(fake, make_vault):
    with pytest.raises(ExpiryPolicyError, match="not in the future"):
        make_vault().set_secret("n", "v", expires_on=fake.clock() - timedelta(seconds=1))
    assert fake.requests == []


def test_not_before_after_expiry_refused(fake, make_vault):
    exp = fake.clock() + timedelta(days=1)
    with pytest.raises(ExpiryPolicyError, match="earlier than the expiry"):
        make_vault().set_secret("n", "v", expires_on=exp, not_before=exp + timedelta(hours=1))
    assert fake.requests == []


def test_require_expiry_without_default(fake, make_vault):
    vault = make_vault(expiry=ExpiryPolicy(default_lifetime=None))
    with pytest.raises(ExpiryPolicyError, match="requires an expiry"):
        vault.set_secret("n", "v")
    assert fake.requests == []
    relaxed = make_vault(expiry=ExpiryPolicy(default_lifetime=None, require_expiry=False))
    assert relaxed.set_secret("n", "v").expires_on is None


def test_max_lifetime_none_allows_long_expiry(make_vault):
    vault = make_vault(expiry=ExpiryPolicy(max_lifetime=None))
    secret = vault.set_secret("n", "v", expires_in=timedelta(days=3650))
    assert secret.expires_on is not None


@pytest.mark.parametrize("name", ["", "a b", "a_b", "x" * 128, "é", None, 7])
def test_invalid_names_refused(fake, make_vault, name):
    with pytest.raises(InvalidArgumentError, match="1-127 characters"):
        make_vault().set_secret(name, "v")
    assert fake.requests == []


def test_value_limits(fake, make_vault):
    vault = make_vault()
    with pytest.raises(InvalidArgumentError, match="must be a str"):
        vault.set_secret("n", b"bytes")
    with pytest.raises(InvalidArgumentError, match="25 KiB") as info:
        vault.set_secret("n", "é" * 13000)
    assert "é" not in str(info.value)
    assert fake.requests == []
    assert vault.set_secret("n", "x" * 25 * 1024).version


def test_set_disabled_then_read_is_refused(make_vault):
    vault = make_vault()
    vault.set_secret("n", "v", enabled=False)
    with pytest.raises(DisabledError) as info:
        vault.get_secret("n")
    assert info.value.kind == "secret"
    assert info.value.name == "n"


def test_write_updates_the_cache(fake, make_vault):
    vault = make_vault()
    first = vault.set_secret("n", "one")
    assert vault.get_secret("n").value == "one"
    second = vault.set_secret("N", "two")
    assert vault.get_secret("n").value == "two"
    assert vault.get_secret("n", version=first.version).value == "one"
    assert second.version != first.version
    gets = [r for r in fake.requests if r[0] == "GET" and r[2] == 200]
    assert gets == []  # versions are immutable: the older one is still cached by its id


def test_expiry_policy_validation():
    with pytest.raises(InvalidArgumentError):
        ExpiryPolicy(on_read="loud")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        ExpiryPolicy(default_lifetime=timedelta(days=500))
    with pytest.raises(InvalidArgumentError):
        ExpiryPolicy(max_certificate_months=0)
    with pytest.raises(InvalidArgumentError):
        ExpiryPolicy(warn_before=timedelta(days=-1))
    with pytest.raises(InvalidArgumentError):
        ExpiryPolicy(max_lifetime=timedelta(0))


def test_utc_offsets_accepted(make_vault):
    plus_two = timezone(timedelta(hours=2))
    exp = datetime.now(plus_two) + timedelta(days=5)
    secret = make_vault().set_secret("n", "v", expires_on=exp)
    assert secret.expires_on.tzinfo is not None
    assert int(secret.expires_on.timestamp()) == int(exp.timestamp())
