"""What a read hands out is what a strict read would return, whatever the clocks do.

* ``on_change`` callbacks used to receive a new latest version that ``get_secret`` refuses (not
  yet valid, expired): they see only values a strict read returns, and a version that is not
  yet valid is announced once it becomes valid.
* The hit path compares the monotonic timer only; when the wall clock jumped (a suspended VM
  resumed, NTP stepped) but the timer did not, an expired value was served for up to 0.8 x ttl.
  A hit now also stops at the object's ``expires_on`` by the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safevault import CachePolicy, ExpiredError, ExpiryPolicy, NotYetValidError
from safevault.testing import FakeVault

NAME = "watched"
TTL = timedelta(minutes=10)
POLICY = CachePolicy(ttl=TTL, jitter=0.0)


def _watch(vault: Any) -> list[tuple[str | None, str]]:
    seen: list[tuple[str | None, str]] = []
    vault.on_change(NAME, lambda old, new: seen.append((getattr(old, "value", None), new.value)))
    return seen


def test_a_not_yet_valid_version_is_announced_only_once_valid(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    client = fake.secret_client()
    client.set_secret(NAME, "v1")
    vault = make_vault(cache=POLICY)
    seen = _watch(vault)
    assert vault.get_secret(NAME).value == "v1"

    client.set_secret(NAME, "v2", not_before=fake.clock() + timedelta(hours=1))
    fake.advance(TTL + timedelta(seconds=1))
    with pytest.raises(NotYetValidError):
        vault.get_secret(NAME)
    assert seen == [], "a callback got a value get_secret refuses"

    fake.advance(timedelta(hours=1))  # v2 is valid now, and the cached copy past its ttl
    assert vault.get_secret(NAME).value == "v2"
    assert seen == [("v1", "v2")]


def test_an_expired_new_version_is_never_announced(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    client = fake.secret_client()
    client.set_secret(NAME, "v1")
    vault = make_vault(cache=POLICY)
    seen = _watch(vault)
    vault.get_secret(NAME)
    client.set_secret(NAME, "v2", expires_on=fake.clock() - timedelta(seconds=1))
    fake.advance(TTL + timedelta(seconds=1))
    with pytest.raises(ExpiredError):
        vault.get_secret(NAME)
    assert seen == []


def test_callbacks_follow_strict_reads_even_under_a_lenient_policy(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    """on_read='warn' serves the expired version to the reader who asked, with a warning; a
    callback (rotating connection pools, say) still never gets it."""
    client = fake.secret_client()
    client.set_secret(NAME, "v1")
    vault = make_vault(cache=POLICY, expiry=ExpiryPolicy(on_read="warn"))
    seen = _watch(vault)
    vault.get_secret(NAME)
    client.set_secret(NAME, "v2", expires_on=fake.clock() - timedelta(seconds=1))
    fake.advance(TTL + timedelta(seconds=1))
    assert vault.get_secret(NAME).value == "v2"
    assert seen == []


def test_the_old_value_handed_to_a_callback_is_none_once_invalid(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    client = fake.secret_client()
    client.set_secret(NAME, "v1", expires_on=fake.clock() + timedelta(minutes=15))
    vault = make_vault(cache=POLICY, expiry=ExpiryPolicy(warn_before=timedelta(0)))
    seen = _watch(vault)
    vault.get_secret(NAME)
    client.set_secret(NAME, "v2")
    fake.advance(timedelta(minutes=16))  # v1 expired meanwhile
    assert vault.get_secret(NAME).value == "v2"
    assert seen == [(None, "v2")]


# -- the wall clock jumps, the monotonic timer does not ---------------------------------------


class Clocks:
    """A wall clock and a monotonic timer that the test moves independently."""

    def __init__(self) -> None:
        self.wall = datetime.now(timezone.utc).replace(microsecond=0)
        self.mono = 1000.0

    def clock(self) -> datetime:
        return self.wall

    def timer(self) -> float:
        return self.mono


@pytest.mark.parametrize("jump", [timedelta(minutes=6), timedelta(days=3)])
def test_a_hit_never_serves_a_value_past_its_expiry_by_the_wall_clock(
    make_vault: Callable[..., Any], jump: timedelta
) -> None:
    clocks = Clocks()
    fake = FakeVault(clock=clocks.clock)
    fake.secret_client().set_secret(
        NAME, "short-lived", expires_on=clocks.wall + timedelta(minutes=5)
    )
    vault = fake.vault(
        clock=clocks.clock,
        timer=clocks.timer,
        cache=CachePolicy(ttl=timedelta(hours=1), jitter=0.0),
        expiry=ExpiryPolicy(warn_before=timedelta(0)),
    )
    with vault:
        assert vault.get_secret(NAME).value == "short-lived"  # cached; a hit next time
        assert vault.get_secret(NAME).value == "short-lived"
        clocks.wall += jump  # the wall clock jumps past the expiry; the timer stands still
        with pytest.raises(ExpiredError):
            vault.get_secret(NAME)


def test_a_wall_clock_jump_backwards_does_not_extend_a_hit(
    make_vault: Callable[..., Any],
) -> None:
    """The timer still bounds a hit by the expiry it saw when the value was fetched."""
    clocks = Clocks()
    fake = FakeVault(clock=clocks.clock)
    fake.secret_client().set_secret(NAME, "v", expires_on=clocks.wall + timedelta(minutes=5))
    vault = fake.vault(
        clock=clocks.clock,
        timer=clocks.timer,
        cache=CachePolicy(ttl=timedelta(hours=1), jitter=0.0),
        expiry=ExpiryPolicy(warn_before=timedelta(0)),
    )
    with vault:
        vault.get_secret(NAME)
        clocks.mono += 6 * 60  # six minutes pass on the timer...
        clocks.wall -= timedelta(hours=1)  # ... while the wall clock is set back an hour
        mark = len(fake.requests)
        vault.get_secret(NAME)  # not a hit: revalidated (and valid by the wall clock)
        assert fake.requests[mark:], "served from the hit path past the timer's expiry"
