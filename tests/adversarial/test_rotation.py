"""Rotation under careless rotators and overlapping schedulers.

* A ``Rotator.verify`` that returns ``False`` fails the rotation (it used to count as a pass and
  the unverified value was promoted); ``None`` and ``True`` pass; any other return value is
  refused with a ``RotationError`` naming its type. The current value stays current.
* Three to five runs racing from the same start: exactly one promotes, every other one raises
  ``RotationConflictError`` (never a raw 403 from a step that another run's work disabled), and
  the target and the vault agree. Two runs used to be able to see each other's pending value
  and both stop: nobody rotated.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from adversarial._profile import rounds
from safevault import RotationConflictError, RotationError, Rotator, Secret
from safevault.testing import FakeVault
from transports import Wrapping
from vault._rotation_support import (
    INITIAL,
    NAME,
    STAGING,
    Crash,
    Target,
    TargetRotator,
    deleted_names,
    enabled_by_version,
    sdk_value,
    staging_state,
    versions,
)

WAIT = 30.0  # real seconds: a bound on thread hand-offs, never reached when all is well


# -- verify's verdict -------------------------------------------------------------------------


class Verdict(Rotator):
    """A rotator whose verify returns ``outcome`` (for any value, however wrong)."""

    def __init__(self, outcome: Any, asynchronous: bool = False) -> None:
        self.outcome = outcome
        self.asynchronous = asynchronous
        self.applied: list[str] = []

    def apply(self, new_value: str, current: Secret | None) -> None:
        self.applied.append(new_value)

    def verify(self, new_value: str) -> Any:
        if self.asynchronous:

            async def later() -> Any:
                return self.outcome

            return later()
        return self.outcome


@pytest.mark.parametrize("asynchronous", [False, True])
def test_verify_returning_false_fails_the_rotation(
    fake: FakeVault, make_vault: Callable[..., Any], flavor: str, asynchronous: bool
) -> None:
    if asynchronous and flavor == "sync":
        pytest.skip("an async verify needs safevault.aio")
    vault = make_vault()
    old = vault.set_secret(NAME, INITIAL)
    rotator = Verdict(False, asynchronous)
    with pytest.raises(RotationError) as info:
        vault.rotate_secret(NAME, rotator)
    assert type(info.value) is RotationError
    assert info.value.step == "verify"
    assert "returned False" in str(info.value)
    assert sdk_value(fake, NAME) == INITIAL, "the unverified value was promoted"
    assert vault.get_secret(NAME).version == old.version
    assert rotator.applied, "apply ran before verify"
    # the pending value stays stored for the next run to resume
    assert [staging_state(p) for p in versions(fake, STAGING) if p.enabled] == ["applied"]


@pytest.mark.parametrize("outcome", [None, True])
def test_verify_returning_none_or_true_passes(
    fake: FakeVault, make_vault: Callable[..., Any], outcome: Any
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    result = vault.rotate_secret(NAME, Verdict(outcome))
    assert result.rotated
    assert sdk_value(fake, NAME) != INITIAL


@pytest.mark.parametrize(
    ("outcome", "type_name"),
    [("no", "str"), (0, "int"), (1, "int"), ([], "list"), (object(), "object")],
)
def test_verify_returning_anything_else_is_refused_naming_its_type(
    fake: FakeVault, make_vault: Callable[..., Any], outcome: Any, type_name: str
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    with pytest.raises(RotationError) as info:
        vault.rotate_secret(NAME, Verdict(outcome))
    assert info.value.step == "verify"
    assert f"returned a {type_name}" in str(info.value)
    assert sdk_value(fake, NAME) == INITIAL


# -- overlapping runs -------------------------------------------------------------------------


def _frozen_fake() -> FakeVault:
    """Every write lands in one second, as Key Vault's one-second timestamps often do."""
    start = datetime.now(timezone.utc).replace(microsecond=0)
    return FakeVault(clock=lambda: start)


def _vault_of(fake: FakeVault, flavor: str, loops: list[Any]) -> Any:
    """A sync Vault, or an aio Vault on an event loop of its own (a rotator blocks its loop
    at the barrier: two runs on one loop would wait for each other forever)."""
    if flavor == "sync":
        return fake.vault()
    from vault.conftest import BlockingAioVault, LoopThread

    loop = LoopThread()
    loops.append(loop)

    async def build() -> Any:
        return fake.aio_vault()

    return BlockingAioVault(loop.run(build()), loop)


def _race(vaults: list[Any], target: Target) -> tuple[list[Any], list[TargetRotator]]:
    """Run one rotation per vault in threads, all past generate before any stores."""
    rotators = [TargetRotator(target, f"r{i}") for i in range(len(vaults))]
    barrier = threading.Barrier(len(vaults), timeout=WAIT)
    for rotator in rotators:
        rotator.hooks["after_generate"] = barrier.wait
    outcomes: list[Any] = [None] * len(vaults)

    def run(i: int) -> None:
        try:
            outcomes[i] = vaults[i].rotate_secret(NAME, rotators[i], grace=timedelta(minutes=5))
        except BaseException as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(vaults))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a rotation hung"
    return outcomes, rotators


@pytest.mark.parametrize("runs", [2, 3, 5])
def test_overlapping_runs_exactly_one_promotes(runs: int) -> None:
    for round_ in range(rounds(ci=3, full=40)):
        fake = _frozen_fake()
        target = Target()
        flavors = ["sync" if (i + round_) % 2 == 0 else "aio" for i in range(runs)]
        loops: list[Any] = []
        vaults = [_vault_of(fake, f, loops) for f in flavors]
        try:
            v0 = vaults[0].set_secret(NAME, INITIAL).version
            outcomes, rotators = _race(vaults, target)
            promoted = [o for o in outcomes if not isinstance(o, BaseException) and o.rotated]
            conflicts = [o for o in outcomes if isinstance(o, RotationConflictError)]
            assert len(promoted) == 1, outcomes
            assert len(conflicts) == runs - 1, outcomes
            winner = rotators[outcomes.index(promoted[0])]
            losers = [rotators[outcomes.index(c)] for c in conflicts]
            assert all(loser.applied == [] for loser in losers), "a loser touched the target"
            assert sdk_value(fake, NAME) == target.password == winner.verified[0]
            assert enabled_by_version(fake, NAME)[v0] is True
            assert deleted_names(fake) == []
            staged = enabled_by_version(fake, STAGING)
            assert not any(staged.values()), "a pending value was left enabled"
        finally:
            for vault in vaults:
                vault.close()
            for loop in loops:
                loop.stop()


class _RunInsideTransport(Wrapping):
    """FakeVault's transport that runs ``hook`` once, right before the first request whose
    path starts with ``prefix``: another process acting at the worst moment."""

    def __init__(self, fake: FakeVault, prefix: str, hook: Callable[[], Any]) -> None:
        super().__init__(fake.transport)
        self._prefix = prefix
        self._hook: Callable[[], Any] | None = hook

    def send(self, request: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit

        path = urlsplit(request.url).path
        resume_read = path.startswith(self._prefix) and re.fullmatch(
            r"[0-9a-f]{32}", path[len(self._prefix) :]
        )
        if self._hook is not None and request.method == "GET" and resume_read:
            hook, self._hook = self._hook, None
            hook()
        return self._inner.send(request, **kwargs)


def test_a_resume_overtaken_by_another_resume_is_a_conflict_not_a_raw_403() -> None:
    """Run A crashes with a pending value; B and C both start and both find it. B resumes it
    (re-storing it and disabling A's copy) and promotes while C is about to read A's copy:
    C's read is refused (403 SecretDisabled) and C stops with RotationConflictError."""
    fake = FakeVault()
    target = Target()
    with fake.vault() as vault_a:
        vault_a.set_secret(NAME, INITIAL)
        crashing = TargetRotator(target, "a")

        def crash() -> None:
            raise Crash

        crashing.hooks["before_apply"] = crash
        with pytest.raises(Crash):
            vault_a.rotate_secret(NAME, crashing)
    b = TargetRotator(target, "b")
    c = TargetRotator(target, "c")
    results: list[Any] = []
    with fake.vault() as vault_b:
        transport = _RunInsideTransport(
            fake,
            f"/secrets/{STAGING}/",
            lambda: results.append(vault_b.rotate_secret(NAME, b)),
        )
        with (
            fake.vault(transport=transport) as vault_c,
            pytest.raises(RotationConflictError) as info,
        ):
            vault_c.rotate_secret(NAME, c)
    assert info.value.step == "resume"
    (result_b,) = results
    assert result_b.rotated
    assert c.applied == []
    assert sdk_value(fake, NAME) == target.password == crashing.generated[0]
