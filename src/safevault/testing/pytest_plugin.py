"""pytest plugin (entry point ``pytest11``): the ``fake_vault`` fixture.

FakeVault is imported inside the fixture so that loading the plugin stays cheap and does not
import safevault before coverage measurement starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from safevault.testing import FakeVault


@pytest.fixture
def fake_vault() -> FakeVault:
    """A fresh :class:`safevault.testing.FakeVault` for each test.

    :returns: the fake vault.
    """
    from safevault.testing import FakeVault

    return FakeVault()
