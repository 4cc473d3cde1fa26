"""Argument checks done before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from safevault._model._policy import MAX_DURATION
from safevault.errors import InvalidArgumentError

__all__ = [
    "check_concurrency",
    "check_content_type",
    "check_duration",
    "check_errors",
    "check_name",
    "check_names",
    "check_secret_value",
    "check_tags",
    "check_version",
    "check_when",
]

_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
_VERSION = re.compile(r"[0-9a-zA-Z]{1,64}")
MAX_SECRET_BYTES = 25 * 1024
MAX_CONTENT_TYPE = 255


def check_name(name: object, kind: str = "secret") -> str:
    """Return ``name`` if it is a valid Key Vault object name, else raise.

    The message never quotes an invalid name: a value passed in the name's position by
    mistake (``set_secret(value, name)``) must not reach a log through the error.
    """
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"A {kind} name must be a str, got {type(name).__name__}: use 1-127 characters "
            "from 0-9, a-z, A-Z and '-'."
        )
    if _NAME.fullmatch(name) is None:
        if not name:
            problem = "it is empty"
        elif len(name) > 127:
            problem = f"it has {len(name)} characters"
        else:
            position = next(i for i, c in enumerate(name) if not _NAME.fullmatch(c))
            problem = f"character {position + 1} of {len(name)} is not allowed"
        raise InvalidArgumentError(
            f"Invalid {kind} name ({problem}; the name is not shown, in case a value was "
            f"passed in its place): use 1-127 characters from 0-9, a-z, A-Z and '-'."
        )
    return name


def check_names(names: object, kind: str = "secret") -> list[str]:
    """``names`` as a list, each name checked: an iterable of names, never one bare str.

    A str is refused although it is iterable: ``get_secrets("db-password")`` would read one
    secret per character. Like :func:`check_name`, the message never quotes a value.
    """
    if isinstance(names, (str, bytes)):
        raise InvalidArgumentError(
            f"names must be an iterable of {kind} names, got one {type(names).__name__}: "
            'pass a list of names, e.g. ["my-secret"], even for a single name.'
        )
    if not isinstance(names, Iterable):
        raise InvalidArgumentError(
            f"names must be an iterable of {kind} names (a list of str), "
            f"got {type(names).__name__}."
        )
    listed = list(names)
    for name in listed:
        check_name(name, kind)
    return listed


def check_errors(errors: object) -> str:
    """``errors`` of a batch read: ``"raise"`` or ``"return"``."""
    if not isinstance(errors, str) or errors not in ("raise", "return"):
        raise InvalidArgumentError(
            'errors must be "raise" (raise the first failure once every read has finished) '
            'or "return" (each name that failed maps to its exception).'
        )
    return errors


def check_concurrency(value: object) -> int:
    """``max_concurrency`` of a batch read: a positive int (reads in flight at once)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgumentError(
            "max_concurrency must be a positive integer: how many reads may be in flight at once."
        )
    return value


def check_version(version: object) -> str | None:
    """Return ``version`` (None or a version id), else raise (an empty string too: it is not
    "the latest version", which is None)."""
    if version is None:
        return None
    if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
        raise InvalidArgumentError(
            "Invalid version: pass the version id Key Vault assigned (1-64 letters and "
            "digits), or None for the latest version."
        )
    return version


def _utf8_size(text: str, what: str) -> int:
    """The UTF-8 size of ``text``; a lone surrogate (not encodable) is refused unquoted."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        position = error.start
    raise InvalidArgumentError(
        f"{what} is not valid Unicode: character {position + 1} is a lone surrogate "
        "(e.g. from a bytes value decoded with errors='surrogateescape'); pass well-formed text."
    )


def check_secret_value(value: object) -> str:
    """Return ``value`` if it is a str Key Vault accepts; the message never quotes it."""
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"A secret value must be a str, got {type(value).__name__}; "
            "encode binary data (e.g. base64) first."
        )
    size = _utf8_size(value, "The secret value")
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
    _utf8_size(content_type, "content_type")
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
        _utf8_size(key, "A tag name")
        _utf8_size(value, "A tag value")
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
    """Return ``value`` if it is a positive timedelta of at most :data:`MAX_DURATION`."""
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise InvalidArgumentError(
            f"{name} must be a datetime.timedelta, got {type(value).__name__}."
        )
    if value <= timedelta(0):
        raise InvalidArgumentError(f"{name} must be positive; got {value}.")
    if value > MAX_DURATION:
        raise InvalidArgumentError(
            f"{name} is {value.days} days: more than {MAX_DURATION.days} days (100 years) is "
            "not a date Key Vault or this library can work with; pass a shorter duration."
        )
    return value
