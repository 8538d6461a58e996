"""The Store contract: every backend must pass this suite unchanged.

To add a backend (etcd), add a factory to `BACKENDS`: an async context manager that yields an
open, empty store and closes it afterwards (skip with `pytest.skip` when unreachable).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesvc.storage import open_store
from kubesvc.storage.interface import (
    CompactedError,
    Compare,
    Delete,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    Put,
    RevisionMismatchError,
    Store,
    StoreError,
    WatchEvent,
)
from kubesvc.storage.sqlite import SQLiteStore


@contextlib.asynccontextmanager
async def _memory(tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store("memory")
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store("sqlite", data_dir=str(tmp_path))
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _sqlite_small_ring(tmp_path: Path) -> AsyncIterator[Store]:
    # A tiny watch ring: every watch that is a few revisions behind goes through history reads.
    store = open_store("sqlite", data_dir=str(tmp_path), ring_capacity=4, max_batch=8)
    try:
        yield store
    finally:
        await store.close()


BACKENDS: dict[str, Callable[[Path], contextlib.AbstractAsyncContextManager[Store]]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "sqlite-small-ring": _sqlite_small_ring,
}


@pytest.fixture(params=sorted(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with BACKENDS[request.param](tmp_path) as s:
        yield s


async def take(it: Any, n: int, timeout: float = 30.0) -> list[WatchEvent]:
    """The next `n` events of a watch, failing instead of hanging."""

    async def _take() -> list[WatchEvent]:
        out: list[WatchEvent] = []
        async for ev in it:
            out.append(ev)
            if len(out) == n:
                break
        return out

    return await asyncio.wait_for(_take(), timeout)


async def nothing_more(it: Any, wait: float = 0.05) -> bool:
    try:
        await asyncio.wait_for(it.__anext__(), wait)
    except TimeoutError:
        return True
    return False


def brief(events: list[WatchEvent]) -> list[tuple[str, str, bytes, int]]:
    return [(e.type, e.kv.key, e.kv.value, e.kv.mod_revision) for e in events]


# -- revisions and single-key writes ------------------------------------------------------------


async def test_empty_store_is_at_revision_1_and_first_write_gets_2(store: Store) -> None:
    assert await store.current_revision() == 1
    assert await store.compacted_revision() == 0
    assert await store.create("/a", b"1") == 2
    assert await store.current_revision() == 2


async def test_create_get_update_delete_revision_arithmetic(store: Store) -> None:
    r1 = await store.create("/k", b"v1")
    kv = await store.get("/k")
    assert kv is not None
    assert (kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version) == ("/k", b"v1", r1, r1, 1)

    r2 = await store.update("/k", b"v2", expected_revision=r1)
    assert r2 == r1 + 1
    kv = await store.get("/k")
    assert kv is not None
    assert (kv.value, kv.create_revision, kv.mod_revision, kv.version) == (b"v2", r1, r2, 2)

    r3 = await store.update("/k", b"v3", expected_revision=0)  # unconditional
    assert r3 == r2 + 1
    rd, last = await store.delete("/k", expected_revision=r3)
    assert rd == r3 + 1
    assert (last.value, last.mod_revision, last.version) == (b"v3", r3, 3)
    assert await store.get("/k") is None

    # Re-created after delete: a new life, version starts again at 1.
    r5 = await store.create("/k", b"again")
    kv = await store.get("/k")
    assert kv is not None
    assert (kv.create_revision, kv.mod_revision, kv.version) == (r5, r5, 1)


async def test_write_errors(store: Store) -> None:
    r = await store.create("/k", b"v")
    with pytest.raises(KeyExistsError) as exists:
        await store.create("/k", b"other")
    assert exists.value.key == "/k"
    with pytest.raises(RevisionMismatchError) as mismatch:
        await store.update("/k", b"x", expected_revision=r - 1)
    assert (mismatch.value.expected, mismatch.value.actual) == (r - 1, r)
    with pytest.raises(RevisionMismatchError):
        await store.delete("/k", expected_revision=r + 5)
    with pytest.raises(KeyNotFoundError):
        await store.update("/missing", b"x", expected_revision=0)
    with pytest.raises(KeyNotFoundError):
        await store.update("/missing", b"x", expected_revision=r)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/missing")
    # Nothing of that was written.
    assert await store.current_revision() == r
    kv = await store.get("/k")
    assert kv is not None and kv.value == b"v"


async def test_values_are_bytes_round_trip(store: Store) -> None:
    value = bytes(range(256)) * 4 + b"\x00end"
    await store.create("/bin", value)
    kv = await store.get("/bin")
    assert kv is not None and kv.value == value
    await store.create("/empty", b"")
    kv = await store.get("/empty")
    assert kv is not None and kv.value == b""


# -- transactions ---------------------------------------------------------------------------------


async def test_txn_multi_key_puts_share_one_revision(store: Store) -> None:
    res = await store.txn([], [Put("/x/1", b"a"), Put("/x/2", b"b"), Put("/y", b"c")])
    assert res.succeeded and res.revision == 2
    got = [await store.get(k) for k in ("/x/1", "/x/2", "/y")]
    assert [kv.mod_revision for kv in got if kv] == [2, 2, 2]
    assert await store.current_revision() == 2


async def test_txn_failing_compare_writes_nothing_and_reports_current(store: Store) -> None:
    r = await store.create("/a", b"a1")
    res = await store.txn(
        [
            Compare("/a", "mod_revision", "=", r),
            Compare("/b", "mod_revision", "=", 0),
            Compare("/a", "version", ">", 5),
        ],
        [Put("/a", b"a2"), Put("/b", b"b1"), Delete("/c")],
    )
    assert not res.succeeded
    assert res.revision == r
    assert set(res.current) == {"/a", "/b"}
    assert res.current["/b"] is None
    cur_a = res.current["/a"]
    assert cur_a is not None and cur_a.value == b"a1"
    assert await store.get("/b") is None
    kv = await store.get("/a")
    assert kv is not None and kv.value == b"a1"
    assert await store.current_revision() == r


@pytest.mark.parametrize(
    ("target", "op", "value", "holds"),
    [
        ("mod_revision", "=", 2, True),
        ("mod_revision", "!=", 2, False),
        ("mod_revision", "<", 3, True),
        ("mod_revision", ">", 2, False),
        ("create_revision", "=", 2, True),
        ("version", "=", 2, True),
        ("version", ">", 1, True),
        ("version", "<", 2, False),
    ],
)
async def test_txn_compare_targets_and_ops(
    store: Store, target: Any, op: Any, value: int, holds: bool
) -> None:
    await store.create("/k", b"v1")  # rev 2
    await store.update("/k", b"v2", expected_revision=2)  # rev 3, version 2, create 2
    if target == "mod_revision":
        value += 1  # mod_revision is 3
    res = await store.txn([Compare("/k", target, op, value)], [Put("/other", b"x")])
    assert res.succeeded is holds
    assert (await store.get("/other") is not None) is holds


async def test_txn_delete_and_put_together(store: Store) -> None:
    await store.create("/old", b"o")
    res = await store.txn([Compare("/old", "version", "=", 1)], [Delete("/old"), Put("/new", b"n")])
    assert res.succeeded
    assert await store.get("/old") is None
    kv = await store.get("/new")
    assert kv is not None and kv.mod_revision == res.revision == 3


async def test_txn_that_changes_nothing_does_not_advance_revision(store: Store) -> None:
    res = await store.txn([], [Delete("/never")])
    assert res.succeeded
    assert res.revision == 1
    assert await store.current_revision() == 1


async def test_txn_rejects_duplicate_keys(store: Store) -> None:
    with pytest.raises(ValueError, match="duplicate key"):
        await store.txn([], [Put("/k", b"1"), Put("/k", b"2")])
    assert await store.current_revision() == 1


async def test_concurrent_cas_exactly_one_winner(store: Store) -> None:
    r = await store.create("/cas", b"0")

    async def attempt(i: int) -> bool:
        try:
            await store.update("/cas", str(i).encode(), expected_revision=r)
        except RevisionMismatchError:
            return False
        return True

    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    assert sum(results) == 1
    assert await store.current_revision() == r + 1


# -- list -----------------------------------------------------------------------------------------


async def test_list_order_and_prefix_isolation(store: Store) -> None:
    for key in [
        "/registry/services/specs/ns2/b",
        "/registry/servicesx/ns/a",
        "/registry/services/specs/ns1/z",
        "/registry/services/specs/ns1/a",
        "/registry/services/specs/ns1/a-b",
        "/registry/services/specs/ns10/a",
        "/registry/services/specs/ns1",
        "/registry/pods/ns1/a",
    ]:
        await store.create(key, key.encode())
    res = await store.list("/registry/services/")
    assert [kv.key for kv in res.items] == [
        "/registry/services/specs/ns1",
        "/registry/services/specs/ns1/a",
        "/registry/services/specs/ns1/a-b",
        "/registry/services/specs/ns1/z",
        "/registry/services/specs/ns10/a",
        "/registry/services/specs/ns2/b",
    ]
    assert all(kv.value == kv.key.encode() for kv in res.items)
    assert res.revision == await store.current_revision()
    assert not res.more
    ns1 = await store.list("/registry/services/specs/ns1/")
    assert [kv.key for kv in ns1.items] == [
        "/registry/services/specs/ns1/a",
        "/registry/services/specs/ns1/a-b",
        "/registry/services/specs/ns1/z",
    ]
    assert [kv.key for kv in (await store.list("/registry/nothing/")).items] == []
    assert len((await store.list("")).items) == 8


async def test_current_reads_see_each_acknowledged_write_at_once(store: Store) -> None:
    # Read-your-writes at revision 0 under concurrent writers: once a write is acknowledged,
    # every later get and list shows it (no read serves a snapshot older than the ack).
    async def writer(w: int) -> None:
        key = f"/ryw/{w}"
        for i in range(25):
            rev = (await store.txn([], [Put(key, b"%d" % i)])).revision
            kv = await store.get(key)
            assert kv is not None and (kv.value, kv.mod_revision, kv.version) == (b"%d" % i, rev, i + 1)
            listed = await store.list("/ryw/")
            assert listed.revision >= rev
            assert [(x.value, x.mod_revision) for x in listed.items if x.key == key] == [(b"%d" % i, rev)]
        rev = (await store.txn([], [Delete(key)])).revision
        assert await store.get(key) is None
        assert key not in [x.key for x in (await store.list("/ryw/")).items]
        assert (await store.get(key, revision=rev - 1)) is not None

    await asyncio.gather(*(writer(w) for w in range(8)))


async def test_sqlite_current_get_falls_back_to_the_pool_when_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    store = SQLiteStore(str(tmp_path))
    try:
        rev = (await store.txn([], [Put("/k", b"v")])).revision

        def busy(conn: sqlite3.Connection, key: str) -> None:
            exc = sqlite3.OperationalError("database is locked")
            exc.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise exc

        monkeypatch.setattr(SQLiteStore, "_get_latest_sync", staticmethod(busy))
        kv = await store.get("/k")
        assert kv is not None and (kv.value, kv.mod_revision) == (b"v", rev)
        assert await store.get("/absent") is None

        def broken(conn: sqlite3.Connection, key: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(SQLiteStore, "_get_latest_sync", staticmethod(broken))
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            await store.get("/k")
    finally:
        await store.close()


async def test_list_skips_deleted_keys(store: Store) -> None:
    for k in "abc":
        await store.create(f"/p/{k}", b"v")
    await store.delete("/p/b")
    assert [kv.key for kv in (await store.list("/p/")).items] == ["/p/a", "/p/c"]


async def test_list_and_get_at_past_revision(store: Store) -> None:
    r_a = await store.create("/p/a", b"a1")
    r_b = await store.create("/p/b", b"b1")
    await store.update("/p/a", b"a2", expected_revision=r_a)
    r_del, _ = await store.delete("/p/b")
    await store.create("/p/c", b"c1")

    def view(res: Any) -> list[tuple[str, bytes]]:
        return [(kv.key, kv.value) for kv in res.items]

    assert view(await store.list("/p/", revision=r_a)) == [("/p/a", b"a1")]
    assert view(await store.list("/p/", revision=r_b)) == [("/p/a", b"a1"), ("/p/b", b"b1")]
    assert view(await store.list("/p/", revision=r_del - 1)) == [("/p/a", b"a2"), ("/p/b", b"b1")]
    assert view(await store.list("/p/", revision=r_del)) == [("/p/a", b"a2")]
    assert view(await store.list("/p/")) == [("/p/a", b"a2"), ("/p/c", b"c1")]
    assert (await store.list("/p/", revision=r_b)).revision == r_b
    assert view(await store.list("/p/", revision=1)) == []
    old = await store.get("/p/b", revision=r_b)
    assert old is not None and old.value == b"b1"
    assert await store.get("/p/b", revision=r_del) is None
    assert await store.get("/p/c", revision=r_del) is None


async def test_list_pagination_with_limit_and_start_after(store: Store) -> None:
    keys = [f"/p/{i:02d}" for i in range(10)]
    for k in keys:
        await store.create(k, k.encode())
    await store.create("/q/zz", b"outside")
    rev = await store.current_revision()
    seen: list[str] = []
    start_after = ""
    pages = 0
    while True:
        res = await store.list("/p/", revision=rev, limit=3, start_after=start_after)
        pages += 1
        assert res.revision == rev
        seen += [kv.key for kv in res.items]
        if not res.more:
            break
        assert len(res.items) == 3
        start_after = res.items[-1].key
        # Writes between pages do not leak into a list pinned at a revision.
        await store.create(f"/p/{pages:02d}x", b"late")
    assert seen == keys
    assert pages == 4
    exact = await store.list("/p/", revision=rev, limit=10)
    assert len(exact.items) == 10 and not exact.more
    assert [kv.key for kv in (await store.list("/p/", revision=rev, start_after="/p/08")).items] == ["/p/09"]


async def test_future_revision_errors(store: Store) -> None:
    await store.create("/k", b"v")
    cur = await store.current_revision()
    with pytest.raises(FutureRevisionError):
        await store.list("/", revision=cur + 1)
    with pytest.raises(FutureRevisionError):
        await store.get("/k", revision=cur + 10)
    with pytest.raises(FutureRevisionError):
        await store.compact(cur + 1)


# -- watch ----------------------------------------------------------------------------------------


async def test_watch_from_zero_sees_only_new_changes(store: Store) -> None:
    await store.create("/w/old", b"old")
    w = store.watch("/w/", start_revision=0)
    r = await store.create("/w/new", b"new")
    await store.create("/other/x", b"x")
    r2 = await store.update("/w/new", b"new2", expected_revision=r)
    events = await take(w, 2)
    assert brief(events) == [("PUT", "/w/new", b"new", r), ("PUT", "/w/new", b"new2", r2)]
    assert events[0].prev is None
    assert events[1].prev is not None and events[1].prev.value == b"new"
    assert events[1].kv.create_revision == r and events[1].kv.version == 2
    assert await nothing_more(w)
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_from_past_revision_replays_history_then_live(store: Store) -> None:
    r1 = await store.create("/w/a", b"1")
    r2 = await store.update("/w/a", b"2", expected_revision=r1)
    await store.create("/x/other", b"-")
    r3 = await store.create("/w/b", b"3")
    w = store.watch("/w/", start_revision=r2)
    r4 = await store.create("/w/c", b"4")
    events = await take(w, 3)
    assert brief(events) == [("PUT", "/w/a", b"2", r2), ("PUT", "/w/b", b"3", r3), ("PUT", "/w/c", b"4", r4)]
    assert events[0].prev is not None and events[0].prev.value == b"1"
    r5, _ = await store.delete("/w/a")
    assert brief(await take(w, 1)) == [("DELETE", "/w/a", b"2", r5)]
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_from_revision_1_sees_everything(store: Store) -> None:
    w = store.watch("/", start_revision=1)
    r = await store.create("/first", b"1")
    assert brief(await take(w, 1)) == [("PUT", "/first", b"1", r)]
    await w.aclose()  # type: ignore[attr-defined]
    w = store.watch("/", start_revision=1)
    assert brief(await take(w, 1)) == [("PUT", "/first", b"1", r)]
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_delete_carries_last_value(store: Store) -> None:
    r1 = await store.create("/w/k", b"first")
    r2 = await store.update("/w/k", b"last", expected_revision=r1)
    w = store.watch("/w/", start_revision=0)
    rd, last = await store.delete("/w/k")
    (ev,) = await take(w, 1)
    assert ev.type == "DELETE"
    assert (ev.kv.key, ev.kv.value, ev.kv.mod_revision, ev.kv.create_revision) == ("/w/k", b"last", rd, r1)
    assert ev.prev is not None and (ev.prev.value, ev.prev.mod_revision) == (b"last", r2)
    assert (last.value, last.mod_revision) == (b"last", r2)
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_txn_events_share_the_revision(store: Store) -> None:
    w = store.watch("/t/", start_revision=0)
    res = await store.txn([], [Put("/t/b", b"b"), Put("/t/a", b"a"), Put("/u/c", b"c")])
    events = await take(w, 2)
    assert {e.kv.key for e in events} == {"/t/a", "/t/b"}
    assert {e.kv.mod_revision for e in events} == {res.revision}
    assert await nothing_more(w)
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_prefix_isolation(store: Store) -> None:
    w = store.watch("/registry/services/", start_revision=0)
    await store.create("/registry/servicesx/a", b"x")
    r = await store.create("/registry/services/a", b"s")
    assert brief(await take(w, 1)) == [("PUT", "/registry/services/a", b"s", r)]
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_gap_free_under_concurrent_writers(store: Store) -> None:
    start = await store.current_revision() + 1
    writers, per_writer = 8, 50
    total = writers * per_writer
    live = [store.watch("/g/", start_revision=0) for _ in range(3)]

    async def writer(i: int) -> None:
        for j in range(per_writer):
            await store.create(f"/g/{i}/{j}", b"v")
            if j % 10 == 0:
                await store.create(f"/noise/{i}/{j}", b"n")

    async def late_watch() -> list[WatchEvent]:
        # Starts in the past while writers are running: history, then live, no seam.
        await asyncio.sleep(0.01)
        w = store.watch("/g/", start_revision=start)
        try:
            return await take(w, total, timeout=20)
        finally:
            await w.aclose()  # type: ignore[attr-defined]

    collectors = [asyncio.create_task(take(w, total, timeout=20)) for w in live]
    late = asyncio.create_task(late_watch())
    await asyncio.gather(*(writer(i) for i in range(writers)))
    results = [*(await asyncio.gather(*collectors)), await late]
    expected_keys = {f"/g/{i}/{j}" for i in range(writers) for j in range(per_writer)}
    for events in results:
        revs = [e.kv.mod_revision for e in events]
        assert revs == sorted(revs)
        assert len(set(revs)) == total  # every revision exactly once
        assert {e.kv.key for e in events} == expected_keys
    for w in live:
        assert await nothing_more(w)
        await w.aclose()  # type: ignore[attr-defined]


async def test_many_watchers_each_get_every_event(store: Store) -> None:
    watchers = [store.watch("/m/", start_revision=0) for _ in range(150)]
    revs = [await store.create(f"/m/{i}", b"v") for i in range(5)]
    results = await asyncio.gather(*(take(w, 5) for w in watchers))
    for events in results:
        assert [e.kv.mod_revision for e in events] == revs
    for w in watchers:
        await w.aclose()  # type: ignore[attr-defined]


async def test_watch_slow_consumer_does_not_block_writers_and_catches_up(store: Store) -> None:
    w = store.watch("/s/", start_revision=0)
    first = await store.create("/s/0", b"v")
    n = 3000  # more than a backend's in-memory ring is required to hold
    await store.txn([], [Put(f"/s/{i}", b"v") for i in range(1, n)])
    last = first
    for i in range(1, 200):
        last = await store.update(f"/s/{i}", b"w", expected_revision=0)
    events = await take(w, 1 + (n - 1) + 199, timeout=20)
    assert events[0].kv.mod_revision == first
    assert events[-1].kv.mod_revision == last
    revs = [e.kv.mod_revision for e in events]
    assert revs == sorted(revs)
    await w.aclose()  # type: ignore[attr-defined]


async def test_watch_aclose_ends_iteration(store: Store) -> None:
    w = store.watch("/c/", start_revision=0)
    task = asyncio.create_task(take(w, 1))
    await asyncio.sleep(0.01)
    await w.aclose()  # type: ignore[attr-defined]
    assert await asyncio.wait_for(task, 10) == []


async def test_closed_or_dropped_watchers_release_their_registration(store: Store) -> None:
    stats = store.stats  # type: ignore[attr-defined]
    ws = [store.watch("/r/", start_revision=0) for _ in range(10)]
    assert stats()["watchers"] == 10
    for w in ws:
        await w.aclose()  # type: ignore[attr-defined]
    assert stats()["watchers"] == 0
    w = store.watch("/r/", start_revision=0)
    await store.create("/r/1", b"1")
    async for _ in w:
        break
    del w, ws
    gc.collect()
    assert stats()["watchers"] == 0


async def test_watch_break_and_rewatch(store: Store) -> None:
    await store.create("/b/1", b"1")
    w = store.watch("/b/", start_revision=2)
    async for ev in w:
        assert ev.kv.key == "/b/1"
        break
    await w.aclose()  # type: ignore[attr-defined]
    r = await store.create("/b/2", b"2")
    w2 = store.watch("/b/", start_revision=r)
    assert brief(await take(w2, 1)) == [("PUT", "/b/2", b"2", r)]
    await w2.aclose()  # type: ignore[attr-defined]


# -- compaction -----------------------------------------------------------------------------------


async def test_compaction_errors_for_old_reads_and_watches(store: Store) -> None:
    r1 = await store.create("/c/a", b"1")
    r2 = await store.update("/c/a", b"2", expected_revision=r1)
    r3 = await store.create("/c/b", b"b")
    r4, _ = await store.delete("/c/b")
    r5 = await store.update("/c/a", b"3", expected_revision=r2)
    await store.compact(r3)
    assert await store.compacted_revision() == r3

    with pytest.raises(CompactedError) as exc:
        await store.list("/c/", revision=r2)
    assert (exc.value.requested, exc.value.compacted) == (r2, r3)
    with pytest.raises(CompactedError):
        await store.get("/c/a", revision=r1)
    w = store.watch("/c/", start_revision=r2)
    with pytest.raises(CompactedError):
        await take(w, 1)

    # At and after the compacted revision everything is intact.
    at = await store.list("/c/", revision=r3)
    assert [(kv.key, kv.value) for kv in at.items] == [("/c/a", b"2"), ("/c/b", b"b")]
    assert [(kv.key, kv.value) for kv in (await store.list("/c/", revision=r4)).items] == [("/c/a", b"2")]
    w = store.watch("/c/", start_revision=r3)
    assert brief(await take(w, 3)) == [
        ("PUT", "/c/b", b"b", r3),
        ("DELETE", "/c/b", b"b", r4),
        ("PUT", "/c/a", b"3", r5),
    ]
    await w.aclose()  # type: ignore[attr-defined]
    kv = await store.get("/c/a")
    assert kv is not None and (kv.create_revision, kv.version) == (r1, 3)

    with pytest.raises(CompactedError):
        await store.compact(r2)  # already compacted past it
    await store.compact(r5)
    assert [(kv.key, kv.value) for kv in (await store.list("/c/")).items] == [("/c/a", b"3")]
    r6 = await store.update("/c/a", b"4", expected_revision=r5)
    assert r6 == r5 + 1


async def test_compaction_removes_deleted_keys_entirely(store: Store) -> None:
    for i in range(5):
        await store.create(f"/d/{i}", b"v")
    for i in range(5):
        await store.delete(f"/d/{i}")
    cur = await store.current_revision()
    await store.compact(cur)
    assert (await store.list("/d/")).items == []
    r = await store.create("/d/0", b"new")
    kv = await store.get("/d/0")
    assert kv is not None and (kv.create_revision, kv.version) == (r, 1)


async def test_delete_between_two_compactions_does_not_resurrect(store: Store) -> None:
    await store.create("/z/k", b"old")
    r = await store.create("/z/other", b"o")
    await store.compact(r)
    rd, _ = await store.delete("/z/k")
    r2 = await store.create("/z/new", b"n")
    await store.compact(r2)
    assert [kv.key for kv in (await store.list("/z/")).items] == ["/z/new", "/z/other"]
    assert await store.get("/z/k") is None
    assert await store.get("/z/k", revision=r2) is None
    with pytest.raises(CompactedError):
        await store.get("/z/k", revision=rd - 1)


async def test_lagging_watcher_below_compaction_is_cancelled(store: Store) -> None:
    w = store.watch("/lag/", start_revision=0)
    r1 = await store.create("/lag/a", b"1")
    r2 = await store.update("/lag/a", b"2", expected_revision=r1)
    await store.compact(r2)
    with pytest.raises(CompactedError):
        await take(w, 1)


async def test_live_watcher_survives_compaction(store: Store) -> None:
    w = store.watch("/l/", start_revision=0)
    r1 = await store.create("/l/a", b"1")
    assert brief(await take(w, 1)) == [("PUT", "/l/a", b"1", r1)]
    r2 = await store.update("/l/a", b"2", expected_revision=r1)
    await store.compact(r2)
    r3 = await store.update("/l/a", b"3", expected_revision=r2)
    assert [e.kv.mod_revision for e in await take(w, 2)] == [r2, r3]
    await w.aclose()  # type: ignore[attr-defined]


# -- lifecycle ------------------------------------------------------------------------------------


async def test_close_ends_watchers_and_refuses_use(store: Store) -> None:
    await store.create("/x", b"1")
    w = store.watch("/", start_revision=0)
    task = asyncio.create_task(take(w, 1))
    await asyncio.sleep(0.01)
    await store.close()
    assert await asyncio.wait_for(task, 10) == []
    with pytest.raises(StoreError):
        await store.create("/y", b"y")
    with pytest.raises(StoreError):
        await store.get("/x")
    await store.close()  # idempotent


async def test_background_compaction_keeps_recent_revisions(store: Store) -> None:
    for i in range(30):
        await store.create(f"/bg/{i}", b"v")
    task = store.start_background_compaction(interval_s=0.02, keep_revisions=10)  # type: ignore[attr-defined]
    try:
        for _ in range(200):
            if await store.compacted_revision() > 0:
                break
            await asyncio.sleep(0.01)
        current = await store.current_revision()
        compacted = await store.compacted_revision()
        assert 0 < compacted <= current - 10
        assert len((await store.list("/bg/", revision=current - 10)).items) == 30 - 10
        assert not task.done()
    finally:
        await store.stop_background_compaction()  # type: ignore[attr-defined]
    assert task.done()


async def test_txn_rejects_non_bytes_values(store: Store) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        await store.txn([], [Put("/k", "text")])  # type: ignore[arg-type]
    assert await store.get("/k") is None


def test_open_store_backends(tmp_path: Path) -> None:
    with pytest.raises(NotImplementedError, match="etcd"):
        open_store("etcd")
    with pytest.raises(ValueError, match="unknown storage backend"):
        open_store("leveldb")
    with pytest.raises(ValueError, match="data_dir"):
        open_store("sqlite")


# -- model check: every backend agrees with the memory reference on random histories ----------

_KEYS = ["/h/a", "/h/b", "/h/c", "/h/c/d", "/hx"]
_op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(_KEYS), st.binary(max_size=8)),
    st.tuples(st.just("update"), st.sampled_from(_KEYS), st.binary(max_size=8), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.sampled_from(_KEYS), st.integers(0, 3)),
    st.tuples(st.just("txn"), st.lists(st.sampled_from(_KEYS), max_size=3, unique=True), st.integers(0, 2)),
    st.tuples(st.just("compact"), st.integers(0, 4)),
    st.tuples(st.just("reopen")),
)


async def _reopen(store: Store) -> Store:
    """Close and open again (a restart); stores without a file come back unchanged."""
    if isinstance(store, SQLiteStore):
        await store.close()
        return SQLiteStore(store.data_dir, **store.options)
    return store


async def _replay(store: Store, ops: list[tuple[Any, ...]], out: list[Any]) -> Store:
    """Apply `ops`, appending the observable outcome of each to `out`; the store at the end."""
    for op in ops:
        cur = await store.current_revision()
        try:
            if op[0] == "reopen":
                store = await _reopen(store)
            elif op[0] == "create":
                out.append(await store.create(op[1], op[2]))
            elif op[0] == "update":
                out.append(
                    await store.update(op[1], op[2], expected_revision=max(0, cur - op[3]) if op[3] else 0)
                )
            elif op[0] == "delete":
                rev, last = await store.delete(op[1], expected_revision=max(0, cur - op[2]) if op[2] else 0)
                out.append((rev, last))
            elif op[0] == "txn":
                keys = op[1]
                ops_ = [Put(k, k.encode()) if i % 2 == 0 else Delete(k) for i, k in enumerate(keys)]
                res = await store.txn([Compare(k, "version", "<", op[2] + 1) for k in keys[:1]], ops_)
                out.append((res.succeeded, res.revision, sorted(res.current.items())))
            else:
                await store.compact(max(1, cur - op[1]))
                out.append(("compacted", await store.compacted_revision()))
        except Exception as exc:  # the same error type with the same message
            out.append((type(exc).__name__, str(exc)))
    return store


async def _observe(store: Store) -> list[Any]:
    """Everything readable: the list at every live revision, and a full watch replay."""
    cur = await store.current_revision()
    first = max(1, await store.compacted_revision())
    views: list[Any] = [cur, first]
    for rev in range(first, cur + 1):
        views.append(
            [
                (kv.key, kv.value, kv.mod_revision, kv.version)
                for kv in (await store.list("/h", revision=rev)).items
            ]
        )
    w = store.watch("/h", start_revision=first)
    if cur >= first:
        events: list[WatchEvent] = []
        while not events or events[-1].kv.mod_revision < cur:
            try:
                events += await take(w, 1, timeout=0.2)
            except TimeoutError:
                break
        views.append([(e.type, e.kv, e.prev) for e in events])
    await w.aclose()  # type: ignore[attr-defined]
    return views


@pytest.mark.parametrize("backend", sorted(set(BACKENDS) - {"memory"}))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, max_size=25))
def test_backend_agrees_with_memory_reference(backend: str, tmp_path_factory: Any, ops: list[Any]) -> None:
    async def run(factory: Any) -> tuple[list[Any], list[Any]]:
        async with factory(tmp_path_factory.mktemp("model")) as store:
            out: list[Any] = []
            store = await _replay(store, ops, out)
            try:
                return out, await _observe(store)
            finally:
                await store.close()

    assert asyncio.run(run(BACKENDS[backend])) == asyncio.run(run(BACKENDS["memory"]))
