"""Keys through the real SDK on FakeVault: expiry on create, rotation policies, cached reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.core.exceptions import ResourceNotFoundError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from safevault import (
    CachePolicy,
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    ExpiryPolicyError,
    InvalidArgumentError,
    Key,
    KeyRotation,
)

DAY = timedelta(days=1)


def key_gets(fake, name, *, since=0):
    prefix = f"/keys/{name}".lower()
    return [
        r
        for r in fake.requests[since:]
        if r[0] == "GET"
        and r[2] != 401
        and (r[1].lower() == prefix or r[1].lower().startswith(prefix + "/"))
        and not r[1].lower().endswith("/rotationpolicy")
    ]


def close_to(a, b, tolerance=timedelta(seconds=5)):
    return abs(a - b) < tolerance


# -- create_key --------------------------------------------------------------------------------


def test_create_key_applies_the_expiry_policy_and_the_default_rotation(fake, make_vault):
    vault = make_vault()
    key = vault.create_key("data-key")
    assert isinstance(key, Key)
    assert key.name == "data-key" and key.key_type == "RSA" and key.enabled
    assert key.id.endswith(f"/keys/data-key/{key.version}")
    assert close_to(key.expires_on, fake.clock() + 90 * DAY)
    assert key.key["kty"] == "RSA" and isinstance(key.key["n"], bytes)
    assert "wrapKey" in key.key["key_ops"]
    assert "d" not in key.key
    with pytest.raises(TypeError):
        key.key["n"] = b"x"  # type: ignore[index]
    public = key.public_key()
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    policy = fake.key_client().get_key_rotation_policy("data-key")
    assert policy.expires_in == "P90D"
    rotate = [a for a in policy.lifetime_actions if str(a.action).lower().endswith("rotate")]
    assert [a.time_before_expiry for a in rotate] == ["P30D"]
    assert vault.get_key_rotation("data-key") == KeyRotation()
    assert "key=" not in repr(key) and "data-key" in repr(key)


@pytest.mark.parametrize(
    ("kwargs", "kty", "check"),
    [
        ({"hsm": True}, "RSA-HSM", lambda k: k.key_size == 2048),
        ({"size": 3072}, "RSA", lambda k: k.key_size == 3072),
        ({"key_type": "EC"}, "EC", lambda k: k.curve.name == "secp256r1"),
        ({"key_type": "ec", "curve": "P-384", "hsm": True}, "EC-HSM", lambda k: k.key_size == 384),
    ],
)
def test_key_types(make_vault, kwargs, kty, check):
    key = make_vault().create_key("k", **kwargs)
    assert key.key_type == kty
    public = key.public_key()
    assert isinstance(public, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey))
    assert check(public)


def test_explicit_window_and_tags(fake, make_vault):
    nbf = fake.clock() - timedelta(minutes=1)
    key = make_vault().create_key(
        "k", expires_in=60 * DAY, not_before=nbf, tags={"owner": "team-a"}
    )
    assert close_to(key.expires_on, fake.clock() + 60 * DAY)
    assert int(key.not_before.timestamp()) == int(nbf.timestamp())
    assert dict(key.tags) == {"owner": "team-a"}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"expires_in": 400 * DAY}, ExpiryPolicyError, "max_lifetime"),
        ({"expires_in": DAY, "expires_on": "x"}, InvalidArgumentError, "datetime"),
        ({"key_type": "oct"}, InvalidArgumentError, "Managed HSM"),
        ({"size": 1024}, InvalidArgumentError, "2048, 3072 or 4096"),
        ({"curve": "P-256"}, InvalidArgumentError, "EC keys only"),
        ({"key_type": "EC", "size": 2048}, InvalidArgumentError, "RSA keys only"),
        ({"key_type": "EC", "curve": "P-999"}, InvalidArgumentError, "curve must be one of"),
        ({"hsm": "yes"}, InvalidArgumentError, "hsm"),
        ({"rotation": "monthly"}, InvalidArgumentError, "KeyRotation"),
        ({"tags": {"k": 1}}, InvalidArgumentError, "tags"),
        # The first version must be rotatable: it expires in 10 days, rotation is 30 days before.
        ({"expires_in": 10 * DAY}, InvalidArgumentError, "first version expires in"),
        (
            {"rotation": KeyRotation(expires_in=400 * DAY)},
            ExpiryPolicyError,
            r"KeyRotation.expires_in \(400 days\) is longer than the policy's max_lifetime",
        ),
    ],
)
def test_refused_before_any_request(fake, make_vault, kwargs, error, message):
    vault = make_vault()
    with pytest.raises(error, match=message):
        vault.create_key("k", **kwargs)
    assert fake.requests == []


def test_default_rotation_refused_under_a_short_max_lifetime(fake, make_vault):
    vault = make_vault(expiry=ExpiryPolicy(default_lifetime=30 * DAY, max_lifetime=60 * DAY))
    with pytest.raises(ExpiryPolicyError, match="pass a shorter expires_in"):
        vault.create_key("k")
    assert fake.requests == []
    key = vault.create_key(
        "k", rotation=KeyRotation(expires_in=60 * DAY, rotate_before_expiry=14 * DAY)
    )
    assert close_to(key.expires_on, fake.clock() + 30 * DAY)


def test_require_expiry_without_default_refuses(fake, make_vault):
    vault = make_vault(expiry=ExpiryPolicy(default_lifetime=None))
    with pytest.raises(ExpiryPolicyError, match="requires an expiry"):
        vault.create_key("k")
    assert fake.requests == []


def test_invalid_name_refused(fake, make_vault):
    with pytest.raises(InvalidArgumentError, match="Invalid key name"):
        make_vault().create_key("bad_name")
    assert fake.requests == []


# -- get_key -----------------------------------------------------------------------------------


def test_get_key_is_cached_and_pinnable(fake, make_vault):
    fake.key_client().create_rsa_key("k", expires_on=fake.clock() + 40 * DAY)
    vault = make_vault()
    first = vault.get_key("K")
    start = len(fake.requests)
    again = vault.get_key("k")
    pinned = vault.get_key("k", version=first.version)
    assert again is first and pinned is first
    assert fake.requests[start:] == []


def test_written_versions_are_cached_as_latest(fake, make_vault):
    vault = make_vault()
    created = vault.create_key("k")
    start = len(fake.requests)
    assert vault.get_key("k") is created
    rotated = vault.rotate_key("k")
    assert rotated.version != created.version
    assert vault.get_key("k") is rotated
    assert key_gets(fake, "k", since=start) == []
    assert vault.get_key("k", version=created.version).version == created.version


def test_expired_key_refused_on_read(fake, make_vault):
    fake.key_client().create_rsa_key("old", expires_on=fake.clock() + DAY)
    strict = make_vault()
    warn = make_vault(expiry=ExpiryPolicy(on_read="warn"))
    fake.advance(2 * DAY)
    with pytest.raises(ExpiredError) as caught:
        strict.get_key("old")
    assert caught.value.kind == "key" and caught.value.name == "old"
    assert warn.get_key("old").name == "old"


def test_disabled_and_missing(fake, make_vault):
    client = fake.key_client()
    key = client.create_rsa_key("k", expires_on=fake.clock() + 40 * DAY)
    client.update_key_properties("k", key.properties.version, enabled=False)
    vault = make_vault()
    with pytest.raises(DisabledError):
        vault.get_key("k")
    with pytest.raises(ResourceNotFoundError):
        vault.get_key("nope")
    with pytest.raises(InvalidArgumentError):
        vault.get_key("k", version="not/a/version")


# -- rotation ----------------------------------------------------------------------------------


def test_set_and_get_rotation(fake, make_vault):
    vault = make_vault()
    fake.key_client().create_rsa_key("k", expires_on=fake.clock() + 40 * DAY)
    assert vault.get_key_rotation("k") is None  # only the service's default Notify
    wanted = KeyRotation(rotate_after=60 * DAY, expires_in=180 * DAY)
    assert vault.set_key_rotation("k", wanted) == wanted
    assert vault.get_key_rotation("k") == wanted
    stored = fake.key_client().get_key_rotation_policy("k")
    assert stored.expires_in == "P180D"


def test_set_rotation_refused_before_any_request(fake, make_vault):
    vault = make_vault()
    with pytest.raises(ExpiryPolicyError, match="max_lifetime"):
        vault.set_key_rotation("k", KeyRotation(expires_in=400 * DAY))
    with pytest.raises(InvalidArgumentError, match="KeyRotation"):
        vault.set_key_rotation("k", {"rotate_after": "P30D"})  # type: ignore[arg-type]
    assert fake.requests == []


def test_rotation_limits_refused_client_side():
    with pytest.raises(InvalidArgumentError, match="at least 28 days"):
        KeyRotation(expires_in=20 * DAY)
    with pytest.raises(InvalidArgumentError, match="at least 7 days after creation"):
        KeyRotation(rotate_after=3 * DAY)
    with pytest.raises(InvalidArgumentError, match="at least 7 days before expiry"):
        KeyRotation(rotate_before_expiry=3 * DAY)


def test_auto_rotation_by_policy_is_read_after_the_ttl(fake, make_vault):
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=10), jitter=0))
    first = vault.create_key("k")
    assert vault.get_key("k") is first
    fake.advance(61 * DAY)  # the policy rotates 30 days before the 90-day expiry
    current = vault.get_key("k")
    assert current.version != first.version
    assert close_to(current.created_on, first.created_on + 60 * DAY, timedelta(minutes=1))
    assert close_to(current.expires_on, current.created_on + 90 * DAY)
    start = len(fake.requests)
    fake.advance(timedelta(minutes=5))
    assert vault.get_key("k") is current  # cached within the ttl
    assert key_gets(fake, "k", since=start) == []


def test_rotate_key_now(fake, make_vault):
    vault = make_vault()
    first = vault.create_key("k", expires_in=60 * DAY)
    second = vault.rotate_key("k")
    assert second.version != first.version
    assert close_to(second.expires_on, fake.clock() + 90 * DAY)  # the policy's expires_in


# -- telemetry ---------------------------------------------------------------------------------


def test_one_span_per_public_method_with_identifiers_only(fake, make_vault):
    from otel_support import pipeline

    exporter, _ = pipeline()
    exporter.clear()
    vault = make_vault(cache=CachePolicy(jitter=0), audit_hits=True)  # hits have spans
    key = vault.create_key("k")
    vault.get_key("k")
    vault.rotate_key("k")
    vault.set_key_rotation("k", KeyRotation(rotate_after=30 * DAY))
    vault.get_key_rotation("k")
    blob = vault.encrypt("k", b"plaintext-xyz", associated_data=b"ad-xyz")
    vault.decrypt(blob, associated_data=b"ad-xyz")
    names = [s.name for s in exporter.get_finished_spans() if s.name.startswith("safevault.")]
    assert names == [
        "safevault.create_key",
        "safevault.get_key",
        "safevault.rotate_key",
        "safevault.set_key_rotation",
        "safevault.get_key_rotation",
        "safevault.encrypt",
        "safevault.decrypt",
    ]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    for span in spans.values():
        if not span.name.startswith("safevault."):
            continue
        assert span.attributes["safevault.object.kind"] == "key"
        assert span.attributes["safevault.object.name"] == "k"
        text = span.to_json()
        assert "plaintext-xyz" not in text and "ad-xyz" not in text
    assert spans["safevault.create_key"].attributes["safevault.object.version"] == key.version
    assert spans["safevault.get_key"].attributes["safevault.cache.result"] == "hit"
    assert spans["safevault.decrypt"].attributes["safevault.cache.result"] == "hit"
    assert "safevault.object.version" in spans["safevault.encrypt"].attributes


def test_refusals_are_traced_and_counted(fake, make_vault):
    from otel_support import pipeline

    exporter, reader = pipeline()
    exporter.clear()
    fake.key_client().create_rsa_key("old", expires_on=fake.clock() + DAY)
    vault = make_vault()
    fake.advance(2 * DAY)
    for call in (lambda: vault.get_key("old"), lambda: vault.encrypt("old", b"p")):
        with pytest.raises(ExpiredError):
            call()
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("safevault.")]
    assert [s.name for s in spans] == ["safevault.get_key", "safevault.encrypt"]
    for span in spans:
        assert span.attributes["safevault.validity"] == "expired"
        assert span.attributes["error.type"] == "ExpiredError"
        assert "safevault.read_refused" in [e.name for e in span.events]
    data = reader.get_metrics_data()
    points = [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "safevault.validity.refusals"
        for p in m.data.data_points
    ]
    assert any(dict(p.attributes) == {"kind": "key", "validity": "expired"} for p in points)
