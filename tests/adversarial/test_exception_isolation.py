"""Every caller gets an exception object of its own.

A remembered failure (a 404, a backoff after a 503, a disabled secret) used to be raised to
every caller as one shared object. Raising an object sets its ``__context__`` to whatever the
raising caller was handling and its ``__traceback__`` to that caller's frames, so caller A's
handled exception (quoting A's password, say) became part of caller B's error. Now the cache
keeps a template and each caller raises a fresh copy: same type, status, code and message.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from safevault import DisabledError
from safevault.testing import FakeVault

SECRET_OF_A = "Zq-caller-a-ghijklmnopq"
WAIT = 30.0


def _disabled(fake: FakeVault) -> None:
    client = fake.secret_client()
    version = client.set_secret("off", "v").properties.version
    client.update_secret_properties("off", version, enabled=False)


CASES = [
    ("missing", ResourceNotFoundError, lambda fake: None),
    ("off", DisabledError, _disabled),
    ("cold", HttpResponseError, lambda fake: fake.inject(503, times=100, match=("GET", "/cold"))),
]


@pytest.mark.parametrize(("name", "error", "arrange"), CASES, ids=[c[0] for c in CASES])
def test_a_remembered_error_is_raised_as_a_new_object_to_each_caller(
    fake: FakeVault,
    make_vault: Callable[..., Any],
    name: str,
    error: type[BaseException],
    arrange: Callable[[FakeVault], Any],
) -> None:
    arrange(fake)
    vault = make_vault()
    try:
        raise RuntimeError(SECRET_OF_A)  # caller A handles an exception quoting its secret
    except RuntimeError:
        with pytest.raises(error) as seen_by_a:
            vault.get_secret(name)
    mark = len(fake.requests)
    with pytest.raises(error) as seen_by_b:  # caller B handles nothing
        vault.get_secret(name)
    with pytest.raises(error) as seen_by_c:
        vault.get_secret(name)
    assert fake.requests[mark:] == [], "the error was not remembered"
    a, b, c = seen_by_a.value, seen_by_b.value, seen_by_c.value
    assert a is not b and b is not c and a is not c
    assert b.__context__ is None and c.__context__ is None
    assert SECRET_OF_A not in "".join(traceback.format_exception(b))
    assert SECRET_OF_A not in "".join(traceback.format_exception(c))
    assert type(a) is type(b) is type(c)
    assert str(a) == str(b) == str(c)
    assert getattr(a, "status_code", None) == getattr(b, "status_code", None)
    # B's error is still clean after C raised its own (nothing shared was mutated)
    assert b.__context__ is None


def test_followers_of_one_failed_flight_get_objects_of_their_own(fake: FakeVault) -> None:
    fake.inject(503, times=100, match=("GET", "/secrets/cold"))
    gate = threading.Barrier(10, timeout=WAIT)
    errors: list[BaseException] = []
    lock = threading.Lock()
    with fake.vault() as vault:

        def read() -> None:
            gate.wait()
            try:
                vault.get_secret("cold")
            except HttpResponseError as error:
                with lock:
                    errors.append(error)

        threads = [threading.Thread(target=read) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
    assert len(errors) == 10
    assert len({id(e) for e in errors}) == 10
    assert {e.status_code for e in errors} == {503}


async def test_aio_followers_of_one_failed_flight_get_objects_of_their_own() -> None:
    fake = FakeVault()
    fake.inject(503, times=100, match=("GET", "/secrets/cold"))
    async with fake.aio_vault() as vault:

        async def read(i: int) -> BaseException:
            try:
                if i == 0:
                    raise RuntimeError(SECRET_OF_A)
                await vault.get_secret("cold")
            except RuntimeError:
                try:
                    await vault.get_secret("cold")
                except HttpResponseError as error:
                    return error
            except HttpResponseError as error:
                return error
            raise AssertionError("no error")

        errors = await asyncio.gather(*(read(i) for i in range(10)))
    assert len({id(e) for e in errors}) == 10
    for error in errors[1:]:
        assert SECRET_OF_A not in "".join(traceback.format_exception(error))
