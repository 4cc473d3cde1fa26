"""Small helpers shared by test modules (importable as ``support``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from safevault.testing import FakeVault


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` (for background threads/tasks to finish); never waits on time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def gets(fake: FakeVault, name: str) -> int:
    """How many authorized GETs of secret ``name`` (any version) the vault answered."""
    exact = f"/secrets/{name}".lower()
    return sum(
        1
        for method, path, status in fake.requests
        if method == "GET"
        and status != 401
        and (path.lower() == exact or path.lower().startswith(exact + "/"))
    )
