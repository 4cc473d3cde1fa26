"""The helpers of one fake vault that every store and handler shares: time, identifiers,
request validation and paging. The stores hold a :class:`Context`; ``_state.py`` assembles the
stores into the :class:`~._state.VaultState` handlers receive.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from ._http import FakeRequest, ServiceError

__all__ = ["MAX_PAGE", "RECOVERABLE_DAYS", "RECOVERY_LEVEL", "Context"]

RECOVERY_LEVEL = "Recoverable+Purgeable"
RECOVERABLE_DAYS = 90
MAX_PAGE = 25
MAX_TAGS = 15

_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_KINDS = frozenset({"secrets", "keys", "certificates"})


class Context:
    """The helpers every store and handler shares (see ``_state.py`` for the guide).

    :param vault_url: the vault's URL, e.g. ``https://fake.vault.azure.net``.
    :param clock: returns the fake's current time (tz-aware UTC).
    """

    def __init__(self, vault_url: str, clock: Callable[[], datetime]) -> None:
        self.vault_url = vault_url.rstrip("/")
        self.lock = threading.RLock()
        self._clock = clock

    # -- time and identity -------------------------------------------------------------------

    def now(self) -> int:
        """The fake clock in whole Unix seconds.

        :returns: seconds since the epoch.
        """
        return int(self._clock().timestamp())

    def now_datetime(self) -> datetime:
        """The fake clock as a datetime.

        :returns: a tz-aware UTC datetime.
        """
        return self._clock().astimezone(timezone.utc)

    def new_version(self) -> str:
        """A fresh object version id.

        :returns: 32 lowercase hex characters.
        """
        return uuid.uuid4().hex

    def object_id(self, kind: str, name: str, version: str | None = None) -> str:
        """The identifier of an object or of one of its versions.

        :param kind: ``"secrets"``, ``"keys"`` or ``"certificates"``.
        :param name: the object's name as first created.
        :param version: the version id, or None for the versionless id.
        :returns: ``{vault_url}/{kind}/{name}[/{version}]``.
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown object kind {kind!r}")
        base = f"{self.vault_url}/{kind}/{name}"
        return f"{base}/{version}" if version else base

    def recovery_id(self, kind: str, name: str) -> str:
        """The ``recoveryId`` of a soft-deleted object.

        :param kind: ``"secrets"``, ``"keys"`` or ``"certificates"``.
        :param name: the object's name.
        :returns: ``{vault_url}/deleted{kind}/{name}``.
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown object kind {kind!r}")
        return f"{self.vault_url}/deleted{kind}/{name}"

    def recovery_attributes(self) -> dict[str, Any]:
        """The recovery fields every ``attributes`` object carries.

        :returns: ``{"recoveryLevel": ..., "recoverableDays": 90}``.
        """
        return {"recoveryLevel": RECOVERY_LEVEL, "recoverableDays": RECOVERABLE_DAYS}

    def scheduled_purge(self, deleted: int) -> int:
        """When a soft-deleted object is purged automatically.

        :param deleted: the deletion time, Unix seconds.
        :returns: ``deleted`` plus the retention period, Unix seconds.
        """
        return deleted + int(timedelta(days=RECOVERABLE_DAYS).total_seconds())

    # -- request validation ------------------------------------------------------------------

    def check_name(self, name: str) -> None:
        """Refuse an object name Key Vault does not accept.

        :param name: the name from the URL or a body.
        :returns: None; raises 400 BadParameter if the name is invalid.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ServiceError(
                400, "BadParameter", f"The request URI contains an invalid name: {name}"
            )

    def parse_attributes(self, raw: Any) -> dict[str, Any]:
        """Validate an ``attributes`` object and keep the fields the client sent.

        :param raw: the ``attributes`` JSON value (None or missing is allowed).
        :returns: a dict with some of ``enabled`` (bool), ``nbf``, ``exp`` (int or None).
        """
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise ServiceError(400, "BadParameter", "Property 'attributes' must be an object.")
        out: dict[str, Any] = {}
        if "enabled" in raw and raw["enabled"] is not None:
            if not isinstance(raw["enabled"], bool):
                raise ServiceError(400, "BadParameter", "Property 'enabled' must be a boolean.")
            out["enabled"] = raw["enabled"]
        for field in ("nbf", "exp"):
            if field in raw:
                value = raw[field]
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ServiceError(
                        400, "BadParameter", f"Property '{field}' must be a Unix time in seconds."
                    )
                out[field] = value
        return out

    def parse_tags(self, raw: Any) -> dict[str, str] | None:
        """Validate a ``tags`` object.

        :param raw: the ``tags`` JSON value.
        :returns: the tags, or None when absent.
        """
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
        ):
            raise ServiceError(400, "BadParameter", "Tags must map strings to strings.")
        if len(raw) > MAX_TAGS:
            raise ServiceError(
                400, "BadParameter", f"The number of tags exceeds the maximum of {MAX_TAGS}."
            )
        return dict(raw)

    # -- paging ------------------------------------------------------------------------------

    def paginate(
        self, items: Sequence[Mapping[str, Any]], request: FakeRequest, base_path: str
    ) -> dict[str, Any]:
        """Cut one page out of a listing, the way Key Vault pages with ``nextLink``.

        :param items: every item of the listing, in a deterministic order.
        :param request: the list request (``maxresults`` and ``$skiptoken`` are read from it).
        :param base_path: the collection path, e.g. ``"/secrets"``.
        :returns: ``{"value": page, "nextLink": absolute URL or None}``.
        """
        size = _page_size(request.query.get("maxresults"))
        start = _decode_skiptoken(request.query.get("$skiptoken"))
        page = [dict(item) for item in items[start : start + size]]
        next_link = None
        if start + size < len(items):
            parts = urlsplit(self.vault_url)
            host = parts.hostname or ""
            port = parts.port or 443
            query = "api-version=" + quote(request.query.get("api-version", ""), safe="")
            query += "&$skiptoken=" + _encode_skiptoken(start + size)
            if "maxresults" in request.query:
                query += f"&maxresults={size}"
            next_link = f"{parts.scheme}://{host}:{port}{quote(base_path)}?{query}"
        return {"value": page, "nextLink": next_link}


def _page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_PAGE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE:
        raise ServiceError(
            400,
            "BadParameter",
            f"Invalid value for 'maxresults': {raw}. It must be between 1 and {MAX_PAGE}.",
        )
    return size


def _encode_skiptoken(offset: int) -> str:
    raw = json.dumps({"NextMarker": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_skiptoken(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["NextMarker"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError(offset)
    except (ValueError, KeyError, TypeError):
        raise ServiceError(400, "BadParameter", "The $skiptoken is invalid.") from None
    return offset
