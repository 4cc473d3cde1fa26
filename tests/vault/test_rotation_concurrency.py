"""Overlapping rotations of one secret, and readers while a rotation is in flight.

Overlapping runs (API.md invariant 5): exactly one promotes, the other raises
``RotationConflictError`` without promoting, and the target and the vault agree afterwards.
Run B is "another process": its own sync ``Vault`` on the same FakeVault, started from inside
run A's rotator steps or from a thread, so every interleaving here is deterministic.

Readers (invariant 2): while a rotation sits inside apply and verify, 8 reader threads
(safevault Vaults and plain SDK clients) never get the unverified value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safevault import CachePolicy, RotationConflictError
from safevault.testing import FakeVault
from vault._rotation_support import (
    INITIAL,
    NAME,
    STAGING,
    Target,
    TargetRotator,
    deleted_names,
    enabled_by_version,
    sdk_value,
    staging_state,
    versions,
)

GRACE = timedelta(minutes=5)
WAIT = 20.0  # real seconds: a bound on thread hand-offs, never reached when all is well


def rotate(vault: Any, rotator: TargetRotator) -> Any:
    return vault.rotate_secret(NAME, rotator, grace=GRACE)


def assert_one_promoted_and_agreement(fake: FakeVault, target: Target, v0: str) -> str:
    db = enabled_by_version(fake, NAME)
    assert len(db) == 2, "exactly one run promoted"
    assert db[v0] is True
    current = sdk_value(fake, NAME)
    assert current == target.password, "the target and the vault agree"
    assert deleted_names(fake) == []
    return str(current)


@pytest.fixture
def setup(fake: FakeVault, make_vault: Callable[..., Any]) -> Iterator[tuple[Any, Any, str]]:
    vault_a = make_vault()
    v0 = vault_a.set_secret(NAME, INITIAL).version
    vault_b = fake.vault()
    yield vault_a, vault_b, v0
    vault_b.close()


@pytest.mark.parametrize("point", ["before_apply", "after_apply", "before_verify", "after_verify"])
def test_run_b_inside_run_a_takes_over_and_a_stops_before_promote(
    fake: FakeVault, setup: tuple[Any, Any, str], point: str
) -> None:
    vault_a, vault_b, v0 = setup
    target = Target()
    a, b = TargetRotator(target, "a"), TargetRotator(target, "b")
    results: list[Any] = []
    a.hooks[point] = lambda: results.append(rotate(vault_b, b))

    with pytest.raises(RotationConflictError) as caught:
        rotate(vault_a, a)

    assert caught.value.step == "check_before_promote"
    (result_b,) = results
    assert result_b.rotated is True
    assert "resume" in [s.step for s in result_b.steps]
    assert b.generated == [], "B resumed A's stored value instead of making its own"
    current = assert_one_promoted_and_agreement(fake, target, v0)
    assert current == a.generated[0]
    staged = versions(fake, STAGING)
    assert [p.enabled for p in staged] == [False] * len(staged)


def test_run_b_inside_a_generate_promotes_first_and_a_stops_before_apply(
    fake: FakeVault, setup: tuple[Any, Any, str]
) -> None:
    """B starts and finishes while A generates (so both saw no pending value): A's check
    before apply sees the secret changed, stops without touching the target, and closes
    the claim it had just stored (it will never be applied)."""
    vault_a, vault_b, v0 = setup
    target = Target()
    a, b = TargetRotator(target, "a"), TargetRotator(target, "b")
    a.hooks["before_generate"] = lambda: rotate(vault_b, b)

    with pytest.raises(RotationConflictError) as caught:
        rotate(vault_a, a)

    assert caught.value.step == "check_before_apply"
    assert a.applied == []
    current = assert_one_promoted_and_agreement(fake, target, v0)
    assert current == b.generated[0]
    claims = {staging_state(p): p.enabled for p in versions(fake, STAGING)}
    assert claims.get("promoted") is False
    assert all(enabled is False for enabled in claims.values()), (
        "the losing run left its pending value enabled in the staging secret"
    )


@pytest.fixture
def frozen_fake() -> FakeVault:
    """A FakeVault whose clock stands still (moved only by advance): every write of the
    race lands within one second, as Key Vault's one-second timestamps often do."""
    start = datetime.now(timezone.utc).replace(microsecond=0)
    return FakeVault(clock=lambda: start)


@pytest.mark.parametrize("flavor_a", ["sync", "aio"])
def test_two_threads_racing_from_the_same_start(
    frozen_fake: FakeVault, flavor_a: str, loop_thread: Any
) -> None:
    """Two schedulers fire at once: both read no pending value (a barrier in generate), then
    race. Exactly one promotes, the other raises RotationConflictError before apply."""
    fake = frozen_fake
    target = Target()
    rotators = [TargetRotator(target, "a"), TargetRotator(target, "b")]
    barrier = threading.Barrier(2, timeout=WAIT)
    for r in rotators:
        r.hooks["after_generate"] = barrier.wait
    if flavor_a == "sync":
        vault_a: Any = fake.vault()
    else:
        from vault.conftest import BlockingAioVault

        async def build() -> Any:
            return fake.aio_vault()

        vault_a = BlockingAioVault(loop_thread.run(build()), loop_thread)
    vault_b = fake.vault()
    v0 = vault_b.set_secret(NAME, INITIAL).version
    outcomes: list[Any] = [None, None]

    def run(i: int, vault: Any) -> None:
        try:
            outcomes[i] = rotate(vault, rotators[i])
        except BaseException as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i, v)) for i, v in enumerate([vault_a, vault_b])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    try:
        conflicts = [o for o in outcomes if isinstance(o, RotationConflictError)]
        promoted = [o for o in outcomes if not isinstance(o, BaseException) and o.rotated]
        assert len(promoted) == 1 and len(conflicts) == 1, outcomes
        assert conflicts[0].step == "check_before_apply"
        winner = rotators[outcomes.index(promoted[0])]
        loser = rotators[outcomes.index(conflicts[0])]
        assert loser.applied == [], "the loser never touched the target"
        current = assert_one_promoted_and_agreement(fake, target, v0)
        assert current == winner.verified[0]
        # the next scheduled run, after the grace, leaves no staging value enabled
        fake.advance(GRACE + timedelta(seconds=1))
        rotate(vault_b, TargetRotator(target, "c"))
        assert not any(enabled_by_version(fake, STAGING).values())
    finally:
        vault_a.close()
        vault_b.close()


def test_a_run_that_passed_its_check_and_a_later_fresh_run_do_not_leave_the_target_behind(
    fake: FakeVault, setup: tuple[Any, Any, str]
) -> None:
    """Both runs read "no pending value"; A stores, passes its check before apply and is
    slow applying; B stores a second later, passes its own check (its claim is the newest),
    applies, verifies and promotes; then A's apply lands. Whatever the outcome, exactly one
    run may promote and the value it promoted must be the one the target holds."""
    vault_a, vault_b, v0 = setup
    target = Target()
    a, b = TargetRotator(target, "a"), TargetRotator(target, "b")
    b_listed = threading.Event()
    a_applying = threading.Event()
    results: list[Any] = []

    def run_b() -> None:
        try:
            results.append(rotate(vault_b, b))
        except BaseException as error:
            results.append(error)

    thread_b = threading.Thread(target=run_b)

    def start_b_and_wait_until_it_listed() -> None:
        thread_b.start()
        assert b_listed.wait(WAIT)

    def b_waits_for_a_to_apply() -> None:
        b_listed.set()
        assert a_applying.wait(WAIT)

    def a_is_slow_to_apply() -> None:
        fake.advance(timedelta(seconds=1))
        a_applying.set()
        thread_b.join(WAIT)

    a.hooks["before_generate"] = start_b_and_wait_until_it_listed
    b.hooks["before_generate"] = b_waits_for_a_to_apply
    a.hooks["before_apply"] = a_is_slow_to_apply

    try:
        outcome_a: Any = rotate(vault_a, a)
    except RotationConflictError as error:
        outcome_a = error
    thread_b.join(WAIT)
    (outcome_b,) = results
    outcomes = [outcome_a, outcome_b]
    promoted = [o for o in outcomes if not isinstance(o, BaseException) and o.rotated]
    assert len(promoted) == 1, outcomes
    assert sum(isinstance(o, RotationConflictError) for o in outcomes) == 1, outcomes
    assert_one_promoted_and_agreement(fake, target, v0)


# -- readers never see the unverified value ----------------------------------------------


class Readers:
    """8 threads reading ``NAME`` in a loop: 3 plain SDK clients, 3 Vaults without cache,
    2 Vaults with a 1-second ttl (the test moves the fake clock so they revalidate)."""

    def __init__(self, fake: FakeVault) -> None:
        self.fake = fake
        self.stop = threading.Event()
        self.cond = threading.Condition()
        self.counts = [0] * 8
        self.seen: list[set[str]] = [set() for _ in range(8)]
        self.errors: list[BaseException] = []
        self.clients: list[Any] = []
        self.reads: list[Callable[[], str]] = []
        for i in range(8):
            if i < 3:
                client = fake.secret_client()
                self.reads.append(lambda c=client: c.get_secret(NAME).value)
            else:
                ttl = CachePolicy(ttl=timedelta(seconds=1), jitter=0)
                client = fake.vault(cache=CachePolicy(enabled=False) if i < 6 else ttl)
                self.reads.append(lambda v=client: v.get_secret(NAME).value)
            self.clients.append(client)
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(8)]

    def _loop(self, i: int) -> None:
        read = self.reads[i]
        while not self.stop.is_set():
            try:
                value = read()
            except BaseException as error:
                self.errors.append(error)
                return
            with self.cond:
                self.seen[i].add(value)
                self.counts[i] += 1
                self.cond.notify_all()

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def wait_for_reads(self, n: int) -> None:
        """Block until every reader has made ``n`` more reads."""
        with self.cond:
            goal = [c + n for c in self.counts]
            ok = self.cond.wait_for(
                lambda: self.errors or all(c >= g for c, g in zip(self.counts, goal)), WAIT
            )
        assert ok and not self.errors, self.errors

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(WAIT)
        for client in self.clients:
            client.close()


def test_readers_never_see_the_unverified_value(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    vault = make_vault()
    vault.set_secret(NAME, INITIAL)
    rotator = TargetRotator(Target())
    readers = Readers(fake)
    in_flight: list[list[set[str]]] = []

    def while_applied() -> None:
        readers.wait_for_reads(3)
        fake.advance(timedelta(seconds=2))  # the cached readers' ttl passes: they revalidate
        readers.wait_for_reads(3)

    def verified_not_promoted() -> None:
        readers.wait_for_reads(3)
        readers.stop.set()
        for t in readers.threads:
            t.join(WAIT)
        in_flight.append([set(s) for s in readers.seen])

    rotator.hooks["after_apply"] = while_applied
    rotator.hooks["before_verify"] = while_applied
    rotator.hooks["after_verify"] = verified_not_promoted
    readers.start()
    try:
        vault.rotate_secret(NAME, rotator)
    finally:
        readers.close()

    (seen,) = in_flight
    pending = rotator.verified[0]
    assert all(s == {INITIAL} for s in seen), "a reader saw something other than the old value"
    assert all(c >= 9 for c in readers.counts)
    assert sdk_value(fake, NAME) == pending  # and it is current now that verify passed
