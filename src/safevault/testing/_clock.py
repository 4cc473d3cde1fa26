"""FakeVault's clock: real time from a base clock plus the offset ``advance()`` adds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["FakeClock"]


class FakeClock:
    """A UTC clock that runs with real time and jumps forward on :meth:`advance`.

    :param base: the clock to follow (default: the wall clock, read through a monotonic
        counter so the fake never runs backwards).
    """

    def __init__(self, base: Callable[[], datetime] | None = None) -> None:
        self._base = base
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._offset_s = 0.0  # the same offset in seconds: timer() reads it without a lock
        self._wall0 = datetime.now(timezone.utc)
        self._mono0 = time.monotonic()
        self._origin = self._base_now()

    def _base_now(self) -> datetime:
        if self._base is None:
            return self._wall0 + timedelta(seconds=time.monotonic() - self._mono0)
        value = self._base()
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def now(self) -> datetime:
        """The fake's current time.

        :returns: a tz-aware UTC datetime.
        """
        with self._lock:
            offset = self._offset
        return self._base_now() + offset

    def timer(self) -> float:
        """Monotonic seconds that follow the fake clock.

        :returns: seconds from an arbitrary origin; ``advance()`` moves them too.
        """
        if self._base is None:
            return time.monotonic() + self._offset_s
        return self._mono0 + (self.now() - self._origin).total_seconds()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward.

        :param delta: how far; must not be negative.
        """
        if not isinstance(delta, timedelta):
            raise TypeError("advance() takes a datetime.timedelta")
        if delta < timedelta(0):
            raise ValueError("the fake clock only moves forward")
        with self._lock:
            self._offset += delta
            self._offset_s = self._offset.total_seconds()
