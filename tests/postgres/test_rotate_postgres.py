"""Rotating a real PostgreSQL role's password with both shipped strategies, through FakeVault.

- Single credential: apply replaces the role's only password, so the old one stops working at
  once (the short window a single credential has; call_with_secret covers it on the reader
  side).
- Alternating credentials: a client holding the old password keeps working until the revoke;
  after it, an app that reconnects through call_with_secret (retry_on=OperationalError) sees
  no error.
- The example script runs as a subprocess against this server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from safevault import CachePolicy, Secret
from safevault._model._strategies import AlternatingCredentialRotator, SingleCredentialRotator
from safevault.testing import FakeVault

try:
    import psycopg
except ImportError:  # the postgres fixture skips, or fails under SAFEVAULT_REQUIRE_POSTGRES=1
    psycopg = None

if TYPE_CHECKING:
    from postgres.conftest import PgServer

GRACE = timedelta(minutes=5)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rotate_postgres_password.py"


def test_single_credential_rotates_a_role_password(
    postgres: PgServer, role_names: Callable[[str], str]
) -> None:
    role = role_names("sv_single")
    postgres.create_role(role, "first-password")
    fake = FakeVault()
    rotator = SingleCredentialRotator(
        set_credential=lambda value: postgres.set_password(role, value),
        check=lambda value: postgres.login(role, value),
    )
    window: list[bool] = []
    with fake.vault() as vault:
        vault.set_secret("pg-single", "first-password")
        original_verify = rotator.verify

        def verify_and_probe(new_value: str) -> Any:
            # between apply and promote: the old password already fails (the window)
            try:
                postgres.login(role, "first-password")
                window.append(False)
            except psycopg.OperationalError:
                window.append(True)
            return original_verify(new_value)

        rotator.verify = verify_and_probe  # type: ignore[method-assign]
        result = vault.rotate_secret("pg-single", rotator, grace=GRACE)
        new_value = vault.get_secret("pg-single").value

    assert result.rotated
    assert window == [True], "single credential: the old password stops working at apply"
    assert postgres.login(role, new_value) == role
    with pytest.raises(psycopg.OperationalError):
        postgres.login(role, "first-password")


def test_single_credential_window_is_covered_by_call_with_secret(
    postgres: PgServer, role_names: Callable[[str], str]
) -> None:
    """An app whose cache still holds the old password reconnects with the new one."""
    role = role_names("sv_single")
    postgres.create_role(role, "first-password")
    fake = FakeVault()
    rotator = SingleCredentialRotator(
        set_credential=lambda value: postgres.set_password(role, value),
        check=lambda value: postgres.login(role, value),
    )
    with fake.vault() as scheduler, fake.vault(cache=CachePolicy(ttl=timedelta(hours=1))) as app:
        scheduler.set_secret("pg-single", "first-password")
        assert app.get_secret("pg-single").value == "first-password"  # cached
        scheduler.rotate_secret("pg-single", rotator, grace=GRACE)
        attempts: list[str] = []

        def query(secret: Secret) -> str:
            attempts.append(secret.version)
            return postgres.login(role, secret.value)

        assert (
            app.call_with_secret("pg-single", query, retry_on=(psycopg.OperationalError,)) == role
        )
        assert len(attempts) == 2


def alternating_setup(
    postgres: PgServer, role_names: Callable[[str], str]
) -> tuple[AlternatingCredentialRotator, tuple[str, str], dict[str, Any]]:
    users = (role_names("sv_app_a"), role_names("sv_app_b"))
    postgres.create_role(users[0], "a-password-0")
    postgres.create_role(users[1], "b-password-0")
    rotator = AlternatingCredentialRotator(
        users=users, set_password=postgres.set_password, check=postgres.login
    )
    first = {"username": users[0], "password": "a-password-0", "host": postgres.host}
    return rotator, users, first


def connect(postgres: PgServer, value: str) -> Any:
    creds = json.loads(value)
    return psycopg.connect(postgres.dsn(creds["username"], creds["password"]))


def test_alternating_old_password_works_until_revoke_then_the_app_reconnects(
    postgres: PgServer, role_names: Callable[[str], str]
) -> None:
    rotator, users, first = alternating_setup(postgres, role_names)
    fake = FakeVault()
    old_value = json.dumps(first)
    with (
        fake.vault() as scheduler,
        fake.vault(cache=CachePolicy(ttl=timedelta(days=1))) as app,
    ):
        scheduler.set_secret("pg-app", old_value)
        assert app.get_secret("pg-app").value == old_value  # the app caches the old value
        held = connect(postgres, old_value)  # a pooled connection opened with it

        result = scheduler.rotate_secret("pg-app", rotator, grace=GRACE)
        new_value = scheduler.get_secret("pg-app").value
        new = json.loads(new_value)
        assert result.rotated and new["username"] == users[1]
        assert new["host"] == postgres.host

        # until the revoke, the old value keeps working: new connections and held ones
        for _ in range(3):
            connect(postgres, old_value).close()
            assert held.execute("SELECT 1").fetchone() == (1,)
            fake.advance(GRACE / 4)
        early = scheduler.rotate_secret("pg-app", rotator, grace=GRACE)
        assert early.revoked_version is None
        connect(postgres, old_value).close()

        fake.advance(GRACE / 4 + timedelta(seconds=1))
        revoked = scheduler.rotate_secret(
            "pg-app", rotator, grace=GRACE, if_older_than=timedelta(days=1)
        )
        assert revoked.revoked_version == result.old_version and not revoked.rotated
        with pytest.raises(psycopg.OperationalError):
            connect(postgres, old_value)
        connect(postgres, new_value).close()

        # the app still has the old value cached; reconnecting through call_with_secret
        # raises nothing to the caller
        attempts: list[str] = []

        def query(secret: Secret) -> str:
            attempts.append(json.loads(secret.value)["username"])
            with connect(postgres, secret.value) as conn:
                row = conn.execute("SELECT current_user").fetchone()
                return str(row[0]) if row else ""

        assert (
            app.call_with_secret("pg-app", query, retry_on=(psycopg.OperationalError,))
            == (users[1])
        )
        assert attempts == [users[0], users[1]]
        held.close()


def test_alternating_flips_users_over_several_rotations(
    postgres: PgServer, role_names: Callable[[str], str]
) -> None:
    rotator, users, first = alternating_setup(postgres, role_names)
    fake = FakeVault()
    seen = []
    with fake.vault() as vault:
        vault.set_secret("pg-app", json.dumps(first))
        for _ in range(3):
            vault.rotate_secret("pg-app", rotator, grace=GRACE)
            value = vault.get_secret("pg-app").value
            seen.append(json.loads(value)["username"])
            connect(postgres, value).close()
            fake.advance(GRACE + timedelta(seconds=1))
    assert seen == [users[1], users[0], users[1]]


def test_the_example_runs_against_this_server(postgres: PgServer, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PG", "SAFEVAULT_VAULT_URL", "AZURE_KEYVAULT_URL"))
    }
    env.update(
        PGHOST=postgres.host,
        PGPORT=str(postgres.port),
        PGUSER=postgres.admin_user,
        PGPASSWORD=postgres.admin_password,
        PGDATABASE=postgres.dbname,
    )
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--prefix", "sv_example"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "single credential: rotated" in out
    assert "alternating: old password still works until revoke" in out
    assert "alternating: old password refused after revoke" in out
    assert out.count("(2 attempts, no error)") == 2, "the app reconnected in both cases"
    assert postgres.admin_password not in out + done.stderr
    with postgres.admin() as conn:
        left = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sv_example%'")
        assert left.fetchone() == (0,), "the example drops the roles it made"
