"""The command line reports every failure as one line, in its own words, with a documented code.

It used to print 49-114 lines of traceback for a missing secret, missing credentials, an
unreachable vault, an expiry-policy refusal and an invalid port. Exit codes: 2 for bad input
(usage, configuration, no credential), 1 for a refusal or a failed operation; ``--debug``
adds the traceback. The console script runs as a subprocess against FakeVault over HTTPS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli_support import one_line_error, run
from safevault.testing import FakeVaultServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVaultServer]:
    with FakeVaultServer() as srv:
        srv.fake.secret_client(verify_challenge_resource=False).set_secret("present", "v")
        yield srv


def _without_identity(server: FakeVaultServer) -> dict[str, str]:
    """The server's TLS trust, but no credential of any kind (HOME without an az login)."""
    env = server.environment()
    return {
        "REQUESTS_CA_BUNDLE": env["REQUESTS_CA_BUNDLE"],
        "SSL_CERT_FILE": env["SSL_CERT_FILE"],
        "HOME": "/nonexistent-home",
        "PATH": "/usr/bin:/bin",
        "IDENTITY_ENDPOINT": "",
        "IDENTITY_HEADER": "",
        "MSI_ENDPOINT": "",
    }


def test_missing_secret_names_the_secret_and_the_vault(server: FakeVaultServer) -> None:
    result = run("get", "no-such-secret", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    line = one_line_error(result)
    assert "'no-such-secret'" in line and server.url in line and "not found" in line
    assert result.stdout == ""


def test_missing_credentials(server: FakeVaultServer) -> None:
    result = run(
        "get", "present", "--vault", server.url, "--allow-any-host", env=_without_identity(server)
    )
    assert result.returncode == 2
    line = one_line_error(result)
    assert "credential" in line and "az login" in line


def test_unreachable_vault(server: FakeVaultServer) -> None:
    result = run(
        "get",
        "present",
        "--vault",
        "https://127.0.0.1:1",
        "--allow-any-host",
        env=server.environment(),
    )
    assert result.returncode == 1
    line = one_line_error(result)
    assert "could not reach https://127.0.0.1:1" in line


def test_expiry_policy_refusal_speaks_of_the_flag(server: FakeVaultServer) -> None:
    result = run(
        "set",
        "present",
        "--value-stdin",
        "--expires-in",
        "400d",
        "--allow-any-host",
        env=server.environment(),
        stdin="Zq-value-ghijklmnop",
    )
    assert result.returncode == 2
    line = one_line_error(result)
    assert "--expires-in" in line and "max_lifetime" in line
    assert "Zq-value" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "https://x.vault.azure.net:99999",
        "https://x.vault.azure.net:0",
        "https://localhost\\.vault.azure.net",
        "https://myhsm.managedhsm.azure.net",
        "http://x.vault.azure.net",
    ],
)
def test_bad_vault_urls(url: str) -> None:
    result = run("get", "present", "--vault", url)
    assert result.returncode == 2
    one_line_error(result)


def test_access_denied(server: FakeVaultServer) -> None:
    server.fake.inject(403, match=("GET", "/secrets/present"))
    result = run("get", "present", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    line = one_line_error(result)
    assert "denied" in line and "'present'" in line


def test_a_vault_error_is_one_line(server: FakeVaultServer) -> None:
    server.fake.inject(500, times=5, match=("GET", "/secrets/present"))
    result = run("get", "present", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    assert "500" in one_line_error(result)


def test_bad_name_is_bad_input(server: FakeVaultServer) -> None:
    result = run("get", "not a name!", "--allow-any-host", env=server.environment())
    assert result.returncode == 2
    line = one_line_error(result)
    assert "not a name" not in line  # an invalid name is never quoted


def test_debug_adds_the_traceback(server: FakeVaultServer) -> None:
    result = run("--debug", "get", "no-such-secret", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "ResourceNotFoundError" in result.stderr
