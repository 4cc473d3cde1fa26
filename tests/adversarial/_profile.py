"""How hard the property and stress tests here push: a CI profile by default, and the full
one with ``SAFEVAULT_TEST_PROFILE=full`` (run it yourself before a release)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FULL = os.environ.get("SAFEVAULT_TEST_PROFILE", "ci") == "full"


def examples(ci: int, full: int) -> settings:
    """Hypothesis settings: ``ci`` examples, or ``full`` under the full profile."""
    return settings(
        max_examples=full if FULL else ci,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def rounds(ci: int, full: int) -> int:
    """How many rounds a stress test runs."""
    return full if FULL else ci
