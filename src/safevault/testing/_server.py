"""FakeVault over real HTTPS, for programs that cannot take an in-process transport.

``FakeVaultServer`` serves a :class:`FakeVault` on ``https://127.0.0.1:<port>`` with a
self-signed certificate, plus an App Service style managed-identity token endpoint, so an
unmodified process (the ``safevault`` CLI, another language's SDK) can reach it with
``DefaultAzureCredential``: point it at the server with :meth:`FakeVaultServer.environment`
(``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``IDENTITY_ENDPOINT``, ``IDENTITY_HEADER``,
``SAFEVAULT_VAULT_URL``). The host is not a Key Vault DNS name: clients need
``allow_any_host`` / ``verify_challenge_resource=False`` (CLI: ``--allow-any-host``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import secrets
import shutil
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._fake import FakeVault
from ._http import FakeRequest

__all__ = ["FakeVaultServer"]

TOKEN_PATH = "/metadata/identity/oauth2/token"  # noqa: S105 - a path, not a secret


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "FakeVault")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "fakevault.pem"
    key_path = directory / "fakevault.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeVaultServer:
    """Serve a FakeVault over HTTPS on loopback (a context manager).

    :param host: the loopback address to bind (default ``127.0.0.1``).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        import ssl

        self._dir = Path(tempfile.mkdtemp(prefix="fakevault-"))
        self.ca_file, key_file = _self_signed(self._dir)
        self._identity_header = secrets.token_hex(16)
        self._httpd = ThreadingHTTPServer((host, 0), _Handler)
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.url = f"https://{host}:{port}"
        self.fake = FakeVault(vault_url=self.url)
        self.fake.challenge_resource = self.url
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> FakeVaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> FakeVaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        """Environment variables that point an unmodified process at this server."""
        return {
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
            "IDENTITY_ENDPOINT": f"{self.url}{TOKEN_PATH}",
            "IDENTITY_HEADER": self._identity_header,
            "SAFEVAULT_VAULT_URL": self.url,
        }

    def token(self, query: dict[str, list[str]], headers: Any) -> tuple[int, dict[str, Any]]:
        if headers.get("X-IDENTITY-HEADER") != self._identity_header:
            return 401, {"error": "invalid_request", "error_description": "bad identity header"}
        expires = int(time.time()) + 3600
        resource = (query.get("resource") or [""])[0]
        return 200, {
            "access_token": "fakevault." + secrets.token_urlsafe(16),
            "expires_on": str(expires),
            "resource": resource,
            "token_type": "Bearer",
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _serve(self) -> None:
        owner: FakeVaultServer = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path)
        if path.path == TOKEN_PATH:
            status, payload = owner.token(parse_qs(path.query), self.headers)
            self._write(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})
            return
        request = FakeRequest.build(
            self.command, f"{owner.url}{self.path}", dict(self.headers.items()), body
        )
        try:
            response = owner.fake._service.handle(request)
        except Exception:
            # an injected connection fault: drop the connection without answering
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        self._write(response.status, response.content(), headers)

    def _write(self, status: int, content: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = _serve
    do_PUT = _serve
    do_POST = _serve
    do_PATCH = _serve
    do_DELETE = _serve
