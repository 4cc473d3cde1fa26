"""Rotate a PostgreSQL role's password with safevault, with both shipped strategies.

The vault is FakeVault (in-process, nothing to set up) unless ``SAFEVAULT_VAULT_URL`` is set,
in which case it is that Key Vault, reached with ``DefaultAzureCredential`` (needs secrets
get, list and set). PostgreSQL comes from ``--dsn`` or libpq's usual environment variables
(``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``); that login must be
allowed to ``CREATE ROLE``. Needs ``pip install safevault "psycopg[binary]"``.

    python examples/rotate_postgres_password.py --dsn "host=127.0.0.1 port=5432 user=postgres"

What it does, printing each step (never a password):

1. Single credential: role ``<prefix>_single``; ``apply`` replaces its only password, so the
   old one stops working at once.
2. Alternating credentials: roles ``<prefix>_a`` and ``<prefix>_b``; each rotation gives the
   idle one a fresh password and makes it current, so the old value keeps working until the
   revoke, a grace period later.
3. The app side: an app whose cache still holds the revoked value reconnects through
   ``call_with_secret`` (retrying on ``psycopg.OperationalError``) without an error, and
   ``on_change`` tells it to reset its pool.

The roles are dropped at the end (``--keep`` keeps them). Passwords are set as SCRAM
verifiers computed client-side, so no plaintext reaches the server or its logs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

import safevault
from safevault import AlternatingCredentialRotator, CachePolicy, Secret, SingleCredentialRotator


class Postgres:
    """The target: role management through an admin login, and logins as the app roles."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)

    def set_password(self, user: str, password: str) -> None:
        with self._admin() as conn:
            verifier = conn.pgconn.encrypt_password(
                password.encode(), user.encode(), b"scram-sha-256"
            ).decode()
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(user), sql.Literal(verifier)
                )
            )

    def connect(self, user: str, password: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            make_conninfo(self.dsn, user=user, password=password, connect_timeout=10)
        )

    def login(self, user: str, password: str) -> str:
        """Log in and return ``current_user``; raises OperationalError when refused."""
        with self.connect(user, password) as conn:
            row = conn.execute("SELECT current_user").fetchone()
            return str(row[0]) if row else ""

    def works(self, user: str, password: str) -> bool:
        try:
            self.login(user, password)
        except psycopg.OperationalError:
            return False
        return True

    def create_role(self, name: str) -> str:
        password = secrets.token_urlsafe(24)
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        self.set_password(name, password)
        return password

    def drop_role(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


class Clock:
    """Lets the grace period pass: FakeVault's clock jumps; with a real vault we wait."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake

    def let_pass(self, delta: timedelta) -> None:
        if self.fake is not None:
            self.fake.advance(delta)
        else:
            time.sleep(delta.total_seconds())


def open_vaults() -> tuple[Any, Any, Clock, timedelta]:
    """The scheduler's vault, the app's vault, the clock, and the grace period to use.

    The app's cache ttl (a day) is longer than the grace on purpose: it still holds the old
    value after the revoke, which is when call_with_secret has to step in.
    """
    url = os.environ.get("SAFEVAULT_VAULT_URL")
    app_cache = CachePolicy(ttl=timedelta(days=1))
    if url:
        print(f"vault: {url}")
        return (
            safevault.Vault(url),
            safevault.Vault(url, cache=app_cache),
            Clock(None),
            (timedelta(seconds=2)),
        )
    from safevault.testing import FakeVault

    fake = FakeVault()
    print("vault: FakeVault (in-process); set SAFEVAULT_VAULT_URL for a real one")
    return fake.vault(), fake.vault(cache=app_cache), Clock(fake), timedelta(minutes=71)


def single_credential(
    pg: Postgres, vault: Any, app: Any, role: str, name: str, grace: timedelta
) -> None:
    first = pg.create_role(role)
    vault.set_secret(name, first)
    app.get_secret(name)  # the app caches the current value
    rotator = SingleCredentialRotator(
        set_credential=lambda value: pg.set_password(role, value),
        check=lambda value: pg.login(role, value),
    )
    result = vault.rotate_secret(name, rotator, grace=grace)
    print(f"single credential: rotated {result.old_version} -> {result.new_version}")
    assert pg.works(role, vault.get_secret(name).value)
    if not pg.works(role, first):
        print("single credential: the old password was refused right after apply")

    # the app's cached value is the refused one: call_with_secret re-reads and retries once
    attempts: list[str] = []

    def query(secret: Secret) -> str:
        attempts.append(secret.version)
        return pg.login(role, secret.value)

    user = app.call_with_secret(name, query, retry_on=(psycopg.OperationalError,))
    print(f"app: call_with_secret reconnected as {user} ({len(attempts)} attempts, no error)")


def alternating(
    pg: Postgres,
    vault: Any,
    app: Any,
    clock: Clock,
    users: tuple[str, str],
    name: str,
    grace: timedelta,
) -> None:
    first = {"username": users[0], "password": pg.create_role(users[0])}
    pg.create_role(users[1])
    old_value = json.dumps(first)
    vault.set_secret(name, old_value)
    rotator = AlternatingCredentialRotator(
        users=users, set_password=pg.set_password, check=pg.login
    )

    # the app reads (and caches) the current value and opens its pool with it
    pool: list[psycopg.Connection[Any]] = []

    def reset_pool(old: Secret | None, new: Secret) -> None:
        for conn in pool:
            conn.close()
        pool.clear()
        print(f"app: on_change: new version {new.version}, pool reset")

    app.on_change(name, reset_pool)
    cached = app.get_secret(name)
    pool.append(pg.connect(first["username"], first["password"]))

    result = vault.rotate_secret(name, rotator, grace=grace)
    current = json.loads(vault.get_secret(name).value)
    print(
        f"alternating: rotated {result.old_version} -> {result.new_version}, "
        f"now {current['username']}"
    )
    if pg.works(first["username"], first["password"]):
        print("alternating: old password still works until revoke")

    clock.let_pass(grace + timedelta(seconds=1))
    revoked = vault.rotate_secret(name, rotator, grace=grace, if_older_than=timedelta(days=1))
    print(f"alternating: revoked version {revoked.revoked_version}")
    if not pg.works(first["username"], first["password"]):
        print("alternating: old password refused after revoke")

    attempts: list[str] = []

    def query(secret: Secret) -> str:
        creds = json.loads(secret.value)
        attempts.append(secret.version)
        with pg.connect(creds["username"], creds["password"]) as conn:
            row = conn.execute("SELECT current_user").fetchone()
            return str(row[0]) if row else ""

    assert json.loads(cached.value)["username"] == users[0]
    user = app.call_with_secret(name, query, retry_on=(psycopg.OperationalError,))
    print(f"app: call_with_secret reconnected as {user} ({len(attempts)} attempts, no error)")
    for conn in pool:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="", help="admin DSN (default: PG* variables)")
    parser.add_argument("--prefix", default="sv_demo", help="prefix of the role names")
    parser.add_argument("--keep", action="store_true", help="keep the roles afterwards")
    args = parser.parse_args(argv)

    pg = Postgres(args.dsn)
    vault, app, clock, grace = open_vaults()
    run = uuid.uuid4().hex[:6]
    secret_prefix = args.prefix.replace("_", "-")
    roles = [f"{args.prefix}_single", f"{args.prefix}_a", f"{args.prefix}_b"]
    try:
        single_credential(pg, vault, app, roles[0], f"{secret_prefix}-single-{run}", grace)
        alternating(
            pg, vault, app, clock, (roles[1], roles[2]), f"{secret_prefix}-app-{run}", grace
        )
    finally:
        vault.close()
        app.close()
        if not args.keep:
            for role in roles:
                pg.drop_role(role)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
