# GENERATED from src/safevault/_async/_expiry_scan.py by scripts/unasync.py: do not edit.
"""The expiry scan: one property listing per kind, never a value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from azure.keyvault.certificates import CertificateClient
from azure.keyvault.keys import KeyClient
from azure.keyvault.secrets import SecretClient

from safevault._core._arguments import check_duration
from safevault._core._validity import notice_status
from safevault._model._rotation import ExpiryNotice
from safevault._sync._shell import VaultShell
from safevault.errors import InvalidArgumentError

Kind = Literal["secret", "key", "certificate"]

__all__ = ["ExpiryScanMixin", "scan_expiring"]


def _notice(kind: Any, props: Any, now: datetime, within: timedelta) -> ExpiryNotice | None:
    if props.enabled is False or getattr(props, "managed", False):
        return None  # disabled objects cannot be read; managed ones are their certificate's
    status = notice_status(
        not_before=props.not_before, expires_on=props.expires_on, now=now, within=within
    )
    if status is None:
        return None
    return ExpiryNotice(
        kind=kind,
        name=props.name,
        version=props.version,
        expires_on=props.expires_on,
        status=status,  # type: ignore[arg-type]
    )


def scan_expiring(
    secrets: SecretClient,
    keys: KeyClient,
    certificates: CertificateClient,
    now: datetime,
    within: timedelta,
    kinds: Sequence[str],
) -> list[ExpiryNotice]:
    notices: list[ExpiryNotice] = []
    if "secret" in kinds:
        for sprops in secrets.list_properties_of_secrets():
            notice = _notice("secret", sprops, now, within)
            if notice is not None:
                notices.append(notice)
    if "key" in kinds:
        for kprops in keys.list_properties_of_keys():
            notice = _notice("key", kprops, now, within)
            if notice is not None:
                notices.append(notice)
    if "certificate" in kinds:
        for cprops in certificates.list_properties_of_certificates():
            notice = _notice("certificate", cprops, now, within)
            if notice is not None:
                notices.append(notice)
    order = {"expired": 0, "not_yet_valid": 1, "expiring": 2, "no_expiry": 3}
    notices.sort(key=lambda n: (order[n.status], n.expires_on or now, n.kind, n.name))
    return notices


class ExpiryScanMixin(VaultShell):
    """``expiring``: what needs attention, from property listings only."""

    def expiring(
        self,
        *,
        within: timedelta = timedelta(days=30),
        kinds: tuple[Kind, ...] = ("secret", "key", "certificate"),
    ) -> list[ExpiryNotice]:
        """Objects that are expired, expiring within ``within``, without expiry or not yet valid.

        Reads only properties (one listing per kind), never values. The key and secret that
        back a certificate are reported once, under the certificate. Requires list
        permissions.

        :rtype: list[~safevault.ExpiryNotice]
        """
        within = check_duration("within", within) or timedelta(days=30)
        unknown = set(kinds) - {"secret", "key", "certificate"}
        if unknown or not kinds:
            raise InvalidArgumentError(
                "kinds must be a non-empty tuple of 'secret', 'key' and 'certificate'."
            )
        with self._tel.operation("expiring"):
            return scan_expiring(
                self._secrets, self._keys, self._certificates, self._clock(), within, kinds
            )
