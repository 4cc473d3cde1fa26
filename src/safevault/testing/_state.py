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
* ``ctx.keys`` -- the :class:`~._key_store.KeyStore`; ``ctx.certificates`` -- the
  :class:`~._cert_store.CertificateStore` (it holds the key and secret stores it backs its
  certificates with). The routers (``secrets_router`` in ``_secrets.py``, ``keys_router`` in
  ``_keys.py``, ``certificates_router`` in ``_certificates.py``) are included by
  :func:`~._service.build_router`.

The helpers live in ``_context.py`` (:class:`~._context.Context`), which the stores use; this
module only assembles the stores, so no store imports the state that holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ._cert_store import CertificateStore
from ._context import MAX_PAGE, RECOVERABLE_DAYS, RECOVERY_LEVEL, Context
from ._key_store import KeyStore
from ._secret_store import SecretStore

__all__ = ["MAX_PAGE", "RECOVERABLE_DAYS", "RECOVERY_LEVEL", "VaultState"]


class VaultState(Context):
    """All objects of one fake vault plus the helpers handlers share (see the module docstring).

    :param vault_url: the vault's URL, e.g. ``https://fake.vault.azure.net``.
    :param clock: returns the fake's current time (tz-aware UTC).
    """

    def __init__(self, vault_url: str, clock: Callable[[], datetime]) -> None:
        super().__init__(vault_url, clock)
        self.secrets = SecretStore(self)
        self.keys = KeyStore(self)
        self.certificates = CertificateStore(self, self.secrets, self.keys)
        self.keys.settle_managed = self.certificates.settle
