"""The shared state of one FakeVault: the ``ctx`` object every request handler receives.

Guide for handler authors (secrets, keys, certificates)
-------------------------------------------------------
Handlers are plain functions registered on a module-level :class:`~._http.Router`::

    keys_router = Router()

    @keys_router.route("GET", "/keys/{name}/{version}")
    def get_key(ctx: VaultState, request: FakeRequest, name: str, version: str) -> FakeResponse:
        ctx.check_name(name)
        return FakeResponse(200, ctx.keys.bundle(...))

The service calls a handler with ``ctx.lock`` already held (one re-entrant lock around the whole
vault), after it has answered the 401 challenge, applied injected faults and the rate limit and
checked ``api-version``. Handlers raise :class:`~._http.ServiceError` for every error answer and
never sleep or do I/O.

``ctx`` (a :class:`VaultState`) offers:

* ``ctx.vault_url`` -- ``"https://fake.vault.azure.net"`` (no trailing slash).
* ``ctx.lock`` -- the :class:`threading.RLock` guarding all state (already held in handlers).
* ``ctx.now() -> int`` -- the fake clock in Unix seconds (what Key Vault JSON carries);
  ``ctx.now_datetime() -> datetime`` -- the same instant, tz-aware UTC.
* ``ctx.new_version() -> str`` -- a fresh version id, 32 lowercase hex characters.
* ``ctx.object_id(kind, name, version=None) -> str`` -- ``{vault_url}/{kind}/{name}[/{version}]``
  with ``kind`` one of ``"secrets"``, ``"keys"``, ``"certificates"``.
* ``ctx.recovery_id(kind, name) -> str`` -- ``{vault_url}/deleted{kind}/{name}``.
* ``ctx.recovery_attributes() -> dict`` -- ``{"recoveryLevel": "Recoverable+Purgeable",
  "recoverableDays": 90}``, to merge into every ``attributes`` object.
* ``ctx.scheduled_purge(deleted) -> int`` -- ``deleted`` + 90 days, for ``scheduledPurgeDate``.
* ``ctx.check_name(name)`` -- 400 ``BadParameter`` unless ``name`` matches
  ``^[0-9a-zA-Z-]{1,127}$``.
* ``ctx.parse_attributes(raw) -> dict`` -- validates an ``attributes`` JSON object and returns
  the subset of ``enabled`` (bool), ``nbf`` and ``exp`` (int seconds or None) the client sent.
* ``ctx.parse_tags(raw) -> dict | None`` -- validates ``tags`` (string values, at most 15).
* ``ctx.paginate(items, request, base_path) -> dict`` -- one page ``{"value": [...], "nextLink":
  url-or-None}`` of the full, deterministically ordered ``items``; honours ``maxresults`` (1..25,
  default 25) and the opaque ``$skiptoken`` it issues; ``base_path`` is the collection path,
  e.g. ``"/keys"`` or ``f"/keys/{name}/versions"``.
* ``ctx.secrets`` -- the :class:`~._secret_store.SecretStore`. For certificates it offers
  ``add_version(name, value, *, content_type, tags, enabled, nbf, exp, managed=False, kid=None,
  version=None) -> dict`` (the new SecretBundle), ``soft_delete(name)``, ``recover(name)`` and
  ``purge(name)``; see their docstrings.
* ``ctx.keys`` -- ``KeyStore(ctx)`` from ``_keys.py``; ``ctx.certificates`` --
  ``CertificateStore(ctx)`` from ``_certificates.py``. Their routers ``keys_router`` and
  ``certificates_router`` are included by :func:`~._service.build_router`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ._http import FakeRequest, ServiceError

if TYPE_CHECKING:
    from ._certificates import CertificateStore
    from ._keys import KeyStore
    from ._secret_store import SecretStore

__all__ = ["MAX_PAGE", "RECOVERABLE_DAYS", "RECOVERY_LEVEL", "VaultState"]

RECOVERY_LEVEL = "Recoverable+Purgeable"
RECOVERABLE_DAYS = 90
MAX_PAGE = 25
MAX_TAGS = 15

_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_KINDS = frozenset({"secrets", "keys", "certificates"})


class VaultState:
    """All objects of one fake vault plus the helpers handlers share (see the module docstring).

    :param vault_url: the vault's URL, e.g. ``https://fake.vault.azure.net``.
    :param clock: returns the fake's current time (tz-aware UTC).
    """

    secrets: SecretStore
    keys: KeyStore
    certificates: CertificateStore

    def __init__(self, vault_url: str, clock: Callable[[], datetime]) -> None:
        self.vault_url = vault_url.rstrip("/")
        self.lock = threading.RLock()
        self._clock = clock
        # Imported here: the store modules import this one for typing.
        from ._certificates import CertificateStore
        from ._keys import KeyStore
        from ._secret_store import SecretStore

        self.secrets = SecretStore(self)
        self.keys = KeyStore(self)
        self.certificates = CertificateStore(self)

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
