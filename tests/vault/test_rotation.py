"""rotate_secret's behaviour, sync and async: steps, vault-side state, expiry, grace, revoke,
if_older_than, argument checks, telemetry. Faults are in test_rotation_faults.py, overlapping
runs and readers in test_rotation_concurrency.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from otel_support import pipeline
from safevault import (
    CachePolicy,
    DisabledError,
    ExpiryPolicy,
    ExpiryPolicyError,
    InvalidArgumentError,
    RotationError,
    RotationResult,
    Rotator,
)
from safevault.testing import FakeVault
from vault._rotation_support import (
    INITIAL,
    NAME,
    STAGING,
    Target,
    TargetRotator,
    deleted_names,
    enabled_by_version,
    fresh_vault_value,
    raiser,
    staging_state,
    versions,
)

STEPS = [
    "generate",
    "store_pending",
    "check_before_apply",
    "apply",
    "verify",
    "check_before_promote",
    "promote",
]
WRITES = ("PUT", "PATCH", "POST", "DELETE")


def writes_since(fake: FakeVault, since: int) -> list[tuple[str, str, int]]:
    return [r for r in fake.requests[since:] if r[0] in WRITES]


def tag_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def rotator() -> TargetRotator:
    return TargetRotator(Target())


def test_rotation_steps_result_and_vault_state(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    v0 = vault.set_secret(
        NAME, INITIAL, content_type="text/plain", tags={"owner": "payments"}
    ).version
    before = fake.clock()

    result = vault.rotate_secret(NAME, rotator)

    assert isinstance(result, RotationResult)
    assert result.name == NAME and result.rotated is True
    assert result.old_version == v0 and result.revoked_version is None
    assert [s.step for s in result.steps] == STEPS
    assert {s.outcome for s in result.steps} == {"ok"}
    assert all(before <= s.at <= fake.clock() and s.at.tzinfo is not None for s in result.steps)
    (new_value,) = rotator.verified
    assert rotator.applied == [new_value] and rotator.target.password == new_value

    new = fake.secret_client().get_secret(NAME)
    assert new.properties.version == result.new_version
    assert new.value == new_value
    assert new.properties.content_type == "text/plain"
    tags = new.properties.tags
    assert tags["owner"] == "payments"
    assert tags["safevault-previous-version"] == v0
    assert "safevault-revoked-at" not in tags
    (staged,) = versions(fake, STAGING)
    assert staged.enabled is False and staging_state(staged) == "promoted"
    assert staged.content_type == "application/x-safevault-pending"
    assert staged.tags["safevault-rotation-of"] == NAME
    assert staged.tags["safevault-rotation-base"] == v0
    assert staged.tags["safevault-rotation-id"] == tags["safevault-rotation-id"]
    assert staged.expires_on is not None
    assert staged.expires_on - before <= timedelta(days=7, seconds=1)
    assert enabled_by_version(fake, NAME) == {v0: True, result.new_version: True}
    assert deleted_names(fake) == []
    # the rotating process's own cache has the new value at once
    assert vault.get_secret(NAME).value == new_value


def test_rotating_a_secret_that_does_not_exist_yet(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    result = vault.rotate_secret(NAME, rotator)
    assert result.rotated is True and result.old_version is None
    assert rotator.currents == [None]
    assert fresh_vault_value(fake) == rotator.verified[0]
    (props,) = versions(fake, NAME)
    assert props.expires_on is not None
    assert "safevault-previous-version" not in (props.tags or {})
    # with no previous value there is never anything to revoke or wait for
    fake.advance(timedelta(days=1))
    again = vault.rotate_secret(NAME, rotator)
    assert again.rotated is True and again.revoked_version is None
    assert rotator.revoked == []


def test_new_version_expiry_follows_the_arguments_and_the_policy(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault(expiry=ExpiryPolicy(default_lifetime=timedelta(days=20)))
    vault.set_secret(NAME, INITIAL)
    now = fake.clock()
    result = vault.rotate_secret(NAME, rotator)
    props = {p.version: p for p in versions(fake, NAME)}[result.new_version]
    assert abs(props.expires_on - (now + timedelta(days=20))) < timedelta(seconds=2)

    fake.advance(timedelta(days=1))
    result = vault.rotate_secret(NAME, rotator, expires_in=timedelta(days=3))
    props = {p.version: p for p in versions(fake, NAME)}[result.new_version]
    assert abs(props.expires_on - (fake.clock() + timedelta(days=3))) < timedelta(seconds=2)


def test_an_expiry_beyond_the_policy_is_refused_before_any_request(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault(
        expiry=ExpiryPolicy(default_lifetime=timedelta(days=10), max_lifetime=timedelta(days=30))
    )
    vault.set_secret(NAME, INITIAL, expires_in=timedelta(days=10))
    since = len(fake.requests)
    with pytest.raises(ExpiryPolicyError):
        vault.rotate_secret(NAME, rotator, expires_in=timedelta(days=31))
    with pytest.raises(InvalidArgumentError):
        vault.rotate_secret(
            NAME, rotator, expires_in=timedelta(days=1), expires_on=fake.clock() + timedelta(1)
        )
    assert fake.requests[since:] == []
    assert rotator.generated == []


@pytest.mark.parametrize(
    ("policy", "grace"),
    [
        (CachePolicy(), timedelta(minutes=10) * 1.1 + timedelta(hours=1)),
        (
            CachePolicy(ttl=timedelta(seconds=60), jitter=0.5, max_stale=timedelta(0)),
            timedelta(seconds=90),
        ),
    ],
    ids=["defaults-71min", "ttl60-jitter50-nostale-90s"],
)
def test_default_grace_is_ttl_with_jitter_plus_max_stale(
    fake: FakeVault,
    make_vault: Callable[..., Any],
    rotator: TargetRotator,
    policy: CachePolicy,
    grace: timedelta,
) -> None:
    vault = make_vault(cache=policy)
    vault.set_secret(NAME, INITIAL)
    result = vault.rotate_secret(NAME, rotator)
    promoted_at = next(s.at for s in result.steps if s.step == "promote")
    tags = fake.secret_client().get_secret(NAME).properties.tags
    revoke_after = tag_time(tags["safevault-revoke-after"])
    assert abs(revoke_after - (promoted_at + grace)) < timedelta(seconds=1)

    fake.advance(grace - timedelta(seconds=5))
    early = vault.rotate_secret(NAME, rotator)
    assert early.revoked_version is None and rotator.revoked == []
    fake.advance(timedelta(seconds=10))
    due = vault.rotate_secret(NAME, rotator)
    assert due.revoked_version == result.old_version


def test_revoke_after_grace_disables_the_old_version_and_calls_the_rotator(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1)))
    v0 = vault.set_secret(NAME, INITIAL).version
    v1 = vault.rotate_secret(NAME, rotator, grace=timedelta(minutes=30)).new_version
    fake.advance(timedelta(minutes=31))

    since = len(fake.requests)
    result = vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=1))
    assert result.rotated is False
    assert result.revoked_version == v0
    assert result.steps[0].step == "revoke" and result.steps[0].outcome == "ok"
    assert result.steps[-1].step == "check_age"
    (old,) = rotator.revoked
    assert old.version == v0 and old.value == INITIAL and old.name.lower() == NAME
    assert enabled_by_version(fake, NAME) == {v0: False, v1: True}
    tags = fake.secret_client().get_secret(NAME).properties.tags
    assert tag_time(tags["safevault-revoked-at"]) <= fake.clock()
    patched = sorted(p for m, p, _ in writes_since(fake, since))
    assert patched == sorted([f"/secrets/{NAME}/{v0}", f"/secrets/{NAME}/{v1}"])
    # a reader asking for the old version is refused; the current one still reads
    with fake.vault() as reader:
        with pytest.raises(DisabledError):
            reader.get_secret(NAME, version=v0)
        assert reader.get_secret(NAME).value == rotator.target.password
    # revoked once only
    fake.advance(timedelta(hours=2))
    vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=1))
    assert len(rotator.revoked) == 1
    assert deleted_names(fake) == []


def test_rotating_again_before_the_revoke_is_due_is_skipped_and_says_why(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    first = vault.rotate_secret(NAME, rotator, grace=timedelta(hours=1))
    fake.advance(timedelta(minutes=59))
    since = len(fake.requests)

    result = vault.rotate_secret(NAME, rotator, grace=timedelta(hours=1))

    assert result.rotated is False and result.new_version is None
    assert result.old_version == first.new_version
    (step,) = result.steps
    assert step.step == "wait_for_revoke" and step.outcome == "skipped"
    assert step.detail is not None and "revoke" in step.detail
    assert writes_since(fake, since) == []
    assert len(rotator.generated) == 1
    assert len(versions(fake, NAME)) == 2


def test_if_older_than_makes_scheduled_runs_idempotent(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    """A scheduler calling every hour with if_older_than=1 day rotates once a day, revokes
    each previous value once after the grace, and writes nothing in between."""
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1), max_stale=timedelta(0)))
    vault.set_secret(NAME, INITIAL)
    young = vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=1))
    assert young.rotated is False
    assert [(s.step, s.outcome) for s in young.steps] == [("check_age", "skipped")]

    outcomes = []
    idle_writes = 0
    for _ in range(3 * 24):
        fake.advance(timedelta(hours=1))
        since = len(fake.requests)
        result = vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=1))
        outcomes.append((result.rotated, result.revoked_version is not None))
        if not result.rotated and result.revoked_version is None:
            idle_writes += len(writes_since(fake, since))
    assert sum(r for r, _ in outcomes) == 3
    assert sum(v for _, v in outcomes) == 2  # the third one's revoke is due after the loop
    assert idle_writes == 0
    assert len(versions(fake, NAME)) == 4
    assert len(versions(fake, STAGING)) == 3
    assert len(rotator.revoked) == 2
    assert fresh_vault_value(fake) == rotator.target.password


def test_if_older_than_rotates_an_old_enough_secret(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    fake.advance(timedelta(days=30))
    result = vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=30))
    assert result.rotated is True


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("bad name!", TargetRotator()), {}),
        ((NAME, object()), {}),
        ((NAME, TargetRotator()), {"if_older_than": 5}),
        ((NAME, TargetRotator()), {"grace": "1h"}),
        ((NAME, TargetRotator()), {"expires_in": -timedelta(days=1)}),
    ],
    ids=["name", "rotator", "if_older_than", "grace", "expires_in"],
)
def test_invalid_arguments_are_refused_before_any_request(
    fake: FakeVault, make_vault: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    vault = make_vault()
    since = len(fake.requests)
    with pytest.raises((InvalidArgumentError, ExpiryPolicyError)):
        vault.rotate_secret(*args, **kwargs)
    assert fake.requests[since:] == []


def test_the_base_rotator_must_be_subclassed(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    assert len(Rotator().generate(None)) == 43
    with pytest.raises(RotationError) as caught:
        vault.rotate_secret(NAME, Rotator())
    assert caught.value.step == "apply"
    assert isinstance(caught.value.__cause__, NotImplementedError)
    assert fresh_vault_value(fake) == INITIAL


def test_generate_returning_a_non_string_fails_before_storing(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    class Bad(TargetRotator):
        def generate(self, current: Any) -> Any:
            return 12345

    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    with pytest.raises(RotationError) as caught:
        vault.rotate_secret(NAME, Bad())
    assert caught.value.step == "generate"
    assert versions(fake, STAGING) == []


async def test_async_rotator_methods_are_awaited(fake: FakeVault) -> None:
    class AsyncRotator(Rotator):
        def __init__(self) -> None:
            self.target = INITIAL
            self.calls: list[str] = []

        async def generate(self, current: Any) -> str:
            self.calls.append("generate")
            return "async-new-value"

        async def apply(self, new_value: str, current: Any) -> None:
            self.calls.append("apply")
            self.target = new_value

        async def verify(self, new_value: str) -> None:
            self.calls.append("verify")
            if self.target != new_value:
                raise PermissionError("refused")

        async def revoke(self, old: Any) -> None:
            self.calls.append("revoke")

    rotator = AsyncRotator()
    async with fake.aio_vault() as vault:
        await vault.set_secret(NAME, INITIAL)
        result = await vault.rotate_secret(NAME, rotator, grace=timedelta(minutes=1))
        assert result.rotated
        assert (await vault.get_secret(NAME)).value == "async-new-value"
        fake.advance(timedelta(minutes=2))
        result = await vault.rotate_secret(NAME, rotator, if_older_than=timedelta(days=1))
    assert rotator.calls == ["generate", "apply", "verify", "revoke"]
    assert result.revoked_version is not None


def test_on_change_fires_in_the_rotating_process_and_other_readers_follow_within_ttl(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1), jitter=0))
    vault.set_secret(NAME, INITIAL)
    seen: list[tuple[Any, Any]] = []
    vault.get_secret(NAME)
    vault.on_change(NAME, lambda old, new: seen.append((old, new)))
    with fake.vault(cache=CachePolicy(ttl=timedelta(minutes=1), jitter=0)) as reader:
        assert reader.get_secret(NAME).value == INITIAL
        result = vault.rotate_secret(NAME, rotator)
        assert reader.get_secret(NAME).value == INITIAL  # cached, within its ttl
        fake.advance(timedelta(minutes=1, seconds=1))
        assert reader.get_secret(NAME).value == rotator.target.password
    assert [(o.value if o else None, n.version) for o, n in seen] == [(INITIAL, result.new_version)]


@pytest.fixture
def spans() -> Any:
    exporter, _ = pipeline()
    exporter.clear()
    return exporter


def test_every_step_is_a_span_with_its_step_and_no_value(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator, spans: Any
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    vault.rotate_secret(NAME, rotator, grace=timedelta(minutes=1))
    fake.advance(timedelta(minutes=2))
    vault.rotate_secret(NAME, rotator, grace=timedelta(minutes=1))
    finished = spans.get_finished_spans()
    steps = [s.attributes.get("safevault.rotation.step") for s in finished]
    for step in [*STEPS, "revoke"]:
        assert step in steps, f"no span for the {step} step"
    (root, *_) = [s for s in finished if s.name == "safevault.rotate_secret"]
    assert root.attributes["safevault.object.name"] == NAME
    dumped = "".join(s.to_json() for s in finished)
    for value in [INITIAL, *rotator.generated]:
        assert value not in dumped


def test_an_expired_secret_can_still_be_rotated(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL, expires_in=timedelta(days=1))
    fake.advance(timedelta(days=2))
    result = vault.rotate_secret(NAME, rotator)
    assert result.rotated
    assert rotator.currents[0] is not None and rotator.currents[0].value == INITIAL
    assert vault.get_secret(NAME).value == rotator.target.password


def test_names_are_case_insensitive_across_runs(
    fake: FakeVault, make_vault: Callable[..., Any], rotator: TargetRotator
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    rotator.hooks["before_verify"] = raiser(RuntimeError("not yet"))
    with pytest.raises(RotationError):
        vault.rotate_secret(NAME.upper(), rotator)
    del rotator.hooks["before_verify"]
    result = vault.rotate_secret(NAME, rotator)
    assert "resume" in [s.step for s in result.steps]
    assert rotator.generated == [fresh_vault_value(fake)]


def test_a_name_at_the_length_limit_gets_a_distinct_staging_secret(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    vault = make_vault()
    names = ["a" * 120 + "-first", "a" * 120 + "-other"]
    for name in names:
        assert len(name) == 126
        vault.set_secret(name, INITIAL)
        vault.rotate_secret(name, TargetRotator(Target()))
    client = fake.secret_client()
    staging = sorted(p.name for p in client.list_properties_of_secrets() if p.name not in names)
    assert len(staging) == 2 and len(set(staging)) == 2
    assert all(len(s) <= 127 and s.endswith("--staging") for s in staging)


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_an_async_rotator_on_the_sync_vault_is_refused_not_skipped(fake: FakeVault) -> None:
    """With the sync Vault, an ``async def apply`` returns a coroutine that nobody awaits:
    the target never changes, so promoting would hand every reader a value the target does
    not know. The run must fail before promote instead."""
    applied: list[str] = []

    class AsyncOnly(Rotator):
        async def apply(self, new_value: str, current: Any) -> None:
            applied.append(new_value)

        async def verify(self, new_value: str) -> None:
            if new_value not in applied:
                raise PermissionError("refused")

    with fake.vault() as vault:
        vault.set_secret(NAME, INITIAL)
        with pytest.raises((RotationError, TypeError)):
            vault.rotate_secret(NAME, AsyncOnly())
    assert applied == []
    assert fresh_vault_value(fake) == INITIAL, "a value the target never got was promoted"
