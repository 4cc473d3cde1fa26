"""Fork safety: a child process rebuilds locks and background workers it inherited."""

from __future__ import annotations

import os
import weakref
from typing import Any

__all__ = ["register_fork_handler"]


def register_fork_handler(owner: Any) -> None:
    """Call ``owner._after_fork()`` in a forked child, for as long as ``owner`` lives."""
    ref = weakref.ref(owner)

    def handler() -> None:
        obj = ref()
        if obj is not None:
            obj._after_fork()

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=handler)
