"""The ``safevault`` console script, run as a subprocess, against FakeVault over HTTPS."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cli_support import one_line_error, run
from safevault.testing import FakeVaultServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVaultServer]:
    with FakeVaultServer() as srv:
        yield srv


def client(server):
    return server.fake.secret_client(verify_challenge_resource=False)


def test_help_and_version():
    assert run("--help").returncode == 0
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("safevault ")


def test_unknown_command():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in one_line_error(result)


def test_bad_duration_reported_before_configuration():
    result = run("expiring", "--within", "thirty days")
    assert result.returncode == 2
    assert "invalid duration" in one_line_error(result)


def test_missing_vault_url():
    result = run("get", "db")
    assert result.returncode == 2
    assert "SAFEVAULT_VAULT_URL" in one_line_error(result)


def test_non_key_vault_host_refused_without_flag(server):
    result = run("get", "db", env=server.environment())
    assert result.returncode == 2
    assert "--allow-any-host" in one_line_error(result)  # the CLI's words, not the API's


def test_unreadable_value_file(tmp_path, server):
    result = run(
        "set",
        "db",
        "--value-file",
        str(tmp_path / "missing"),
        "--allow-any-host",
        env=server.environment(),
    )
    assert result.returncode == 2
    assert "cannot read" in one_line_error(result)


def test_set_then_get(server, tmp_path):
    env = server.environment()
    result = run(
        "set",
        "cli-db",
        "--value-stdin",
        "--expires-in",
        "10d",
        "--allow-any-host",
        env=env,
        stdin="s3cr3t-value\n",
    )
    assert result.returncode == 0, result.stderr
    assert "s3cr3t-value" not in result.stderr + result.stdout
    got = run("get", "cli-db", "--allow-any-host", env=env)
    assert got.returncode == 0, got.stderr
    assert got.stdout == "s3cr3t-value"
    as_json = json.loads(run("get", "cli-db", "--json", "--allow-any-host", env=env).stdout)
    assert as_json["value"] == "s3cr3t-value"
    assert as_json["expires_on"]
    value_file = tmp_path / "v.txt"
    value_file.write_text("from-file", encoding="utf-8")
    assert (
        run(
            "set", "cli-db", "--value-file", str(value_file), "--allow-any-host", env=env
        ).returncode
        == 0
    )
    assert run("get", "cli-db", "--allow-any-host", env=env).stdout == "from-file"


def test_expired_secret_refused_with_reason(server):
    client(server).set_secret("cli-old", "v", expires_on=server.fake.clock() - timedelta(days=1))
    result = run("get", "cli-old", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    assert result.stdout == ""
    assert "expired" in one_line_error(result)


def test_disabled_secret_refused(server):
    client(server).set_secret("cli-off", "v", enabled=False)
    result = run("get", "cli-off", "--allow-any-host", env=server.environment())
    assert result.returncode == 1
    assert "disabled" in one_line_error(result)


def test_expiring_json(server):
    client(server).set_secret("cli-soon", "v", expires_on=server.fake.clock() + timedelta(days=3))
    result = run(
        "expiring",
        "--within",
        "7d",
        "--format",
        "json",
        "--allow-any-host",
        env=server.environment(),
    )
    assert result.returncode == 0, result.stderr
    notices = {(n["name"], n["status"]) for n in json.loads(result.stdout)}
    assert ("cli-soon", "expiring") in notices
    table = run("expiring", "--format", "table", "--allow-any-host", env=server.environment())
    assert "cli-soon" in table.stdout
    assert table.stdout.splitlines()[0].split()[:3] == ["status", "kind", "name"]


def test_rotate_generate(server):
    env = server.environment()
    client(server).set_secret("cli-rot", "before")
    result = run("rotate", "cli-rot", "--generate", "--length", "24", "--allow-any-host", env=env)
    assert result.returncode == 0, result.stderr
    assert "new version" in result.stdout
    after = run("get", "cli-rot", "--allow-any-host", env=env).stdout
    assert after != "before"
    assert len(after) == 32  # 24 random bytes, URL-safe base64
    assert after not in result.stdout + result.stderr
    bad = run("rotate", "cli-rot", "--generate", "--length", "4", "--allow-any-host", env=env)
    assert bad.returncode == 2


def test_debug_shows_traceback(server):
    result = run("--debug", "get", "db")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_python_dash_m(server):
    result = subprocess.run(
        [sys.executable, "-m", "safevault", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0


def test_demo_runs_and_finishes():
    result = run("demo")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for expected in (
        "Expiry is enforced when secrets are created",
        "ExpiredError",
        "decrypt(old blob) -> b'order #1001: 3 widgets'",
        "generate -> store_pending",
        "Posture check of a sample ARM template",
        "any span containing a secret value: False",
        "demo finished",
    ):
        assert expected in out, expected
    assert "correct-horse-battery-staple" not in out
