"""A minimal Azure Resource Manager answering ``safevault.posture.fetch`` (the vault, empty lists).

Requests to ``management.azure.com`` are answered here; everything else (the data plane)
goes to FakeVault's transport.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse

from safevault.testing import FakeVault
from safevault.testing._transport import FakeHttpResponse

ARM_HOST = "management.azure.com"
ARM_ERROR_TEXT = "The client does not have authorization to perform action (ARM text)"


class _Answer:
    def __init__(self, status: int, body: object) -> None:
        self.status = status
        self.headers = {"Content-Type": "application/json"}
        self._body = json.dumps(body).encode()

    def content(self) -> bytes:
        return self._body


def _vault_document(fake: FakeVault, name: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/sub/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults",
        "location": "westeurope",
        "properties": {
            "vaultUri": fake.vault_url + "/",
            "tenantId": "tenant",
            "sku": {"family": "A", "name": "standard"},
        },
    }


class ArmTransport(HttpTransport[HttpRequest, HttpResponse]):
    """Answers Resource Manager reads for vault ``name``; ``status`` != 200 refuses the vault."""

    def __init__(self, fake: FakeVault, name: str = "fake", status: int = 200) -> None:
        self._fake = fake
        self._name = name
        self._status = status

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        url = urlsplit(request.url)
        if url.hostname != ARM_HOST:
            return self._fake.transport.send(request, **kwargs)
        if url.path.endswith(f"/vaults/{self._name}"):
            if self._status != 200:
                body = {"error": {"code": "AuthorizationFailed", "message": ARM_ERROR_TEXT}}
                return FakeHttpResponse(request, _Answer(self._status, body))  # type: ignore[arg-type]
            answer = _Answer(200, _vault_document(self._fake, self._name))
            return FakeHttpResponse(request, answer)  # type: ignore[arg-type]
        return FakeHttpResponse(request, _Answer(200, {"value": []}))  # type: ignore[arg-type]

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> ArmTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None
