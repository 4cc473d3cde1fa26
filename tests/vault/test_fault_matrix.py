"""Fault matrix: every failure a read can meet, with a warm entry past its ttl, sync and async.

For each fault the test warms the cache, lets the entry pass its ttl, arms the fault and reads:

* transient faults (429, 5xx, connection errors, timeouts, a credential that cannot get a
  token) serve the last good value without raising and start the per-object backoff: a read
  within the first backoff step (1 s, or the vault's Retry-After when longer) makes no vault
  request, a read after it makes exactly one;
* non-transient answers of the vault raise (401, 403, SecretDisabled, 404); 403/404 are
  remembered for ``negative_ttl`` (no request until it passed), and a 401 starts the
  per-object backoff (raised again, never served stale, until the backoff step passed);
* the vault sees no retry amplification: the requests one read costs are counted.

Everything goes through the real SDK clients on FakeVault; time moves only by ``advance``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

import safevault
from safevault import CachePolicy
from safevault.testing import FakeVault
from vault._helpers import (
    AsyncFlakyCredential,
    FlakyCredential,
    non_challenge,
    secret_gets,
    secret_path_matches,
)

NAME = "db-password"
VALUE = "v1-correct-horse"
TTL = timedelta(seconds=60)
NEGATIVE_TTL = timedelta(seconds=30)
POLICY = CachePolicy(ttl=TTL, jitter=0.0, negative_ttl=NEGATIVE_TTL)
FIRST_BACKOFF = 1.0  # seconds: the first step of the 1, 2, 4, 8, 16 s schedule
GET_LATEST = ("GET", f"/secrets/{NAME}/")


@dataclass
class Ctx:
    fake: FakeVault
    credential: FlakyCredential
    version: str


@dataclass(frozen=True)
class Fault:
    id: str
    arm: Callable[[Ctx], None]
    disarm: Callable[[Ctx], None]
    transient: bool
    # requests the failing read may cost: (min, max) counted over every status
    requests: tuple[int, int]
    raises: type[BaseException] | None = None
    status: int | None = None
    negative: bool = False  # remembered for negative_ttl
    retry_after_capped: bool = False
    retry_after: float | None = None  # the vault's Retry-After: it lengthens the backoff


def _inject(status_or_exc: Any, **kw: Any) -> Callable[[Ctx], None]:
    def arm(ctx: Ctx) -> None:
        # More hits than any read may use: the whole read fails, whatever the SDK retries.
        ctx.fake.inject(status_or_exc, times=10, match=GET_LATEST, **kw)

    return arm


def _clear(ctx: Ctx) -> None:
    ctx.fake.clear_faults()


def _inject_once(status: int) -> Callable[[Ctx], None]:
    def arm(ctx: Ctx) -> None:
        ctx.fake.inject(status, times=1, match=GET_LATEST)

    return arm


def _credential_down(ctx: Ctx) -> None:
    ctx.credential.fail = True


def _credential_up(ctx: Ctx) -> None:
    ctx.credential.fail = False


def _disable_latest(ctx: Ctx) -> None:
    ctx.fake.secret_client().update_secret_properties(NAME, ctx.version, enabled=False)


def _delete(ctx: Ctx) -> None:
    ctx.fake.secret_client().begin_delete_secret(NAME, _polling_interval=0).wait()


def _nothing(ctx: Ctx) -> None:
    return None


FAULTS = [
    Fault("429", _inject(429), _clear, transient=True, requests=(1, 1)),
    Fault(
        "429-retry-after-7",
        _inject(429, retry_after=7),
        _clear,
        transient=True,
        requests=(1, 2),
        retry_after_capped=True,
        retry_after=7,
    ),
    Fault("500", _inject(500), _clear, transient=True, requests=(1, 2)),
    Fault("503", _inject(503), _clear, transient=True, requests=(1, 2)),
    Fault(
        "connection-error",
        _inject(ServiceRequestError),
        _clear,
        transient=True,
        requests=(1, 2),
    ),
    Fault("timeout", _inject(ServiceResponseError), _clear, transient=True, requests=(1, 2)),
    Fault("credential", _credential_down, _credential_up, transient=True, requests=(0, 0)),
    Fault(
        "401",
        _inject_once(401),
        _nothing,
        transient=False,
        requests=(1, 1),
        raises=ClientAuthenticationError,
        status=401,
    ),
    Fault(
        "403-rbac",
        _inject_once(403),
        _nothing,
        transient=False,
        requests=(1, 1),
        raises=HttpResponseError,
        status=403,
        negative=True,
    ),
    Fault(
        "403-secret-disabled",
        _disable_latest,
        _nothing,
        transient=False,
        requests=(1, 1),
        raises=safevault.DisabledError,
        negative=True,
    ),
    Fault(
        "404-deleted",
        _delete,
        _nothing,
        transient=False,
        requests=(1, 1),
        raises=ResourceNotFoundError,
        status=404,
        negative=True,
    ),
]


def secret_gets_in(requests: list[Any]) -> list[Any]:
    return [r for r in requests if r[0] == "GET" and secret_path_matches(r[1], NAME)]


def _fault_id(fault: Fault) -> str:
    return fault.id


class Reader:
    """One ``get_secret`` call of the sync or the async vault, awaited either way."""

    def __init__(self, vault: Any, flavor: str) -> None:
        self.vault = vault
        self.flavor = flavor

    async def read(self) -> Any:
        if self.flavor == "sync":
            return self.vault.get_secret(NAME)
        return await self.vault.get_secret(NAME)

    async def close(self) -> None:
        if self.flavor == "sync":
            self.vault.close()
        else:
            await self.vault.close()


def _build(fake: FakeVault, flavor: str) -> tuple[Reader, FlakyCredential]:
    if flavor == "sync":
        credential = FlakyCredential(fake.credential)
        return Reader(fake.vault(credential=credential, cache=POLICY), flavor), credential
    acredential = AsyncFlakyCredential(fake.async_credential)
    return Reader(fake.aio_vault(credential=acredential, cache=POLICY), flavor), acredential


async def _read_counting(reader: Reader, fake: FakeVault) -> tuple[Any, Any, list[Any]]:
    """Read once; return (secret or None, error or None, the requests the read cost)."""
    mark = len(fake.requests)
    try:
        secret = await reader.read()
    except Exception as error:
        return None, error, fake.requests[mark:]
    return secret, None, fake.requests[mark:]


@pytest.mark.parametrize("flavor", ["sync", "aio"])
@pytest.mark.parametrize("fault", FAULTS, ids=_fault_id)
async def test_fault_on_a_warm_entry_past_its_ttl(fault: Fault, flavor: str) -> None:
    fake = FakeVault()
    version = fake.secret_client().set_secret(NAME, VALUE).properties.version
    reader, credential = _build(fake, flavor)
    ctx = Ctx(fake, credential, version)
    try:
        warm = await reader.read()
        assert (warm.value, warm.version) == (VALUE, version)

        fault.arm(ctx)
        fake.advance(TTL + timedelta(seconds=1))
        sleeps_before = len(fake.sleeps)
        secret, error, cost = await _read_counting(reader, fake)

        low, high = fault.requests
        assert low <= len(secret_gets_in(cost)) <= high, cost
        assert all(status != 200 for _, _, status in cost), cost

        if fault.transient:
            await _check_transient(fault, ctx, reader, secret, error, cost, sleeps_before)
        else:
            await _check_refused(fault, ctx, reader, error)
    finally:
        await reader.close()


async def _check_transient(
    fault: Fault,
    ctx: Ctx,
    reader: Reader,
    secret: Any,
    error: Any,
    cost: list[Any],
    sleeps_before: int,
) -> None:
    fake = ctx.fake
    assert error is None, f"a transient fault must serve the stale value, got {error!r}"
    assert (secret.value, secret.version) == (VALUE, ctx.version)
    if fault.id == "credential":
        assert ctx.credential.failures >= 1, "the credential was never asked"
    if fault.retry_after_capped:
        sleeps = fake.sleeps[sleeps_before:]
        assert sleeps, "Retry-After: 7 was not honoured at all"
        assert max(sleeps) <= 5, f"Retry-After must be capped at 5 s, slept {sleeps}"
    else:
        assert all(s <= 5 for s in fake.sleeps[sleeps_before:])
    fault.disarm(ctx)

    # The backoff: the schedule's first step, or the vault's Retry-After when longer.
    backoff = max(FIRST_BACKOFF, fault.retry_after or 0)
    # Inside the backoff: stale again, and not a single request (nor token).
    fake.advance(timedelta(seconds=backoff - 0.5))
    calls = ctx.credential.calls
    again, error2, cost2 = await _read_counting(reader, fake)
    assert error2 is None, repr(error2)
    assert (again.value, again.version) == (VALUE, ctx.version)
    assert cost2 == [], f"a read during the backoff reached the vault: {cost2}"
    assert ctx.credential.calls == calls

    # After the backoff delay: exactly one request, which now succeeds.
    fake.advance(timedelta(seconds=0.6))
    after, error3, cost3 = await _read_counting(reader, fake)
    assert error3 is None, repr(error3)
    assert (after.value, after.version) == (VALUE, ctx.version)
    assert [r[2] for r in secret_gets_in(cost3) if r[2] != 401] == [200], cost3

    # Revalidated: the entry is fresh again, the next read is a hit.
    mark = len(fake.requests)
    await reader.read()
    assert fake.requests[mark:] == []


async def _check_refused(fault: Fault, ctx: Ctx, reader: Reader, error: Any) -> None:
    fake = ctx.fake
    assert error is not None, "a non-transient answer must raise, not serve the stale value"
    assert isinstance(error, fault.raises), repr(error)
    if fault.status is not None:
        assert error.status_code == fault.status
    if fault.raises is HttpResponseError:
        assert not isinstance(error, (ResourceNotFoundError, ClientAuthenticationError))
    if fault.raises is safevault.DisabledError:
        assert (error.kind, error.name) == ("secret", NAME)

    if not fault.negative:
        # A 401 is not remembered as an answer, but it starts the per-object backoff, like
        # every failure: a read within the first step (1 s) raises again without a request
        # (never the stale value), and the next read after it asks the vault again.
        mark = len(fake.requests)
        with pytest.raises(fault.raises):
            await reader.read()
        assert fake.requests[mark:] == [], "a read during the backoff reached the vault"
        fake.advance(timedelta(seconds=1.5))
        secret = await reader.read()
        assert secret.value == VALUE
        assert [r[2] for r in secret_gets(fake, NAME, since=mark) if r[2] != 401] == [200]
        return

    # Remembered: raising again costs no request...
    mark = len(fake.requests)
    with pytest.raises(fault.raises):
        await reader.read()
    fake.advance(NEGATIVE_TTL - timedelta(seconds=1))
    with pytest.raises(fault.raises):
        await reader.read()
    assert fake.requests[mark:] == [], "a remembered 403/404 reached the vault"

    # ... until negative_ttl has passed: then exactly one request.
    fake.advance(timedelta(seconds=2))
    mark = len(fake.requests)
    if fault.id == "403-rbac":
        # The injected 403 was used up: the vault now answers 200.
        secret = await reader.read()
        assert secret.value == VALUE
    else:
        # A deleted secret and a disabled version are still so in the vault.
        with pytest.raises(fault.raises):
            await reader.read()
    assert len(non_challenge(fake, since=mark)) == 1, fake.requests[mark:]
