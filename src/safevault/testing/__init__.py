"""Testing helpers: an in-process Key Vault that the real Azure SDK clients talk to.

``FakeVault`` is loaded on first access so that importing the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._fake import FakeVault

__all__ = ["FakeVault"]


def __getattr__(name: str) -> Any:
    if name == "FakeVault":
        from ._fake import FakeVault

        return FakeVault
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
