"""FakeVault.inject: status faults, exception faults, times, match, Retry-After, ordering."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from safevault.testing import FakeVault


@pytest.fixture
def fake() -> FakeVault:
    vault = FakeVault()
    vault.secret_client().set_secret("known", "value")  # also caches the challenge
    vault.requests.clear()
    return vault


def test_status_fault_is_retried_by_the_sdk(fake: FakeVault) -> None:
    fake.inject(503, times=2)
    assert fake.secret_client().get_secret("known").value == "value"
    assert [status for _, _, status in fake.requests] == [503, 503, 200]
    # azure-core retries the first failure at once and backs off (via sleep) after the second
    assert len(fake.sleeps) == 1
    assert fake.sleeps[0] > 0


def test_retry_after_is_sent_and_honoured(fake: FakeVault) -> None:
    fake.inject(429, retry_after=7)
    assert fake.secret_client().get_secret("known").value == "value"
    assert fake.sleeps == [7]


def test_fractional_retry_after(fake: FakeVault) -> None:
    fake.inject(503, retry_after=1.5)
    fake.secret_client().get_secret("known")
    assert fake.sleeps == [1.5]


@pytest.mark.parametrize(
    ("status", "code", "inner"),
    [
        (429, "Throttled", {}),
        (500, "InternalServerError", {}),
        (503, "ServiceUnavailable", {}),
        (403, "Forbidden", {"code": "ForbiddenByRbac"}),
        (400, "BadParameter", {}),
    ],
)
def test_status_fault_error_json(fake: FakeVault, status: int, code: str, inner: object) -> None:
    fake.inject(status, retry_after=3)
    client = fake.secret_client(retry_total=0)
    with pytest.raises(HttpResponseError) as info:
        client.get_secret("known")
    assert info.value.status_code == status
    assert info.value.error.code == code
    assert info.value.error.innererror == inner
    assert ("innererror" in info.value.response.json()["error"]) == bool(inner)
    assert info.value.response.headers["Retry-After"] == "3"


def test_403_is_not_retried(fake: FakeVault) -> None:
    fake.inject(403, times=5)
    with pytest.raises(HttpResponseError):
        fake.secret_client().get_secret("known")
    assert [s for _, _, s in fake.requests] == [403]
    assert fake.sleeps == []


def test_404_fault_maps_to_resource_not_found(fake: FakeVault) -> None:
    fake.inject(404)
    with pytest.raises(ResourceNotFoundError) as info:
        fake.secret_client().get_secret("known")
    assert info.value.error.code == "NotFound"


def test_401_fault_is_client_authentication_error(fake: FakeVault) -> None:
    fake.inject(401)
    with pytest.raises(ClientAuthenticationError):
        fake.secret_client().get_secret("known")
    assert fake.secret_client().get_secret("known").value == "value"


def test_exception_fault_is_raised_by_the_transport(fake: FakeVault) -> None:
    fake.inject(ServiceRequestError)
    with pytest.raises(ServiceRequestError, match="injected"):
        fake.secret_client(retry_total=0).get_secret("known")
    assert fake.requests == [("GET", "/secrets/known/", 0)]


def test_exception_fault_is_retried(fake: FakeVault) -> None:
    fake.inject(ServiceResponseError, times=2)
    assert fake.secret_client().get_secret("known").value == "value"
    assert [s for _, _, s in fake.requests] == [0, 0, 200]
    assert len(fake.sleeps) == 1


def test_times_counts_hits(fake: FakeVault) -> None:
    fake.inject(500, times=3)
    client = fake.secret_client(retry_total=0)
    for _ in range(3):
        with pytest.raises(HttpResponseError):
            client.get_secret("known")
    assert client.get_secret("known").value == "value"


def test_match_filters_method_and_path(fake: FakeVault) -> None:
    fake.inject(500, match=("PUT", "/secrets/other"))
    client = fake.secret_client(retry_total=0)
    assert client.get_secret("known").value == "value"
    client.set_secret("known", "v2")
    with pytest.raises(HttpResponseError):
        client.set_secret("other", "v")
    client.set_secret("other", "v")


def test_match_with_any_method(fake: FakeVault) -> None:
    fake.inject(500, match=(None, "/deletedsecrets"))
    client = fake.secret_client(retry_total=0)
    client.get_secret("known")
    with pytest.raises(HttpResponseError):
        list(client.list_deleted_secrets())


def test_faults_queue_in_order(fake: FakeVault) -> None:
    fake.inject(500)
    fake.inject(503)
    client = fake.secret_client(retry_total=0)
    statuses = []
    for _ in range(3):
        try:
            client.get_secret("known")
            statuses.append(200)
        except HttpResponseError as exc:
            statuses.append(exc.status_code)
    assert statuses == [500, 503, 200]


def test_challenge_does_not_consume_a_fault() -> None:
    from azure.keyvault.secrets._shared import HttpChallengeCache

    HttpChallengeCache.clear()
    fake = FakeVault()
    fake.inject(500)
    with pytest.raises(HttpResponseError) as info:
        fake.secret_client(retry_total=0).get_secret("anything")
    assert info.value.status_code == 500
    assert [s for _, _, s in fake.requests] == [401, 500]


def test_clear_faults(fake: FakeVault) -> None:
    fake.inject(500, times=10)
    fake.clear_faults()
    assert fake.secret_client(retry_total=0).get_secret("known").value == "value"


@pytest.mark.parametrize(
    ("fault", "kwargs"),
    [
        (200, {}),
        (600, {}),
        (True, {}),
        ("500", {}),
        (500, {"times": 0}),
        (ServiceRequestError, {"retry_after": 1}),
        (500, {"match": ("GET",)}),
    ],
)
def test_inject_rejects_bad_arguments(fake: FakeVault, fault: object, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        fake.inject(fault, **kwargs)  # type: ignore[arg-type]


async def test_async_client_retries_and_records_sleeps(fake: FakeVault) -> None:
    fake.inject(429, times=2, retry_after=2)
    async with fake.aio_secret_client() as client:
        assert (await client.get_secret("known")).value == "value"
    assert fake.sleeps == [2, 2]


async def test_async_exception_fault(fake: FakeVault) -> None:
    fake.inject(ServiceRequestError)
    async with fake.aio_secret_client(retry_total=0) as client:
        with pytest.raises(ServiceRequestError):
            await client.get_secret("known")
