"""Concurrency: single-flight misses and revalidations, late fetches, and a mixed stress run.

* cold reads from 64 threads / 1,000 asyncio tasks, and the same past the ttl: one GET;
* the same single flight under a 1 us GIL switch interval, round after round;
* a fetch answered before a write through the same Vault must not undo that write;
* a stress run of reads, invalidations, writes, disables and clock moves.

Counts come from FakeVault's request log (authorized 200 GETs of the secret), never from
safevault's internals. Time only moves by ``fake.advance``; threads are released together
with barriers and joined with deadlines; slow answers are simulated by holding a transport's
response until the test opens a gate.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from safevault import (
    CachePolicy,
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    Secret,
)
from safevault.testing import FakeVault
from vault._helpers import AsyncGatedTransport, GatedTransport, secret_gets

NAME = "shared-secret"
VALUE = "s3cr3t-value"
TTL = timedelta(seconds=60)
JITTER = 0.1
PAST_TTL = TTL * (1 + JITTER) + timedelta(seconds=1)  # beyond any jittered ttl, within max_stale
THREADS = 64
TASKS = 1000
JOIN_TIMEOUT = 30.0


def _put(fake: FakeVault, name: str = NAME, value: str = VALUE) -> str:
    """Create a version through the SDK (not through a Vault: its cache stays cold)."""
    return str(fake.secret_client().set_secret(name, value).properties.version)


def _run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` on ``n`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = target(i)
        except BaseException as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a reader thread hung"
    return results


def _assert_all_read(results: list[Any], version: str) -> None:
    errors = [r for r in results if not isinstance(r, Secret)]
    assert errors == [], f"{len(errors)} readers failed, e.g. {errors[:3]!r}"
    assert {(r.value, r.version) for r in results} == {(VALUE, version)}


# -- cold misses ---------------------------------------------------------------------------


def test_64_threads_cold_read_make_one_get() -> None:
    fake = FakeVault()
    version = _put(fake)
    with fake.vault(cache=CachePolicy(ttl=TTL)) as vault:
        mark = len(fake.requests)
        results = _run_threads(THREADS, lambda _: vault.get_secret(NAME))
    _assert_all_read(results, version)
    assert len(secret_gets(fake, NAME, since=mark, status=200)) == 1, fake.requests[mark:]


async def test_1000_tasks_cold_read_make_one_get() -> None:
    fake = FakeVault()
    version = _put(fake)
    async with fake.aio_vault(cache=CachePolicy(ttl=TTL)) as vault:
        mark = len(fake.requests)
        results = await asyncio.gather(
            *(vault.get_secret(NAME) for _ in range(TASKS)), return_exceptions=True
        )
    _assert_all_read(list(results), version)
    assert len(secret_gets(fake, NAME, since=mark, status=200)) == 1, fake.requests[mark:]


# -- revalidation past the ttl -------------------------------------------------------------


def test_64_threads_past_ttl_make_one_revalidation_get() -> None:
    fake = FakeVault()
    _put(fake)
    with fake.vault(cache=CachePolicy(ttl=TTL, jitter=JITTER)) as vault:
        vault.get_secret(NAME)
        # A new version: the revalidation must fetch it and every reader gets a value.
        version = _put(fake)
        fake.advance(PAST_TTL)
        mark = len(fake.requests)
        results = _run_threads(THREADS, lambda _: vault.get_secret(NAME))
        # The revalidation's result is served to later readers without another request.
        after = vault.get_secret(NAME)
    _assert_all_read(results, version)
    assert after.version == version
    assert len(secret_gets(fake, NAME, since=mark, status=200)) == 1, fake.requests[mark:]


async def test_1000_tasks_past_ttl_make_one_revalidation_get() -> None:
    fake = FakeVault()
    _put(fake)
    async with fake.aio_vault(cache=CachePolicy(ttl=TTL, jitter=JITTER)) as vault:
        await vault.get_secret(NAME)
        version = _put(fake)
        fake.advance(PAST_TTL)
        mark = len(fake.requests)
        results = await asyncio.gather(
            *(vault.get_secret(NAME) for _ in range(TASKS)), return_exceptions=True
        )
        after = await vault.get_secret(NAME)
    _assert_all_read(list(results), version)
    assert after.version == version
    assert len(secret_gets(fake, NAME, since=mark, status=200)) == 1, fake.requests[mark:]


# -- single flight under aggressive preemption ---------------------------------------------

HAMMER_THREADS = 16
HAMMER_ROUNDS = 250


@contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_single_flight_holds_under_aggressive_thread_preemption() -> None:
    """Round after round of cold reads with a 1 us GIL switch interval: one GET per round.

    The switch interval makes the interpreter preempt threads between any two bytecodes, so
    every window between a reader's decision and its joining the flight gets exercised.
    """
    fake = FakeVault()
    version = _put(fake)
    with fake.vault(cache=CachePolicy(ttl=TTL)) as vault:
        for round_no in range(HAMMER_ROUNDS):
            vault.invalidate(NAME)
            mark = len(fake.requests)
            with _switch_interval(1e-6):
                results = _run_threads(HAMMER_THREADS, lambda _: vault.get_secret(NAME))
            _assert_all_read(results, version)
            got = secret_gets(fake, NAME, since=mark, status=200)
            assert len(got) == 1, f"round {round_no}: {len(got)} GETs for one cold read"


# -- single flight at the worst interleaving, forced ------------------------------------------


class StallingTimer:
    """The fake's timer, stalling one chosen thread at its k-th reading until released.

    ``Vault(timer=...)`` is read on the read path; stalling a reader there, while another
    reader runs a whole read, forces the interleavings a preempted thread would meet. The
    test tries every k in turn, so it does not depend on where the vault reads its timer.
    """

    def __init__(self, fake: FakeVault) -> None:
        self._timer = fake.timer
        self._thread: int | None = None
        self._stall_at = 0
        self._calls = 0
        self.stalled = threading.Event()
        self.release = threading.Event()

    def reset(self, stall_at: int) -> None:
        self._thread, self._stall_at, self._calls = None, stall_at, 0
        self.stalled.clear()
        self.release.clear()

    def choose_current_thread(self) -> None:
        self._thread = threading.get_ident()

    def __call__(self) -> float:
        if threading.get_ident() == self._thread:
            self._calls += 1
            if self._calls == self._stall_at:
                self.stalled.set()
                self.release.wait(JOIN_TIMEOUT)
        return self._timer()


def _quietly(fn: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # noqa: S110 - the outcome is judged by the vault's request log
            pass

    return run


def _stalled_round(vault: Any, timer: StallingTimer, stall_at: int) -> bool:
    """Reader R stalls at its ``stall_at``-th timer reading while reader L reads to the end.

    :returns: whether the round was conclusive (R stalled and L finished meanwhile).
    """
    timer.reset(stall_at)

    def reader_r() -> None:
        timer.choose_current_thread()
        _quietly(lambda: vault.get_secret(NAME))()

    r = threading.Thread(target=reader_r, daemon=True)
    r.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not timer.stalled.is_set() and r.is_alive() and time.monotonic() < deadline:
        r.join(0.001)
    if not timer.stalled.is_set():
        r.join(JOIN_TIMEOUT)
        return False  # R read its timer fewer than stall_at times
    l_ = threading.Thread(target=_quietly(lambda: vault.get_secret(NAME)), daemon=True)
    l_.start()
    l_.join(0.25)  # L may have to wait for R (R leads a flight, or holds a lock): inconclusive
    conclusive = not l_.is_alive()
    timer.release.set()
    r.join(JOIN_TIMEOUT)
    l_.join(JOIN_TIMEOUT)
    assert not r.is_alive() and not l_.is_alive(), "a reader hung"
    return conclusive


@pytest.mark.parametrize(
    ("outcome", "warm"),
    [
        pytest.param("200", False, id="cold-200"),
        pytest.param("200", True, id="past-ttl-200"),
        pytest.param("404", False, id="cold-404"),
        pytest.param("429", True, id="past-ttl-429"),
    ],
)
def test_single_flight_holds_at_every_forced_interleaving(outcome: str, warm: bool) -> None:
    """Two readers of one secret, one stalled at each point in turn: one request per round.

    Whatever the answer (a value, a 404, a 429 past the ttl), the reader that comes second
    must use the first one's result, or what the cache remembered of it, and not ask again.
    """
    fake = FakeVault()
    if outcome != "404":
        _put(fake)
    timer = StallingTimer(fake)
    conclusive = 0
    with fake.vault(timer=timer, cache=CachePolicy(ttl=TTL, jitter=0.0)) as vault:
        for stall_at in range(1, 9):
            vault.invalidate(NAME)
            if warm:
                vault.get_secret(NAME)
                fake.advance(TTL + timedelta(seconds=1))
            if outcome == "429":
                fake.inject(429, times=100, match=("GET", f"/secrets/{NAME}/"))
            mark = len(fake.requests)
            conclusive += _stalled_round(vault, timer, stall_at)
            fake.clear_faults()
            got = [r for r in secret_gets(fake, NAME, since=mark) if r[2] != 401]  # no challenge
            assert len(got) == 1, f"stalled at timer reading {stall_at}: {got}"
    if not conclusive:
        raise RuntimeError("no round interleaved the readers: the harness proves nothing")


# -- a fetch that started before a write must not undo the write ------------------------------


def test_write_is_not_undone_by_an_older_fetch_landing_late_sync() -> None:
    fake = FakeVault()
    _put(fake, value="v1")
    gated = GatedTransport(fake)
    changes: list[tuple[str | None, str]] = []
    with fake.vault(transport=gated, cache=CachePolicy(ttl=TTL)) as vault:
        vault.on_change(NAME, lambda old, new: changes.append((old and old.value, new.value)))
        gated.gate.clear()
        reader = threading.Thread(target=vault.get_secret, args=(NAME,), daemon=True)
        reader.start()  # a cold read: its GET is answered (v1) but the answer is held back
        assert gated.held.wait(JOIN_TIMEOUT)
        written = vault.set_secret(NAME, "v2")
        gated.gate.set()
        reader.join(JOIN_TIMEOUT)
        assert not reader.is_alive()
        mark = len(fake.requests)
        latest = vault.get_secret(NAME)
    assert (latest.version, latest.value) == (written.version, "v2")
    assert fake.requests[mark:] == []
    assert changes == [(None, "v2")]


async def test_write_is_not_undone_by_an_older_fetch_landing_late_aio() -> None:
    fake = FakeVault()
    _put(fake, value="v1")
    gated = AsyncGatedTransport(fake)
    changes: list[tuple[str | None, str]] = []
    async with fake.aio_vault(transport=gated, cache=CachePolicy(ttl=TTL)) as vault:
        vault.on_change(NAME, lambda old, new: changes.append((old and old.value, new.value)))
        gated.gate.clear()
        reader = asyncio.ensure_future(vault.get_secret(NAME))
        await asyncio.wait_for(gated.held.wait(), JOIN_TIMEOUT)
        written = await vault.set_secret(NAME, "v2")
        gated.gate.set()
        await asyncio.wait_for(reader, JOIN_TIMEOUT)
        mark = len(fake.requests)
        latest = await vault.get_secret(NAME)
    assert (latest.version, latest.value) == (written.version, "v2")
    assert fake.requests[mark:] == []
    assert changes == [(None, "v2")]


# -- stress: reads, invalidations, new versions, disables and clock moves, all at once ---------

STRESS_NAMES = [f"stress-{i}" for i in range(5)]
STRESS_THREADS = 16
STRESS_WALL_SECONDS = 2.0
STRESS_MAX_OPS = 4000  # per thread: bounds the loop whatever the machine's speed
STRESS_POLICY = CachePolicy(ttl=timedelta(seconds=20), jitter=0.1)
# warn_before short, so entries of short-lived versions still take the lock-free hit path.
STRESS_EXPIRY = ExpiryPolicy(warn_before=timedelta(seconds=3))
# Lifetimes of new versions, in fake seconds: several expire during the run.
LIFETIMES = [timedelta(seconds=s) for s in (2, 5, 15, 60, 3600)]
TICK_OPS = 8


class StressLog:
    """What the workers saw and did, shared between threads (list appends are atomic)."""

    def __init__(self) -> None:
        self.written: dict[tuple[str, str], str] = {}  # (name, version) -> value
        self.latest: dict[str, str] = {}  # name -> a recently written version
        self.served: list[tuple[datetime, Secret]] = []  # (fake clock before the call, result)
        self.refused: list[tuple[datetime, BaseException]] = []  # (fake clock after, error)
        self.unexpected: list[BaseException] = []
        self.ops = itertools.count()
        self.disabled = 0
        self.ticks = threading.Semaphore(0)  # released every TICK_OPS operations of a worker

    def wrote(self, name: str, version: str, value: str) -> None:
        self.written[(name, version)] = value
        self.latest[name] = version


def _stress_worker(
    fake: FakeVault, vault: Any, client: Any, log: StressLog, seed: int, deadline: float
) -> None:
    rng = random.Random(seed)
    for i in range(STRESS_MAX_OPS):
        if time.monotonic() > deadline:
            return
        next(log.ops)
        if i % TICK_OPS == 0:
            log.ticks.release()
        name = rng.choice(STRESS_NAMES)
        roll = rng.random()
        try:
            if roll < 0.72:
                before = fake.clock()
                try:
                    secret = vault.get_secret(name)
                except (ExpiredError, DisabledError) as refusal:
                    log.refused.append((fake.clock(), refusal))
                else:
                    log.served.append((before, secret))
            elif roll < 0.78:
                vault.invalidate(name if rng.random() < 0.8 else None)
            elif roll < 0.88:
                value = f"{name}-{seed}-{i}-vault"
                written = vault.set_secret(name, value, expires_in=rng.choice(LIFETIMES))
                log.wrote(name, written.version, value)
            elif roll < 0.93:
                value = f"{name}-{seed}-{i}-sdk"
                props = client.set_secret(
                    name, value, expires_on=fake.clock() + rng.choice(LIFETIMES)
                ).properties
                log.wrote(name, props.version, value)
            elif roll < 0.97:
                version = log.latest.get(name)
                if version is not None:
                    client.update_secret_properties(name, version, enabled=False)
                    log.disabled += 1
            else:
                value = f"{name}-{seed}-{i}-off"
                written = vault.set_secret(name, value, enabled=False)
                log.wrote(name, written.version, value)
        except BaseException as error:
            log.unexpected.append(error)


def test_stress_never_serves_an_expired_or_disabled_secret() -> None:
    """16 threads read, invalidate, write, disable while a driver moves the fake clock.

    The assertion on expiry is made sound against the race with the driver: the fake clock is
    read *before* each call; a correct vault checks expiry at some instant at or after that,
    so a returned secret must expire strictly after the clock reading taken before the call.
    (Comparing with the clock after the return would blame the vault for the driver's moves.)
    Likewise a refusal for expiry must not come early: its ``expires_on`` is at or before the
    clock read after the call returned.
    """
    fake = FakeVault()
    client = fake.secret_client()
    log = StressLog()
    for name in STRESS_NAMES:
        props = client.set_secret(name, f"{name}-initial", expires_on=fake.clock() + LIFETIMES[-1])
        log.wrote(name, props.properties.version, f"{name}-initial")
    with fake.vault(cache=STRESS_POLICY, expiry=STRESS_EXPIRY) as vault:
        deadline = time.monotonic() + STRESS_WALL_SECONDS
        workers = [
            threading.Thread(
                target=_stress_worker,
                args=(fake, vault, client, log, seed, deadline),
                daemon=True,
            )
            for seed in range(STRESS_THREADS)
        ]
        for worker in workers:
            worker.start()
        moves = 0
        rng = random.Random(99)
        # The driver moves the clock as the workers make progress (it waits for their ticks,
        # never for time), so fake time keeps pace with the work whatever the machine.
        while any(w.is_alive() for w in workers) and time.monotonic() < deadline + JOIN_TIMEOUT:
            if log.ticks.acquire(timeout=0.05):
                fake.advance(timedelta(seconds=rng.uniform(0.0, 2.0)))
                moves += 1
        for worker in workers:
            worker.join(JOIN_TIMEOUT)
        assert not any(w.is_alive() for w in workers), "a stress worker hung"

    assert log.unexpected == [], f"unexpected errors: {log.unexpected[:5]!r}"
    assert moves >= 10, "the driver hardly moved the clock: the run proves nothing"
    assert log.served, "no read succeeded: the run proves nothing"
    assert log.refused, "no read was refused: expiry and disabling were never exercised"
    assert log.disabled, "no version was disabled through the SDK"
    for before, secret in log.served:
        assert secret.enabled, f"served a disabled version: {secret!r}"
        assert secret.expires_on is not None
        assert secret.expires_on > before, (
            f"served {secret!r}, which had expired at {secret.expires_on.isoformat()}, "
            f"before the call began at {before.isoformat()}"
        )
        assert log.written.get((secret.name, secret.version)) == secret.value, (
            f"{secret!r} does not carry the value written for that version"
        )
    for after, refusal in log.refused:
        if isinstance(refusal, ExpiredError):
            assert refusal.expires_on <= after, f"refused as expired too early: {refusal!r}"
