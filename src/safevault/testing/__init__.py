"""Testing helpers: an in-process Key Vault that the real Azure SDK clients talk to.

``FakeVault`` answers in-process through azure-core transports; ``FakeVaultServer`` serves one
over real HTTPS on loopback for other processes. Both are loaded on first access so that
importing the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._fake import FakeVault
    from ._server import FakeVaultServer

__all__ = ["FakeVault", "FakeVaultServer"]


def __getattr__(name: str) -> Any:
    if name == "FakeVault":
        from ._fake import FakeVault

        return FakeVault
    if name == "FakeVaultServer":
        from ._server import FakeVaultServer

        return FakeVaultServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
