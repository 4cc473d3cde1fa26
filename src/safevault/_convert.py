"""From the Azure SDK's objects to safevault's immutable models."""

from __future__ import annotations

from datetime import datetime, timezone

from azure.keyvault.secrets import KeyVaultSecret

from safevault._models import Secret, freeze_tags

__all__ = ["secret_from_sdk", "utc"]


def utc(value: datetime | None) -> datetime | None:
    """``value`` as tz-aware UTC (the SDK already returns aware datetimes; be sure)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def secret_from_sdk(secret: KeyVaultSecret) -> Secret:
    props = secret.properties
    return Secret(
        name=props.name or secret.name or "",
        version=props.version or "",
        value=secret.value or "",
        id=props.id or "",
        enabled=bool(props.enabled) if props.enabled is not None else True,
        not_before=utc(props.not_before),
        expires_on=utc(props.expires_on),
        created_on=utc(props.created_on),
        updated_on=utc(props.updated_on),
        content_type=props.content_type,
        tags=freeze_tags(props.tags),
    )
