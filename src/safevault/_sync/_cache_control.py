# GENERATED from src/safevault/_async/_cache_control.py by scripts/unasync.py: do not edit.
"""Cache control for every kind of object: ``invalidate`` and ``on_change``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safevault._core._arguments import check_name
from safevault._core._kinds import check_kind
from safevault._sync._shell import VaultShell
from safevault.errors import InvalidArgumentError

__all__ = ["CacheControlMixin"]


class CacheControlMixin(VaultShell):
    """``invalidate`` and ``on_change``."""

    def invalidate(self, name: str | None = None, *, kind: str | None = "secret") -> None:
        """Drop cached entries, negative answers and backoff: of one name, or all.

        :param str name: the object's name (case-insensitive); None drops every name.
        :keyword str kind: ``"secret"`` (the default), ``"key"`` or ``"certificate"``; None:
            every kind (a certificate's backing key and secret share its name).
        """
        if name is not None:
            check_name(name, kind or "object")
        kinds = [check_kind(kind)] if kind is not None else list(self._caches)
        with self._tel.operation("invalidate", kind, name):
            for each in kinds:
                self._caches[each].invalidate(name)

    def on_change(
        self, name: str, callback: Callable[[Any, Any], Any], *, kind: str = "secret"
    ) -> Callable[[], None]:
        """Call ``callback(old, new)`` once per new latest version the cache learns of.

        ``new`` is a :class:`~safevault.Secret` (or :class:`~safevault.Key`,
        :class:`~safevault.Certificate` for ``kind="key"``/``"certificate"``) that a strict
        read would return; ``old`` the version callbacks last heard of, or None. Callbacks run
        outside any lock ; one that raises is logged and does
        not affect reads.

        :param str name: the object's name (case-insensitive).
        :param callback: ``callback(old, new)``.
        :keyword str kind: ``"secret"`` (the default), ``"key"`` or ``"certificate"``.
        :returns: a function that unsubscribes.
        """
        kind = check_kind(kind)
        check_name(name, kind)
        if not callable(callback):
            raise InvalidArgumentError("callback must be callable as callback(old, new).")
        with self._tel.operation("on_change", kind, name):
            return self._caches[kind].subscribe(name, callback)
