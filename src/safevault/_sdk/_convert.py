"""From the Azure SDK's objects to safevault's immutable models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from azure.keyvault.secrets import KeyVaultSecret

from safevault._model._secret import Secret, freeze_tags

__all__ = ["secret_from_sdk", "utc"]


def utc(value: datetime | None) -> datetime | None:
    """``value`` as tz-aware UTC (the SDK already returns aware datetimes; be sure)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


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
    if isinstance(data, Mapping):
        enabled = data.get("enabled")
        return (
            True if enabled is None else bool(enabled),
            _epoch(data.get("nbf")),
            _epoch(data.get("exp")),
            _epoch(data.get("created")),
            _epoch(data.get("updated")),
        )
    enabled = props.enabled
    return (
        True if enabled is None else bool(enabled),
        utc(props.not_before),
        utc(props.expires_on),
        utc(props.created_on),
        utc(props.updated_on),
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
