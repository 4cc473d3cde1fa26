"""The pytest plugin's fixture and FakeVault's client factories."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import safevault
from safevault.testing import FakeVault

_seen: list[int] = []


@pytest.mark.parametrize("run", [1, 2])
def test_fake_vault_fixture_is_fresh_per_test(fake_vault: FakeVault, run: int) -> None:
    assert isinstance(fake_vault, FakeVault)
    assert id(fake_vault) not in _seen
    _seen.append(id(fake_vault))
    assert fake_vault.requests == []
    client = fake_vault.secret_client()
    assert list(client.list_properties_of_secrets()) == []
    client.set_secret("only-here", "v")


def test_plugin_import_is_cheap() -> None:
    import subprocess

    code = (
        "import sys, safevault.testing.pytest_plugin;"
        "print(sorted(m for m in sys.modules if m.startswith('safevault.testing.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['safevault.testing.pytest_plugin']"


def test_fakevault_imports_nothing_of_the_library() -> None:
    """FakeVault is a referee: only vault()/aio_vault() may import safevault.Vault."""
    import ast
    import importlib
    import pathlib

    package = pathlib.Path(importlib.import_module("safevault.testing").__file__ or "").parent
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] != "safevault" or module.startswith("safevault.testing"):
                    continue
                assert path.name == "_fake.py", f"{path.name} imports {module}"
                assert module in {"safevault", "safevault.aio"}, f"{path.name} imports {module}"


def test_sdk_client_factories_talk_to_the_fake() -> None:
    fake = FakeVault()
    assert fake.secret_client().vault_url == fake.vault_url
    assert fake.key_client().vault_url == fake.vault_url
    assert fake.certificate_client().vault_url == fake.vault_url
    key = fake.key_client().create_rsa_key("k")
    crypto = fake.crypto_client(key.id)
    assert crypto.key_id == key.id


async def test_async_client_factories() -> None:
    fake = FakeVault()
    async with fake.aio_key_client() as keys:
        key = await keys.create_ec_key("k")
    async with fake.aio_crypto_client(key.id) as crypto:
        assert crypto.key_id == key.id
    async with fake.aio_certificate_client() as certs:
        assert certs.vault_url == fake.vault_url


def test_factory_kwargs_reach_the_sdk_client() -> None:
    fake = FakeVault()
    client = fake.secret_client(api_version="7.6")
    assert client.api_version == "7.6"


class _Recorder:
    def __init__(self, vault_url: str, **kwargs: Any) -> None:
        self.vault_url = vault_url
        self.kwargs = kwargs


def test_vault_factory_wires_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safevault, "Vault", _Recorder)
    fake = FakeVault()
    vault: Any = fake.vault(cache="c")
    assert vault.vault_url == fake.vault_url
    assert vault.kwargs["credential"] is fake.credential
    assert vault.kwargs["transport"] is fake.transport
    assert vault.kwargs["clock"] == fake.clock
    assert vault.kwargs["timer"] == fake.timer
    assert vault.kwargs["cache"] == "c"


def test_aio_vault_factory_wires_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    import safevault.aio

    monkeypatch.setattr(sys.modules["safevault.aio"], "Vault", _Recorder)
    fake = FakeVault()
    vault: Any = fake.aio_vault()
    assert vault.kwargs["credential"] is fake.async_credential
    assert vault.kwargs["transport"] is fake.async_transport
    assert vault.kwargs["clock"] == fake.clock
    assert safevault.aio is not None


def test_real_vault_reads_through_the_fake() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("db-password", "hunter2")
    with fake.vault() as vault:
        assert vault.get_secret("db-password").value == "hunter2"
