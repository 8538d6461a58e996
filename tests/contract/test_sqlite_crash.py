"""SQLite-only properties: every acknowledged write survives kill -9 and no revision is reused,
group commit, physical compaction, recovery on reopen, one process per file."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubesvc.storage.interface import CompactedError, StoreError
from kubesvc.storage.sqlite import SQLiteStore
from tests.support.proc import LineReader

ROOT = Path(__file__).resolve().parents[2]

# Writes as fast as it can from 16 tasks; prints "<key> <revision> <value>" once each write is
# acknowledged (i.e. `txn` returned).  Half the writes create, half update a per-task counter key.
WRITER = r"""
import asyncio, sys
from kubesvc.storage.sqlite import SQLiteStore

async def main(data_dir, run):
    store = SQLiteStore(data_dir)
    out = sys.stdout
    async def writer(t):
        counter_rev = await store.create(f"/crash/{run}/counter/{t}", b"0")
        print(f"/crash/{run}/counter/{t} {counter_rev} 0", file=out, flush=True)
        j = 0
        while True:
            key = f"/crash/{run}/t{t}/{j:06d}"
            rev = await store.create(key, f"v{t}-{j}".encode())
            print(f"{key} {rev} v{t}-{j}", file=out, flush=True)
            counter_rev = await store.update(f"/crash/{run}/counter/{t}", str(j + 1).encode(), expected_revision=counter_rev)
            print(f"/crash/{run}/counter/{t} {counter_rev} {j + 1}", file=out, flush=True)
            j += 1
    await asyncio.gather(*(writer(t) for t in range(16)))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _run_and_kill(data_dir: Path, min_acks: int, run: str = "first") -> dict[str, tuple[int, str]]:
    """Start the writer, kill -9 it after `min_acks` acknowledged writes; the last ack per key."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), run],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    acked: dict[str, tuple[int, str]] = {}
    try:
        assert proc.stdout is not None
        lines = LineReader(proc.stdout)
        deadline = time.monotonic() + 60
        count = 0
        while count < min_acks:
            try:
                line = lines.next(timeout=max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                pytest.fail(f"writer too slow: {count} of {min_acks} writes acknowledged in 60s")
            if not line:
                proc.kill()
                proc.wait(timeout=10)
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"writer exited early: {err}")
            count += 1
            key, rev, value = line.decode().split()
            acked[key] = (int(rev), value)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # Whatever was printed before the kill was acknowledged, too; a torn last line was not.
        for raw in lines.rest(timeout=10):
            if raw.endswith(b"\n"):
                key, rev, value = raw.decode().split()
                acked[key] = (int(rev), value)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL
    return acked


async def _check(data_dir: Path, acked: dict[str, tuple[int, str]]) -> int:
    store = SQLiteStore(str(data_dir))
    try:
        for key, (rev, value) in acked.items():
            kv = await store.get(key)
            assert kv is not None, f"acknowledged write of {key} at {rev} lost"
            # A later, unacknowledged write may have landed, never an older state.
            assert kv.mod_revision >= rev, (key, kv.mod_revision, rev)
            if kv.mod_revision == rev:
                assert kv.value.decode() == value
        everything = await store.list("/crash/")
        newest = max(kv.mod_revision for kv in everything.items)
        current = await store.current_revision()
        assert current >= newest >= max(rev for rev, _ in acked.values())
        new_rev = await store.create(f"/after-crash/{current}", b"x")
        assert new_rev == current + 1 > newest
        return new_rev
    finally:
        await store.close()


@pytest.mark.slow
async def test_kill_9_under_write_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    acked = _run_and_kill(tmp_path, min_acks=400)
    assert len(acked) > 100
    rev = await _check(tmp_path, acked)
    # A second crash on top of the recovered file: still nothing lost, revisions keep growing.
    acked2 = _run_and_kill(tmp_path, min_acks=200, run="second")
    assert min(r for r, _ in acked2.values()) > rev
    await _check(tmp_path, {**acked, **acked2})


async def test_reopen_recovers_revision_and_compaction(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path))
    for i in range(10):
        await store.create(f"/r/{i}", b"v")
    await store.delete("/r/9")
    await store.compact(8)
    await store.close()

    store = SQLiteStore(str(tmp_path))
    try:
        assert await store.current_revision() == 12
        assert await store.compacted_revision() == 8
        assert len((await store.list("/r/")).items) == 9
        assert await store.create("/r/new", b"n") == 13
    finally:
        await store.close()


async def test_group_commit_concurrent_writers_share_commits(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path))
    try:
        writers, per_writer = 32, 20

        async def writer(i: int) -> list[int]:
            return [await store.create(f"/gc/{i}/{j}", b"v") for j in range(per_writer)]

        revs = await asyncio.gather(*(writer(i) for i in range(writers)))
        flat = sorted(r for rs in revs for r in rs)
        assert flat == list(range(2, 2 + writers * per_writer))  # one revision per txn, none shared
        stats = store.stats()
        assert stats["txns"] == writers * per_writer
        assert stats["commits"] * 4 <= stats["txns"], stats
        assert stats["max_batch"] > 1
    finally:
        await store.close()


async def test_compaction_removes_dead_rows_from_the_file(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path))
    try:
        for i in range(20):
            await store.create(f"/p/{i}", b"v0")
        for round_ in range(1, 4):
            for i in range(20):
                await store.update(f"/p/{i}", f"v{round_}".encode(), expected_revision=0)
            await store.compact(await store.current_revision())
        for i in range(10):
            await store.delete(f"/p/{i}")
        await store.compact(await store.current_revision())
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute("SELECT key, version FROM kv ORDER BY key").fetchall()
        # Left: the live keys, and the delete at exactly the compacted revision (a watch from
        # there must still see it) with the version it deleted.
        expected = [(f"/p/{i}", 4) for i in range(10, 20)] + [("/p/9", 0), ("/p/9", 4)]
        assert sorted(rows) == sorted(expected)
        assert store.stats()["compacted_rows"] == 20 * 4 + 10 - len(expected)
    finally:
        await store.close()


async def test_second_store_on_the_same_file_is_refused(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path))
    try:
        with pytest.raises(StoreError, match="in use by another process"):
            SQLiteStore(str(tmp_path), lock_timeout_s=0.1)
    finally:
        await store.close()
    again = SQLiteStore(str(tmp_path), lock_timeout_s=0.1)  # released by close()
    await again.close()


async def test_compaction_interrupted_after_recording_is_finished_by_the_next(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path))
    rev = await store.create("/c/k", b"v1")
    for i in range(2, 6):
        rev = await store.update("/c/k", f"v{i}".encode(), expected_revision=rev)
    await store.close()  # revisions 2..6
    # A crash right after the compacted revision was recorded, before any row was deleted.
    with sqlite3.connect(tmp_path / "kubesvc.db") as conn:
        conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', 5)")

    store = SQLiteStore(str(tmp_path))
    try:
        assert await store.compacted_revision() == 5
        with pytest.raises(CompactedError):
            await store.get("/c/k", revision=4)
        kv = await store.get("/c/k", revision=5)
        assert kv is not None and kv.value == b"v4"
        r7 = await store.update("/c/k", b"v6", expected_revision=6)
        await store.compact(r7)
        with sqlite3.connect(tmp_path / "kubesvc.db") as conn:
            revs = [r for (r,) in conn.execute("SELECT mod_rev FROM kv WHERE key = '/c/k' ORDER BY mod_rev")]
        # The leftovers below the old compacted revision are gone too; the version before the
        # compacted revision stays as the `prev` of the event at it.
        assert revs == [6, r7]
    finally:
        await store.close()
