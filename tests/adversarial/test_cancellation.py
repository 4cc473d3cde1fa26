"""asyncio: cancelling the reader that leads a single-flight read cancels only that reader.

Twenty readers of one cold secret share one vault request, led by the first. Cancelling the
leader (``task.cancel()``, or ``asyncio.wait_for`` running out) used to cancel the fetch they
all awaited: 20 of 20 followers ended in ``CancelledError``. The fetch now runs as a task of
its own; a cancelled reader stops waiting, and the others get the value.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adversarial._gate import AsyncGatedTransport, Gate
from safevault.testing import FakeVault
from support import gets

NAME = "cold-secret"
FOLLOWERS = 20


async def _settle() -> None:
    """Let every ready task run up to its next suspension (no time passes)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def _arrived(gate: Gate) -> None:
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, gate.arrived.wait, 30.0)


def _setup() -> tuple[FakeVault, Gate, Any]:
    fake = FakeVault()
    fake.secret_client().set_secret(NAME, "the-value")
    gate = Gate("GET", f"/secrets/{NAME}")
    gate.close()
    return fake, gate, AsyncGatedTransport(fake, gate)


@pytest.mark.parametrize("how", ["cancel", "wait_for"])
async def test_cancelling_the_leader_leaves_the_followers_their_read(how: str) -> None:
    fake, gate, transport = _setup()
    async with fake.aio_vault(transport=transport) as vault:
        if how == "cancel":
            leader = asyncio.ensure_future(vault.get_secret(NAME))
        else:
            leader = asyncio.ensure_future(asyncio.wait_for(vault.get_secret(NAME), 0.05))
        await _arrived(gate)  # the leader's request hangs in the vault
        followers = [asyncio.ensure_future(vault.get_secret(NAME)) for _ in range(FOLLOWERS)]
        await _settle()  # every follower joined the leader's flight
        if how == "cancel":
            leader.cancel()
        with pytest.raises((asyncio.CancelledError, asyncio.TimeoutError)):
            await leader
        gate.open()
        results = await asyncio.gather(*followers, return_exceptions=True)
    assert [getattr(r, "value", r) for r in results] == ["the-value"] * FOLLOWERS
    assert gets(fake, NAME) == 1, "the followers shared the leader's one request"


async def test_a_cancelled_follower_does_not_disturb_the_others() -> None:
    fake, gate, transport = _setup()
    async with fake.aio_vault(transport=transport) as vault:
        leader = asyncio.ensure_future(vault.get_secret(NAME))
        await _arrived(gate)
        followers = [asyncio.ensure_future(vault.get_secret(NAME)) for _ in range(FOLLOWERS)]
        await _settle()
        followers[3].cancel()
        gate.open()
        value = await leader
        results = await asyncio.gather(*followers, return_exceptions=True)
    assert value.value == "the-value"
    assert isinstance(results[3], asyncio.CancelledError)
    others = results[:3] + results[4:]
    assert [getattr(r, "value", r) for r in others] == ["the-value"] * (FOLLOWERS - 1)
    assert gets(fake, NAME) == 1


async def test_the_fetch_of_a_cancelled_leader_still_fills_the_cache() -> None:
    """Nobody waits any more, yet the read lands: the next reader gets a hit."""
    fake, gate, transport = _setup()
    async with fake.aio_vault(transport=transport) as vault:
        leader = asyncio.ensure_future(vault.get_secret(NAME))
        await _arrived(gate)
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        gate.open()
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, gate.answered.wait, 5.0), (
            "the cancelled reader's fetch was cancelled with it"
        )
        await _settle()  # the orphaned fetch stores what the vault answered
        mark = len(fake.requests)
        assert (await vault.get_secret(NAME)).value == "the-value"
        assert fake.requests[mark:] == [], "the read after it was not a hit"
    assert gets(fake, NAME) == 1


async def test_closing_the_vault_releases_readers_of_an_unfinished_fetch() -> None:
    """close() cancels the fetch: its readers get a clear error, not CancelledError."""
    from azure.core.exceptions import ServiceRequestError

    fake, gate, transport = _setup()
    vault = fake.aio_vault(transport=transport)
    reader = asyncio.ensure_future(vault.get_secret(NAME))
    await _arrived(gate)
    await vault.close()
    gate.open()
    with pytest.raises(ServiceRequestError, match="interrupted"):
        await reader
