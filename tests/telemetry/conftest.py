"""Fixtures of the telemetry tests.

Tests are ``async def`` and run in the test's own context, so a span the test makes current
is the parent safevault's spans must join (sync or async). ``make_vault(**options)`` builds a
``safevault.Vault`` or a ``safevault.aio.Vault`` on one FakeVault; call its methods through
``await run(...)``, which awaits only what is awaitable. Spans and metrics go through the one
process-wide SDK pipeline of ``tests/otel_support.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_support import pipeline
from safevault.testing import FakeVault
from telemetry._support import AsyncJwtCredential, JwtCredential, run


@pytest.fixture
def spans() -> InMemorySpanExporter:
    exporter, _ = pipeline()
    exporter.clear()
    return exporter


@pytest.fixture
def fake() -> FakeVault:
    return FakeVault()


@pytest.fixture(params=["sync", "aio"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def jwt_credential(fake: FakeVault, flavor: str) -> JwtCredential | AsyncJwtCredential:
    if flavor == "sync":
        return JwtCredential(fake.credential)
    return AsyncJwtCredential(fake.async_credential)


@pytest.fixture
async def make_vault(fake: FakeVault, flavor: str) -> AsyncIterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        vault = fake.vault(**options) if flavor == "sync" else fake.aio_vault(**options)
        made.append(vault)
        return vault

    yield make
    for vault in made:
        with contextlib.suppress(Exception):
            await run(vault.close())
