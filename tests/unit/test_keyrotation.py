"""KeyRotation: Key Vault's limits on construction, ExpiryPolicy on use, SDK conversion."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from azure.keyvault.keys import KeyRotationLifetimeAction, KeyRotationPolicy
from hypothesis import given, settings
from hypothesis import strategies as st

from safevault import ExpiryPolicy, ExpiryPolicyError, InvalidArgumentError, KeyRotation
from safevault._model._key_rotation import parse_duration
from safevault._sdk._convert_keys import rotation_from_policy, rotation_to_policy
from safevault.testing._rotation_policy import RotationPolicy, RotationPolicyError

D = timedelta(days=1)


def test_defaults_rotate_30_days_before_a_90_day_expiry():
    rotation = KeyRotation()
    assert rotation.rotate_after is None
    assert rotation.rotate_before_expiry == 30 * D
    assert rotation.expires_in == 90 * D
    assert rotation.notify_before_expiry == 30 * D
    assert type(rotation.rotate_before_expiry) is timedelta
    assert "timedelta(days=30)" in repr(rotation)
    assert rotation == KeyRotation()
    assert hash(rotation) == hash(KeyRotation())


def test_rotate_after_replaces_the_default_trigger():
    rotation = KeyRotation(rotate_after=60 * D)
    assert rotation.rotate_after == 60 * D
    assert rotation.rotate_before_expiry is None


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        KeyRotation().expires_in = D  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rotate_after": 60 * D, "rotate_before_expiry": 30 * D}, "exactly one trigger"),
        ({"rotate_before_expiry": None}, "needs a trigger"),
        ({"expires_in": 27 * D}, "at least 28 days"),
        ({"expires_in": 27 * D, "rotate_before_expiry": 7 * D}, "at least 28 days"),
        ({"rotate_after": 6 * D}, "at least 7 days after creation"),
        ({"rotate_after": 84 * D}, "at least 7 days before"),
        ({"rotate_before_expiry": 6 * D}, "at least 7 days before expiry"),
        ({"rotate_before_expiry": 84 * D}, "7 days after creation"),
        ({"rotate_before_expiry": 30 * D, "expires_in": None}, "needs expires_in"),
        ({"rotate_after": 30 * D, "expires_in": None}, "notify_before_expiry needs expires_in"),
        ({"notify_before_expiry": 90 * D}, "shorter than expires_in"),
        ({"expires_in": timedelta(days=90, hours=1)}, "whole number of days"),
        ({"expires_in": 90}, "must be a datetime.timedelta"),
        ({"rotate_after": -D}, "must be positive"),
    ],
)
def test_limits_refused_on_construction_with_a_clear_message(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        KeyRotation(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"expires_in": 28 * D, "rotate_before_expiry": 7 * D, "notify_before_expiry": 7 * D},
        {"expires_in": 28 * D, "rotate_before_expiry": 21 * D, "notify_before_expiry": 27 * D},
        {"rotate_after": 7 * D},
        {"rotate_after": 83 * D},
        {"rotate_after": 400 * D, "expires_in": None, "notify_before_expiry": None},
    ],
)
def test_limits_are_inclusive(kwargs):
    KeyRotation(**kwargs)


def test_expires_in_checked_against_the_expiry_policy_on_use():
    KeyRotation().check_against(ExpiryPolicy())
    with pytest.raises(ExpiryPolicyError, match="max_lifetime"):
        KeyRotation(expires_in=400 * D).check_against(ExpiryPolicy())
    with pytest.raises(ExpiryPolicyError, match="max_lifetime"):
        KeyRotation().check_against(ExpiryPolicy(max_lifetime=60 * D, default_lifetime=30 * D))
    no_expiry = KeyRotation(rotate_after=30 * D, expires_in=None, notify_before_expiry=None)
    with pytest.raises(ExpiryPolicyError, match="requires an expiry"):
        no_expiry.check_against(ExpiryPolicy())
    no_expiry.check_against(ExpiryPolicy(require_expiry=False, default_lifetime=None))


def test_first_version_must_be_rotatable():
    KeyRotation().check_first_version(90 * D)
    KeyRotation().check_first_version(37 * D)
    with pytest.raises(InvalidArgumentError, match=r"first version expires in 10\.0 days"):
        KeyRotation().check_first_version(10 * D)
    with pytest.raises(InvalidArgumentError, match="rotate_before_expiry needs"):
        KeyRotation().check_first_version(None)
    after = KeyRotation(rotate_after=60 * D)
    after.check_first_version(None)
    after.check_first_version(67 * D)
    with pytest.raises(InvalidArgumentError, match="before or within 7 days"):
        after.check_first_version(66 * D)


def test_to_policy():
    policy = rotation_to_policy(KeyRotation())
    assert policy.expires_in == "P90D"
    actions = {
        str(a.action.value if hasattr(a.action, "value") else a.action): a
        for a in policy.lifetime_actions
    }
    assert actions["Rotate"].time_before_expiry == "P30D"
    assert actions["Rotate"].time_after_create is None
    assert actions["Notify"].time_before_expiry == "P30D"
    policy = rotation_to_policy(KeyRotation(rotate_after=45 * D, notify_before_expiry=None))
    assert [(a.time_after_create, a.time_before_expiry) for a in policy.lifetime_actions] == [
        ("P45D", None)
    ]


def test_from_policy_round_trip_and_service_default():
    for rotation in (
        KeyRotation(),
        KeyRotation(rotate_after=45 * D, notify_before_expiry=None),
        KeyRotation(rotate_after=30 * D, expires_in=None, notify_before_expiry=None),
    ):
        assert rotation_from_policy(rotation_to_policy(rotation)) == rotation
    default = KeyRotationPolicy(
        lifetime_actions=[KeyRotationLifetimeAction("Notify", time_before_expiry="P30D")]
    )
    assert rotation_from_policy(default) is None
    assert rotation_from_policy(KeyRotationPolicy()) is None


def test_from_policy_reads_months_and_years_and_foreign_policies():
    policy = KeyRotationPolicy(
        expires_in="P2Y",
        lifetime_actions=[KeyRotationLifetimeAction("rotate", time_after_create="P18M")],
    )
    rotation = rotation_from_policy(policy)
    assert rotation is not None
    assert rotation.rotate_after == 540 * D
    assert rotation.expires_in == 730 * D
    assert rotation.notify_before_expiry is None
    odd = KeyRotationPolicy(
        expires_in="P10D",  # below Key Vault's minimum: read as it is, not refused
        lifetime_actions=[KeyRotationLifetimeAction("Rotate", time_before_expiry="P3D")],
    )
    read = rotation_from_policy(odd)
    assert read is not None and read.expires_in == 10 * D


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P90D", 90 * D),
        ("P1Y2M", 425 * D),
        ("P2W", 14 * D),
        ("PT48H", 2 * D),
        ("p1dt12h", timedelta(days=1, hours=12)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "90D", "PT", "P1.5D", None])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)


days = st.one_of(st.none(), st.integers(min_value=1, max_value=800))


@settings(max_examples=300, deadline=None)
@given(after=days, before=days, expires=days, notify=days)
def test_client_side_limits_agree_with_the_service_rules(after, before, expires, notify):
    """KeyRotation accepts exactly what FakeVault's (documented) rotation-policy rules accept."""

    def td(n):
        return None if n is None else n * D

    try:
        rotation = KeyRotation(
            rotate_after=td(after),
            rotate_before_expiry=td(before),
            expires_in=td(expires),
            notify_before_expiry=td(notify),
        )
        accepted = True
    except InvalidArgumentError:
        accepted = False
    actions = []
    if after is not None:
        actions.append({"trigger": {"timeAfterCreate": f"P{after}D"}, "action": {"type": "Rotate"}})
    if before is not None:
        actions.append(
            {"trigger": {"timeBeforeExpiry": f"P{before}D"}, "action": {"type": "Rotate"}}
        )
    if notify is not None:
        actions.append(
            {"trigger": {"timeBeforeExpiry": f"P{notify}D"}, "action": {"type": "Notify"}}
        )
    body = {
        "lifetimeActions": actions,
        "attributes": {} if expires is None else {"expiryTime": f"P{expires}D"},
    }
    rotate_actions = (after is not None) + (before is not None)
    try:
        RotationPolicy.from_request(body, now=0, previous=None)
        service_accepts = rotate_actions == 1  # safevault always asks for exactly one Rotate
    except RotationPolicyError:
        service_accepts = False
    assert accepted == service_accepts
    if accepted:
        assert rotation_from_policy(rotation_to_policy(rotation)) == rotation
