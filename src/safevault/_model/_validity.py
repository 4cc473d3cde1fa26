"""The validity of an object at one instant (public as ``safevault.Validity``)."""

from __future__ import annotations

from enum import Enum

__all__ = ["Validity"]


class Validity(str, Enum):
    """The validity of an object at one instant (the ``safevault.validity`` span attribute)."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    DISABLED = "disabled"
    NO_EXPIRY = "no_expiry"
