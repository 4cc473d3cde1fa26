"""Keys: rotate and the rotation policy (defaults, round trip, Azure's validation limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.keys import (
    KeyRotationLifetimeAction,
    KeyRotationPolicy,
    KeyRotationPolicyAction,
)

from ._backend import Backend
from ._key_cert_twins import Twin, error_code, open_twin

ROTATE = KeyRotationPolicyAction.rotate
NOTIFY = KeyRotationPolicyAction.notify


@pytest.fixture(params=["sync", "aio"])
async def kv(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[Twin]:
    async with open_twin(backend, request.param) as twin:
        yield twin


async def set_policy(kv: Twin, name: str, actions: list[Any], expires_in: str | None) -> Any:
    return await kv.keys(
        "update_key_rotation_policy",
        name,
        KeyRotationPolicy(),
        lifetime_actions=actions,
        expires_in=expires_in,
    )


# -- rotate ----------------------------------------------------------------------------------------


async def test_rotate_makes_a_new_version_like_the_last(backend: Backend, kv: Twin) -> None:
    key = await kv.keys(
        "create_rsa_key", backend.name, size=3072, key_operations=["sign", "verify"]
    )
    rotated = await kv.keys("rotate_key", backend.name)
    assert rotated.name == backend.name
    assert rotated.properties.version != key.properties.version
    assert rotated.key_type == key.key_type
    assert len(rotated.key.n) == 384
    assert rotated.key.n != key.key.n
    assert rotated.key_operations == ["sign", "verify"]
    assert (await kv.keys("get_key", backend.name)).id == rotated.id
    old = await kv.keys("get_key", backend.name, key.properties.version)
    assert old.key.n == key.key.n
    versions = await kv.key_list("list_properties_of_key_versions", backend.name)
    assert len(versions) == 2


async def test_rotate_keeps_the_curve(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name, curve="P-384")
    rotated = await kv.keys("rotate_key", backend.name)
    assert (rotated.key_type, rotated.key.crv) == ("EC", "P-384")


async def test_rotate_sets_expiry_from_the_policy(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    await set_policy(
        kv, backend.name, [KeyRotationLifetimeAction(NOTIFY, time_before_expiry="P30D")], "P60D"
    )
    rotated = await kv.keys("rotate_key", backend.name)
    props = rotated.properties
    assert props.expires_on is not None
    assert props.created_on is not None
    assert props.expires_on - props.created_on == timedelta(days=60)


async def test_rotate_missing_key_is_404(backend: Backend, kv: Twin) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await kv.keys("rotate_key", backend.name)
    assert error_code(info.value) == "KeyNotFound"


# -- policy ----------------------------------------------------------------------------------------


async def test_default_policy_notifies_30_days_before_expiry(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    policy = await kv.keys("get_key_rotation_policy", backend.name)
    assert policy.id == f"{backend.vault_url}/keys/{backend.name}/rotationpolicy"
    assert policy.expires_in is None
    assert len(policy.lifetime_actions) == 1
    action = policy.lifetime_actions[0]
    assert (action.action, action.time_before_expiry, action.time_after_create) == (
        NOTIFY,
        "P30D",
        None,
    )


async def test_policy_round_trip(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    actions = [
        KeyRotationLifetimeAction(ROTATE, time_after_create="P90D"),
        KeyRotationLifetimeAction(NOTIFY, time_before_expiry="P30D"),
    ]
    updated = await set_policy(kv, backend.name, actions, "P1Y")
    assert updated.expires_in == "P1Y"
    assert updated.created_on is not None
    assert updated.updated_on is not None
    fetched = await kv.keys("get_key_rotation_policy", backend.name)
    got = sorted(
        (a.action, a.time_after_create, a.time_before_expiry) for a in fetched.lifetime_actions
    )
    assert got == sorted([(ROTATE, "P90D", None), (NOTIFY, None, "P30D")])
    assert fetched.expires_in == "P1Y"


async def test_rotate_before_expiry_policy_is_accepted(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    actions = [KeyRotationLifetimeAction(ROTATE, time_before_expiry="P7D")]
    updated = await set_policy(kv, backend.name, actions, "P28D")
    assert updated.lifetime_actions[0].time_before_expiry == "P7D"


async def test_action_type_is_case_insensitive(backend: Backend, kv: Twin) -> None:
    await kv.keys("create_ec_key", backend.name)
    body = {
        "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "rotate"}}],
        "attributes": {"expiryTime": "P90D"},
    }
    status, answer = await kv.send("PUT", f"/keys/{backend.name}/rotationpolicy", body)
    assert status == 200
    assert answer["lifetimeActions"][0]["action"]["type"] == "Rotate"


INVALID_POLICIES = {
    "expiry-under-28-days": ([KeyRotationLifetimeAction(ROTATE, time_after_create="P7D")], "P27D"),
    "two-rotates": (
        [
            KeyRotationLifetimeAction(ROTATE, time_after_create="P30D"),
            KeyRotationLifetimeAction(ROTATE, time_after_create="P60D"),
        ],
        "P1Y",
    ),
    "two-notifies": (
        [
            KeyRotationLifetimeAction(NOTIFY, time_before_expiry="P30D"),
            KeyRotationLifetimeAction(NOTIFY, time_before_expiry="P10D"),
        ],
        "P1Y",
    ),
    "both-triggers": (
        [KeyRotationLifetimeAction(ROTATE, time_after_create="P30D", time_before_expiry="P30D")],
        "P1Y",
    ),
    "no-trigger": ([KeyRotationLifetimeAction(ROTATE)], "P1Y"),
    "rotate-under-7-days-after-create": (
        [KeyRotationLifetimeAction(ROTATE, time_after_create="P6D")],
        None,
    ),
    "rotate-under-7-days-before-expiry": (
        [KeyRotationLifetimeAction(ROTATE, time_before_expiry="P6D")],
        "P90D",
    ),
    "before-expiry-without-expiry": (
        [KeyRotationLifetimeAction(ROTATE, time_before_expiry="P30D")],
        None,
    ),
    "rotate-under-7-days-from-creation": (
        [KeyRotationLifetimeAction(ROTATE, time_before_expiry="P22D")],
        "P28D",
    ),
    "rotate-under-7-days-before-expiry-after-create": (
        [KeyRotationLifetimeAction(ROTATE, time_after_create="P22D")],
        "P28D",
    ),
    "notify-after-create": (
        [KeyRotationLifetimeAction(NOTIFY, time_after_create="P30D")],
        "P1Y",
    ),
    "not-a-duration": ([KeyRotationLifetimeAction(ROTATE, time_after_create="30 days")], None),
}


@pytest.mark.parametrize("case", list(INVALID_POLICIES))
async def test_invalid_policy_is_400(backend: Backend, kv: Twin, case: str) -> None:
    await kv.keys("create_ec_key", backend.name)
    actions, expires_in = INVALID_POLICIES[case]
    with pytest.raises(HttpResponseError) as info:
        await set_policy(kv, backend.name, actions, expires_in)
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")
    policy = await kv.keys("get_key_rotation_policy", backend.name)
    assert [a.action for a in policy.lifetime_actions] == [NOTIFY]  # unchanged default


@pytest.mark.parametrize(
    ("actions", "expires_in"),
    [
        ([KeyRotationLifetimeAction(ROTATE, time_after_create="P7D")], None),
        ([KeyRotationLifetimeAction(ROTATE, time_after_create="P21D")], "P28D"),
        ([KeyRotationLifetimeAction(ROTATE, time_before_expiry="P21D")], "P28D"),
        ([], "P28D"),
    ],
    ids=["7-days-after-create", "7-days-before-expiry", "7-days-from-creation", "no-actions"],
)
async def test_policy_limits_are_inclusive(
    backend: Backend, kv: Twin, actions: list[Any], expires_in: str | None
) -> None:
    await kv.keys("create_ec_key", backend.name)
    updated = await set_policy(kv, backend.name, actions, expires_in)
    assert len(updated.lifetime_actions) == len(actions)


async def test_policy_of_missing_key_is_404(backend: Backend, kv: Twin) -> None:
    with pytest.raises(ResourceNotFoundError):
        await kv.keys("get_key_rotation_policy", backend.name)
