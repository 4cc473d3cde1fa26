"""Fault injection at every step of a rotation, sync and async (API.md section 1, invariants).

Three kinds of fault:

* at each vault call of a rotation (the n-th request, counted by a wrapping transport): a 503
  (the SDK retries it once, so it is injected twice), a 429 without Retry-After (not
  retried), and :class:`Crash`, a ``BaseException`` the transport raises as if the process
  died before the request left: a crash between any two steps;
* in each rotator step: an ``Exception`` (a step failure) or a :class:`Crash`;
* in the revoke of a later call.

Afterwards the invariants hold (read through the plain SDK client and a fresh Vault): before
promote the previous value is current and the pending value is in the staging secret; after
promote the new, verified value is current and the old version still enabled; the next
``rotate_secret`` (from a new Vault, as another process) completes, with the exact number of
versions created, none deleted, every version with an expiry and every staging version
disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from safevault import CachePolicy, RotationError
from safevault.testing import FakeVault
from vault._rotation_support import (
    INITIAL,
    NAME,
    STAGING,
    Crash,
    Target,
    TargetRotator,
    arming_transport,
    assert_all_have_expiry,
    deleted_names,
    enabled_by_version,
    fresh_vault_value,
    raiser,
    sdk_value,
    shape,
    staging_state,
    versions,
)

GRACE = timedelta(minutes=5)

# The vault calls of a rotation that starts from a current version and no pending value.
CALLS: list[tuple[str, tuple[str, str]]] = [
    ("read_current", ("GET", f"/secrets/{NAME}/")),
    ("read_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("store_pending", ("PUT", f"/secrets/{STAGING}")),
    ("check_apply_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("check_apply_current", ("GET", f"/secrets/{NAME}/")),
    ("mark_applied", ("PATCH", f"/secrets/{STAGING}/<v>")),
    ("check_promote_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("check_promote_current", ("GET", f"/secrets/{NAME}/")),
    ("promote", ("PUT", f"/secrets/{NAME}")),
    ("close_claim", ("PATCH", f"/secrets/{STAGING}/<v>")),
]
STORED_FROM = 3  # calls before this index ran without the pending value being stored
APPLIED_FROM = 5  # apply has run before the call at this index
PROMOTED_FROM = 9  # the new version is current before the call at this index


@dataclass(frozen=True)
class VaultFault:
    id: str
    fault: int | type[BaseException]
    times: int
    raises: type[BaseException]


VAULT_FAULTS = [
    VaultFault("503", 503, 2, HttpResponseError),
    VaultFault("429", 429, 1, HttpResponseError),
    VaultFault("crash", Crash, 1, Crash),
]


@dataclass
class Setup:
    fake: FakeVault
    vault: Any
    rotator: TargetRotator
    transport: Any
    v0: str


@pytest.fixture
def setup(fake: FakeVault, flavor: str, make_vault: Callable[..., Any]) -> Setup:
    transport = arming_transport(fake, flavor)
    vault = make_vault(transport=transport, cache=CachePolicy(ttl=timedelta(minutes=1)))
    v0 = vault.set_secret(NAME, INITIAL).version
    return Setup(fake, vault, TargetRotator(Target()), transport, v0)


def rerun(fake: FakeVault, rotator: TargetRotator) -> Any:
    """The next scheduled run, from another process (a new Vault)."""
    with fake.vault() as vault:
        return vault.rotate_secret(NAME, rotator, grace=GRACE)


def assert_before_promote(s: Setup, *, stored: bool) -> None:
    """Invariant 3 before promote: previous value current; pending value kept in staging."""
    assert sdk_value(s.fake, NAME) == INITIAL
    assert fresh_vault_value(s.fake) == INITIAL
    assert [p.version for p in versions(s.fake, NAME)] == [s.v0]
    staged = versions(s.fake, STAGING)
    if stored:
        assert len(staged) == 1
        assert staged[0].enabled is True
        assert sdk_value(s.fake, STAGING, staged[0].version) == s.rotator.generated[-1]
    else:
        assert staged == []
    assert_all_have_expiry(s.fake)
    assert deleted_names(s.fake) == []


def assert_after_promote(s: Setup) -> None:
    """Invariant 3 after promote: the new, verified value current; the old one still on."""
    new_value = s.rotator.verified[-1]
    assert sdk_value(s.fake, NAME) == new_value
    assert fresh_vault_value(s.fake) == new_value
    db = enabled_by_version(s.fake, NAME)
    assert len(db) == 2
    assert db[s.v0] is True
    assert sdk_value(s.fake, NAME, s.v0) == INITIAL
    assert_all_have_expiry(s.fake)
    assert deleted_names(s.fake) == []


def assert_completed(s: Setup, *, staging_versions: int) -> None:
    """After the next run: one new version, the target agrees, staging all disabled."""
    db = enabled_by_version(s.fake, NAME)
    assert len(db) == 2, "exactly one version created by the rotation"
    assert db[s.v0] is True, "the old version works until its revoke"
    current = sdk_value(s.fake, NAME)
    assert current == s.rotator.target.password, "the target and the vault agree"
    assert current in s.rotator.verified
    staged = versions(s.fake, STAGING)
    assert len(staged) == staging_versions
    assert [p.enabled for p in staged] == [False] * staging_versions, "staging left enabled"
    states = sorted(str(staging_state(p)) for p in staged)
    assert states.count("promoted") == 1
    assert set(states) <= {"promoted", "pending", "applied"}
    assert_all_have_expiry(s.fake)
    assert deleted_names(s.fake) == []


def test_a_rotation_makes_exactly_these_vault_calls(setup: Setup) -> None:
    setup.transport.arming.record()
    result = setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    assert result.rotated
    assert [shape(*r) for r in setup.transport.arming.log] == [call for _, call in CALLS]


@pytest.mark.parametrize("fault", VAULT_FAULTS, ids=lambda f: f.id)
@pytest.mark.parametrize("index", range(len(CALLS)), ids=[name for name, _ in CALLS])
def test_vault_fault_at_each_call(setup: Setup, index: int, fault: VaultFault) -> None:
    setup.transport.arming.arm(index, fault.fault, fault.times)
    with pytest.raises(fault.raises):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    assert setup.transport.arming.hit == CALLS[index][1], "the fault hit the intended call"
    assert len(setup.rotator.applied) == (1 if index >= APPLIED_FROM else 0)

    if index < PROMOTED_FROM:
        assert_before_promote(setup, stored=index >= STORED_FROM)
        pending = setup.rotator.generated[-1] if index >= STORED_FROM else None
        result = rerun(setup.fake, setup.rotator)
        assert result.rotated is True
        assert result.old_version == setup.v0
        if pending is not None:  # resumed: the stored value is the one promoted, never lost
            assert sdk_value(setup.fake, NAME) == pending
            assert len(setup.rotator.generated) == 1
            assert any(step.step == "resume" for step in result.steps)
            assert_completed(setup, staging_versions=2)
        else:
            assert_completed(setup, staging_versions=1)
    else:
        assert_after_promote(setup)
        result = rerun(setup.fake, setup.rotator)
        assert result.rotated is False
        assert len(setup.rotator.generated) == 1
        assert_completed(setup, staging_versions=1)


STEP_FAILURES = [
    # (hook, raised by the hook, stored, applied to the target)
    ("before_generate", False, False),
    ("after_generate", False, False),
    ("before_apply", True, False),
    ("after_apply", True, True),
    ("before_verify", True, True),
]


@pytest.mark.parametrize("kind", ["exception", "crash"])
@pytest.mark.parametrize(("hook", "stored", "applied"), STEP_FAILURES)
def test_rotator_step_failure(
    setup: Setup, hook: str, stored: bool, applied: bool, kind: str
) -> None:
    error: BaseException = RuntimeError("target says no") if kind == "exception" else Crash()
    setup.rotator.hooks[hook] = raiser(error)
    expected = RotationError if kind == "exception" else Crash
    with pytest.raises(expected) as caught:
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    if kind == "exception":
        assert caught.value.step == hook.split("_", 1)[1]
        assert caught.value.__cause__ is error
        assert "target says no" not in str(caught.value)
    assert setup.rotator.target.password == (setup.rotator.generated[-1] if applied else INITIAL)
    assert_before_promote(setup, stored=stored)
    if stored:
        state = staging_state(versions(setup.fake, STAGING)[0])
        assert state == ("applied" if hook == "before_verify" else "pending")

    del setup.rotator.hooks[hook]
    pending = setup.rotator.generated[-1] if stored else None
    result = rerun(setup.fake, setup.rotator)
    assert result.rotated is True
    if pending is not None:
        assert sdk_value(setup.fake, NAME) == pending
    assert_completed(setup, staging_versions=2 if stored else 1)


def test_verify_failure_then_the_rerun_applies_the_same_value_again(setup: Setup) -> None:
    """apply must be idempotent: a resume applies the stored value once more, then verifies."""
    setup.rotator.hooks["before_verify"] = raiser(RuntimeError("not yet"))
    with pytest.raises(RotationError):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    del setup.rotator.hooks["before_verify"]
    rerun(setup.fake, setup.rotator)
    assert setup.rotator.applied == [setup.rotator.generated[0]] * 2
    assert setup.rotator.currents[-1] is not None
    assert setup.rotator.currents[-1].version == setup.v0


def test_abandoned_when_the_secret_changed_while_pending(setup: Setup) -> None:
    """A pending value whose base is no longer current is abandoned (disabled), not applied."""
    setup.rotator.hooks["before_apply"] = raiser(RuntimeError("down"))
    with pytest.raises(RotationError):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    del setup.rotator.hooks["before_apply"]
    client = setup.fake.secret_client()
    manual = client.set_secret(NAME, "set-by-hand", expires_on=setup.fake.clock() + GRACE * 100)
    setup.rotator.target.password = "set-by-hand"

    result = rerun(setup.fake, setup.rotator)
    assert result.steps[0].step == "abandon"
    assert result.rotated is True and result.old_version == manual.properties.version
    staged = versions(setup.fake, STAGING)
    assert sorted(str(staging_state(p)) for p in staged) == ["abandoned", "promoted"]
    assert [p.enabled for p in staged] == [False, False]
    assert setup.rotator.generated[0] not in setup.rotator.applied
    assert sdk_value(setup.fake, NAME) == setup.rotator.target.password


# -- revoke ----------------------------------------------------------------------------------


def promoted_then_due(s: Setup) -> str:
    """Rotate once and let the grace pass; returns the promoted version."""
    new = s.vault.rotate_secret(NAME, s.rotator, grace=GRACE).new_version
    s.fake.advance(GRACE + timedelta(seconds=1))
    return str(new)


@pytest.mark.parametrize("kind", ["exception", "crash"])
def test_revoke_failure_keeps_the_old_version_and_is_retried(setup: Setup, kind: str) -> None:
    v1 = promoted_then_due(setup)
    error: BaseException = RuntimeError("target down") if kind == "exception" else Crash()
    setup.rotator.hooks["before_revoke"] = raiser(error)
    with pytest.raises(RotationError if kind == "exception" else Crash) as caught:
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    if kind == "exception":
        assert caught.value.step == "revoke"
    assert enabled_by_version(setup.fake, NAME) == {setup.v0: True, v1: True}
    assert sdk_value(setup.fake, NAME) == setup.rotator.target.password

    del setup.rotator.hooks["before_revoke"]
    result = rerun(setup.fake, setup.rotator)
    assert result.revoked_version == setup.v0
    assert result.rotated is True
    assert [r.version for r in setup.rotator.revoked] == [setup.v0]
    db = enabled_by_version(setup.fake, NAME)
    assert db == {setup.v0: False, v1: True, str(result.new_version): True}
    assert deleted_names(setup.fake) == []


REVOKE_CALLS = [
    ("read_old", "GET", 0),
    ("disable_old", "PATCH", 0),
    ("record_revoked", "PATCH", 1),
]


@pytest.mark.parametrize("fault", VAULT_FAULTS, ids=lambda f: f.id)
@pytest.mark.parametrize(("call", "method", "which"), REVOKE_CALLS)
def test_vault_fault_during_revoke(
    setup: Setup, fault: VaultFault, call: str, method: str, which: int
) -> None:
    """A failed revoke leaves a state the next call finishes: the old version ends disabled
    exactly once, the promoted one records it, and rotation goes on."""
    v1 = promoted_then_due(setup)
    version = (setup.v0, v1)[which]
    setup.fake.inject(fault.fault, times=fault.times, match=(method, f"/secrets/{NAME}/{version}"))
    with pytest.raises((fault.raises, RotationError)):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    assert sdk_value(setup.fake, NAME, v1) == setup.rotator.target.password
    assert enabled_by_version(setup.fake, NAME)[v1] is True

    result = rerun(setup.fake, setup.rotator)
    assert result.rotated is True
    assert result.revoked_version == setup.v0
    db = enabled_by_version(setup.fake, NAME)
    assert db == {setup.v0: False, v1: True, str(result.new_version): True}
    tags = {p.version: p.tags or {} for p in versions(setup.fake, NAME)}
    assert "safevault-revoked-at" in tags[v1]
    assert setup.rotator.revoked and {r.version for r in setup.rotator.revoked} == {setup.v0}
    assert_all_have_expiry(setup.fake)
    assert deleted_names(setup.fake) == []


# -- faults while resuming -------------------------------------------------------------------

RESUME_CALLS: list[tuple[str, tuple[str, str]]] = [
    ("read_current", ("GET", f"/secrets/{NAME}/")),
    ("read_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("read_pending_value", ("GET", f"/secrets/{STAGING}/<v>")),
    ("restore_pending", ("PUT", f"/secrets/{STAGING}")),
    ("disable_old_claim", ("PATCH", f"/secrets/{STAGING}/<v>")),
    ("check_apply_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("check_apply_current", ("GET", f"/secrets/{NAME}/")),
    ("mark_applied", ("PATCH", f"/secrets/{STAGING}/<v>")),
    ("check_promote_claim", ("GET", f"/secrets/{STAGING}/versions")),
    ("check_promote_current", ("GET", f"/secrets/{NAME}/")),
    ("promote", ("PUT", f"/secrets/{NAME}")),
    ("close_claim", ("PATCH", f"/secrets/{STAGING}/<v>")),
]
RESTORED_FROM = 4  # the resumed value was stored again as a new staging version


@pytest.mark.parametrize("fault", VAULT_FAULTS, ids=lambda f: f.id)
@pytest.mark.parametrize("index", range(len(RESUME_CALLS)), ids=[n for n, _ in RESUME_CALLS])
def test_vault_fault_while_resuming(setup: Setup, index: int, fault: VaultFault) -> None:
    """A run that resumes a pending value fails at any of its vault calls; the run after it
    still promotes that same value, with every staging version disabled."""
    setup.rotator.hooks["before_apply"] = raiser(RuntimeError("target down"))
    with pytest.raises(RotationError):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    del setup.rotator.hooks["before_apply"]
    pending = setup.rotator.generated[0]

    setup.transport.arming.arm(index, fault.fault, fault.times)
    with pytest.raises(fault.raises):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    assert setup.transport.arming.hit == RESUME_CALLS[index][1]
    if index < len(RESUME_CALLS) - 1:
        assert sdk_value(setup.fake, NAME) == INITIAL
        assert fresh_vault_value(setup.fake) == INITIAL

    setup.fake.advance(timedelta(minutes=1))  # the scheduler's next run, within the grace
    result = rerun(setup.fake, setup.rotator)
    assert sdk_value(setup.fake, NAME) == pending, "the stored value is the one promoted"
    assert setup.rotator.generated == [pending]
    if index < len(RESUME_CALLS) - 1:
        assert result.rotated is True
    stores = 1 + (index >= RESTORED_FROM) + (index < len(RESUME_CALLS) - 1)
    assert_completed(setup, staging_versions=stores)


def test_a_pending_value_past_its_staging_expiry_is_abandoned_not_left_enabled(
    setup: Setup,
) -> None:
    """A run that crashed before apply and was not resumed for over a week: its pending value
    has expired, so it is not applied; the next run rotates afresh and disables it."""
    setup.rotator.hooks["before_apply"] = raiser(Crash())
    with pytest.raises(Crash):
        setup.vault.rotate_secret(NAME, setup.rotator, grace=GRACE)
    del setup.rotator.hooks["before_apply"]
    setup.fake.advance(timedelta(days=8))

    result = rerun(setup.fake, setup.rotator)

    assert result.rotated is True
    assert len(setup.rotator.generated) == 2
    assert sdk_value(setup.fake, NAME) == setup.rotator.generated[1]
    assert enabled_by_version(setup.fake, STAGING) == {
        p.version: False for p in versions(setup.fake, STAGING)
    }, "the expired pending value was left enabled"
