"""The I/O-free cache core: entries, plans, backoff, negative answers, eviction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from safevault import CachePolicy, ExpiryPolicy
from safevault._core._cache import INF, CacheCore, Step

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class Item:
    name: str = "n"
    version: str = "v1"
    enabled: bool = True
    not_before: datetime | None = None
    expires_on: datetime | None = None


def core(**kw):
    kw.setdefault("ttl", timedelta(seconds=100))
    kw.setdefault("jitter", 0)
    return CacheCore(CachePolicy(**kw), ExpiryPolicy(), random_fn=lambda: 0.5)


def test_entry_instants():
    c = core()
    e = c.make_entry(Item(), 1000.0, NOW)
    assert (e.refresh_at, e.fresh_until, e.stale_until) == (1080.0, 1100.0, 4700.0)
    assert e.hit_until == 1080.0 and e.expiry_at == INF


def test_expiry_bounds_freshness_and_staleness():
    c = core()
    e = c.make_entry(Item(expires_on=NOW + timedelta(seconds=50)), 0.0, NOW)
    assert e.fresh_until == 50.0 and e.stale_until == 50.0
    assert e.hit_until == -INF  # inside warn_before: every read is checked


def test_jitter_range():
    lo = CacheCore(
        CachePolicy(ttl=timedelta(seconds=100), jitter=0.1), ExpiryPolicy(), random_fn=lambda: 0.0
    )
    hi = CacheCore(
        CachePolicy(ttl=timedelta(seconds=100), jitter=0.1),
        ExpiryPolicy(),
        random_fn=lambda: 0.999999,
    )
    assert round(lo.make_entry(Item(), 0, NOW).fresh_until) == 90
    assert round(hi.make_entry(Item(), 0, NOW).fresh_until) == 110


def test_plan_steps():
    c = core()
    key = ("n", None)
    assert c.plan(key, 0).step is Step.FETCH
    c.store(key, Item(), 0.0, NOW, version="v1")
    assert c.plan(key, 10).step is Step.SERVE
    assert c.plan(key, 85).step is Step.SERVE_AND_REFRESH
    assert c.plan(key, 150).step is Step.REVALIDATE
    c.record_backoff(key, 150, RuntimeError("x"), stale_ok=True)
    assert c.plan(key, 150.5).step is Step.SERVE_STALE
    assert c.plan(key, 151.5).step is Step.REVALIDATE
    c.record_backoff(key, 151.5, RuntimeError("x"), stale_ok=True)
    assert c.plan(key, 153).step is Step.SERVE_STALE  # second failure: 2 s
    assert c.plan(key, 153.6).step is Step.REVALIDATE
    assert c.plan(key, 5000).step is Step.FETCH  # past max_stale


def test_backoff_caps_at_16_seconds():
    c = core()
    key = ("n", None)
    for _ in range(10):
        c.record_backoff(key, 0.0, RuntimeError(), stale_ok=True)
    assert c.plan(key, 15.9).step is Step.RAISE
    assert c.plan(key, 16.1).step is Step.FETCH


def test_negative_answers_expire():
    c = core(negative_ttl=timedelta(seconds=30))
    key = ("n", None)
    c.store(key, Item(), 0.0, NOW, version="v1")
    c.record_negative(key, 10.0, KeyError("gone"))
    assert ("n", "v1") not in c.entries and key not in c.entries
    plan = c.plan(key, 20.0)
    assert plan.step is Step.RAISE and isinstance(plan.error, KeyError)
    assert c.plan(key, 41.0).step is Step.FETCH


def test_store_announces_new_latest_once():
    c = core()
    key = ("n", None)
    assert c.store(key, Item(version="a"), 0, NOW, version="a")[2] is False
    assert c.store(key, Item(version="a"), 1, NOW, version="a")[2] is False
    _, old, announce = c.store(key, Item(version="b"), 2, NOW, version="b")
    assert announce and old.version == "a"
    assert c.store(key, Item(version="b"), 3, NOW, version="b")[2] is False


def test_sampled_lru_eviction_prefers_old_entries():
    c = core(max_entries=50)
    for i in range(50):
        c.store((f"n{i}", "v"), Item(name=f"n{i}"), float(i), NOW, version="v")
    for i in range(25, 50):
        c.entries[(f"n{i}", "v")].last_used = 10_000.0
    for i in range(50, 75):
        c.store((f"n{i}", "v"), Item(name=f"n{i}"), 20_000.0, NOW, version="v")
    assert len(c.entries) == 50
    survivors_old = sum(1 for i in range(25) if (f"n{i}", "v") in c.entries)
    survivors_recent = sum(1 for i in range(25, 50) if (f"n{i}", "v") in c.entries)
    assert survivors_recent > survivors_old


def test_disabled_cache_always_fetches():
    c = core(enabled=False)
    c.store(("n", None), Item(), 0, NOW, version="v1")
    assert c.plan(("n", None), 1).step is Step.FETCH
    assert c.entries == {}


def test_single_flight_bookkeeping():
    c = core()
    key = ("n", None)
    first = c.read(key, 0.0, object, 5.0)
    again = c.read(key, 0.0, object, 5.0)
    assert first.step is again.step is Step.FETCH
    assert first.lead and not again.lead and again.flight is first.flight
    c.land(key, first.flight)
    second = c.read(key, 0.0, object, 5.0)
    assert second.lead and second.flight is not first.flight
    entry, _, _ = c.land_item(key, second.flight, Item(), 10.0, NOW, started_at=0.0)
    assert key not in c.flights
    served = c.read(key, 20.0, object, 5.0)  # the fetch landed: a fresh entry, no flight
    assert served.step is Step.SERVE and served.entry is entry and served.flight is None
    gone = ("gone", None)
    failed = c.read(gone, 20.0, object, 5.0)
    c.land_failure(
        gone, failed.flight, KeyError("gone"), 20.0, negative=True, stale_ok=False, retry_after=None
    )
    remembered = c.read(gone, 21.0, object, 5.0)
    assert remembered.step is Step.RAISE and isinstance(remembered.error, KeyError)
    refresh = c.read(key, 95.0, object, 5.0)  # past 80% of the ttl: lead a refresh
    assert refresh.step is Step.SERVE_AND_REFRESH and refresh.lead


def test_a_revalidation_waits_only_what_is_left_of_refresh_timeout():
    c = core()
    key = ("n", None)
    c.store(key, Item(), 0.0, NOW, version="v1")
    first = c.read(key, 150.0, object, 5.0)  # past the ttl: revalidate, leading the fetch
    assert first.step is Step.REVALIDATE and first.lead and first.wait == 5.0
    later = c.read(key, 153.0, object, 5.0)
    assert not later.lead and later.flight is first.flight and later.wait == 2.0
    assert c.read(key, 156.0, object, 5.0).wait == 0.0  # outlasted: serve stale at once
    c.overdue(key, first.flight)  # a reader's wait ran out, whatever the timer says
    assert c.read(key, 150.5, object, 5.0).wait == 0.0


def test_after_fork_keeps_entries_and_subscribers():
    c = core()
    c.store(("n", None), Item(), 0, NOW, version="v1")
    unsubscribe = c.subscribe("N", print)
    c.read(("x", None), 0.0, object, 5.0)
    c.after_fork()
    assert ("n", None) in c.entries and c.flights == {}
    assert c.subscribers("n") == [print]
    unsubscribe()
    assert c.subscribers("n") == []


def test_a_fetch_sent_before_a_write_does_not_undo_it():
    c = core()
    key = ("n", None)
    c.store(key, Item(version="old"), 0.0, NOW, version="old")
    c.store(key, Item(version="new"), 5.0, NOW, version="new", write=True)
    entry, old, announce = c.store(
        key, Item(version="old"), 6.0, NOW, version="old", started_at=4.0
    )
    assert entry.item.version == "new" and not announce and old is None
    assert c.entries[key].item.version == "new"
    later, _, _ = c.store(key, Item(version="newer"), 9.0, NOW, version="newer", started_at=7.0)
    assert later.item.version == "newer"


def test_retry_after_lengthens_the_backoff():
    c = core()
    key = ("n", None)
    c.record_backoff(key, 0.0, RuntimeError(), stale_ok=True, retry_after=7.0)
    assert c.plan(key, 6.9).step is Step.RAISE
    assert c.plan(key, 7.1).step is Step.FETCH
    c.record_backoff(key, 10.0, RuntimeError(), stale_ok=True, retry_after=3600.0)
    assert c.plan(key, 69.0).step is Step.RAISE
    assert c.plan(key, 70.5).step is Step.FETCH
