"""Tracing: safevault's spans, with the Azure SDK's spans nested under them, on the console.

Installs the OpenTelemetry SDK with a ``ConsoleSpanExporter``, turns on azure-core's native
OpenTelemetry tracing, then reads a secret three times: a miss (one request, whose SDK and
HTTP spans nest under ``safevault.get_secret``), a hit inside the application's own span (no
request and no span of its own: one ``safevault.cache.hit`` event on the application's span,
naming the client request id of the read that fetched the value) and a read that safevault
refuses because the secret has expired.

Runs against an in-process FakeVault, or against a real vault when SAFEVAULT_VAULT_URL is
set (with DefaultAzureCredential: ``az login`` is enough; it needs secrets/get and
secrets/set). Needs ``opentelemetry-sdk``.

    python examples/tracing.py
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.core.settings import settings
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

import safevault
from safevault.testing import FakeVault

NAME = "tracing-example"
EXPIRED = "tracing-example-expired"


def one_line(span: ReadableSpan) -> str:
    """A compact rendering of a span (the exporter's default is indented JSON)."""
    parent = f"{span.parent.span_id:016x}" if span.parent else "-"
    head = (
        f"{span.name}  kind={span.kind.name}  trace={span.context.trace_id:032x}"
        f"\n  span={span.context.span_id:016x}  parent={parent}"
        f"  status={span.status.status_code.name}"
    )
    lines = [head]
    lines += [f"  {key}={json.dumps(value)}" for key, value in (span.attributes or {}).items()]
    lines += [f"  event {e.name} {json.dumps(dict(e.attributes or {}))}" for e in span.events]
    return "\n".join(lines) + "\n"


def install_tracing() -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "tracing-example"}))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(formatter=one_line)))
    trace.set_tracer_provider(provider)
    settings.tracing_enabled = True  # azure-core's native OpenTelemetry spans


def open_vault() -> tuple[safevault.Vault, Any]:
    """The vault, and a plain SDK SecretClient on it (to store the example's secrets)."""
    url = os.environ.get("SAFEVAULT_VAULT_URL")
    if url:
        from azure.identity import DefaultAzureCredential
        from azure.keyvault.secrets import SecretClient

        credential = DefaultAzureCredential()
        return (
            safevault.Vault(url, credential, audit_principal=True),
            SecretClient(url, credential),
        )
    print("SAFEVAULT_VAULT_URL is not set: using an in-process FakeVault")
    fake = FakeVault()
    return fake.vault(audit_principal=True), fake.secret_client()


def main() -> None:
    vault, client = open_vault()
    now = datetime.now(timezone.utc)
    # Stored with the plain SDK, before tracing is on: Key Vault accepts an expired secret.
    client.set_secret(NAME, "s3cr3t-value", expires_on=now + timedelta(days=60))
    client.set_secret(EXPIRED, "0ld-value", expires_on=now - timedelta(days=1))
    install_tracing()
    with vault:
        print("--- 1. a miss: one request, the SDK's spans nest under safevault's")
        vault.get_secret(NAME)
        print("--- 2. a hit: no request, no span; an event on the caller's span")
        with trace.get_tracer("tracing-example").start_as_current_span("handle-request"):
            vault.get_secret(NAME)
        print("--- 3. a refused read: the secret has expired")
        try:
            vault.get_secret(EXPIRED)
        except safevault.ExpiredError as error:
            print(f"refused: {type(error).__name__}")
    settings.tracing_enabled = False


if __name__ == "__main__":
    main()
