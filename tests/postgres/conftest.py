"""A real PostgreSQL server for the rotation tests: session-scoped, on loopback, in a temp dir.

The binaries come from ``$SAFEVAULT_PG_BIN`` when set (and only from there), else Debian's
``postgresql`` package (``/usr/lib/postgresql/<ver>/bin``, newest first), ``pg_config
--bindir`` or ``PATH``; the driver is ``psycopg``. Without
them the tests here are skipped with the reason, unless ``SAFEVAULT_REQUIRE_POSTGRES=1`` (set
by CI, which installs the package), where a missing PostgreSQL fails instead.

The server runs ``initdb`` into a temporary directory and listens on 127.0.0.1 at a free port,
with scram-sha-256 authentication for every connection (a wrong password is refused, so the
tests can see a revoked one fail). As root it runs as the ``postgres`` user (created if
missing), because PostgreSQL refuses to run as root. Startup is bounded; the server is shut
down (fast shutdown, then kill) and the directory removed at the end of the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ENV = "SAFEVAULT_REQUIRE_POSTGRES"
STARTUP_TIMEOUT = 30.0  # seconds
SHUTDOWN_TIMEOUT = 20.0
ADMIN = "sv_admin"


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    """Skip the PostgreSQL tests, or fail them when CI requires PostgreSQL."""
    if _required():
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set {REQUIRE_ENV}=1 to make this an error)")


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``postgres`` are, or None."""
    candidates: list[str] = []
    if os.environ.get("SAFEVAULT_PG_BIN"):  # when set, the only place looked at
        directory = Path(os.environ["SAFEVAULT_PG_BIN"])
        ok = (directory / "initdb").is_file() and (directory / "postgres").is_file()
        return directory if ok else None

    def version(path: str) -> tuple[int, ...]:
        parts = Path(path).parent.name.split(".")
        return tuple(int(p) for p in parts if p.isdigit())

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(out.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        directory = Path(candidate)
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> str | None:
    """The user to run PostgreSQL as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
            capture_output=True,
            timeout=30,
        )
    return "postgres"


@dataclass
class PgServer:
    """A running server and its admin login (a superuser, password-authenticated over TCP)."""

    host: str
    port: int
    admin_user: str
    admin_password: str
    dbname: str = "postgres"

    def dsn(self, user: str | None = None, password: str | None = None) -> str:
        user = user or self.admin_user
        password = self.admin_password if password is None else password
        return (
            f"host={self.host} port={self.port} dbname={self.dbname} "
            f"user={user} password={password} connect_timeout=5"
        )

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn(), autocommit=True)

    def set_password(self, user: str, password: str) -> None:
        """``ALTER ROLE ... PASSWORD`` with a SCRAM verifier computed client-side (the
        plaintext never reaches the server or its logs)."""
        from psycopg import sql

        with self.admin() as conn:
            verifier = conn.pgconn.encrypt_password(
                password.encode(), user.encode(), b"scram-sha-256"
            ).decode()
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(user), sql.Literal(verifier)
                )
            )

    def login(self, user: str, password: str) -> str:
        """Connect as ``user`` and return ``current_user``; raises OperationalError if refused."""
        import psycopg

        with psycopg.connect(self.dsn(user, password)) as conn:
            row = conn.execute("SELECT current_user").fetchone()
            assert row is not None
            return str(row[0])

    def create_role(self, name: str, password: str) -> None:
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        self.set_password(name, password)

    def drop_role(self, name: str) -> None:
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _log_tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    try:
        import psycopg
    except ImportError:
        _unavailable('the psycopg driver is not installed (pip install "psycopg[binary]")')
    bindir = find_bindir()
    if bindir is None:
        _unavailable(
            "no PostgreSQL binaries found (apt-get install postgresql, or set SAFEVAULT_PG_BIN)"
        )
    assert bindir is not None
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="safevault-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    password = secrets.token_urlsafe(24)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    root.chmod(0o700)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    init = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--no-locale",
            "-E",
            "UTF8",
        ],
        user=user,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed ({init.returncode}): {init.stderr[-2000:]}", pytrace=False)
    port = _free_port()
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-k",
                str(sockets),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ],
            user=user,
            cwd=root,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    pg = PgServer("127.0.0.1", port, ADMIN, password)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"postgres exited at startup: {_log_tail(log)}", pytrace=False)
            try:
                pg.login(ADMIN, password)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"postgres not ready within {STARTUP_TIMEOUT:.0f}s: {_log_tail(log)}",
                        pytrace=False,
                    )
                time.sleep(0.1)
        yield pg
    finally:
        if server.poll() is None:
            server.send_signal(2)  # SIGINT: fast shutdown
            try:
                server.wait(SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def role_names(postgres: PgServer) -> Iterator[Any]:
    """A factory of unique role names; every role made through it is dropped afterwards."""
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        made.append(name)
        return name

    yield make
    for name in made:
        postgres.drop_role(name)
