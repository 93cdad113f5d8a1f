"""The read cache: a version read once per burst yet always fresh, responses kept under the
version they were built at, shared stores that may fail, and ETag revalidation."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from movies_api.cache.responses import ENTRY_OVERHEAD, CachedResponse, ResponseCache
from movies_api.cache.version import CatalogueVersion
from movies_api.http.conditional import CACHE_CONTROL, answer


class GatedReads:
    """A version source whose reads block until the test lets each one finish."""

    def __init__(self) -> None:
        self.value = "v1"
        self.started = 0
        self.gates: list[asyncio.Event] = []
        self.fail_with: Exception | None = None
        self._changed = asyncio.Condition()

    async def __call__(self) -> str:
        async with self._changed:
            self.started += 1
            self._changed.notify_all()
        gate = asyncio.Event()
        self.gates.append(gate)
        seen = self.value  # what the database holds when the read's query runs
        await gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return seen

    async def until_started(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.started >= count)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_caller_gets_a_fresh_read() -> None:
    reads = GatedReads()
    version = CatalogueVersion(reads)
    waiter = asyncio.create_task(version.current())
    await reads.until_started(1)
    reads.gates[0].set()
    assert await waiter == "v1"


async def test_calls_one_after_another_each_read_again() -> None:
    calls = 0

    async def read() -> str:
        nonlocal calls
        calls += 1
        return f"v{calls}"

    version = CatalogueVersion(read)
    assert [await version.current() for _ in range(3)] == ["v1", "v2", "v3"]


async def test_a_burst_during_a_read_shares_one_next_read_that_sees_a_write_made_meanwhile() -> (
    None
):
    reads = GatedReads()
    version = CatalogueVersion(reads)
    early = asyncio.create_task(version.current())
    await reads.until_started(1)
    # The first read's query has run; a write lands, then a burst of requests arrives.
    reads.value = "v2"
    burst = [asyncio.create_task(version.current()) for _ in range(20)]
    await _settle()
    assert reads.started == 1  # nobody starts a second read while the first one runs
    reads.gates[0].set()
    assert await early == "v1"
    await reads.until_started(2)
    reads.gates[1].set()
    assert await asyncio.gather(*burst) == ["v2"] * 20
    assert reads.started == 2  # twenty callers, one read


async def test_a_caller_never_gets_a_read_that_started_before_it_called() -> None:
    reads = GatedReads()
    version = CatalogueVersion(reads)
    first = asyncio.create_task(version.current())
    await reads.until_started(1)
    second = asyncio.create_task(version.current())
    await _settle()
    reads.gates[0].set()
    await first
    await _settle()
    assert not second.done()
    await reads.until_started(2)
    reads.gates[1].set()
    await second


async def test_a_failed_read_fails_its_waiters_and_the_next_call_reads_again() -> None:
    reads = GatedReads()
    version = CatalogueVersion(reads)
    reads.fail_with = ConnectionError("database down")
    waiters = [asyncio.create_task(version.current()) for _ in range(3)]
    await reads.until_started(1)
    reads.gates[0].set()
    for outcome in await asyncio.gather(*waiters, return_exceptions=True):
        assert isinstance(outcome, ConnectionError)
    reads.fail_with = None
    retry = asyncio.create_task(version.current())
    await reads.until_started(2)
    reads.gates[1].set()
    assert await retry == "v1"


def test_a_failed_read_nobody_waits_for_reports_no_unretrieved_exception() -> None:
    reported: list[dict[str, object]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: reported.append(ctx))
        reads = GatedReads()
        reads.fail_with = ConnectionError("database down")
        version = CatalogueVersion(reads)
        waiter = asyncio.create_task(version.current())
        await reads.until_started(1)
        waiter.cancel()
        reads.gates[0].set()
        await _settle()

    asyncio.run(scenario())
    gc.collect()
    assert [context["message"] for context in reported] == []


async def test_a_cancelled_caller_does_not_cancel_the_read_the_others_share() -> None:
    reads = GatedReads()
    version = CatalogueVersion(reads)
    leaving = asyncio.create_task(version.current())
    staying = asyncio.create_task(version.current())
    await reads.until_started(1)
    leaving.cancel()
    await _settle()
    reads.gates[0].set()
    assert await staying == "v1"
    assert leaving.cancelled()


async def test_a_read_cancelled_by_shutdown_cancels_its_waiters() -> None:
    reads = GatedReads()
    version = CatalogueVersion(reads)
    waiter = asyncio.create_task(version.current())
    await reads.until_started(1)
    for task in list(version._tasks):
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


class CountingVersion:
    """A version source the test sets by hand, counting reads."""

    def __init__(self) -> None:
        self.value = "e.1"
        self.reads = 0

    async def __call__(self) -> str:
        self.reads += 1
        return self.value


class Builder:
    """A response builder that counts its calls and makes different bytes each time."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    async def __call__(self) -> CachedResponse:
        self.calls += 1
        return CachedResponse.of(
            f'{{"build":{self.calls}}}'.encode(), (("Link", "</x>"),), self.status
        )


class DictStore:
    """A ``SharedStore`` in a dict, as Redis would be for the caches of several instances."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.retired: list[str] = []
        self.fail_reads = False
        self.fail_writes = False

    async def get(self, version: str, key: str) -> bytes | None:
        if self.fail_reads:
            raise ConnectionError("redis down")
        return self.data.get(f"{version}:{key}")

    async def set(self, version: str, key: str, value: bytes) -> None:
        if self.fail_writes:
            raise ConnectionError("redis down")
        self.data[f"{version}:{key}"] = value

    async def retire(self, version: str) -> None:
        self.retired.append(version)
        self.data = {k: v for k, v in self.data.items() if not k.startswith(f"{version}:")}


MIB = 1024 * 1024


def make_cache(
    source: CountingVersion, entries: int = 8, max_bytes: int = MIB, shared: DictStore | None = None
) -> ResponseCache:
    return ResponseCache(
        CatalogueVersion(source), entries=entries, max_bytes=max_bytes, shared=shared
    )


async def test_a_response_is_built_once_per_catalogue_version() -> None:
    source = CountingVersion()
    cache = make_cache(source, 8)
    build = Builder()
    first = await cache.get_or_build("page:1:10", build)
    assert await cache.get_or_build("page:1:10", build) is first
    assert build.calls == 1
    assert source.reads == 2  # every request checks the version, even on a hit


async def test_a_new_version_means_the_old_response_is_never_served_again() -> None:
    source = CountingVersion()
    cache = make_cache(source, 8)
    build = Builder()
    before = await cache.get_or_build("id:tt0133093", build)
    source.value = "e.2"
    after = await cache.get_or_build("id:tt0133093", build)
    assert after.body != before.body
    assert build.calls == 2


async def test_different_keys_are_cached_apart() -> None:
    cache = make_cache(CountingVersion(), 8)
    one, other = Builder(), Builder()
    await cache.get_or_build("page:1:10", one)
    await cache.get_or_build("page:2:10", other)
    await cache.get_or_build("page:1:10", one)
    assert (one.calls, other.calls) == (1, 1)


async def test_the_least_recently_used_entry_is_dropped_when_full() -> None:
    cache = make_cache(CountingVersion(), 2)
    builders = {key: Builder() for key in "abc"}
    for key in "abca":
        await cache.get_or_build(key, builders[key])
    assert builders["a"].calls == 2
    assert (builders["b"].calls, builders["c"].calls) == (1, 1)


async def test_with_no_entries_nothing_is_cached_and_the_version_is_not_read() -> None:
    source = CountingVersion()
    cache = make_cache(source, 0, shared=DictStore())
    build = Builder()
    await cache.get_or_build("page:1:10", build)
    await cache.get_or_build("page:1:10", build)
    assert build.calls == 2
    assert source.reads == 0


async def test_a_shared_store_lets_one_instance_serve_what_another_built() -> None:
    source, shared = CountingVersion(), DictStore()
    one = make_cache(source, 8, shared=shared)
    other = make_cache(source, 8, shared=shared)
    build_one, build_other = Builder(), Builder()
    built = await one.get_or_build("page:1:10", build_one)
    served = await other.get_or_build("page:1:10", build_other)
    assert build_other.calls == 0
    assert served == built
    assert set(shared.data) == {"e.1:page:1:10"}


async def test_concurrent_misses_of_one_response_share_one_build() -> None:
    cache = make_cache(CountingVersion())
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def slow_build() -> CachedResponse:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return CachedResponse.of(b'{"slow":true}')

    waiting = [asyncio.create_task(cache.get_or_build("page:1:10", slow_build)) for _ in range(20)]
    await started.wait()
    release.set()
    answers = await asyncio.gather(*waiting)
    assert calls == 1
    assert all(answer is answers[0] for answer in answers)


async def test_a_failed_build_fails_every_waiter_and_the_next_request_builds_again() -> None:
    cache = make_cache(CountingVersion())
    release = asyncio.Event()

    async def failing() -> CachedResponse:
        await release.wait()
        raise RuntimeError("database gone")

    waiting = [asyncio.create_task(cache.get_or_build("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    build = Builder()
    await cache.get_or_build("k", build)
    assert build.calls == 1


async def test_the_local_cache_holds_no_more_bytes_than_its_bound() -> None:
    budget = 64 * 1024
    cache = make_cache(CountingVersion(), entries=1000, max_bytes=budget)
    body = b"x" * 10_000

    async def big() -> CachedResponse:
        return CachedResponse.of(body)

    for number in range(50):
        await cache.get_or_build(f"page:{number}", big)
    assert 0 < cache.bytes_held <= budget
    assert cache.bytes_held // (len(body) + ENTRY_OVERHEAD) == budget // (
        len(body) + ENTRY_OVERHEAD
    )
    newest = await cache.current("page:49")
    assert newest is not None
    assert await cache.current("page:0") is None  # the oldest went first


async def test_a_response_larger_than_the_whole_budget_is_served_but_not_kept() -> None:
    cache = make_cache(CountingVersion(), max_bytes=1000)
    build = Builder()

    async def huge() -> CachedResponse:
        await build()
        return CachedResponse.of(b"y" * 5000)

    first = await cache.get_or_build("huge", huge)
    assert first.body == b"y" * 5000
    await cache.get_or_build("huge", huge)
    assert build.calls == 2
    assert cache.bytes_held == 0


async def test_seeing_a_new_version_retires_the_old_one_in_the_shared_store() -> None:
    source, shared = CountingVersion(), DictStore()
    cache = make_cache(source, shared=shared)
    await cache.get_or_build("page:1:10", Builder())
    source.value = "e.2"
    await cache.get_or_build("page:1:10", Builder())
    await cache.aclose()
    assert shared.retired == ["e.1"]
    assert set(shared.data) == {"e.2:page:1:10"}


async def test_a_shared_entry_of_an_older_version_is_not_served() -> None:
    source, shared = CountingVersion(), DictStore()
    one = make_cache(source, 8, shared=shared)
    other = make_cache(source, 8, shared=shared)
    await one.get_or_build("page:1:10", Builder())
    source.value = "e.2"
    build_other = Builder()
    await other.get_or_build("page:1:10", build_other)
    assert build_other.calls == 1


@pytest.mark.parametrize("failing", ["fail_reads", "fail_writes"])
async def test_a_shared_store_outage_costs_a_build_never_an_answer(
    failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    shared = DictStore()
    setattr(shared, failing, True)
    cache = make_cache(CountingVersion(), 8, shared=shared)
    build = Builder()
    with caplog.at_level(logging.WARNING, "movies_api.cache"):
        response = await cache.get_or_build("page:1:10", build)
    assert response.status == 200
    assert build.calls == 1
    assert "shared cache" in caplog.text


def test_etag_is_strong_and_derived_from_the_bytes_alone() -> None:
    one = CachedResponse.of(b'{"a":1}')
    assert one.etag == CachedResponse.of(b'{"a":1}', status=300).etag
    assert one.etag != CachedResponse.of(b'{"a":2}').etag
    assert one.etag.startswith('"')
    assert one.etag.endswith('"')


def test_packing_keeps_body_status_etag_and_headers() -> None:
    response = CachedResponse.of(b'{"x":"\n"}\n', (("Link", '</movies?page=2>; rel="next"'),), 300)
    assert CachedResponse.unpack(response.pack()) == response


def _cached() -> CachedResponse:
    return CachedResponse.of(
        b'{"id":"tt0133093"}', (("Link", '</movies?page=1&limit=10>; rel="self"'),)
    )


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"other", {etag}', "  {etag}  ", "*"],
)
def test_a_client_holding_the_current_bytes_gets_a_bodiless_304(if_none_match: str) -> None:
    cached = _cached()
    response = answer(cached, if_none_match.format(etag=cached.etag))
    assert response.status_code == 304
    assert response.body == b""
    assert response.headers["etag"] == cached.etag
    assert response.headers["cache-control"] == CACHE_CONTROL


@pytest.mark.parametrize("if_none_match", [None, '"stale"', "", 'W/"stale", "older"'])
def test_a_client_without_the_current_bytes_gets_them_with_the_etag(
    if_none_match: str | None,
) -> None:
    cached = _cached()
    response = answer(cached, if_none_match)
    assert response.status_code == 200
    assert response.body == cached.body
    assert response.headers["etag"] == cached.etag
    assert response.headers["content-type"] == "application/json"
    assert response.headers["link"] == '</movies?page=1&limit=10>; rel="self"'
    assert response.headers["cache-control"] == "no-cache"


def test_a_non_200_cached_answer_is_never_turned_into_304() -> None:
    cached = CachedResponse.of(b'{"status":300}', status=300)
    response = answer(cached, cached.etag, "application/problem+json")
    assert response.status_code == 300
    assert response.body == cached.body
    assert response.headers["content-type"] == "application/problem+json"
