"""Store contract, continued: transactions that land in one group-commit batch see each other in
submission order; `Watcher.poll` hands over, without waiting, exactly what is committed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubesvc.storage.interface import Compare, Delete, Put, Store
from tests.contract.test_store_contract import BACKENDS, brief, take


@pytest.fixture(params=sorted(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with BACKENDS[request.param](tmp_path) as s:
        yield s


def absent(key: str) -> Compare:
    return Compare(key, "mod_revision", "=", 0)


async def test_one_batch_sees_earlier_txns_of_the_batch(store: Store) -> None:
    base = await store.current_revision()
    # Submitted together: the SQLite writer takes them as one batch, in this order.
    results = await asyncio.gather(
        store.txn([absent("/a")], [Put("/a", b"1")]),  # creates /a
        store.txn([absent("/a")], [Put("/a", b"x")]),  # /a exists now: fails
        store.txn([Compare("/a", "version", "=", 1)], [Put("/a", b"2"), Put("/b", b"b")]),
        store.txn([Compare("/a", "version", "=", 2)], [Delete("/a")]),
        store.txn([absent("/a")], [Put("/a", b"3")]),  # deleted above: created again
        store.txn([], [Delete("/nothing")]),  # changes nothing: no revision
    )
    assert [r.succeeded for r in results] == [True, False, True, True, True, True]
    assert [r.revision for r in results] == [base + 1, base + 1, base + 2, base + 3, base + 4, base + 4]
    failed = results[1].current["/a"]
    assert failed is not None and failed.value == b"1" and failed.version == 1
    a = await store.get("/a")
    assert a is not None and (a.value, a.version, a.create_revision, a.mod_revision) == (
        b"3",
        1,
        base + 4,
        base + 4,
    )
    b = await store.get("/b")
    assert b is not None and b.mod_revision == base + 2
    events = await take(store.watch("/", start_revision=base + 1), 5)
    assert brief(events) == [
        ("PUT", "/a", b"1", base + 1),
        ("PUT", "/a", b"2", base + 2),
        ("PUT", "/b", b"b", base + 2),
        ("DELETE", "/a", b"2", base + 3),
        ("PUT", "/a", b"3", base + 4),
    ]


async def test_many_keys_in_one_batch(store: Store) -> None:
    # More keys than one read statement takes, and a key count that is not a power of two.
    keys = [f"/k/{i:04d}" for i in range(700)]
    await store.txn([], [Put(k, b"old") for k in keys[:300]])
    res = await store.txn([absent(k) for k in keys[300:]] + [Compare(keys[0], "version", "=", 1)], [])
    assert res.succeeded
    res = await store.txn([absent(k) for k in keys[299:]], [])
    assert not res.succeeded and res.current[keys[299]] is not None and res.current[keys[300]] is None


async def test_poll_hands_over_committed_events_without_waiting(store: Store) -> None:
    rev = await store.current_revision()
    w = store.watch("/ns/", start_revision=rev + 1)
    poll = getattr(w, "poll", None)
    if poll is None:
        pytest.skip("this backend's watch cannot be polled")
    assert poll() == []
    await store.txn([], [Put("/ns/a", b"1")])
    await store.txn([], [Put("/other", b"x")])
    await store.txn([], [Put("/ns/b", b"2"), Delete("/ns/a")])
    got = poll()
    assert got is not None
    assert brief(got) == [
        ("PUT", "/ns/a", b"1", rev + 1),
        ("DELETE", "/ns/a", b"1", rev + 3),
        ("PUT", "/ns/b", b"2", rev + 3),
    ]
    assert poll() == []


async def test_poll_says_none_when_memory_cannot_answer(store: Store) -> None:
    rev = await store.current_revision()
    w = store.watch("/ns/", start_revision=rev + 1)
    if getattr(w, "poll", None) is None:
        pytest.skip("this backend's watch cannot be polled")
    for i in range(10):
        await store.txn([], [Put(f"/ns/{i}", b"v")])
    await store.compact(await store.current_revision())
    assert w.poll() is None  # its cursor is below the compacted revision
    fresh = store.watch("/ns/", start_revision=0)
    assert fresh.poll() == []
    await fresh.aclose()
    assert fresh.poll() is None


async def test_sqlite_checkpoints_off_the_writer(tmp_path: Path) -> None:
    """The writer never checkpoints inside a commit (that stalls every queued write); a thread of
    the store copies the WAL back soon after commits, so the WAL does not grow without end."""
    import sqlite3

    from kubesvc.storage import sqlite as sqlite_store
    from kubesvc.storage.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path))
    try:
        assert store._wconn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for i in range(50):
            await store.txn([], [Put(f"/k/{i}", b"x" * 4000)])
        deadline = asyncio.get_running_loop().time() + 10
        while store.stats()["checkpoints"] == 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(sqlite_store.CHECKPOINT_INTERVAL_S / 2)
        assert store.stats()["checkpoints"] >= 1
        await asyncio.sleep(0.1)
        probe = sqlite3.connect(store.path)
        try:
            busy, log_frames, done = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            probe.close()
        assert busy == 0 and log_frames == done  # nothing left for anyone else to copy
        kv = await store.get("/k/49")
        assert kv is not None and kv.value == b"x" * 4000
    finally:
        await store.close()
