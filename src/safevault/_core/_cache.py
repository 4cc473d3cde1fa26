"""The cache's state and decisions, free of I/O and shared by the sync and async shells.

Entries are keyed by ``(name.lower(), version)``; ``version`` None is the "latest" pointer,
whose entry is also stored under its own version, so a pinned read of the current version
hits. Entries are immutable apart from ``last_used``; a hit is one dict read and one float
comparison against ``hit_until`` and takes no lock. Everything else (planning a miss,
storing, single-flight bookkeeping, backoff, the negative cache) happens here under one lock,
on the miss path only. Times are the injected monotonic ``timer``'s seconds; an object's
expiry is converted to that scale when the entry is made.

Why not cachetools for the entries: every ``TTLCache``/``LRUCache`` read reorders its LRU
list, so it needs a lock on the hit path, which collapses under threads. The entry table is
a plain dict with sampled (approximate) LRU eviction; cachetools serves the bounded
"warned once per version" memory, which is only touched on slow paths.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from safevault._core._validity import assess
from safevault._model._policy import CachePolicy, ExpiryPolicy
from safevault._model._validity import Validity

__all__ = ["CacheCore", "Entry", "Plan", "Read", "Step"]

INF = float("inf")
REFRESH_AHEAD_AT = 0.8
BACKOFF_CAP = 16.0
RETRY_AFTER_CAP = 60.0
EVICTION_SAMPLE = 8

Key = tuple[str, str | None]
T = TypeVar("T")
F = TypeVar("F")


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _pack_request_id(text: str | None) -> str | int | None:
    """A client request id as it is kept on an entry: a UUID in its canonical lower-case
    text as the 128-bit number (44 bytes instead of 85), anything else as it is."""
    if text is None or _CANONICAL_UUID.fullmatch(text) is None:
        return text
    return int(text.replace("-", ""), 16)  # the exact round trip: canonical text only


def _unpack_request_id(number: int) -> str:
    digits = f"{number:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


_SERVABLE = (Validity.VALID, Validity.EXPIRING, Validity.NO_EXPIRY)


class Entry(Generic[T]):
    """One cached object version and the instants (timer seconds) that govern it.

    Memory matters here (one per cached version): slots only, and the client request id kept
    as a number when it is a UUID (read back only for the records of hits).
    """

    __slots__ = (
        "_correlation",
        "audit",
        "expiry_at",
        "fetched_at",
        "fresh_until",
        "hit_until",
        "item",
        "last_used",
        "refresh_at",
        "stale_until",
        "wall_until",
    )

    def __init__(
        self,
        item: T,
        *,
        fetched_at: float,
        refresh_at: float,
        fresh_until: float,
        stale_until: float,
        expiry_at: float,
        hit_until: float,
        wall_until: float = INF,
    ) -> None:
        self.item = item
        self.fetched_at = fetched_at
        self.refresh_at = refresh_at
        self.fresh_until = fresh_until
        self.stale_until = stale_until
        self.expiry_at = expiry_at
        self.hit_until = hit_until
        self.wall_until = wall_until  # wall-clock seconds (the clock's) the hit path also obeys
        self.last_used = fetched_at
        self._correlation: str | int | None = None  # see correlation
        self.audit: Any = None  # telemetry's record of this entry's hits, built on first use

    @property
    def correlation(self) -> str | None:
        """The client request id of the fetch that produced ``item`` (None when not known)."""
        packed = self._correlation
        return _unpack_request_id(packed) if isinstance(packed, int) else packed

    @correlation.setter
    def correlation(self, value: str | None) -> None:
        self._correlation = _pack_request_id(value)


class Step(Enum):
    """What a read that missed the fast path does next."""

    SERVE = "serve"  # fresh enough: serve from the cache
    SERVE_AND_REFRESH = "serve_and_refresh"  # serve now, refresh in the background
    REVALIDATE = "revalidate"  # past ttl: wait up to refresh_timeout, else serve stale
    FETCH = "fetch"  # nothing usable cached: fetch (single-flight)
    SERVE_STALE = "serve_stale"  # backing off after transient failures: serve the last good value
    RAISE = "raise"  # negative cache or backoff without a value: raise the remembered error


@dataclass
class _Backoff:
    failures: int
    retry_at: float
    error: BaseException
    stale_ok: bool  # a transient failure: the last good value may be served meanwhile


@dataclass
class _Negative:
    until: float
    error: BaseException


@dataclass(frozen=True)
class Plan(Generic[T]):
    step: Step
    entry: Entry[T] | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class Read(Generic[T, F]):
    """How a read that missed the hit path proceeds: one decision the shell carries out.

    :ivar step: what to do (:class:`Step`).
    :ivar entry: the entry to serve, or, for ``REVALIDATE``, the last good one to fall back on.
    :ivar error: the remembered error to raise (``RAISE``).
    :ivar flight: the fetch to wait for (``SERVE_AND_REFRESH``, ``REVALIDATE``, ``FETCH``).
    :ivar lead: this reader starts that fetch.
    :ivar wait: ``REVALIDATE``: how long this reader may still wait before the fallback.
    """

    step: Step
    entry: Entry[T] | None = None
    error: BaseException | None = None
    flight: F | None = None
    lead: bool = False
    wait: float = 0.0


V = TypeVar("V")
K = TypeVar("K")


def _version_of(known: object) -> str:
    """The version an ``_announced`` value stands for (an item, or a version's text)."""
    return known if isinstance(known, str) else getattr(known, "version", "")


def _put_bounded(table: dict[K, V], key: K, value: V, bound: int) -> None:
    """``table[key] = value`` as the newest entry; the oldest go beyond ``bound`` entries."""
    table.pop(key, None)
    table[key] = value
    while len(table) > bound:
        del table[next(iter(table))]


class CacheCore(Generic[T, F]):
    """State and decisions of one vault's cache for one kind of object.

    :param policy: the cache policy.
    :param expiry: the expiry policy (decides which entries may be hit without a check).
    :param random_fn: source of jitter in [0, 1) (injectable for tests).
    """

    def __init__(
        self,
        policy: CachePolicy,
        expiry: ExpiryPolicy,
        *,
        random_fn: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self.expiry = expiry
        self._random = random_fn
        self._ttl = policy.ttl.total_seconds()
        # the remembered failures and per-name bookkeeping are bounded like the entries
        self._bound = policy.max_entries
        self._max_stale = policy.max_stale.total_seconds()
        self._negative_ttl = policy.negative_ttl.total_seconds()
        self._warn_before = expiry.warn_before.total_seconds()
        self.entries: dict[Key, Entry[T]] = {}
        self._reset_locked_state()

    def _reset_locked_state(self) -> None:
        self.lock = threading.Lock()
        self.flights: dict[Key, F] = {}
        self._flight_started: dict[Key, float] = {}
        self._overdue: set[Key] = set()  # flights that outlasted refresh_timeout
        self._negative: dict[Key, _Negative] = {}
        self._backoff: dict[Key, _Backoff] = {}
        # name -> the latest version subscribers know of: the item (whose version it is), or,
        # once invalidate() dropped the item, its version (which still tells a change)
        self._announced: dict[str, T | str] = {}
        self._written: dict[str, float] = {}  # name -> timer of the last write through us
        self._warned: LRUCache[tuple[str, str], bool] = LRUCache(maxsize=4096)
        self._subscribers: dict[str, list[Callable[..., Any]]] = {}

    def after_fork(self) -> None:
        """In a forked child: new locks, no flights inherited from threads that do not exist."""
        subscribers = self._subscribers
        self._reset_locked_state()
        self._subscribers = subscribers

    # -- decisions -------------------------------------------------------------------------

    def make_entry(
        self, item: T, now_t: float, clock_now: datetime, validity: Validity | None = None
    ) -> Entry[T]:
        """An entry for ``item`` fetched at ``now_t``, with a jittered ttl.

        :param validity: ``item``'s validity at ``clock_now`` when the caller has it.
        """
        jitter = self.policy.jitter
        ttl = self._ttl * (1.0 + jitter * (2.0 * self._random() - 1.0)) if jitter else self._ttl
        fresh_until = now_t + ttl
        expires_on: datetime | None = getattr(item, "expires_on", None)
        expiry_at = INF if expires_on is None else now_t + (expires_on - clock_now).total_seconds()
        if expiry_at > now_t:
            fresh_until = min(fresh_until, expiry_at)  # revalidate the moment it expires
        refresh_at = now_t + REFRESH_AHEAD_AT * ttl if self.policy.refresh_ahead else fresh_until
        refresh_at = min(refresh_at, fresh_until)
        stale_until = max(fresh_until, min(fresh_until + self._max_stale, expiry_at))
        if validity is None:
            validity = self._assess(item, clock_now)
        if validity in (Validity.VALID, Validity.NO_EXPIRY):
            hit_until = min(refresh_at, expiry_at - self._warn_before)
        else:
            hit_until = -INF  # every read takes the checked path
        # The monotonic timer does not follow a wall clock that jumps: a hit also stops where
        # the object's expiry (less the warning window) is reached by the wall clock.
        wall_until = INF if expires_on is None else expires_on.timestamp() - self._warn_before
        return Entry(
            item,
            fetched_at=now_t,
            refresh_at=refresh_at,
            fresh_until=fresh_until,
            stale_until=stale_until,
            expiry_at=expiry_at,
            hit_until=hit_until,
            wall_until=wall_until,
        )

    def _assess(self, item: Any, clock_now: datetime) -> Validity:
        return assess(
            enabled=getattr(item, "enabled", True),
            not_before=getattr(item, "not_before", None),
            expires_on=getattr(item, "expires_on", None),
            now=clock_now,
            policy=self.expiry,
        )

    def servable(self, item: Any, clock_now: datetime) -> bool:
        """True when a strict read would return ``item`` now (enabled, inside its window)."""
        return self._assess(item, clock_now) in _SERVABLE

    def plan(self, key: Key, now_t: float) -> Plan[T]:
        """Decide how a read of ``key`` that missed the fast path proceeds."""
        if not self.policy.enabled:
            return Plan(Step.FETCH)
        negative = self._negative.get(key)
        if negative is not None:
            if now_t < negative.until:
                return Plan(Step.RAISE, error=negative.error)
            self._negative.pop(key, None)
        entry = self.entries.get(key)
        backoff = self._backoff.get(key)
        backing_off = backoff is not None and now_t < backoff.retry_at
        if entry is not None and now_t < entry.fresh_until:
            if now_t >= entry.refresh_at and not backing_off and key not in self.flights:
                return Plan(Step.SERVE_AND_REFRESH, entry)
            return Plan(Step.SERVE, entry)
        if backing_off:
            assert backoff is not None
            if backoff.stale_ok and entry is not None and now_t < entry.stale_until:
                return Plan(Step.SERVE_STALE, entry)
            return Plan(Step.RAISE, error=backoff.error)
        if entry is not None and now_t < entry.stale_until:
            return Plan(Step.REVALIDATE, entry)
        return Plan(Step.FETCH)

    def wait_budget(self, key: Key, now_t: float, timeout: float) -> float:
        """How long a reader past the ttl may still wait for ``key``'s running revalidation.

        ``timeout`` (``refresh_timeout``) counts from when the revalidation started, not from
        each reader's arrival: once a revalidation has outlasted it (by the timer, or because
        a reader's wait ran out), every reader gets the last good value at once.
        """
        if key in self._overdue:
            return 0.0
        started = self._flight_started.get(key)
        if started is None:
            return timeout
        return max(0.0, min(timeout, started + timeout - now_t))

    def overdue(self, key: Key, flight: F) -> None:
        """A reader's wait for ``flight`` ran out: the others need not wait any more."""
        with self.lock:
            if self.flights.get(key) is flight:
                self._overdue.add(key)

    # -- state changes (miss path, under the lock) ------------------------------------------

    def store(
        self,
        key: Key,
        item: T,
        now_t: float,
        clock_now: datetime,
        *,
        version: str,
        write: bool = False,
        started_at: float | None = None,
        correlation: str | None = None,
        flight: F | None = None,
    ) -> tuple[Entry[T], T | None, bool]:
        """Cache ``item`` under ``key`` (and under its version when ``key`` is the latest).

        :param flight: the flight that fetched ``item``, forgotten under the same lock.

        :param write: the item was just written through this vault (always a new latest).
        :param started_at: when the fetch that produced ``item`` was sent: a fetch sent
            before the latest write through this vault lands as the older answer it is, and
            the written entry stays (returned, with no announcement).
        :returns: the entry, the latest version subscribers knew of before (None when not
            known, or when a strict read would no longer return it), and whether they must hear
            of a new latest version (once per version; not on the first read; never of a
            version a strict read would refuse: that one is announced once it becomes valid).
        """
        validity = self._assess(item, clock_now)
        entry = self.make_entry(item, now_t, clock_now, validity)
        entry.correlation = correlation
        servable = validity in _SERVABLE
        landed = key  # the flight's key (below, ``key`` may take the item's name string)
        name = key[0]
        item_name = getattr(item, "name", None)
        if item_name == name and isinstance(item_name, str):
            # the item's own string, not the caller's lowered copy: one name string per entry
            name = item_name
            key = (name, key[1])
        with self.lock:
            if flight is not None:
                self._land_locked(landed, flight)
            previous = self.entries.get((name, None)) if key[1] is None else None
            if (
                key[1] is None
                and started_at is not None
                and previous is not None
                and started_at <= self._written.get(name, -INF)
            ):
                return previous, None, False
            if write and key[1] is None:
                _put_bounded(self._written, name, now_t, self._bound)
            if self.policy.enabled:
                self.entries[key] = entry
                if key[1] is None:
                    self.entries[(name, version)] = entry
                self._evict_locked()
            self._negative.pop(key, None)
            self._backoff.pop(key, None)
            announce = False
            old: T | None = None
            if key[1] is None and servable:
                known = self._announced.get(name)
                if known is None or _version_of(known) != version:
                    # the item stands for its version; if that is not ``version``, the text does
                    mark: T | str = item if getattr(item, "version", "") == version else version
                    _put_bounded(self._announced, name, mark, self._bound)
                    announce = known is not None or write
                    old = None if known is None or isinstance(known, str) else known
        if old is not None and not self.servable(old, clock_now):
            old = None
        return entry, old, announce

    def record_backoff(
        self,
        key: Key,
        now_t: float,
        error: BaseException,
        *,
        stale_ok: bool,
        retry_after: float | None = None,
    ) -> None:
        """Back off this object exponentially (1, 2, 4, 8, 16 s) after a failure, or for as
        long as the vault's ``Retry-After`` asked, when that is longer (capped). Meanwhile
        reads raise ``error`` again without a request, or, when ``stale_ok`` (a transient
        failure), get the last good value."""
        with self.lock:
            backoff = self._backoff.get(key)
            failures = 1 if backoff is None else backoff.failures + 1
            delay = min(2.0 ** (failures - 1), BACKOFF_CAP)
            if retry_after is not None:
                delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
            _put_bounded(
                self._backoff, key, _Backoff(failures, now_t + delay, error, stale_ok), self._bound
            )

    def record_negative(self, key: Key, now_t: float, error: BaseException) -> None:
        """Remember a 404/403 for ``negative_ttl`` and drop what was cached for ``key``."""
        with self.lock:
            self._backoff.pop(key, None)
            dropped = self.entries.pop(key, None)
            if key[1] is not None:
                latest = self.entries.get((key[0], None))
                if latest is not None and latest is dropped:
                    del self.entries[(key[0], None)]
            elif dropped is not None:
                self.entries.pop((key[0], getattr(dropped.item, "version", None)), None)
            if self.policy.enabled and self._negative_ttl > 0:
                _put_bounded(
                    self._negative, key, _Negative(now_t + self._negative_ttl, error), self._bound
                )

    def invalidate(self, name: str | None = None) -> None:
        """Drop cached entries, negative answers and backoff (for one name, or all)."""
        with self.lock:
            if name is None:
                self.entries.clear()
                self._negative.clear()
                self._backoff.clear()
                self._announced = {n: _version_of(known) for n, known in self._announced.items()}
                return
            lowered = name.lower()
            for table in (self.entries, self._negative, self._backoff):
                for key in [k for k in table if k[0] == lowered]:
                    del table[key]
            known = self._announced.get(lowered)
            if known is not None:
                self._announced[lowered] = _version_of(known)

    def expire(self, name: str) -> None:
        """Make the next read of ``name``'s latest version revalidate (keeping what is known,
        so a change is still reported against the previous version)."""
        entry = self.entries.get((name.lower(), None))
        if entry is not None:
            entry.hit_until = entry.refresh_at = entry.fresh_until = -INF

    def first_warning(self, name: str, version: str) -> bool:
        """True the first time a near-expiry warning is due for this version."""
        with self.lock:
            if (name, version) in self._warned:
                return False
            self._warned[(name, version)] = True
            return True

    def _evict_locked(self) -> None:
        excess = len(self.entries) - self.policy.max_entries
        while excess > 0:
            keys = list(self.entries)
            sample = random.sample(keys, min(EVICTION_SAMPLE, len(keys)))
            victim = min(sample, key=lambda k: self.entries[k].last_used)
            del self.entries[victim]
            excess -= 1

    # -- the read decision ---------------------------------------------------------------------

    def read(self, key: Key, now_t: float, factory: Callable[[], F], timeout: float) -> Read[T, F]:
        """Decide, under the lock, how a read of ``key`` that missed the hit path proceeds.

        Plans the read and joins (or starts) the flight fetching ``key`` in one step, so no
        fetch can land between the two. ``timeout`` is ``refresh_timeout``.
        """
        with self.lock:
            plan = self.plan(key, now_t)
            if plan.step in (Step.SERVE, Step.SERVE_STALE, Step.RAISE):
                return Read(plan.step, plan.entry, plan.error)
            flight = self.flights.get(key)
            lead = flight is None
            if flight is None:
                flight = self._start_locked(key, factory, now_t)
            wait = self.wait_budget(key, now_t, timeout) if plan.step is Step.REVALIDATE else 0.0
            return Read(plan.step, plan.entry, None, flight, lead, wait)

    def land_item(
        self,
        key: Key,
        flight: F,
        item: T,
        now_t: float,
        clock_now: datetime,
        started_at: float,
        correlation: str | None = None,
    ) -> tuple[Entry[T], T | None, bool]:
        """A fetch of ``key`` returned ``item``: store it (see :meth:`store`), forget the flight.

        :param correlation: the client request id of the fetch, kept on the entry for the
            records of the hits it serves.
        """
        return self.store(
            key,
            item,
            now_t,
            clock_now,
            version=getattr(item, "version", ""),
            started_at=started_at,
            correlation=correlation,
            flight=flight,
        )

    def land_failure(
        self,
        key: Key,
        flight: F,
        error: BaseException,
        now_t: float,
        *,
        negative: bool,
        stale_ok: bool,
        retry_after: float | None,
    ) -> None:
        """A fetch of ``key`` failed: remember a 404/403 (``negative``) or back off, forget
        the flight."""
        if negative:
            self.record_negative(key, now_t, error)
        else:
            self.record_backoff(key, now_t, error, stale_ok=stale_ok, retry_after=retry_after)
        self.land(key, flight)

    # -- single flight -----------------------------------------------------------------------

    def _start_locked(self, key: Key, factory: Callable[[], F], now_t: float) -> F:
        flight = factory()
        self.flights[key] = flight
        self._flight_started[key] = now_t
        self._overdue.discard(key)
        return flight

    def land(self, key: Key, flight: F) -> None:
        """Forget a finished flight."""
        with self.lock:
            self._land_locked(key, flight)

    def _land_locked(self, key: Key, flight: F) -> None:
        if self.flights.get(key) is flight:
            del self.flights[key]
            self._flight_started.pop(key, None)
            self._overdue.discard(key)

    # -- change subscribers ----------------------------------------------------------------

    def subscribe(self, name: str, callback: Callable[..., Any]) -> Callable[[], None]:
        lowered = name.lower()
        with self.lock:
            self._subscribers.setdefault(lowered, []).append(callback)

        def unsubscribe() -> None:
            with self.lock:
                callbacks = self._subscribers.get(lowered, [])
                if callback in callbacks:
                    callbacks.remove(callback)

        return unsubscribe

    def subscribers(self, name: str) -> list[Callable[..., Any]]:
        with self.lock:
            return list(self._subscribers.get(name, ()))
