"""The module-level default vault: configure, env variables, never a silent fake."""

from __future__ import annotations

import pytest

import safevault
import safevault.aio
from safevault import VaultConfigurationError
from safevault._async import _default as aio_default
from safevault._sync import _default as sync_default
from safevault.testing import FakeVault


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv("SAFEVAULT_VAULT_URL", raising=False)
    monkeypatch.delenv("AZURE_KEYVAULT_URL", raising=False)
    sync_default._reset()
    aio_default._reset()
    yield
    sync_default._reset()
    aio_default._reset()


def test_nothing_configured_explains_what_to_set():
    with pytest.raises(VaultConfigurationError, match="SAFEVAULT_VAULT_URL"):
        safevault.default_vault()
    with pytest.raises(VaultConfigurationError, match="never falls back"):
        safevault.get_secret("x")


def test_configure_then_module_functions():
    fake = FakeVault()
    vault = safevault.configure(
        fake.vault_url, fake.credential, transport=fake.transport, clock=fake.clock
    )
    assert safevault.default_vault() is vault
    safevault.set_secret("s", "v")
    assert safevault.get_secret("s").value == "v"
    assert safevault.get_secret("S", version=None).name == "s"


@pytest.mark.parametrize("var", ["SAFEVAULT_VAULT_URL", "AZURE_KEYVAULT_URL"])
def test_environment_variables(monkeypatch, var):
    monkeypatch.setenv(var, "https://from-env.vault.azure.net")
    assert safevault.default_vault().vault_url == "https://from-env.vault.azure.net"


def test_safevault_variable_wins(monkeypatch):
    monkeypatch.setenv("AZURE_KEYVAULT_URL", "https://second.vault.azure.net")
    monkeypatch.setenv("SAFEVAULT_VAULT_URL", "https://first.vault.azure.net")
    assert safevault.configure().vault_url == "https://first.vault.azure.net"


def test_env_url_is_checked(monkeypatch):
    monkeypatch.setenv("SAFEVAULT_VAULT_URL", "http://insecure.example")
    with pytest.raises(VaultConfigurationError, match="https"):
        safevault.default_vault()


async def test_aio_module_functions():
    fake = FakeVault()
    safevault.aio.configure(fake.vault_url, fake.async_credential, transport=fake.async_transport)
    await safevault.aio.set_secret("s", "v")
    assert (await safevault.aio.get_secret("s")).value == "v"
    assert safevault.aio.default_vault() is not safevault.aio.configure.__globals__.get("x")


async def test_aio_nothing_configured():
    with pytest.raises(VaultConfigurationError):
        await safevault.aio.get_secret("x")
