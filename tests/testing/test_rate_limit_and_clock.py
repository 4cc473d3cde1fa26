"""FakeVault.rate_limit, advance, clock and timer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from safevault.testing import FakeVault


@pytest.fixture
def fake() -> FakeVault:
    vault = FakeVault()
    vault.secret_client().set_secret("known", "value")
    vault.requests.clear()
    return vault


def test_rate_limit_answers_429_throttled_without_retry_after(fake: FakeVault) -> None:
    fake.rate_limit(3)
    client = fake.secret_client(retry_total=0)
    for _ in range(3):
        client.get_secret("known")
    with pytest.raises(HttpResponseError) as info:
        client.get_secret("known")
    err = info.value
    assert err.status_code == 429
    assert err.error.code == "Throttled"
    assert err.error.message.endswith("Reason: VaultRequestTypeLimitReached")
    assert "Retry-After" not in err.response.headers


def test_refused_requests_do_not_count_and_the_window_slides(fake: FakeVault) -> None:
    fake.rate_limit(2)
    client = fake.secret_client(retry_total=0)
    client.get_secret("known")
    fake.advance(timedelta(seconds=6))
    client.get_secret("known")
    for _ in range(5):
        with pytest.raises(HttpResponseError):
            client.get_secret("known")
    fake.advance(timedelta(seconds=4))  # the first request left the window
    client.get_secret("known")
    with pytest.raises(HttpResponseError):
        client.get_secret("known")
    fake.advance(timedelta(seconds=10))
    client.get_secret("known")
    client.get_secret("known")


def test_rate_limit_none_turns_it_off(fake: FakeVault) -> None:
    fake.rate_limit(0)
    client = fake.secret_client(retry_total=0)
    with pytest.raises(HttpResponseError):
        client.get_secret("known")
    fake.rate_limit(None)
    for _ in range(20):
        client.get_secret("known")


def test_rate_limited_sdk_retries_are_recorded(fake: FakeVault) -> None:
    fake.rate_limit(1)
    client = fake.secret_client(retry_total=2)
    client.get_secret("known")
    with pytest.raises(HttpResponseError):
        client.get_secret("known")
    assert [s for _, _, s in fake.requests] == [200, 429, 429, 429]
    assert len(fake.sleeps) == 1  # azure-core retries the first failure at once


def test_rate_limit_rejects_negative() -> None:
    with pytest.raises(ValueError):
        FakeVault().rate_limit(-1)


def test_clock_is_utc_now_and_advance_moves_clock_and_timer() -> None:
    fake = FakeVault()
    now = datetime.now(timezone.utc)
    assert fake.clock().tzinfo is not None
    assert fake.clock().utcoffset() == timedelta(0)
    assert abs(fake.clock() - now) < timedelta(seconds=5)
    clock0, timer0 = fake.clock(), fake.timer()
    fake.advance(timedelta(hours=2))
    assert fake.clock() - clock0 >= timedelta(hours=2)
    assert fake.clock() - clock0 < timedelta(hours=2, seconds=5)
    assert 7200 <= fake.timer() - timer0 < 7205


def test_timer_is_monotonic_and_runs_with_real_time() -> None:
    fake = FakeVault()
    readings = [fake.timer() for _ in range(100)]
    assert readings == sorted(readings)


def test_advance_refuses_going_back() -> None:
    fake = FakeVault()
    with pytest.raises(ValueError):
        fake.advance(timedelta(seconds=-1))
    with pytest.raises(TypeError):
        fake.advance(5)  # type: ignore[arg-type]


def test_custom_base_clock() -> None:
    frozen = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
    fake = FakeVault(clock=lambda: frozen)
    assert fake.clock() == frozen
    timer0 = fake.timer()
    assert fake.timer() == timer0  # follows the frozen clock
    fake.advance(timedelta(minutes=1))
    assert fake.clock() == frozen + timedelta(minutes=1)
    assert fake.timer() == timer0 + 60
    secret = fake.secret_client().set_secret("s", "v")
    assert secret.properties.created_on == frozen + timedelta(minutes=1)


def test_naive_base_clock_is_taken_as_utc() -> None:
    fake = FakeVault(clock=lambda: datetime(2030, 1, 1))
    assert fake.clock() == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_object_times_follow_the_fake_clock(fake: FakeVault) -> None:
    client = fake.secret_client()
    fake.advance(timedelta(days=400))
    secret = client.set_secret("later", "v")
    assert secret.properties.created_on is not None
    assert abs(secret.properties.created_on - fake.clock()) < timedelta(seconds=2)
    fake.advance(timedelta(days=1))
    props = client.update_secret_properties("later", tags={"a": "b"})
    assert props.updated_on is not None
    assert props.updated_on - secret.properties.created_on >= timedelta(days=1)


def test_soft_deleted_secret_is_purged_after_retention(fake: FakeVault) -> None:
    client = fake.secret_client()
    client.begin_delete_secret("known").wait()
    fake.advance(timedelta(days=89))
    assert client.get_deleted_secret("known").name == "known"
    fake.advance(timedelta(days=1, seconds=1))
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_secret("known")
    assert client.set_secret("known", "fresh").value == "fresh"


def test_expiry_is_informational_even_after_advance(fake: FakeVault) -> None:
    client = fake.secret_client()
    client.set_secret("short", "v", expires_on=fake.clock() + timedelta(minutes=1))
    fake.advance(timedelta(days=1))
    assert client.get_secret("short").value == "v"
