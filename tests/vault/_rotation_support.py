"""Shared pieces of the rotation tests: an in-memory target, fault arming, vault inspection.

Nothing here reuses safevault's rotation code: the vault is inspected through the plain
Azure SDK client on FakeVault, and the target is a dict-like object the rotators change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.keyvault.secrets import SecretProperties

from safevault import Rotator, Secret
from safevault.testing import FakeVault

NAME = "db-password"
STAGING = f"{NAME}--staging"
INITIAL = "initial-password"
VERSION_RE = re.compile(r"/[0-9a-f]{32}$")


class Crash(BaseException):
    """A simulated process crash: not an Exception, so no ``except Exception`` stops it."""


Hook = Callable[[], Any]


class Target:
    """A target with one credential (``password``) and a log of what was done to it."""

    def __init__(self, password: str | None = INITIAL) -> None:
        self.password = password
        self.lock = threading.Lock()

    def accepts(self, value: str) -> bool:
        with self.lock:
            return self.password == value


class TargetRotator(Rotator):
    """A single-credential rotator on a :class:`Target`, with hooks around every step.

    ``hooks["before_apply"]`` runs before apply touches the target, ``hooks["after_apply"]``
    after; likewise for generate, verify and revoke. A hook may raise (an ``Exception`` is a
    step failure, :class:`Crash` a process crash), arm a fault, or run another rotation.
    """

    def __init__(self, target: Target | None = None, label: str = "r") -> None:
        self.target = target or Target()
        self.label = label
        self.hooks: dict[str, Hook] = {}
        self.generated: list[str] = []
        self.applied: list[str] = []
        self.verified: list[str] = []
        self.revoked: list[Secret] = []
        self.currents: list[Secret | None] = []

    def _hook(self, point: str) -> None:
        hook = self.hooks.get(point)
        if hook is not None:
            hook()

    def generate(self, current: Secret | None) -> str:
        self._hook("before_generate")
        value = f"{self.label}-{len(self.generated)}-{super().generate(current)}"
        self.generated.append(value)
        self._hook("after_generate")
        return value

    def apply(self, new_value: str, current: Secret | None) -> None:
        self._hook("before_apply")
        with self.target.lock:
            self.target.password = new_value
        self.applied.append(new_value)
        self.currents.append(current)
        self._hook("after_apply")

    def verify(self, new_value: str) -> None:
        self._hook("before_verify")
        if not self.target.accepts(new_value):
            raise PermissionError("the target refused the new value")
        self.verified.append(new_value)
        self._hook("after_verify")

    def revoke(self, old: Secret) -> None:
        self._hook("before_revoke")
        self.revoked.append(old)
        self._hook("after_revoke")


def raiser(error: BaseException) -> Hook:
    def hook() -> None:
        raise error

    return hook


# -- faults at the n-th vault call ---------------------------------------------------------


def request_path(request: Any) -> str:
    return unquote(urlsplit(request.url).path)


def shape(method: str, path: str) -> tuple[str, str]:
    """``(method, path)`` with version ids replaced by ``<v>``."""
    return method, VERSION_RE.sub("/<v>", path)


class _Arming:
    def __init__(self, fake: FakeVault) -> None:
        self._fake = fake
        self._lock = threading.Lock()
        self._armed: tuple[int, int | type[BaseException], int] | None = None
        self._count = 0
        self.log: list[tuple[str, str]] = []
        self.hit: tuple[str, str] | None = None

    def arm(self, index: int, fault: int | type[BaseException], times: int) -> None:
        """Make the ``index``-th request from now (0-based) fail with ``fault``, ``times`` times
        (a 5xx is retried once by the SDK: two times make the call fail)."""
        with self._lock:
            self._armed = (index, fault, times)
            self._count = 0
            self.log = []
            self.hit = None

    def record(self) -> None:
        """Start logging requests (without a fault)."""
        with self._lock:
            self._armed = None
            self._count = 0
            self.log = []

    def before(self, request: Any) -> None:
        path = request_path(request)
        with self._lock:
            self.log.append((request.method, path))
            armed = self._armed
            if armed is not None and self._count == armed[0]:
                _, fault, times = armed
                self._fake.inject(fault, times=times, match=(request.method, path))
                self.hit = shape(request.method, path)
                self._armed = None
            self._count += 1


class ArmingTransport(HttpTransport):  # type: ignore[type-arg]
    """FakeVault's sync transport; can inject a fault right before the n-th request."""

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.transport
        self.arming = _Arming(fake)

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.arming.before(request)
        return self._inner.send(request, **kwargs)

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        return None

    def __enter__(self) -> ArmingTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        self._inner.sleep(duration)


class AsyncArmingTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    """The async twin of :class:`ArmingTransport`."""

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.async_transport
        self.arming = _Arming(fake)

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.arming.before(request)
        return await self._inner.send(request, **kwargs)

    async def open(self) -> None:
        await self._inner.open()

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncArmingTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        await self._inner.sleep(duration)


def arming_transport(fake: FakeVault, flavor: str) -> ArmingTransport | AsyncArmingTransport:
    return ArmingTransport(fake) if flavor == "sync" else AsyncArmingTransport(fake)


# -- what the vault holds, seen through the plain SDK client -------------------------------


def versions(fake: FakeVault, name: str) -> list[SecretProperties]:
    """Every version of ``name``, in listing order (timestamps have one-second resolution,
    so versions made within one second cannot be ordered by them: compare by version id)."""
    client = fake.secret_client()
    try:
        return list(client.list_properties_of_secret_versions(name))
    finally:
        client.close()


def enabled_by_version(fake: FakeVault, name: str) -> dict[str, bool]:
    return {str(p.version): bool(p.enabled) for p in versions(fake, name)}


def sdk_value(fake: FakeVault, name: str, version: str | None = None) -> str | None:
    client = fake.secret_client()
    try:
        return client.get_secret(name, version).value
    finally:
        client.close()


def fresh_vault_value(fake: FakeVault, name: str = NAME) -> str:
    """The value a new process (a fresh safevault.Vault, cold cache) reads."""
    with fake.vault() as vault:
        return vault.get_secret(name).value


def deleted_names(fake: FakeVault) -> list[str]:
    client = fake.secret_client()
    try:
        return [d.name for d in client.list_deleted_secrets()]
    finally:
        client.close()


def assert_all_have_expiry(fake: FakeVault) -> None:
    for name in (NAME, STAGING):
        for props in versions(fake, name):
            assert props.expires_on is not None, f"{name}/{props.version} has no expiry"


def staging_state(props: SecretProperties) -> str | None:
    return (props.tags or {}).get("safevault-rotation-state")
