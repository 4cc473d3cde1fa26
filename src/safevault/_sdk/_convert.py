"""From the Azure SDK's objects to safevault's immutable models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from azure.keyvault.secrets import KeyVaultSecret

from safevault._model._secret import Secret, freeze_tags

__all__ = ["secret_from_sdk", "shared", "utc"]


def utc(value: datetime | None) -> datetime | None:
    """``value`` as tz-aware UTC (the SDK already returns aware datetimes; be sure)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def shared(value: datetime | None, other: datetime | None) -> datetime | None:
    """``other`` when it is the same instant as ``value``, else ``value``.

    A version never updated has ``updated_on == created_on``: a cached object then holds one
    datetime for both (48 bytes less per cached version).
    """
    return other if value is not None and value == other else value


def _epoch(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), timezone.utc)


def _window(
    props: Any,
) -> tuple[bool, datetime | None, datetime | None, datetime | None, datetime | None]:
    """(enabled, not_before, expires_on, created_on, updated_on) of SDK properties.

    The SDK's generated models deserialize a field again on every property read (a few
    microseconds each, on every cache miss); the wire values (Unix seconds) are read once
    from the model's mapping when it has one, else through the public properties.
    """
    data = getattr(getattr(props, "_attributes", None), "_data", None)
    if type(data) is dict or isinstance(data, Mapping):  # the ABC check only when not a dict
        enabled = data.get("enabled")
        created = data.get("created")
        updated = data.get("updated")
        created_on = _epoch(created)
        return (
            True if enabled is None else bool(enabled),
            _epoch(data.get("nbf")),
            _epoch(data.get("exp")),
            created_on,
            created_on if updated == created else _epoch(updated),
        )
    enabled = props.enabled
    created_on = utc(props.created_on)
    return (
        True if enabled is None else bool(enabled),
        utc(props.not_before),
        utc(props.expires_on),
        created_on,
        shared(utc(props.updated_on), created_on),
    )


def secret_from_sdk(secret: KeyVaultSecret) -> Secret:
    props = secret.properties
    enabled, not_before, expires_on, created_on, updated_on = _window(props)
    return Secret(
        name=props.name or secret.name or "",
        version=props.version or "",
        value=secret.value or "",
        id=props.id or "",
        enabled=enabled,
        not_before=not_before,
        expires_on=expires_on,
        created_on=created_on,
        updated_on=updated_on,
        content_type=props.content_type,
        tags=freeze_tags(props.tags),
    )
