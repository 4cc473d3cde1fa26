"""The version-aware cache: ttl, refresh-ahead, staleness, negative answers, bounds, events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError

from safevault import CachePolicy, InvalidArgumentError
from support import gets, wait_until

TTL = timedelta(minutes=10)


def policy(**kw):
    kw.setdefault("ttl", TTL)
    kw.setdefault("jitter", 0)
    return CachePolicy(**kw)


def put(fake, name, value="v", **kw):
    return fake.secret_client().set_secret(name, value, **kw)


def test_hits_do_not_reach_the_vault(fake, make_vault):
    put(fake, "s")
    vault = make_vault(cache=policy())
    for _ in range(5):
        vault.get_secret("s")
    assert gets(fake, "s") == 1


def test_revalidates_after_ttl_and_sees_new_version(fake, make_vault):
    put(fake, "s", "one")
    vault = make_vault(cache=policy(refresh_ahead=False))
    assert vault.get_secret("s").value == "one"
    put(fake, "s", "two")
    fake.advance(TTL - timedelta(seconds=1))
    assert vault.get_secret("s").value == "one"
    fake.advance(timedelta(seconds=2))
    assert vault.get_secret("s").value == "two"
    assert gets(fake, "s") == 2


def test_refresh_ahead_serves_cached_and_refreshes_in_background(fake, make_vault):
    put(fake, "s", "one")
    vault = make_vault(cache=policy())
    vault.get_secret("s")
    put(fake, "s", "two")
    fake.advance(TTL * 0.85)
    assert vault.get_secret("s").value == "one"  # returned at once
    assert wait_until(lambda: gets(fake, "s") == 2)
    assert wait_until(lambda: vault.get_secret("s").value == "two")
    assert gets(fake, "s") == 2


def test_jitter_spreads_expiry(fake, make_vault):
    vault = make_vault(cache=CachePolicy(ttl=TTL, jitter=0.1))
    for i in range(20):
        put(fake, f"s{i}")
        vault.get_secret(f"s{i}")
    fake.advance(TTL * 0.80)  # refresh_at = 0.8 x ttl x (1 +- 0.1): about half are due
    for i in range(20):
        vault.get_secret(f"s{i}")
    refreshed = wait_until(lambda: 0 < sum(gets(fake, f"s{i}") - 1 for i in range(20)) < 20, 2)
    assert refreshed  # some, not all, entries were past 80% of their jittered ttl


def test_negative_cache_for_404(fake, make_vault):
    vault = make_vault(cache=policy())
    for _ in range(3):
        with pytest.raises(ResourceNotFoundError):
            vault.get_secret("missing")
    assert gets(fake, "missing") == 1
    fake.advance(timedelta(seconds=31))
    put(fake, "missing", "now here")
    assert vault.get_secret("missing").value == "now here"


def test_set_secret_clears_negative_answer(fake, make_vault):
    vault = make_vault(cache=policy())
    with pytest.raises(ResourceNotFoundError):
        vault.get_secret("later")
    vault.set_secret("later", "v")
    assert vault.get_secret("later").value == "v"


def test_deleted_secret_disappears_within_ttl(fake, make_vault):
    put(fake, "s")
    vault = make_vault(cache=policy(refresh_ahead=False))
    vault.get_secret("s")
    fake.secret_client().begin_delete_secret("s").result()
    fake.advance(TTL + timedelta(seconds=1))
    with pytest.raises(ResourceNotFoundError):
        vault.get_secret("s")


def test_stale_if_error_then_backoff(fake, make_vault):
    put(fake, "s", "v")
    vault = make_vault(cache=policy(refresh_ahead=False))
    vault.get_secret("s")
    fake.advance(TTL + timedelta(seconds=1))
    fake.inject(503, times=10)
    assert vault.get_secret("s").value == "v"  # stale
    after_first = len(fake.requests)
    assert vault.get_secret("s").value == "v"  # inside the 1 s backoff: no request
    assert len(fake.requests) == after_first
    fake.advance(timedelta(seconds=1.5))
    assert vault.get_secret("s").value == "v"
    assert len(fake.requests) > after_first
    fake.clear_faults()
    fake.advance(timedelta(seconds=5))
    assert vault.get_secret("s").value == "v"


def test_stale_bounded_by_max_stale(fake, make_vault):
    put(fake, "s", "v")
    vault = make_vault(cache=policy(refresh_ahead=False, max_stale=timedelta(minutes=5)))
    vault.get_secret("s")
    fake.inject(ServiceRequestError, times=100)
    fake.advance(TTL + timedelta(minutes=4))
    assert vault.get_secret("s").value == "v"
    fake.advance(timedelta(minutes=2))
    with pytest.raises(ServiceRequestError):
        vault.get_secret("s")


def test_stale_never_past_the_objects_expiry(fake, make_vault):
    vault = make_vault(cache=policy(refresh_ahead=False, max_stale=timedelta(hours=2)))
    vault.set_secret("s", "v", expires_in=TTL + timedelta(minutes=1))
    vault.invalidate()
    vault.get_secret("s")
    fake.inject(503, times=100)
    fake.advance(TTL + timedelta(seconds=30))
    assert vault.get_secret("s").value == "v"
    fake.advance(timedelta(minutes=1))
    with pytest.raises(Exception) as info:
        vault.get_secret("s")
    assert "s" not in str(getattr(info.value, "value", ""))  # no value anywhere
    assert type(info.value).__name__ in {"HttpResponseError", "ExpiredError"}


def test_enabled_false_always_asks_the_vault(fake, make_vault):
    put(fake, "s")
    vault = make_vault(cache=CachePolicy(enabled=False))
    for _ in range(3):
        vault.get_secret("s")
    assert gets(fake, "s") == 3
    with pytest.raises(ResourceNotFoundError):
        vault.get_secret("nope")
    with pytest.raises(ResourceNotFoundError):
        vault.get_secret("nope")
    assert gets(fake, "nope") == 2


def test_invalidate_one_and_all(fake, make_vault):
    put(fake, "a")
    put(fake, "b")
    vault = make_vault(cache=policy())
    vault.get_secret("a")
    vault.get_secret("b")
    vault.invalidate("A")
    vault.get_secret("a")
    vault.get_secret("b")
    assert (gets(fake, "a"), gets(fake, "b")) == (2, 1)
    vault.invalidate()
    vault.get_secret("b")
    assert gets(fake, "b") == 2
    with pytest.raises(InvalidArgumentError):
        vault.invalidate("bad name")


def test_max_entries_bounds_the_cache(fake, make_vault):
    vault = make_vault(cache=policy(max_entries=10))
    for i in range(30):
        put(fake, f"s{i}")
        vault.get_secret(f"s{i}")
    inner = getattr(vault, "aio", vault)
    assert len(inner._secret_cache.entries) <= 10
    assert vault.get_secret("s29").name == "s29"


def test_on_change_fires_once_per_new_version(fake, make_vault):
    put(fake, "s", "one")
    vault = make_vault(cache=policy(refresh_ahead=False))
    seen = []
    unsubscribe = vault.on_change("S", lambda old, new: seen.append((old.value, new.value)))
    vault.get_secret("s")
    assert seen == []  # the first read is not a change
    put(fake, "s", "two")
    fake.advance(TTL + timedelta(seconds=1))
    vault.get_secret("s")
    vault.get_secret("s")
    assert seen == [("one", "two")]
    vault.set_secret("s", "three")
    assert seen[-1] == ("two", "three")
    unsubscribe()
    vault.set_secret("s", "four")
    assert len(seen) == 2


def test_failing_callback_does_not_break_reads(fake, make_vault, caplog):
    put(fake, "s", "one")
    vault = make_vault(cache=policy(refresh_ahead=False))
    calls = []

    def boom(old, new):
        calls.append(new.version)
        raise RuntimeError(f"callback saw {new.value}")

    vault.on_change("s", boom)
    vault.get_secret("s")
    put(fake, "s", "two")
    fake.advance(TTL + timedelta(seconds=1))
    assert vault.get_secret("s").value == "two"
    assert len(calls) == 1
    assert "two" not in caplog.text
    with pytest.raises(InvalidArgumentError):
        vault.on_change("s", "not callable")


def test_callbacks_run_outside_locks(fake, make_vault, flavor):
    if flavor == "aio":
        pytest.skip("a blocking callback would block the event loop; sync shell only")
    put(fake, "s", "one")
    vault = make_vault(cache=policy(refresh_ahead=False))
    results = []

    def reenter(old, new):
        # a callback that reads through the vault from another thread must not deadlock
        t = threading.Thread(target=lambda: results.append(vault.get_secret("s").value))
        t.start()
        t.join(5)

    vault.get_secret("s")
    vault.on_change("s", reenter)
    vault.set_secret("s", "two")
    assert results == ["two"]


def test_preload_warms_and_raises_first_failure(fake, make_vault):
    for name in ("a", "b", "c"):
        put(fake, name)
    vault = make_vault(cache=policy())
    vault.preload("a", "b", "c")
    before = len(fake.requests)
    for name in ("a", "b", "c"):
        vault.get_secret(name)
    assert len(fake.requests) == before
    with pytest.raises(ResourceNotFoundError):
        vault.preload("a", "missing")
    with pytest.raises(InvalidArgumentError):
        vault.preload("ok", "not ok")


def test_cache_policy_validation():
    with pytest.raises(InvalidArgumentError):
        CachePolicy(ttl=timedelta(0))
    with pytest.raises(InvalidArgumentError):
        CachePolicy(jitter=1.5)
    with pytest.raises(InvalidArgumentError):
        CachePolicy(max_entries=0)
    with pytest.raises(InvalidArgumentError):
        CachePolicy(max_stale=timedelta(seconds=-1))
    with pytest.raises(InvalidArgumentError):
        CachePolicy(ttl=60)  # type: ignore[arg-type]
