"""``audit_principal=True``: the caller's object id as ``enduser.id``, never the token.

FakeVault's credentials issue ``fake-token-<n>``, which is not a JWT; the credentials of
``_support`` wrap them and return JWT-shaped tokens with an ``oid`` claim.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import safevault._sdk._credential
from safevault.testing import FakeVault
from telemetry._support import (
    CLAIMS,
    OID,
    AsyncJwtCredential,
    JwtCredential,
    dump,
    named,
    ours,
    run,
)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token ``principal_of`` decodes."""
    seen: list[str] = []
    decode = safevault._sdk._credential.principal_of

    def counting(token: str) -> str | None:
        seen.append(token)
        return decode(token)

    monkeypatch.setattr(safevault._sdk._credential, "principal_of", counting)
    return seen


def _credential(fake: FakeVault, flavor: str, **kw: Any) -> Any:
    if flavor == "sync":
        return JwtCredential(fake.credential, **kw)
    return AsyncJwtCredential(fake.async_credential, **kw)


async def test_miss_hit_and_failure_spans_name_the_caller(
    fake: FakeVault,
    make_vault: Any,
    jwt_credential: Any,
    spans: InMemorySpanExporter,
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    fake.key_client().create_ec_key("k")
    # hits have spans of their own only with audit_hits
    vault = make_vault(credential=jwt_credential, audit_principal=True, audit_hits=True)
    await run(vault.get_secret("s"))  # the first call: it fetches the token
    await run(vault.get_secret("s"))
    await run(vault.get_key("k"))
    await run(vault.get_key("k"))
    fake.inject(403)
    with pytest.raises(Exception, match="Forbidden"):
        await run(vault.set_secret("t", "value-t"))
    finished = spans.get_finished_spans()
    results = [s.attributes.get("safevault.cache.result") for s in finished]
    assert results == ["miss", "hit", "miss", "hit", None]
    for span in ours(finished):
        assert span.attributes.get("enduser.id") == OID, span.name
    (failed,) = named(finished, "safevault.set_secret")
    assert failed.attributes["error.type"] == "HttpResponseError"


async def test_each_token_is_decoded_once_and_hits_decode_nothing(
    fake: FakeVault,
    make_vault: Any,
    jwt_credential: Any,
    decodes: list[str],
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    fake.secret_client().set_secret("t", "value-t")
    fake.key_client().create_ec_key("k")
    vault = make_vault(credential=jwt_credential, audit_principal=True)
    await run(vault.get_secret("s"))
    await run(vault.get_secret("t"))
    await run(vault.get_key("k"))
    assert jwt_credential.calls >= 1
    assert sorted(decodes) == sorted(jwt_credential.tokens)  # each token, once
    calls = jwt_credential.calls
    for _ in range(20):
        await run(vault.get_secret("s"))
        await run(vault.get_key("k"))
    assert (jwt_credential.calls, len(decodes)) == (calls, calls)


async def test_the_token_is_never_recorded(
    fake: FakeVault,
    make_vault: Any,
    jwt_credential: Any,
    spans: InMemorySpanExporter,
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault(credential=jwt_credential, audit_principal=True)
    await run(vault.get_secret("s"))
    await run(vault.get_secret("s"))
    await run(vault.set_secret("t", "value-t"))
    text = dump(spans.get_finished_spans())
    assert OID in text
    assert jwt_credential.tokens
    for token in jwt_credential.tokens:
        for segment in token.split("."):
            assert segment not in text
    assert "fake-token-" not in text  # nor the inner credential's token
    assert "tenant" not in text and CLAIMS["appid"] not in text  # nor other claims


async def test_without_audit_principal_nothing_is_decoded_or_recorded(
    fake: FakeVault,
    make_vault: Any,
    jwt_credential: Any,
    spans: InMemorySpanExporter,
    decodes: list[str],
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault(credential=jwt_credential)
    await run(vault.get_secret("s"))
    await run(vault.get_secret("s"))
    assert jwt_credential.calls == 1
    assert decodes == []
    for span in spans.get_finished_spans():
        assert "enduser.id" not in span.attributes


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"appid": "the-app-id", "azp": "the-azp"}, "the-app-id"),
        ({"azp": "the-azp"}, "the-azp"),
        ({"sub": "not-an-identity-claim"}, None),
    ],
)
async def test_the_principal_falls_back_to_the_app_id(
    fake: FakeVault,
    make_vault: Any,
    flavor: str,
    spans: InMemorySpanExporter,
    claims: dict[str, str],
    expected: str | None,
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault(credential=_credential(fake, flavor, claims=claims), audit_principal=True)
    await run(vault.get_secret("s"))
    await run(vault.get_secret("s"))
    for span in ours(spans.get_finished_spans()):
        assert span.attributes.get("enduser.id") == expected


async def test_a_token_that_is_not_a_jwt_records_no_principal(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """FakeVault's own ``fake-token-<n>``: the read works, no ``enduser.id``."""
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault(audit_principal=True)
    assert (await run(vault.get_secret("s"))).value == "value-s"
    (span,) = spans.get_finished_spans()
    assert "enduser.id" not in span.attributes
