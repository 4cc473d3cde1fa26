"""What a secret rotation needs from its target: the :class:`Rotator` base class.

A rotation runs generate -> store pending -> apply -> verify -> promote, and later revoke.
Subclass :class:`Rotator` and implement ``apply`` and ``verify``. With ``safevault.aio`` each
method may also be ``async def``.
"""

from __future__ import annotations

import secrets
from typing import Any

from safevault._model._secret import Secret

__all__ = ["Rotator"]


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
