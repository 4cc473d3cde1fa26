"""get_secrets (and preload, on the same path): many names, bounded parallel misses.

* every secret returned in the order given; hits served from the cache; a name given twice,
  in any case, read once;
* ``errors="raise"``: every read finishes, the others stay cached, and the failure of the
  first name in the order given is raised; ``errors="return"``: failures as values;
* every argument checked before any request;
* at most 16 reads in flight (the documented default), proven with a transport that holds
  every GET until the test lets it go, one at a time, and records the peak: no sleeps, no
  timing; every wait has a deadline so that a bug fails instead of hanging;
* cancelling an async caller cancels its reads cleanly.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from opentelemetry.trace import StatusCode

from otel_support import pipeline
from safevault import InvalidArgumentError, Secret
from safevault.testing import FakeVault
from support import gets
from transports import AsyncWrapping, Wrapping

DEFAULT_CONCURRENCY = 16  # documented in get_secrets' docstring and docs/concepts/cache.md
TIMEOUT = 30.0
NAMES = [f"name-{i:02d}" for i in range(40)]


def put(fake: FakeVault, *names: str) -> None:
    """Write through the plain SDK client, like another service would (the cache stays cold)."""
    client = fake.secret_client()
    for name in names:
        client.set_secret(name, f"value-of-{name}")


def _held_name(request: Any) -> str | None:
    """The secret name of an authorized GET of a secret, else None (the SDK's 401 challenge
    exchange and every other request pass through untouched)."""
    if request.method != "GET" or "Authorization" not in request.headers:
        return None
    parts = unquote(urlsplit(request.url).path).strip("/").split("/")
    return parts[1].lower() if len(parts) >= 2 and parts[0] == "secrets" else None


class Holding(Wrapping):
    """Holds each authorized GET of a secret in ``hold`` (None: of every secret) until the
    test lets it go, oldest first (a GET that arrives later never overtakes a held one);
    counts the GETs held, in flight, their peak, and the finished ones."""

    def __init__(self, fake: FakeVault, hold: set[str] | None = None) -> None:
        super().__init__(fake.transport)
        self._hold = hold
        self._cond = threading.Condition()
        self.held = 0  # arrived, waiting to be let go
        self.in_flight = 0  # arrived, not finished
        self.peak = 0
        self.arrivals = 0  # held GETs so far: each one's ticket is its arrival number
        self.released = 0  # the GETs with a ticket below this one may go
        self.open = False
        self.finished: list[str] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        name = _held_name(request)
        if name is None:
            return super().send(request, **kwargs)
        held = self._hold is None or name in self._hold
        with self._cond:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if held:
                ticket, self.arrivals = self.arrivals, self.arrivals + 1
                self.held += 1
                self._cond.notify_all()
                let_go = self._cond.wait_for(lambda: self.open or ticket < self.released, TIMEOUT)
                self.held -= 1
                if not let_go:
                    self.in_flight -= 1
                    raise RuntimeError("Holding: the test never let this GET go")
        try:
            return super().send(request, **kwargs)
        finally:
            with self._cond:
                self.in_flight -= 1
                self.finished.append(name)
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Holding], bool], what: str) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self), TIMEOUT), (
                f"{what}: held={self.held} in_flight={self.in_flight} peak={self.peak}"
            )

    def let_go(self, n: int = 1) -> None:
        """Let the ``n`` oldest held GETs go."""
        with self._cond:
            self.released += n
            self._cond.notify_all()

    def open_all(self) -> None:
        with self._cond:
            self.open = True
            self._cond.notify_all()


class AsyncHolding(AsyncWrapping):
    """The asyncio twin of :class:`Holding` (create it inside the running loop)."""

    def __init__(self, fake: FakeVault, hold: set[str] | None = None) -> None:
        super().__init__(fake.async_transport)
        self._hold = hold
        self._cond = asyncio.Condition()
        self.held = 0
        self.in_flight = 0
        self.peak = 0
        self.arrivals = 0
        self.released = 0
        self.open = False
        self.finished: list[str] = []

    async def send(self, request: Any, **kwargs: Any) -> Any:
        name = _held_name(request)
        if name is None:
            return await super().send(request, **kwargs)
        held = self._hold is None or name in self._hold
        async with self._cond:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if held:
                ticket, self.arrivals = self.arrivals, self.arrivals + 1
                self.held += 1
                self._cond.notify_all()
                try:
                    await self._cond.wait_for(lambda: self.open or ticket < self.released)
                finally:
                    self.held -= 1
        try:
            return await super().send(request, **kwargs)
        finally:
            async with self._cond:
                self.in_flight -= 1
                self.finished.append(name)
                self._cond.notify_all()

    async def wait_for(self, predicate: Callable[[AsyncHolding], bool], what: str) -> None:
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: predicate(self)), TIMEOUT)
            except asyncio.TimeoutError:
                pytest.fail(f"{what}: held={self.held} in_flight={self.in_flight}")

    async def let_go(self, n: int = 1) -> None:
        async with self._cond:
            self.released += n
            self._cond.notify_all()

    async def open_all(self) -> None:
        async with self._cond:
            self.open = True
            self._cond.notify_all()


class Caller:
    """Runs one blocking call on a thread of its own; ``join`` returns its result or raises."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished_at_raise: list[str] | None = None
        self._call = call
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._call()
        except BaseException as error:
            self.error = error

    def join(self) -> Any:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the call hung"
        if self.error is not None:
            raise self.error
        return self.result


def _read_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("safevault-read"))


# -- what it returns ------------------------------------------------------------------------


def test_returns_every_secret_in_order_and_serves_hits_from_the_cache(fake, make_vault):
    put(fake, "a", "b", "c")
    vault = make_vault()
    got = vault.get_secrets(["c", "a", "b"])
    assert list(got) == ["c", "a", "b"]
    assert {k: (s.name, s.value) for k, s in got.items()} == {
        n: (n, f"value-of-{n}") for n in ("c", "a", "b")
    }
    assert all(isinstance(s, Secret) for s in got.values())
    assert [gets(fake, n) for n in "abc"] == [1, 1, 1]
    before = len(fake.requests)
    again = vault.get_secrets(iter(["a", "b", "c"]))  # any iterable
    assert fake.requests[before:] == []
    assert {n: s.version for n, s in again.items()} == {n: got[n].version for n in "abc"}
    assert vault.get_secret("a").version == got["a"].version
    assert fake.requests[before:] == []


def test_a_name_given_twice_in_any_case_is_read_once(fake, make_vault):
    put(fake, "db-password", "api")
    vault = make_vault()
    got = vault.get_secrets(["db-password", "API", "DB-Password", "api", "db-password"])
    # Every spelling given is a key, in the order first given; all map to one secret.
    assert list(got) == ["db-password", "API", "DB-Password", "api"]
    assert got["db-password"] is got["DB-Password"]
    assert got["API"] is got["api"]
    assert got["api"].value == "value-of-api"
    assert gets(fake, "db-password") == 1
    assert gets(fake, "api") == 1


def test_no_names_no_request(fake, make_vault):
    vault = make_vault()
    before = len(fake.requests)
    assert vault.get_secrets([]) == {}
    assert vault.get_secrets([], errors="return") == {}
    vault.preload()
    assert fake.requests[before:] == []


def test_errors_return_maps_each_failed_name_to_its_exception(fake, make_vault):
    put(fake, "a", "b", "locked")
    fake.inject(403, match=("GET", "/secrets/locked"))
    vault = make_vault()
    got = vault.get_secrets(["a", "missing", "b", "locked", "MISSING"], errors="return")
    assert list(got) == ["a", "missing", "b", "locked", "MISSING"]
    assert (got["a"].value, got["b"].value) == ("value-of-a", "value-of-b")
    assert type(got["missing"]) is ResourceNotFoundError
    assert got["MISSING"] is got["missing"]
    assert type(got["locked"]) is HttpResponseError and got["locked"].status_code == 403
    assert gets(fake, "missing") == 1


# -- errors="raise": every read finishes, then the first failure in the order given -------------


def _assert_the_others_are_cached(fake: FakeVault, vault: Any, names: list[str]) -> None:
    before = len(fake.requests)
    for name in names:
        assert vault.get_secret(name).value == f"value-of-{name}"
    assert fake.requests[before:] == []


def test_errors_raise_raises_the_first_failure_in_input_order_after_every_read_sync(fake):
    """The read of "locked" fails after that of "missing" (its answer is held until "missing"
    has failed) but comes first in the order given: its 403 is raised, once every read has
    finished."""
    put(fake, "a", "b", "c", "locked")
    fake.inject(403, match=("GET", "/secrets/locked"))
    names = ["a", "locked", "b", "missing", "c"]
    holding = Holding(fake, hold={"locked"})
    with fake.vault(transport=holding) as vault:
        finished_at_raise: list[list[str]] = []

        def call() -> Any:
            try:
                return vault.get_secrets(names)
            except Exception:
                finished_at_raise.append(sorted(holding.finished))
                raise

        caller = Caller(call)
        holding.wait_for(lambda h: h.held == 1 and "missing" in h.finished, "missing failed")
        holding.let_go()
        with pytest.raises(HttpResponseError) as info:
            caller.join()
        assert type(info.value) is HttpResponseError and info.value.status_code == 403
        assert finished_at_raise == [sorted(names)]
        _assert_the_others_are_cached(fake, vault, ["a", "b", "c"])


async def test_errors_raise_raises_the_first_failure_in_input_order_after_every_read_aio():
    fake = FakeVault()
    put(fake, "a", "b", "c", "locked")
    fake.inject(403, match=("GET", "/secrets/locked"))
    names = ["a", "locked", "b", "missing", "c"]
    holding = AsyncHolding(fake, hold={"locked"})
    async with fake.aio_vault(transport=holding) as vault:
        finished_at_raise: list[list[str]] = []

        async def call() -> Any:
            try:
                return await vault.get_secrets(names)
            except Exception:
                finished_at_raise.append(sorted(holding.finished))
                raise

        task = asyncio.ensure_future(call())
        await holding.wait_for(lambda h: h.held == 1 and "missing" in h.finished, "missing")
        assert not task.done()
        await holding.let_go()
        with pytest.raises(HttpResponseError) as info:
            await asyncio.wait_for(task, TIMEOUT)
        assert type(info.value) is HttpResponseError and info.value.status_code == 403
        assert finished_at_raise == [sorted(names)]
        before = len(fake.requests)
        for name in ("a", "b", "c"):
            assert (await vault.get_secret(name)).value == f"value-of-{name}"
        assert fake.requests[before:] == []


def test_each_caller_gets_an_exception_of_its_own(fake, make_vault):
    vault = make_vault()
    with pytest.raises(ResourceNotFoundError) as first:
        vault.get_secrets(["missing"])
    with pytest.raises(ResourceNotFoundError) as second:
        vault.get_secrets(["missing"])  # from the negative cache, no request
    assert first.value is not second.value
    assert gets(fake, "missing") == 1


# -- arguments, checked before any request ----------------------------------------------------


@pytest.mark.parametrize(
    ("names", "kwargs", "says"),
    [
        ("db-password", {}, "pass a list of names"),
        (b"db-password", {}, "pass a list of names"),
        (42, {}, "iterable"),
        (None, {}, "iterable"),
        (["ok", "not ok"], {}, "Invalid secret name"),
        (["ok", ""], {}, "Invalid secret name"),
        (["ok", 7], {}, "must be a str"),
        (["ok"], {"errors": "ignore"}, '"raise"'),
        (["ok"], {"errors": None}, '"return"'),
        (["ok"], {"max_concurrency": 0}, "max_concurrency"),
        (["ok"], {"max_concurrency": True}, "max_concurrency"),
        (["ok"], {"max_concurrency": "4"}, "max_concurrency"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(fake, make_vault, names, kwargs, says):
    put(fake, "ok")
    vault = make_vault()
    before = len(fake.requests)
    with pytest.raises(InvalidArgumentError) as info:
        vault.get_secrets(names, **kwargs)
    assert says in str(info.value)
    assert "db-password" not in str(info.value)  # a value passed by mistake is never quoted
    assert fake.requests[before:] == []


def test_preload_checks_every_name_before_any_request(fake, make_vault):
    put(fake, "ok")
    vault = make_vault()
    before = len(fake.requests)
    with pytest.raises(InvalidArgumentError):
        vault.preload("ok", "not ok")
    with pytest.raises(InvalidArgumentError):
        vault.preload("ok", ["a", "list"])
    assert fake.requests[before:] == []


# -- bounded concurrency: held GETs let go one at a time ----------------------------------------


def _steady(released: int, limit: int = DEFAULT_CONCURRENCY) -> Callable[[Any], bool]:
    """Once ``released`` GETs were let go and finished, every reader holds one GET while
    names remain: ``min(limit, names left)`` are held (more, for a bug: fail at once)."""
    want = min(limit, len(NAMES) - released)
    return lambda h: len(h.finished) >= released and h.held >= want


def _drive_sync(holding: Holding, limit: int = DEFAULT_CONCURRENCY) -> None:
    """Let the held GETs go one at a time, each step from a steady state; check the bound."""
    for released in range(len(NAMES)):
        holding.wait_for(_steady(released, limit), f"steady after {released} let go")
        assert holding.peak <= limit, f"{holding.peak} reads in flight"
        assert holding.held == min(limit, len(NAMES) - released)
        assert _read_threads() <= limit
        holding.let_go()


@pytest.mark.parametrize("method", ["get_secrets", "preload"])
def test_at_most_16_reads_in_flight_sync(method: str) -> None:
    fake = FakeVault()
    put(fake, *NAMES)
    holding = Holding(fake)
    with fake.vault(transport=holding) as vault:
        if method == "get_secrets":
            caller = Caller(lambda: vault.get_secrets(NAMES))
        else:
            caller = Caller(lambda: vault.preload(*NAMES))
        _drive_sync(holding)
        got = caller.join()
        assert holding.peak == DEFAULT_CONCURRENCY
        assert sorted(holding.finished) == NAMES  # one GET per name
        if method == "get_secrets":
            assert list(got) == NAMES
            assert all(got[n].value == f"value-of-{n}" for n in NAMES)
        else:
            assert got is None
            _assert_cached(fake, vault)


def _assert_cached(fake: FakeVault, vault: Any) -> None:
    before = len(fake.requests)
    for name in NAMES:
        vault.get_secret(name)
    assert fake.requests[before:] == []


def test_max_concurrency_bounds_the_reads_in_flight_sync() -> None:
    fake = FakeVault()
    put(fake, *NAMES)
    holding = Holding(fake)
    with fake.vault(transport=holding) as vault:
        caller = Caller(lambda: vault.get_secrets(NAMES, max_concurrency=3))
        _drive_sync(holding, limit=3)
        assert len(caller.join()) == len(NAMES)
        assert holding.peak == 3


@pytest.mark.parametrize("method", ["get_secrets", "preload"])
async def test_at_most_16_reads_in_flight_aio(method: str) -> None:
    fake = FakeVault()
    put(fake, *NAMES)
    holding = AsyncHolding(fake)
    async with fake.aio_vault(transport=holding) as vault:
        if method == "get_secrets":
            task = asyncio.ensure_future(vault.get_secrets(NAMES))
        else:
            task = asyncio.ensure_future(vault.preload(*NAMES))
        for released in range(len(NAMES)):
            await holding.wait_for(_steady(released), f"steady after {released} let go")
            assert holding.peak <= DEFAULT_CONCURRENCY, f"{holding.peak} reads in flight"
            assert holding.held == min(DEFAULT_CONCURRENCY, len(NAMES) - released)
            await holding.let_go()
        got = await asyncio.wait_for(task, TIMEOUT)
        assert holding.peak == DEFAULT_CONCURRENCY
        assert sorted(holding.finished) == NAMES
        if method == "get_secrets":
            assert list(got) == NAMES
            assert all(got[n].value == f"value-of-{n}" for n in NAMES)
        else:
            assert got is None
            before = len(fake.requests)
            for name in NAMES:
                await vault.get_secret(name)
            assert fake.requests[before:] == []


def test_cached_names_take_no_reader_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once every name is cached, a call starts no thread and sends nothing."""
    fake = FakeVault()
    put(fake, *NAMES)
    with fake.vault() as vault:
        vault.get_secrets(NAMES)
        before, threads = len(fake.requests), _read_threads()
        started: list[str] = []
        original = threading.Thread.start

        def start(thread: threading.Thread) -> None:
            started.append(thread.name)
            original(thread)

        monkeypatch.setattr(threading.Thread, "start", start)
        got = vault.get_secrets(NAMES)
        monkeypatch.undo()
        assert len(got) == len(NAMES)
        assert started == [] and _read_threads() == threads
        assert fake.requests[before:] == []


# -- cancelling an async caller --------------------------------------------------------------


async def test_cancelling_the_caller_cancels_its_reads_cleanly(caplog) -> None:
    fake = FakeVault()
    put(fake, *NAMES)
    holding = AsyncHolding(fake)
    async with fake.aio_vault(transport=holding) as vault:
        with caplog.at_level(logging.DEBUG, logger="asyncio"):
            task = asyncio.ensure_future(vault.get_secrets(NAMES))
            await holding.wait_for(lambda h: h.held >= DEFAULT_CONCURRENCY, "16 held")
            assert holding.held == DEFAULT_CONCURRENCY
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, TIMEOUT)
            # The reads in flight were single flights that other readers may share: they land
            # in the cache; no read starts after the cancellation.
            await holding.open_all()
            await holding.wait_for(lambda h: h.in_flight == 0, "the held reads finished")
            assert len(holding.finished) == DEFAULT_CONCURRENCY
            for _ in range(3):
                await asyncio.sleep(0)
            gc.collect()
        assert not [r for r in caplog.records if r.name == "asyncio"], caplog.records
        assert sorted(holding.finished) == NAMES[:DEFAULT_CONCURRENCY]
        got = await vault.get_secrets(NAMES)  # the rest, on a fresh call
        assert len(got) == len(NAMES)
    assert sorted(holding.finished) == NAMES


# -- telemetry: one span for the call, the reads' spans under it --------------------------------


def test_one_span_with_each_read_nested_under_it(fake, make_vault):
    exporter, _ = pipeline()
    put(fake, "a", "b", "c")
    vault = make_vault()
    exporter.clear()
    vault.get_secrets(["a", "b", "c", "A"])
    spans = exporter.get_finished_spans()
    (call,) = [s for s in spans if s.name == "safevault.get_secrets"]
    assert call.attributes["safevault.object.kind"] == "secret"
    reads = [s for s in spans if s.name == "safevault.get_secret"]
    assert sorted(s.attributes["safevault.object.name"] for s in reads) == ["a", "b", "c"]
    assert {s.parent.span_id for s in reads} == {call.context.span_id}
    assert {s.context.trace_id for s in spans} == {call.context.trace_id}

    exporter.clear()
    with pytest.raises(ResourceNotFoundError):
        vault.get_secrets(["a", "missing"])
    (call,) = [s for s in exporter.get_finished_spans() if s.name == "safevault.get_secrets"]
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes["error.type"] == "ResourceNotFoundError"
