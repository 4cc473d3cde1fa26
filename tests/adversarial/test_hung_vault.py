"""A hung vault does not hang every reader: past the ttl, ``refresh_timeout`` is waited once.

``refresh_timeout`` counts from when the revalidation started. Once it has passed (by the
vault's timer, or because one reader's wait ran out), every reader gets the last good value at
once, until the revalidation lands or fails. Before, each reader waited the whole timeout
again: four reads of a hung vault took four times 5 s.

The vault hangs at a gate (``_gate.py``); the fake clock stands still unless the test moves
it; a reader that waits where it should not is caught by a generous bound on a thread join.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from adversarial._gate import WAIT, Gate, gated_options
from safevault import CachePolicy
from safevault.testing import FakeVault
from support import wait_until

NAME = "hung-secret"
TTL = timedelta(seconds=60)
HANG_BOUND = 10.0  # real seconds: far above a stale hit, far below a wasted refresh_timeout


@pytest.fixture
def fake() -> FakeVault:
    start = datetime.now(timezone.utc).replace(microsecond=0)
    return FakeVault(clock=lambda: start)  # moves only by advance()


def _policy(refresh_timeout: timedelta) -> CachePolicy:
    return CachePolicy(ttl=TTL, jitter=0.0, refresh_timeout=refresh_timeout)


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as error:
            out.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _reads_return_at_once(vault: Any, n: int) -> list[str]:
    """``n`` reads, which must all return without waiting for the hung revalidation."""
    thread, out = _in_thread(lambda: [vault.get_secret(NAME).value for _ in range(n)])
    thread.join(HANG_BOUND)
    assert not thread.is_alive(), "readers waited for a revalidation that outlasted its timeout"
    (values,) = out
    assert not isinstance(values, BaseException), values
    return list(values)


def test_readers_stop_waiting_once_the_revalidation_outlasted_refresh_timeout(
    fake: FakeVault, make_vault: Callable[..., Any], flavor: str
) -> None:
    gate = Gate("GET", f"/secrets/{NAME}")
    vault = make_vault(cache=_policy(timedelta(seconds=30)), **gated_options(fake, gate, flavor))
    vault.set_secret(NAME, "v1")
    fake.advance(TTL + timedelta(seconds=1))
    gate.close()
    first, first_out = _in_thread(lambda: vault.get_secret(NAME).value)
    gate.wait_arrived()  # the first reader's revalidation hangs in the vault
    fake.advance(timedelta(seconds=31))  # ... for longer than refresh_timeout

    assert _reads_return_at_once(vault, 4) == ["v1"] * 4

    gate.open()
    first.join(WAIT)
    assert first_out == ["v1"]
    assert gate.held == 1, "every reader shared one revalidation"


def test_one_readers_timeout_releases_the_others(
    fake: FakeVault, make_vault: Callable[..., Any], flavor: str
) -> None:
    """The clock stands still, so only a reader's own wait can tell the revalidation is late:
    after the first reader waited refresh_timeout (1 real second), nobody waits again."""
    gate = Gate("GET", f"/secrets/{NAME}")
    vault = make_vault(cache=_policy(timedelta(seconds=1)), **gated_options(fake, gate, flavor))
    vault.set_secret(NAME, "v1")
    fake.advance(TTL + timedelta(seconds=1))
    gate.close()
    try:
        assert vault.get_secret(NAME).value == "v1"  # waited 1 s, then served stale
        assert gate.held == 1
        # 20 more reads would take 20 s if each waited refresh_timeout again
        assert _reads_return_at_once(vault, 20) == ["v1"] * 20
    finally:
        gate.open()


def test_readers_do_not_wait_for_a_refresh_ahead_still_running_when_the_ttl_passes(
    fake: FakeVault, make_vault: Callable[..., Any], flavor: str
) -> None:
    gate = Gate("GET", f"/secrets/{NAME}")
    vault = make_vault(cache=_policy(timedelta(seconds=5)), **gated_options(fake, gate, flavor))
    vault.set_secret(NAME, "v1")
    fake.advance(TTL * 0.85)  # past 80% of the ttl: the next read refreshes ahead
    gate.close()
    assert vault.get_secret(NAME).value == "v1"  # served at once; the refresh hangs
    gate.wait_arrived()
    fake.advance(TTL * 0.15 + timedelta(seconds=6))  # the ttl passed; the refresh is 15 s late

    assert _reads_return_at_once(vault, 4) == ["v1"] * 4

    fake.secret_client().set_secret(NAME, "v2")
    gate.open()  # the refresh lands (with v2): readers get it from then on
    assert wait_until(lambda: vault.get_secret(NAME).value == "v2")
    assert gate.held == 1
