"""Every failure class has a bounded retry budget, and remembered failures are bounded too.

* A 400 or a 401 used to be remembered nowhere: 600 reads over 60 s sent 600 requests for a
  400 and 1,200 for a 401, with a token request per read. Now every failure starts the
  per-object backoff (1, 2, 4, 8, 16 s), never serving a stale value for these.
* A ``Retry-After`` that is not a number of seconds or an HTTP date raised a raw
  ``ValueError`` out of azure-core's retry policy; it is ignored.
* The negative cache and the backoff table grew without bound (3,000 missing names took about
  35 MiB with ``max_entries=64``; each entry kept an exception and its traceback).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from adversarial._profile import rounds
from safevault import CachePolicy
from safevault.testing import FakeVault
from support import gets
from transports import AsyncWrapping, Wrapping

NAME = "budget-secret"
NAMES = rounds(ci=800, full=3000)  # missing names read once each
READS = 600
STEP = timedelta(seconds=0.1)  # 600 reads over 60 s of fake time


def _hammer(fake: FakeVault, vault: Any, expected: type[BaseException]) -> list[str]:
    """600 reads, one every 0.1 s; the ones that raised must raise ``expected``."""
    outcomes = []
    for _ in range(READS):
        try:
            outcomes.append(vault.get_secret(NAME).value)
        except expected:
            outcomes.append("raised")
        fake.advance(STEP)
    return outcomes


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, HttpResponseError), (401, ClientAuthenticationError)],
)
def test_a_persistent_rejection_costs_a_bounded_number_of_requests(
    fake: FakeVault,
    make_vault: Callable[..., Any],
    status: int,
    error: type[BaseException],
) -> None:
    fake.secret_client().set_secret(NAME, "v")
    vault = make_vault()
    fake.inject(status, times=10_000, match=("GET", f"/secrets/{NAME}"))
    tokens_before = len(fake.credential.scopes) + len(fake.async_credential.scopes)
    outcomes = _hammer(fake, vault, error)
    assert outcomes == ["raised"] * READS
    # backoff 1, 2, 4, 8, 16, 16 ... s: 7 attempts in 60 s (the SDK may retry each once)
    assert gets(fake, NAME) <= 2 * 8, fake.requests[-20:]
    tokens = len(fake.credential.scopes) + len(fake.async_credential.scopes) - tokens_before
    assert tokens <= 8, "a token was requested for reads that never reached the vault"


def test_a_rejection_past_the_ttl_never_serves_the_stale_value(
    fake: FakeVault, make_vault: Callable[..., Any]
) -> None:
    fake.secret_client().set_secret(NAME, "v")
    vault = make_vault(cache=CachePolicy(ttl=timedelta(seconds=30), jitter=0.0))
    assert vault.get_secret(NAME).value == "v"
    fake.advance(timedelta(seconds=31))
    fake.inject(400, times=10_000, match=("GET", f"/secrets/{NAME}"))
    assert set(_hammer(fake, vault, HttpResponseError)) == {"raised"}
    assert gets(fake, NAME) <= 1 + 2 * 8


class _GarbageRetryAfter(Wrapping):
    """FakeVault's answers, with a ``Retry-After`` header no parser can read on every 503."""

    def __init__(self, fake: FakeVault, header: str) -> None:
        super().__init__(fake.transport)
        self._header = header

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = self._inner.send(request, **kwargs)
        if response.status_code == 503:
            response.headers["Retry-After"] = self._header
        return response


class _AsyncGarbageRetryAfter(AsyncWrapping):
    def __init__(self, fake: FakeVault, header: str) -> None:
        super().__init__(fake.async_transport)
        self._header = header

    async def send(self, request: Any, **kwargs: Any) -> Any:
        response = await self._inner.send(request, **kwargs)
        if response.status_code == 503:
            response.headers["Retry-After"] = self._header
        return response


@pytest.mark.parametrize("header", ["soon", "-5", "nan", "inf", "1e400", "Tue, 99 Foo 2026"])
def test_a_garbage_retry_after_is_ignored(
    fake: FakeVault, make_vault: Callable[..., Any], flavor: str, header: str
) -> None:
    fake.secret_client().set_secret(NAME, "v")
    transport = (_GarbageRetryAfter if flavor == "sync" else _AsyncGarbageRetryAfter)(fake, header)
    vault = make_vault(
        transport=transport, cache=CachePolicy(ttl=timedelta(seconds=30), jitter=0.0)
    )
    fake.inject(503, times=3, retry_after=1, match=("GET", f"/secrets/{NAME}"))
    with pytest.raises(HttpResponseError) as info:  # cold: nothing to serve; the 503 itself
        vault.get_secret(NAME)
    assert info.value.status_code == 503
    assert all(0 <= s <= 5 for s in fake.sleeps)
    fake.advance(timedelta(seconds=20))
    fake.clear_faults()
    assert vault.get_secret(NAME).value == "v"
    fake.advance(timedelta(seconds=31))
    fake.inject(503, times=3, retry_after=1, match=("GET", f"/secrets/{NAME}"))
    assert vault.get_secret(NAME).value == "v"  # warm: the last good value, not a ValueError


def _remembered(vault: Any) -> tuple[int, int]:
    core = getattr(vault, "aio", vault)._secret_cache
    return len(core._negative), len(core._backoff)


@pytest.mark.parametrize(
    ("fault", "error"), [(None, ResourceNotFoundError), (ServiceRequestError, ServiceRequestError)]
)
def test_remembered_failures_are_bounded_by_max_entries(
    fake: FakeVault,
    make_vault: Callable[..., Any],
    fault: Any,
    error: type[BaseException],
) -> None:
    vault = make_vault(cache=CachePolicy(max_entries=64))
    if fault is not None:
        fake.inject(fault, times=100_000)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(NAMES):
            with pytest.raises(error):
                vault.get_secret(f"missing-{i}")
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    negative, backoff = _remembered(vault)
    assert negative <= 64 and backoff <= 64, (negative, backoff)
    assert grown < 3 * 1024 * 1024, f"{grown / 2**20:.1f} MiB for {NAMES} missing names"
    core = getattr(vault, "aio", vault)._secret_cache
    for remembered in [*core._negative.values(), *core._backoff.values()]:
        assert remembered.error.__traceback__ is None, "a remembered error kept its traceback"
    # the most recent ones are still remembered: no request to raise them again
    mark = len(fake.requests)
    with pytest.raises(error):
        vault.get_secret(f"missing-{NAMES - 1}")
    assert fake.requests[mark:] == []
