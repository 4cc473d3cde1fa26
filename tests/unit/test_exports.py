"""The public names of safevault and safevault.aio (API.md)."""

from __future__ import annotations

import inspect

import safevault
import safevault.aio

EXPECTED = {
    "AlternatingCredentialRotator",
    "SingleCredentialRotator",
    "CachePolicy",
    "Certificate",
    "CertificateWithKey",
    "DecryptionError",
    "DisabledError",
    "ExpiredError",
    "ExpiryNotice",
    "ExpiryPolicy",
    "ExpiryPolicyError",
    "InvalidArgumentError",
    "Key",
    "KeyRotation",
    "NotYetValidError",
    "RotationConflictError",
    "RotationError",
    "RotationResult",
    "RotationStep",
    "Rotator",
    "SafeVaultError",
    "Secret",
    "Validity",
    "ValidityError",
    "Vault",
    "VaultConfigurationError",
    "configure",
    "default_vault",
    "get_secret",
    "set_secret",
}


SHELL_NAMES = {"Vault", "configure", "default_vault", "get_secret", "set_secret"}


def test_exported_members():
    assert set(safevault.__all__) == EXPECTED | {"__version__"}
    assert set(safevault.aio.__all__) == set(safevault.__all__), "the two faces differ"
    for name in safevault.__all__:
        assert hasattr(safevault, name) and hasattr(safevault.aio, name)
        if name not in SHELL_NAMES:  # one object, whichever face it is imported from
            assert getattr(safevault.aio, name) is getattr(safevault, name), name
    for name in SHELL_NAMES:
        assert getattr(safevault.aio, name) is not getattr(safevault, name), name


def test_twins_have_the_same_public_methods():
    def public(cls):
        return {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}

    assert public(safevault.Vault) == public(safevault.aio.Vault)
    for name in (
        "get_secret",
        "get_secrets",
        "set_secret",
        "get_secret_versions",
        "preload",
        "close",
    ):
        assert inspect.iscoroutinefunction(getattr(safevault.aio.Vault, name))
        assert not inspect.iscoroutinefunction(getattr(safevault.Vault, name))
    assert inspect.iscoroutinefunction(safevault.aio.get_secret)


def test_signatures_match_between_twins():
    for name in ("get_secret", "get_secrets", "set_secret", "get_secret_versions", "__init__"):
        sync = inspect.signature(getattr(safevault.Vault, name))
        aio = inspect.signature(getattr(safevault.aio.Vault, name))
        assert list(sync.parameters) == list(aio.parameters)
