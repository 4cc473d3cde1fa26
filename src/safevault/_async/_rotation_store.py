"""Where a rotation's state lives: the staging secret's claims and the current version.

The format, and every decision about it, is in ``safevault._core._rotation``.
"""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import KeyVaultSecret

from safevault._async._shell import VaultShell
from safevault._core._rotation import STAGING_LIFETIME, Claim, Stage, claim_of, staging_name
from safevault._model._secret import Secret
from safevault._sdk._convert import secret_from_sdk

__all__ = ["RotationStoreMixin"]


class RotationStoreMixin(VaultShell):
    """Reads and writes of the rotation state kept in the vault."""

    async def _store_staging(self, name: str, value: str, tags: dict[str, str]) -> KeyVaultSecret:
        lifetime = STAGING_LIFETIME
        if self._expiry.max_lifetime is not None:
            lifetime = min(lifetime, self._expiry.max_lifetime)
        return await self._secrets.set_secret(
            staging_name(name),
            value,
            expires_on=self._clock() + lifetime,
            content_type="application/x-safevault-pending",
            tags=tags,
        )

    def _claim_of(self, stored: KeyVaultSecret, name: str) -> Claim:
        claim = claim_of(stored.properties, name)
        assert claim is not None
        return claim

    async def _rotation_current(self, name: str) -> Secret | None:
        try:
            secret = await self._secrets.get_secret(name)
        except ResourceNotFoundError:
            return None
        return secret_from_sdk(secret)

    async def _enabled_claims(self, name: str) -> list[Claim]:
        """The enabled staging versions of ``name``, newest first."""
        found = []
        try:
            async for props in self._secrets.list_properties_of_secret_versions(staging_name(name)):
                if props.enabled:
                    found.append(props)
        except ResourceNotFoundError:
            return []
        found.sort(key=lambda p: (p.created_on, p.updated_on), reverse=True)
        claims = [claim_of(p, name) for p in found]
        return [c for c in claims if c is not None]

    async def _rotation_claim(self, name: str) -> tuple[Claim | None, list[Claim]]:
        """The newest claim a run can resume (or None), and every such claim. Enabled claims
        that cannot be resumed (expired) are closed as abandoned on the way."""
        live: list[Claim] = []
        for claim in await self._enabled_claims(name):
            if claim.is_live(self._clock()):
                live.append(claim)
            else:
                await self._close_claim(name, claim, Stage.ABANDONED)
        return (live[0] if live else None), live

    async def _mark(self, name: str, claim: Claim, stage: Stage) -> Claim:
        props = await self._secrets.update_secret_properties(
            staging_name(name), claim.version, tags=claim.tags(name, stage=stage)
        )
        marked = claim_of(props, name)
        assert marked is not None
        return marked

    async def _close_claim(self, name: str, claim: Claim, stage: Stage) -> None:
        await self._secrets.update_secret_properties(
            staging_name(name), claim.version, enabled=False, tags=claim.tags(name, stage=stage)
        )

    async def _disable_staging(self, name: str, version: str) -> None:
        await self._secrets.update_secret_properties(staging_name(name), version, enabled=False)
