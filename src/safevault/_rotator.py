"""What a secret rotation needs from its target: the :class:`Rotator` base class.

A rotation runs generate -> store pending -> apply -> verify -> promote, and later revoke.
Subclass :class:`Rotator` and implement ``apply`` and ``verify``. With ``safevault.aio`` each
method may also be ``async def``.
"""

from __future__ import annotations

import inspect
import secrets
from typing import Any

from safevault._models import Secret

__all__ = ["Rotator", "await_result", "sync_result", "verify_problem"]


class Rotator:
    """The target side of a rotation. Subclass it.

    ``apply`` must be idempotent: after a crash, the next run applies the same pending value
    again before verifying it.
    """

    def generate(self, current: Secret | None) -> str:
        """A new value; by default 32 random bytes, URL-safe base64 (43 characters)."""
        return secrets.token_urlsafe(32)

    def apply(self, new_value: str, current: Secret | None) -> Any:
        """Install ``new_value`` on the target (e.g. ALTER ROLE ... PASSWORD)."""
        raise NotImplementedError("Rotator.apply: install the new value on the target")

    def verify(self, new_value: str) -> Any:
        """Check that ``new_value`` works on the target (e.g. log in with it).

        Fail the rotation by raising, or by returning exactly ``False``; return ``None`` (or
        ``True``) when it works. Any other return value fails the rotation with a
        :class:`~safevault.RotationError` naming its type, since it says neither. On failure
        the current value stays current and the pending value stays stored for the next run.
        """
        raise NotImplementedError("Rotator.verify: check the new value works on the target")

    def revoke(self, old: Secret) -> Any:
        """Make the previous value stop working, once no cache can still hold it."""
        return None


async def await_result(result: Any) -> Any:
    """A rotator method's result, awaited if it is awaitable (the async shell)."""
    if inspect.isawaitable(result):
        return await result
    return result


def verify_problem(result: Any) -> str | None:
    """Why ``verify``'s return value fails the rotation, or None when it passes.

    ``None`` and ``True`` pass; ``False`` fails; anything else (a truthy string, 0, a
    response object) is refused rather than guessed at.
    """
    if result is None or result is True:
        return None
    if result is False:
        return "verify returned False"
    return (
        f"verify returned a {type(result).__name__}; return None or True when the new value "
        "works, raise or return False when it does not"
    )


def sync_result(result: Any) -> Any:
    """A rotator method's result in the sync shell, which cannot await: refuse a coroutine
    (an ``async def`` method) instead of skipping the step it stands for."""
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(
            "This rotator method is async: use it with safevault.aio.Vault, "
            "or make the method a plain def for safevault.Vault."
        )
    return result
