"""Secret rotation that never loses a credential: ``rotate_secret`` performs the steps.

The decisions and the vault-side state format are in ``safevault._core._rotation``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from safevault._async._rotation_store import RotationStoreMixin
from safevault._core._arguments import check_duration, check_name, check_secret_value, check_when
from safevault._core._rotation import (
    TAG_REVOKED,
    Action,
    Claim,
    Patience,
    Stage,
    Verdict,
    claim_tags,
    contest,
    decide,
    default_grace,
    promoted_tags,
    read_promoted,
    staging_name,
    verify_problem,
)
from safevault._core._validity import resolve_create_window
from safevault._model._rotation import RotationResult, RotationStep
from safevault._model._rotator import Rotator
from safevault._model._secret import Secret
from safevault._sdk._convert import secret_from_sdk
from safevault._sdk._failures import is_disabled_answer
from safevault._shell._asyncio import settle, sleep
from safevault._telemetry import Operation, Telemetry
from safevault.errors import InvalidArgumentError, RotationConflictError, RotationError

__all__ = ["RotationMixin"]


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return await settle(fn(*args))


class _Run:
    """The bookkeeping of one rotate_secret call: its steps, as spans and as results."""

    def __init__(self, vault: RotationMixin, name: str, op: Operation) -> None:
        self.vault = vault
        self.name = name
        self.op = op
        self.steps: list[RotationStep] = []

    def record(self, step: str, outcome: str, detail: str | None = None) -> None:
        self.steps.append(RotationStep(step, outcome, self.vault._clock(), detail))
        self.op.event(
            "safevault.rotation.step",
            {"safevault.rotation.step": step, "safevault.rotation.outcome": outcome},
        )

    def span(self, step: str) -> Operation:
        return self.vault._tel.operation(
            f"rotation.{step}", "secret", self.name, **{"rotation.step": step}
        )


class RotationMixin(RotationStoreMixin):
    """``rotate_secret``."""

    #: seconds a run ranked first among overlapping runs waits for the others to step aside
    rival_wait: float = 10.0

    async def rotate_secret(
        self,
        name: str,
        rotator: Rotator,
        *,
        expires_in: timedelta | None = None,
        expires_on: datetime | None = None,
        if_older_than: timedelta | None = None,
        grace: timedelta | None = None,
    ) -> RotationResult:
        """Rotate a secret: generate -> store pending -> apply -> verify -> promote.

        Each call first finishes what an earlier run left (a pending value is resumed, a due
        revoke is done). The previous value is revoked by a later call, once ``grace`` has
        passed. Run rotations of one secret from one scheduler: overlapping runs are
        detected (``RotationConflictError``), not prevented, as Key Vault has no conditional
        writes. Requires secrets/get, list and set permissions.

        :param str name: the secret to rotate.
        :param rotator: the target side (a :class:`~safevault.Rotator`).
        :keyword expires_in: lifetime of the new version (else the expiry policy's default).
        :keyword expires_on: or its expiry.
        :keyword if_older_than: rotate only if the current version is at least this old.
        :keyword grace: how long the previous value keeps working before it is revoked
            (default: the cache's ttl x (1 + jitter) + max_stale).
        :rtype: ~safevault.RotationResult
        :raises RotationError: a step failed; the vault is left for the next run to resume.
        :raises RotationConflictError: another run of the same secret overlapped this one.
        """
        check_name(name)
        if not isinstance(rotator, Rotator):
            raise InvalidArgumentError("rotator must be a safevault.Rotator subclass instance.")
        expires_on = check_when("expires_on", expires_on)
        expires_in = check_duration("expires_in", expires_in)
        if_older_than = check_duration("if_older_than", if_older_than)
        grace = check_duration("grace", grace) or default_grace(self._cache_policy)
        now = self._clock()
        resolve_create_window(  # refuse a bad expiry before anything happens
            self._expiry, now, expires_on=expires_on, expires_in=expires_in, not_before=None
        )
        with self._tel.operation("rotate_secret", "secret", name) as op:
            run = _Run(self, name, op)
            try:
                result = await self._rotate(
                    run, op, name, rotator, expires_in, expires_on, if_older_than, grace
                )
            except RotationConflictError:
                Telemetry.rotation_run("conflict")
                raise
            except BaseException:
                Telemetry.rotation_run("failed")
                raise
            Telemetry.rotation_run("rotated" if result.rotated else "skipped")
            return result

    async def _rotate(
        self,
        run: _Run,
        op: Operation,
        name: str,
        rotator: Rotator,
        expires_in: timedelta | None,
        expires_on: datetime | None,
        if_older_than: timedelta | None,
        grace: timedelta,
    ) -> RotationResult:
        current = await self._rotation_current(name)
        revoked = await self._revoke_if_due(run, name, rotator, current)
        found, live = await self._rotation_claim(name)
        decision = decide(current, found, now=self._clock(), if_older_than=if_older_than)
        if decision.abandon is not None:
            await self._close_claim(name, decision.abandon, Stage.ABANDONED)
            run.record("abandon", "ok", "the secret changed since the pending value was stored")
        if decision.action is Action.CLOSE_PROMOTED:
            assert decision.claim is not None
            await self._close_claim(name, decision.claim, Stage.PROMOTED)
            run.record("resume", "ok", decision.detail)
            return self._result(run, current, None, revoked, rotated=False)
        if decision.action is Action.WAIT_FOR_REVOKE:
            run.record("wait_for_revoke", "skipped", decision.detail)
            return self._result(run, current, None, revoked, rotated=False)
        if decision.action is Action.SKIP_YOUNG:
            run.record("check_age", "skipped", decision.detail)
            return self._result(run, current, None, revoked, rotated=False)
        if decision.action is Action.RESUME:
            assert decision.claim is not None
            claim, value = await self._resume(run, name, decision.claim, live, decision.detail)
        else:
            value = await self._step_generate(run, rotator, current)
            base = current.version if current is not None else None
            claim = await self._step_store_pending(run, name, value, base)
        await self._step_check(run, name, claim, current, before="apply")
        await self._step_call(run, "apply", rotator.apply, value, current)
        claim = await self._mark(name, claim, Stage.APPLIED)
        await self._step_call(run, "verify", rotator.verify, value)
        await self._step_check(run, name, claim, current, before="promote")
        new = await self._step_promote(
            run, name, value, claim, current, expires_in, expires_on, grace
        )
        op.set("safevault.object.version", new.version)
        return self._result(run, current, new, revoked, rotated=True)

    # -- steps --------------------------------------------------------------------------

    async def _step_generate(self, run: _Run, rotator: Rotator, current: Secret | None) -> str:
        with run.span("generate") as span:
            try:
                value = await _call(rotator.generate, current)
                check_secret_value(value)
            except Exception as error:
                span.fail(error)
                run.record("generate", "failed")
                raise RotationError(
                    f"Rotation of {run.name!r} failed at generate ({type(error).__name__}); "
                    "nothing was stored.",
                    name=run.name,
                    step="generate",
                ) from error
            run.record("generate", "ok")
            return str(value)

    async def _step_store_pending(
        self, run: _Run, name: str, value: str, base: str | None
    ) -> Claim:
        with run.span("store_pending"):
            rotation_id = uuid.uuid4().hex
            tags = claim_tags(
                name,
                rotation_id=rotation_id,
                run_id=uuid.uuid4().hex,
                stage=Stage.PENDING,
                base=base,
            )
            stored = await self._store_staging(name, value, tags)
            run.record("store_pending", "ok")
            return self._claim_of(stored, name)

    async def _resume(
        self, run: _Run, name: str, claim: Claim, live: list[Claim], detail: str | None
    ) -> tuple[Claim, str]:
        """Take over a live claim: re-store its value under this run, disable its copies."""
        with run.span("resume") as span:
            try:
                pending = await self._secrets.get_secret(staging_name(name), claim.version)
            except Exception as error:
                if not is_disabled_answer(error):
                    raise
                # another run took this value over (or closed it) since we listed the claims
                conflict = RotationConflictError(
                    f"Another rotation of {name!r} took over its pending value while this run "
                    "was resuming it; this run stopped without applying. Run rotations from "
                    "one scheduler.",
                    name=name,
                    step="resume",
                )
                span.fail(conflict)
                run.record("resume", "conflict")
                raise conflict from None
            value = pending.value or ""
            tags = claim.tags(name, run_id=uuid.uuid4().hex)
            stored = await self._store_staging(name, value, tags)
            for other in live:  # every enabled copy of the value this run takes over
                if other.rotation_id == claim.rotation_id:
                    await self._disable_staging(name, other.version)
            run.record("resume", "ok", detail)
            return self._claim_of(stored, name), value

    async def _step_check(
        self, run: _Run, name: str, claim: Claim, current: Secret | None, *, before: str
    ) -> None:
        """Stop (``RotationConflictError``) if another run overlaps this one; see
        :func:`~safevault._core._rotation.contest` for why exactly one of them goes on."""
        with run.span(f"check_before_{before}") as span:
            patience = Patience(self.rival_wait, time.monotonic())
            while True:
                claims = await self._enabled_claims(name)
                now_current = await self._rotation_current(name)
                verdict = contest(
                    claim,
                    claims,
                    base_changed=(now_current.version if now_current else None)
                    != (current.version if current else None),
                    before=before,
                    now=self._clock(),
                )
                if verdict is not Verdict.WAIT:
                    break
                delay = patience.next_delay(time.monotonic())
                if delay is None:
                    verdict = Verdict.CONFLICT  # the rivals did not step aside in time
                    break
                span.event("safevault.rotation.waiting_for_rival")
                await sleep(delay)
            if verdict is Verdict.CONFLICT:
                mine = next((c for c in claims if c.version == claim.version), None)
                if before == "apply" and mine is not None:
                    # never applied, so nobody will ever need this pending value
                    await self._close_claim(name, mine, Stage.ABANDONED)
                error = RotationConflictError(
                    f"Another rotation of {name!r} overlapped this one (detected before {before}); "
                    "this run stopped without promoting. Run rotations from one scheduler.",
                    name=name,
                    step=f"check_before_{before}",
                )
                span.fail(error)
                run.record(f"check_before_{before}", "conflict")
                raise error
            run.record(f"check_before_{before}", "ok")

    async def _step_call(self, run: _Run, step: str, fn: Callable[..., Any], *args: Any) -> None:
        with run.span(step) as span:
            try:
                result = await _call(fn, *args)
            except Exception as error:
                span.fail(error)
                run.record(step, "failed")
                raise RotationError(
                    f"Rotation of {run.name!r} failed at {step} ({type(error).__name__}); the "
                    "previous value is still current and the pending value stays stored: the "
                    "next rotate_secret call resumes it.",
                    name=run.name,
                    step=step,
                ) from error
            problem = verify_problem(result) if step == "verify" else None
            if problem is not None:
                failure = RotationError(
                    f"Rotation of {run.name!r} failed at verify ({problem}); the previous "
                    "value is still current and the pending value stays stored: the next "
                    "rotate_secret call resumes it.",
                    name=run.name,
                    step=step,
                )
                span.fail(failure)
                run.record(step, "failed")
                raise failure
            run.record(step, "ok")

    async def _step_promote(
        self,
        run: _Run,
        name: str,
        value: str,
        claim: Claim,
        current: Secret | None,
        expires_in: timedelta | None,
        expires_on: datetime | None,
        grace: timedelta,
    ) -> Secret:
        with run.span("promote"):
            now = self._clock()
            not_before, expiry = resolve_create_window(
                self._expiry, now, expires_on=expires_on, expires_in=expires_in, not_before=None
            )
            tags = promoted_tags(
                current.tags if current is not None else None,
                rotation_id=claim.rotation_id,
                previous=current.version if current is not None else None,
                revoke_after=now + grace,
            )
            stored = await self._secrets.set_secret(
                name,
                value,
                expires_on=expiry,
                not_before=not_before,
                content_type=current.content_type if current is not None else None,
                tags=tags,
            )
            new = secret_from_sdk(stored)
            run.record("promote", "ok")
        await self._close_claim(name, claim, Stage.PROMOTED)
        await self._remember_write(self._secret_cache, name, new)
        return new

    async def _revoke_if_due(
        self, run: _Run, name: str, rotator: Rotator, current: Secret | None
    ) -> str | None:
        if current is None:
            return None
        promoted = read_promoted(current.tags)
        if not promoted.revoke_due(self._clock()) or promoted.previous is None:
            return None
        with run.span("revoke") as span:
            try:
                try:
                    old = await self._secrets.get_secret(name, promoted.previous)
                except Exception as error:
                    if not is_disabled_answer(error):
                        raise
                    old = None  # disabled by an earlier run, after its rotator.revoke passed
                if old is not None:
                    await _call(rotator.revoke, secret_from_sdk(old))
            except Exception as error:
                span.fail(error)
                run.record("revoke", "failed")
                raise RotationError(
                    f"Revoking the previous value of {name!r} failed ({type(error).__name__}); "
                    "the next rotate_secret call tries again.",
                    name=name,
                    step="revoke",
                ) from error
            if old is not None:
                await self._secrets.update_secret_properties(name, promoted.previous, enabled=False)
            tags = dict(current.tags)
            tags[TAG_REVOKED] = self._clock().isoformat()
            await self._secrets.update_secret_properties(name, current.version, tags=tags)
            run.record("revoke", "ok", f"revoked version {promoted.previous}")
            return promoted.previous

    def _result(
        self,
        run: _Run,
        current: Secret | None,
        new: Secret | None,
        revoked: str | None,
        *,
        rotated: bool,
    ) -> RotationResult:
        return RotationResult(
            name=run.name,
            rotated=rotated,
            old_version=current.version if current is not None else None,
            new_version=new.version if new is not None else None,
            revoked_version=revoked,
            steps=tuple(run.steps),
        )
