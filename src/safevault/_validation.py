"""Argument checks done before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from safevault.errors import InvalidArgumentError

__all__ = ["check_name", "check_secret_value", "check_tags", "check_version", "check_when"]

_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
_VERSION = re.compile(r"[0-9a-zA-Z]{1,64}")
MAX_SECRET_BYTES = 25 * 1024
MAX_CONTENT_TYPE = 255


def check_name(name: object, kind: str = "secret") -> str:
    """Return ``name`` if it is a valid Key Vault object name, else raise."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        shown = repr(name) if isinstance(name, str) and len(name) <= 140 else type(name).__name__
        raise InvalidArgumentError(
            f"Invalid {kind} name {shown}: use 1-127 characters from 0-9, a-z, A-Z and '-'."
        )
    return name


def check_version(version: object) -> str | None:
    """Return ``version`` (None or a version id), else raise."""
    if version is None:
        return None
    if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
        raise InvalidArgumentError(
            "Invalid version: pass the version id Key Vault assigned (letters and digits)."
        )
    return version


def check_secret_value(value: object) -> str:
    """Return ``value`` if it is a str Key Vault accepts; the message never quotes it."""
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"A secret value must be a str, got {type(value).__name__}; "
            "encode binary data (e.g. base64) first."
        )
    size = len(value.encode("utf-8"))
    if size > MAX_SECRET_BYTES:
        raise InvalidArgumentError(
            f"The secret value is {size} bytes of UTF-8; Key Vault accepts at most "
            f"{MAX_SECRET_BYTES} (25 KiB). Store large data elsewhere and keep its key here."
        )
    return value


def check_content_type(content_type: object) -> str | None:
    if content_type is None:
        return None
    if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE:
        raise InvalidArgumentError("content_type must be a str of at most 255 characters.")
    return content_type


def check_tags(tags: object) -> dict[str, str] | None:
    """Return a plain dict copy of ``tags`` if Key Vault accepts it (at most 15, str to str)."""
    if tags is None:
        return None
    if not isinstance(tags, Mapping):
        raise InvalidArgumentError("tags must be a mapping of str to str.")
    if len(tags) > 15:
        raise InvalidArgumentError(f"Key Vault accepts at most 15 tags; got {len(tags)}.")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidArgumentError("tags must map str to str.")
        if not 1 <= len(key) <= 256 or len(value) > 256:
            raise InvalidArgumentError(
                "A tag name must have 1-256 characters and a tag value at most 256."
            )
        out[key] = value
    return out


def check_when(name: str, value: object) -> datetime | None:
    """Return ``value`` as a tz-aware datetime (None passes), else raise."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidArgumentError(f"{name} must be a datetime, got {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc) + ...)."
        )
    return value


def check_duration(name: str, value: object) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise InvalidArgumentError(
            f"{name} must be a datetime.timedelta, got {type(value).__name__}."
        )
    if value <= timedelta(0):
        raise InvalidArgumentError(f"{name} must be positive; got {value}.")
    return value
