"""Live-source posture tests need the azure-mgmt clients (extra ``safevault[posture]``).

Without them those tests are skipped with the reason, not failed: the rest of the posture
checker needs nothing beyond safevault. CI installs the extra (``.[test,posture]``).
"""

from __future__ import annotations

import importlib.util

import pytest


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


_MGMT = all(
    _installed(name)
    for name in ("azure.mgmt.keyvault", "azure.mgmt.monitor", "azure.mgmt.authorization")
)
_LIVE_MODULES = ("test_live.py",)
_LIVE_TESTS = ("test_the_hardened_spec_passes_everything_on_every_source", "test_live_audit")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _MGMT:
        return
    skip = pytest.mark.skip(reason='needs the posture extra: pip install "safevault[posture]"')
    for item in items:
        name = item.name
        if item.path.name in _LIVE_MODULES or name.endswith("-live]") or name in _LIVE_TESTS:
            item.add_marker(skip)
