"""How to call every public method and module-level function on FakeVault, and its span.

``VAULT_CALLS`` / ``FUNCTION_CALLS`` map a public name to a :class:`Call`: how to prepare the
fake, how to call it (the same lambda serves ``safevault`` and ``safevault.aio``: the test
awaits what is awaitable), the attributes its ``safevault.<name>`` span must carry, and how
to make the same call fail. ``test_every_call_has_a_span.py`` enumerates the public API with
``inspect`` and fails with "add a call for X" for a name missing here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

import safevault
import safevault._async._default
import safevault._sync._default
import safevault.aio
from safevault import Rotator
from safevault.testing import FakeVault
from telemetry._arm import ArmTransport

try:
    from safevault import KeyRotation  # type: ignore[attr-defined]
except ImportError:  # exported by the keys work in progress
    from safevault._model._key_rotation import KeyRotation

LIFETIME = timedelta(days=60)  # valid: past ExpiryPolicy.warn_before (30 days)
PRESENT = object()  # the attribute must be there, with any non-empty value


@dataclass(frozen=True)
class Data:
    """An expected value recorded by the call's setup (``ctx.data[key]``)."""

    key: str


@dataclass
class Ctx:
    """What one call needs: the fake, the flavour, the vault or module under test."""

    fake: FakeVault
    flavor: str
    monkeypatch: pytest.MonkeyPatch
    vault: Any = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> Any:
        return safevault if self.flavor == "sync" else safevault.aio

    def reset_default(self) -> None:
        """Forget the module's default vault."""
        shell = safevault._sync._default if self.flavor == "sync" else safevault._async._default
        shell._reset()

    def configure(self) -> Any:
        """Configure the module's default vault on the fake (sync in both flavours)."""
        if self.flavor == "sync":
            credential, transport = self.fake.credential, self.fake.transport
        else:
            credential, transport = self.fake.async_credential, self.fake.async_transport
        return self.module.configure(
            self.fake.vault_url,
            credential,
            transport=transport,
            clock=self.fake.clock,
            timer=self.fake.timer,
        )


@dataclass(frozen=True)
class Call:
    """One public call: ``setup(ctx)``, then ``run(ctx)`` makes exactly one span.

    ``expect`` maps attribute -> value (a literal, :class:`Data` or :data:`PRESENT`);
    ``safevault.vault.host`` is always expected. ``fail(ctx)`` makes the call fail with an
    exception named ``error`` (None: the call cannot fail with valid arguments).
    """

    run: Callable[[Ctx], Any]
    expect: Mapping[str, Any]
    setup: Callable[[Ctx], None] | None = None
    fail: Callable[[Ctx], Any] | None = None
    error: str = "HttpResponseError"
    span: str | None = None  # the span's name, when it is not ``safevault.<name>``


class NoopRotator(Rotator):
    def apply(self, new_value: str, current: Any) -> None:
        return None

    def verify(self, new_value: str) -> None:
        return None


def forbidden(run: Callable[[Ctx], Any]) -> Callable[[Ctx], Any]:
    """The same call, after the vault starts answering 403 with its own error text."""

    def failing(ctx: Ctx) -> Any:
        ctx.fake.inject(403, times=50)
        return run(ctx)

    return failing


# -- setups -----------------------------------------------------------------------------------


def _expiry(ctx: Ctx) -> datetime:
    return ctx.fake.clock() + LIFETIME


def _remember(ctx: Ctx, prefix: str, version: str, expires_on: datetime | None) -> None:
    ctx.data[f"{prefix}.version"] = version
    ctx.data[f"{prefix}.expires_on"] = expires_on.isoformat() if expires_on else None


def secret_s(ctx: Ctx) -> None:
    stored = ctx.fake.secret_client().set_secret("s", "value-of-s", expires_on=_expiry(ctx))
    _remember(ctx, "s", stored.properties.version, stored.properties.expires_on)


def key_k(ctx: Ctx) -> None:
    with ctx.fake.vault() as helper:
        key = helper.create_key("k", key_type="EC")
    _remember(ctx, "k", key.version, key.expires_on)


def rsa_key_r(ctx: Ctx) -> None:
    with ctx.fake.vault() as helper:
        key = helper.create_key("r", expires_on=_expiry(ctx))
        ctx.data["ciphertext"] = helper.encrypt("r", b"plaintext-of-r")
    _remember(ctx, "r", key.version, key.expires_on)


def certificate_c(ctx: Ctx) -> None:
    with ctx.fake.vault() as helper:
        cert = helper.create_certificate("c", subject="CN=c.example.com")
    _remember(ctx, "c", cert.version, cert.expires_on)


def configured(ctx: Ctx) -> None:
    ctx.configure()


def configured_with_secret(ctx: Ctx) -> None:
    secret_s(ctx)
    ctx.configure()


def unconfigured(ctx: Ctx) -> Any:
    ctx.reset_default()
    for var in ("SAFEVAULT_VAULT_URL", "AZURE_KEYVAULT_URL"):
        ctx.monkeypatch.delenv(var, raising=False)
    assert not os.environ.get("SAFEVAULT_VAULT_URL")
    return ctx.module.default_vault()


def configure_a_foreign_host(ctx: Ctx) -> Any:
    return ctx.module.configure("https://vault.example.com", None)


# -- expected attributes ------------------------------------------------------------------------


def read(kind: str, name: str) -> dict[str, Any]:
    """A first read of ``name``: a miss, valid, with its version and expiry."""
    return {
        "safevault.object.kind": kind,
        "safevault.object.name": name,
        "safevault.object.version": Data(f"{name}.version"),
        "safevault.cache.result": "miss",
        "safevault.validity": "valid",
        "safevault.expires_on": Data(f"{name}.expires_on"),
    }


def written(kind: str, name: str) -> dict[str, Any]:
    return {
        "safevault.object.kind": kind,
        "safevault.object.name": name,
        "safevault.object.version": PRESENT,
        "safevault.expires_on": PRESENT,
    }


def named(kind: str, name: str) -> dict[str, Any]:
    return {"safevault.object.kind": kind, "safevault.object.name": name}


def posture_fetch(ctx: Ctx, status: int = 200) -> Any:
    from safevault.posture import fetch

    transport = ArmTransport(ctx.fake, "fake", status)
    return fetch(ctx.fake.credential, "sub", "rg", "fake", alerts=False, transport=transport)


def _call(run: Callable[[Ctx], Any], expect: Mapping[str, Any], **kw: Any) -> Call:
    return Call(run=run, expect=expect, fail=kw.pop("fail", forbidden(run)), **kw)


# -- the table ------------------------------------------------------------------------------------

VAULT_CALLS: dict[str, Call] = {
    # secrets
    "get_secret": _call(lambda c: c.vault.get_secret("s"), read("secret", "s"), setup=secret_s),
    "get_secret_versions": _call(
        lambda c: c.vault.get_secret_versions("s"), read("secret", "s"), setup=secret_s
    ),
    "get_secrets": _call(
        lambda c: c.vault.get_secrets(["s"]), {"safevault.object.kind": "secret"}, setup=secret_s
    ),
    "preload": _call(
        lambda c: c.vault.preload("s"), {"safevault.object.kind": "secret"}, setup=secret_s
    ),
    "set_secret": _call(lambda c: c.vault.set_secret("t", "value-of-t"), written("secret", "t")),
    "invalidate": _call(lambda c: c.vault.invalidate("s"), named("secret", "s"), fail=None),
    "on_change": _call(
        lambda c: c.vault.on_change("s", lambda old, new: None), named("secret", "s"), fail=None
    ),
    "close": _call(lambda c: c.vault.close(), {}, fail=None),
    # rotation, expiry scans, rotation-aware calls
    "rotate_secret": _call(
        lambda c: c.vault.rotate_secret("s", NoopRotator()),
        {**named("secret", "s"), "safevault.object.version": PRESENT},
        setup=secret_s,
    ),
    "expiring": _call(lambda c: c.vault.expiring(), {}, setup=secret_s),
    "call_with_secret": _call(
        lambda c: c.vault.call_with_secret("s", lambda s: s.version, retry_on=(KeyError,)),
        named("secret", "s"),
        setup=secret_s,
    ),
    # keys
    "create_key": _call(lambda c: c.vault.create_key("k2", key_type="EC"), written("key", "k2")),
    "get_key": _call(lambda c: c.vault.get_key("k"), read("key", "k"), setup=key_k),
    "rotate_key": _call(lambda c: c.vault.rotate_key("k"), written("key", "k"), setup=key_k),
    "set_key_rotation": _call(
        lambda c: c.vault.set_key_rotation("k", KeyRotation()), named("key", "k"), setup=key_k
    ),
    "get_key_rotation": _call(
        lambda c: c.vault.get_key_rotation("k"), named("key", "k"), setup=key_k
    ),
    "encrypt": _call(lambda c: c.vault.encrypt("r", b"data"), read("key", "r"), setup=rsa_key_r),
    "decrypt": _call(
        lambda c: c.vault.decrypt(c.data["ciphertext"]),
        {
            **named("key", "r"),
            "safevault.object.version": Data("r.version"),
            "safevault.cache.result": "miss",
        },
        setup=rsa_key_r,
    ),
    # certificates
    "create_certificate": _call(
        lambda c: c.vault.create_certificate("c2", subject="CN=c2.example.com"),
        written("certificate", "c2"),
    ),
    "get_certificate": _call(
        lambda c: c.vault.get_certificate("c"), read("certificate", "c"), setup=certificate_c
    ),
    "get_certificate_with_key": _call(
        lambda c: c.vault.get_certificate_with_key("c"),
        read("certificate", "c"),
        setup=certificate_c,
    ),
}

FUNCTION_CALLS: dict[str, Call] = {
    "configure": _call(
        lambda c: c.configure(),
        {},
        fail=configure_a_foreign_host,
        error="VaultConfigurationError",
    ),
    "default_vault": _call(
        lambda c: c.module.default_vault(),
        {},
        setup=configured,
        fail=unconfigured,
        error="VaultConfigurationError",
    ),
    "get_secret": _call(
        lambda c: c.module.get_secret("s"), read("secret", "s"), setup=configured_with_secret
    ),
    "set_secret": _call(
        lambda c: c.module.set_secret("t", "value-of-t"),
        written("secret", "t"),
        setup=configured,
    ),
}

# ``safevault.posture``: only ``fetch`` does I/O (the rest reads files and decides); its span
# is named ``safevault.fetch`` (API.md: safevault.<method>).
POSTURE_CALLS: dict[str, Call] = {
    "fetch": Call(
        run=posture_fetch,
        expect={"safevault.posture.vault": "fake"},
        setup=secret_s,
        fail=lambda c: posture_fetch(c, status=403),
        span="safevault.fetch",
    ),
}
