"""Vault construction: URL and host checks, token scope, client options, the aio extra, fork."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import pytest

import safevault
import safevault.aio
from safevault import CachePolicy, InvalidArgumentError, VaultConfigurationError
from safevault.testing import FakeVault


@pytest.mark.parametrize(
    "url",
    [
        "http://x.vault.azure.net",
        "https://example.com",
        "https://x.vault.azure.net.evil.com",
        "https://x.vault.azure.net/secrets",
        "https://x.vault.azure.net?a=b",
        "https://user:pw@x.vault.azure.net",
        "",
        None,
        "https://",
    ],
)
def test_bad_urls_refused(url):
    with pytest.raises(VaultConfigurationError):
        safevault.Vault(url, credential=FakeVault().credential)


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("https://x.vault.azure.net/", "https://vault.azure.net/.default"),
        ("https://X.Vault.Azure.Net:443", "https://vault.azure.net/.default"),
        ("https://x.vault.azure.cn", "https://vault.azure.cn/.default"),
        ("https://x.vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default"),
    ],
)
def test_key_vault_hosts_accepted(url, scope):
    vault = safevault.Vault(url, credential=FakeVault().credential)
    assert vault.vault_url.startswith("https://x.vault.")
    assert vault._credential.scope == scope
    assert "Vault(" in repr(vault)
    vault.close()


def test_allow_any_host_for_emulators():
    vault = safevault.Vault(
        "https://127.0.0.1:8443", credential=FakeVault().credential, allow_any_host=True
    )
    assert vault.vault_url == "https://127.0.0.1:8443"
    assert vault._credential.scope == "https://vault.azure.net/.default"


def test_logging_enable_refused():
    with pytest.raises(InvalidArgumentError, match="logging_enable"):
        FakeVault().vault(logging_enable=True)


def test_policies_type_checked():
    fake = FakeVault()
    with pytest.raises(InvalidArgumentError):
        fake.vault(cache={"ttl": 5})
    with pytest.raises(InvalidArgumentError):
        fake.vault(expiry="strict")
    with pytest.raises(InvalidArgumentError):
        fake.vault(clock=5)


def test_only_the_key_vault_scope_is_requested_even_when_a_host_asks_otherwise():
    from azure.keyvault.secrets._shared import HttpChallengeCache

    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    HttpChallengeCache.clear()  # the SDK caches challenges per host, process-wide
    fake.challenge_resource = "https://management.azure.com"
    fake.credential.scopes.clear()
    vault = fake.vault(verify_challenge_resource=False)
    try:
        assert vault.get_secret("s").value == "v"
    finally:
        HttpChallengeCache.clear()  # do not leave the hostile challenge to other tests
    requested = {scope for call in fake.credential.scopes for scope in call}
    assert requested == {"https://vault.azure.net/.default"}


def test_default_credential_when_none_given(monkeypatch):
    vault = safevault.Vault("https://x.vault.azure.net")
    assert type(vault._credential._inner).__name__ == "DefaultAzureCredential"
    vault.close()


def test_retry_after_is_capped_and_404_with_retry_after_not_retried():
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    vault = fake.vault(cache=CachePolicy(enabled=False))
    fake.inject(429, retry_after=120)
    assert vault.get_secret("s").value == "v"
    assert fake.sleeps and max(fake.sleeps) <= 5
    fake.inject(404, retry_after=3)
    with pytest.raises(Exception):  # noqa: B017 - any 404 error; what matters is the count
        vault.get_secret("s")
    assert [r[2] for r in fake.requests[-1:]] == [404]
    assert sum(1 for r in fake.requests if r[2] == 404) == 1


def test_caller_retry_settings_win():
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    vault = fake.vault(cache=CachePolicy(enabled=False), retry_total=0)
    fake.inject(503)
    with pytest.raises(Exception) as info:
        vault.get_secret("s")
    assert getattr(info.value, "status_code", None) == 503
    assert sum(1 for r in fake.requests if r[2] == 503) == 1


def test_context_manager_closes():
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    with fake.vault() as vault:
        assert vault.get_secret("s").value == "v"


async def test_aio_context_manager_and_reads():
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    async with fake.aio_vault() as vault:
        assert (await vault.get_secret("s")).value == "v"
        assert (await vault.get_secret("s")).value == "v"
        await vault.set_secret("t", "w", expires_in=timedelta(days=1))
        assert (await vault.get_secret("T")).value == "w"


def test_aio_without_transport_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    with pytest.raises(VaultConfigurationError, match=r'pip install "safevault\[aio\]"'):
        safevault.aio.Vault("https://x.vault.azure.net", credential=FakeVault().async_credential)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_safety():
    fake = FakeVault()
    fake.secret_client().set_secret("s", "v")
    vault = fake.vault(cache=CachePolicy(ttl=timedelta(minutes=10), jitter=0))
    vault.get_secret("s")
    fake.advance(timedelta(minutes=9))  # past 80%: the next read refreshes in the background
    vault.get_secret("s")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            fake.advance(timedelta(minutes=2))
            ok = vault.get_secret("s").value == "v"
            fake.secret_client().set_secret("s", "w")
            vault.invalidate("s")
            ok = ok and vault.get_secret("s").value == "w"
            code = 0 if ok else 1
        finally:
            os.write(write, str(code).encode())
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"0"
    assert os.waitstatus_to_exitcode(status) == 0
