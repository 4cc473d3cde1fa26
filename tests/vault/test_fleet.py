"""Fleet simulation: 200 reader threads, 20 secrets, a vault rate limit far below their demand.

The readers run in fake time, in lockstep with a driver: each fake second the driver moves
the clock by one second and hands out one read per reader, then waits for them (it never
waits for time). Every request reaching the vault is stamped with the fake time by a
transport wrapper around FakeVault's own transport, and cross-checked against
``fake.requests``. The bounds asserted are derived from the CachePolicy:

* steady state: an entry is refreshed once it has lived 80% of its jittered ttl, so two
  requests for one secret are at least ``0.8 * ttl * (1 - jitter)`` apart, and any 10 s of fake
  time sees at most ``len(names) * (floor(10 / that) + 1)`` requests;
* under a 429 storm: after the k-th consecutive 429 the next request for that secret comes
  no sooner than ``min(2 ** (k - 1), 16)`` seconds later (1, 2, 4, 8, 16, 16 ...), and readers
  keep getting the last good value.

Known race (``RACE_ALLOWANCE``): a reader that decided to revalidate before another
reader's revalidation failed, and joins after it landed, leads a second request inside the
backoff (see ``test_concurrency.py::test_single_flight_holds_at_every_forced_interleaving``,
a strict xfail). With 200 threads it shows in a few storms out of a hundred as an extra 429,
sometimes a fake second later (the background refresh that carries it waits for a thread).
Such a request is counted as *excess*, not as an attempt of the schedule; a storm may have
at most ``RACE_ALLOWANCE`` of them, reported as a warning. Anything else fails: an SDK retry
(a repeated client request id), more excess requests, a budget exceeded by more than the
excess. The steady state allows none. Set ``RACE_ALLOWANCE`` to 0 once the race is fixed.
"""

from __future__ import annotations

import math
import random
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from safevault import CachePolicy, Secret
from safevault.testing import FakeVault
from vault._helpers import Stamp, StampingTransport

NAMES = [f"fleet-{i:02d}" for i in range(20)]
READERS = 200
RATE_PER_10S = 40
WINDOW = 10.0
POLICY = CachePolicy(ttl=timedelta(seconds=60))
REFRESH_AHEAD_AT = 0.8  # API.md: refresh once an entry has lived 80% of its jittered ttl
BACKOFF = [1.0, 2.0, 4.0, 8.0, 16.0]  # API.md: 1, 2, 4, 8, 16 s, capped
TIMEOUT = 30.0  # real seconds any handshake with the readers may take (never reached)
RACE_ALLOWANCE = 0  # the single-flight race is fixed (CacheCore.join plans again under its lock)


def min_refresh_interval(policy: CachePolicy) -> float:
    """Fake seconds between two requests for one secret in steady state, at the least."""
    return REFRESH_AHEAD_AT * policy.ttl.total_seconds() * (1.0 - policy.jitter)


def window_budget(policy: CachePolicy, secrets: int, window: float = WINDOW) -> int:
    """Requests any ``window`` seconds of fake time may see in steady state."""
    return secrets * (math.floor(window / min_refresh_interval(policy)) + 1)


def backoff_delay(failures: int) -> float:
    """The delay after the ``failures``-th consecutive transient failure."""
    return BACKOFF[min(failures, len(BACKOFF)) - 1]


def max_attempts(duration: float) -> int:
    """Most requests one secret may make during ``duration`` seconds of failures."""
    attempts, elapsed = 1, 0.0
    while elapsed + backoff_delay(attempts) <= duration:
        elapsed += backoff_delay(attempts)
        attempts += 1
    return attempts


@dataclass
class Fleet:
    """200 readers in lockstep with the fake clock."""

    fake: FakeVault
    vault: Any
    transport: StampingTransport
    permits: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    done: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    wrong: list[Any] = field(default_factory=list)
    reads: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for seed in range(READERS):
            thread = threading.Thread(target=self._reader, args=(seed,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _reader(self, seed: int) -> None:
        rng = random.Random(seed)
        while True:
            if not self.permits.acquire(timeout=TIMEOUT):
                self.errors.append(TimeoutError("reader starved of permits"))
                return
            if self.stop.is_set():
                return
            name = rng.choice(NAMES)
            try:
                secret = self.vault.get_secret(name)
                if not isinstance(secret, Secret) or secret.value != f"value-of-{name}":
                    self.wrong.append(secret)
            except BaseException as error:
                self.errors.append(error)
            finally:
                self.done.release()

    def run(self, seconds: int) -> None:
        """Advance fake time second by second; every reader reads once per second."""
        for _ in range(seconds):
            self.fake.advance(timedelta(seconds=1))
            self.permits.release(READERS)
            for _ in range(READERS):
                assert self.done.acquire(timeout=TIMEOUT), "readers stalled"
            self.reads += READERS

    def close(self) -> None:
        self.stop.set()
        self.permits.release(READERS)
        for thread in self.threads:
            thread.join(TIMEOUT)
        self.vault.close()


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    fake = FakeVault()
    client = fake.secret_client()
    for name in NAMES:
        client.set_secret(name, f"value-of-{name}")
    transport = StampingTransport(fake)
    vault = fake.vault(transport=transport, cache=POLICY)
    fleet = Fleet(fake, vault, transport)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.close()
        _drop_recorded_spans()


def _drop_recorded_spans() -> None:
    """If another module installed the in-memory OTel pipeline, drop this run's ~40k spans."""
    try:
        import otel_support
    except ImportError:  # pragma: no cover
        return
    pipeline = getattr(otel_support, "_pipeline", None)
    if pipeline is not None:
        pipeline[0].clear()


def _authorized(log: list[Stamp], since: int = 0) -> list[Stamp]:
    # 401s are the SDK's unauthenticated challenge exchanges: the rate limit ignores them.
    return [s for s in log[since:] if s[3] != 401]


def _assert_log_matches_fake(fleet: Fleet, fake_mark: int, stamp_mark: int) -> None:
    fleet.transport.wait_idle()  # the fake logs a request before the stamp of it is taken
    fake_count = sum(1 for r in fleet.fake.requests[fake_mark:] if r[2] != 401)
    assert len(_authorized(fleet.transport.log, stamp_mark)) == fake_count


def _max_in_any_window(times: list[float], window: float = WINDOW) -> int:
    times = sorted(times)
    most, left = 0, 0
    for right, t in enumerate(times):
        while times[left] <= t - window:
            left += 1
        most = max(most, right - left + 1)
    return most


def _per_secret(stamps: list[Stamp]) -> dict[str, list[Stamp]]:
    out: dict[str, list[Stamp]] = {name: [] for name in NAMES}
    for stamp in stamps:
        parts = stamp[2].strip("/").split("/")
        if stamp[1] == "GET" and len(parts) >= 2 and parts[0] == "secrets":
            out[parts[1]].append(stamp)
    return out


def _no_sdk_retries(stamps: list[Stamp]) -> None:
    """An SDK retry repeats the client request id of the call it retries."""
    ids = [s[4] for s in stamps]
    repeated = {i for i in ids if ids.count(i) > 1}
    assert not repeated, [s for s in stamps if s[4] in repeated]


def _split(times: list[float], min_gap: Callable[[int], float]) -> tuple[list[float], int]:
    """Attempts (each at least ``min_gap(k)`` after the k-th) and the excess requests."""
    attempts: list[float] = []
    excess = 0
    for t in sorted(times):
        if attempts and t - attempts[-1] < min_gap(len(attempts)):
            excess += 1
        else:
            attempts.append(t)
    return attempts, excess


def _allow_known_race(excess: int, allowance: int = RACE_ALLOWANCE) -> None:
    assert excess <= allowance, f"{excess} requests came before the schedule allowed"
    if excess:
        warnings.warn(f"{excess} excess request(s) from the known single-flight race", stacklevel=2)


def test_budget_helpers_follow_the_policy() -> None:
    assert min_refresh_interval(POLICY) == pytest.approx(43.2)
    assert window_budget(POLICY, len(NAMES)) == 20
    assert [backoff_delay(k) for k in range(1, 8)] == [1, 2, 4, 8, 16, 16, 16]
    assert max_attempts(0.5) == 1
    assert max_attempts(31) == 6  # at 0, 1, 3, 7, 15, 31


def test_split_counts_requests_before_the_schedule_as_excess() -> None:
    assert _split([0.0, 1.0, 3.0, 7.0], backoff_delay) == ([0.0, 1.0, 3.0, 7.0], 0)
    assert _split([0.0, 0.01, 1.0, 2.0, 3.5], backoff_delay) == ([0.0, 1.0, 3.5], 2)
    with pytest.raises(AssertionError):
        _no_sdk_retries([(0.0, "GET", "/secrets/a/", 429, "x"), (0.1, "GET", "/", 429, "x")])
    with pytest.raises(AssertionError):
        _allow_known_race(RACE_ALLOWANCE + 1)


def test_fleet_stays_within_the_ttl_budget(fleet: Fleet) -> None:
    fake = fleet.fake
    fake.rate_limit(RATE_PER_10S)
    fleet.vault.preload(*NAMES)  # warm-up: 20 requests, below the rate limit
    fake_mark, stamp_mark = len(fake.requests), len(fleet.transport.log)
    start = fake.timer()

    fleet.run(180)  # three ttls of fake time

    assert fleet.errors == [], f"{len(fleet.errors)} read errors, e.g. {fleet.errors[:3]!r}"
    assert fleet.wrong == []
    _assert_log_matches_fake(fleet, fake_mark, stamp_mark)
    stamps = _authorized(fleet.transport.log, stamp_mark)
    elapsed = fake.timer() - start
    # The demand really is far above what the vault admits...
    assert fleet.reads / (elapsed / WINDOW) >= 10 * RATE_PER_10S
    # ... yet the vault sees at most the ttl budget, throttles nothing, and every secret was
    # refreshed (the cache is not simply frozen).
    assert all(s[3] == 200 for s in stamps), stamps
    _no_sdk_retries(stamps)
    interval = min_refresh_interval(POLICY)
    excess = 0
    for name, requests in _per_secret(stamps).items():
        attempts, extra = _split([s[0] for s in requests], lambda _: interval)
        excess += extra
        assert attempts, f"{name} was never refreshed in three ttls"
    _allow_known_race(excess, allowance=0)
    budget = window_budget(POLICY, len(NAMES))
    assert _max_in_any_window([s[0] for s in stamps]) <= budget + excess
    assert len(stamps) <= len(NAMES) * (math.floor(elapsed / interval) + 1) + excess


def test_fleet_rides_out_a_429_storm(fleet: Fleet) -> None:
    fake = fleet.fake
    fake.rate_limit(RATE_PER_10S)
    fleet.vault.preload(*NAMES)
    fleet.run(30)

    storm_mark = len(fleet.transport.log)
    fake_mark = len(fake.requests)
    sleeps = len(fake.sleeps)
    storm_start = fake.timer()
    fake.rate_limit(0)  # every authorized request: 429 Throttled, no Retry-After
    fleet.run(120)
    storm_end = fake.timer()
    fake.rate_limit(RATE_PER_10S)
    recovery_mark = len(fleet.transport.log)
    fleet.run(40)

    # Readers never noticed: the last good value was served throughout.
    assert fleet.errors == [], f"{len(fleet.errors)} read errors, e.g. {fleet.errors[:3]!r}"
    assert fleet.wrong == []
    _assert_log_matches_fake(fleet, fake_mark, storm_mark)
    assert fake.sleeps[sleeps:] == [], "the SDK retried a 429 without Retry-After"

    storm = [s for s in _authorized(fleet.transport.log, storm_mark) if s[0] < storm_end]
    assert storm, "the storm never reached the vault: the test proves nothing"
    assert all(s[3] == 429 for s in storm)
    _no_sdk_retries(storm)
    limit = max_attempts(storm_end - storm_start)
    excess = 0
    for name, requests in _per_secret(storm).items():
        # After the k-th 429 of a secret, its next request comes backoff_delay(k) later or
        # is excess.
        attempts, extra = _split([s[0] for s in requests], backoff_delay)
        excess += extra
        assert len(attempts) <= limit, (name, attempts)
    _allow_known_race(excess)

    # After the storm every secret is refreshed within one backoff cap (plus a read's step).
    recovered = _per_secret(
        [s for s in _authorized(fleet.transport.log, recovery_mark) if s[3] == 200]
    )
    for name, requests in recovered.items():
        assert requests, f"{name} never recovered after the storm"
        assert requests[0][0] - storm_end <= BACKOFF[-1] + 2, (name, requests[0][0] - storm_end)
