"""The SQLite Store: the embedded default, one file `<data_dir>/kubesvc.db`.

Theory of operation
-------------------
Schema (MVCC, one row per version of a key)::

    kv(key TEXT, mod_rev INT, create_rev INT, version INT, value BLOB)  PRIMARY KEY (key, mod_rev)
    index kv_rev(mod_rev)                       -- watch history by revision, compaction
    meta(name TEXT PRIMARY KEY, value INT)      -- 'revision', 'compacted'

A delete is a tombstone row: version 0, the last value.  The state at revision R is, per key, the
row with the greatest mod_rev <= R unless it is a tombstone.  Prefix scans are range scans on the
primary key: `key >= prefix AND key < prefix_end(prefix)`.

Writes: one writer thread owns the only writing connection.  `txn()` queues a request and awaits
a future.  The writer takes everything queued (up to `max_batch`), opens one SQLite transaction,
evaluates the requests one after the other (each sees the writes of the ones before it and gets its
own revision), records the new revision in `meta`, commits once and only then resolves the futures
(on the event loop, in order, after appending the events to the watch log).  So N concurrent
writers cost one fsync per batch, not N, and a txn is acknowledged only once durable.

Durability: WAL mode with `synchronous=FULL`: every commit fsyncs the WAL, so an acknowledged
write survives kill -9 and also an OS crash or power loss.  (`synchronous=NORMAL` would be enough
for kill -9 — a WAL commit is in the OS page cache once `write()` returns — but could lose the last
commits on an OS crash; group commit makes FULL cheap, so FULL is the default.)  On open, SQLite
replays the WAL, and the revision counter is recovered as max(meta.revision, max(kv.mod_rev)), so
a revision is never reused.

Checkpoints: the writer never copies the WAL back into the database file itself (SQLite's
auto-checkpoint would do it inside whichever commit crosses 1000 pages, stalling every txn queued
behind it); a checkpointer thread runs a PASSIVE checkpoint, which blocks nobody, about every
half second while there are new commits.

Reads run on a small thread pool, one connection per thread (WAL lets readers run beside the
writer); each read is one read transaction, hence one consistent snapshot.  Exception: `get` of
the current version is a single autocommit SELECT (itself a snapshot) on the calling event loop
thread's own connection, which never waits for a lock (busy: it falls back to the pool).

Compaction sets meta.compacted first (reads and watches below it fail with CompactedError from
then on), then deletes the dead rows in chunks of revisions, each chunk its own transaction, with
queued writes served between chunks so a large compaction does not stall writers.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubesvc.storage._base import (
    StoreBase,
    apply_op,
    check_compaction,
    check_ops,
    compare_holds,
    prefix_end,
    resolve_revision,
)
from kubesvc.storage.interface import (
    CompactedError,
    Compare,
    KeyValue,
    ListResult,
    Op,
    StoreError,
    TxnResult,
    WatchEvent,
)
from kubesvc.storage.watch import EventLog

log = logging.getLogger(__name__)

FILENAME = "kubesvc.db"
COMPACT_CHUNK_REVISIONS = 5000
CHECKPOINT_INTERVAL_S = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT NOT NULL,
    mod_rev INTEGER NOT NULL,
    create_rev INTEGER NOT NULL,
    version INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (key, mod_rev)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_rev ON kv (mod_rev);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""

_ROW = "key, mod_rev, create_rev, version, value"


def _kv(row: tuple[Any, ...]) -> KeyValue:
    key, mod_rev, create_rev, version, value = row
    return KeyValue(key, bytes(value), create_rev, mod_rev, version)


def _range(prefix: str, start_after: str) -> tuple[str, str | None, bool]:
    """(lower bound, upper bound or None, lower bound exclusive?) for a prefix scan."""
    if start_after and start_after >= prefix:
        return start_after, prefix_end(prefix), True
    return prefix, prefix_end(prefix), False


_LATEST_CHUNK = 256


def _latest_sql(n: int) -> str:
    """n keys → their newest rows (one index probe each, newest mod_rev first)."""
    one = f"SELECT * FROM (SELECT {_ROW} FROM kv WHERE key = ? ORDER BY mod_rev DESC LIMIT 1)"
    return " UNION ALL ".join([one] * n)


def _keys_of(txns: Sequence[_Txn]) -> builtins.list[str]:
    keys: dict[str, None] = {}
    for req in txns:
        for c in req.compares:
            keys[c.key] = None
        for op in req.ops:
            keys[op.key] = None
    return list(keys)


def _apply(
    req: _Txn,
    latest: dict[str, KeyValue | None],
    rev: int,
    rows: builtins.list[tuple[str, int, int, int, bytes]],
) -> tuple[TxnResult, builtins.list[WatchEvent] | None]:
    """Evaluate one txn of a batch against `latest` (the state after the txns before it in the
    batch) and, when it succeeds, update `latest` and append its new rows."""
    state = {c.key: latest[c.key] for c in req.compares}
    if not all(compare_holds(c, state[c.key]) for c in req.compares):
        return TxnResult(False, rev, state), None
    revision = rev + 1
    events: builtins.list[WatchEvent] = []
    for op in req.ops:
        applied = apply_op(op, latest[op.key], revision)
        if applied is None:
            continue
        kv, event = applied
        rows.append((kv.key, kv.mod_revision, kv.create_revision, kv.version, kv.value))
        latest[kv.key] = kv if kv.version > 0 else None
        events.append(event)
    if not events:
        return TxnResult(True, rev, state), []
    events.sort(key=lambda e: e.kv.key)
    return TxnResult(True, revision, state), events


@dataclass
class _Txn:
    compares: Sequence[Compare]
    ops: Sequence[Op]
    future: asyncio.Future[TxnResult]


@dataclass
class _Compact:
    revision: int
    future: asyncio.Future[None]


@dataclass
class _Stats:
    txns: int = 0
    commits: int = 0
    batches: int = 0
    max_batch: int = 0
    compactions: int = 0
    deleted_rows: int = 0
    checkpoints: int = 0


@dataclass
class _Outcome:
    """What one writer batch produced, handed to the event loop in one callback."""

    loop: asyncio.AbstractEventLoop
    results: builtins.list[tuple[asyncio.Future[Any], Any, builtins.list[WatchEvent] | None]] = field(
        default_factory=builtins.list
    )


class SQLiteStore(StoreBase):
    def __init__(
        self,
        data_dir: str,
        *,
        synchronous: str = "FULL",
        ring_capacity: int = 4096,
        max_batch: int = 512,
        read_threads: int = 4,
        lock_timeout_s: float = 10.0,
    ) -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, FILENAME)
        self._lock_fd = _lock_data_dir(self.path + ".lock", lock_timeout_s)
        # Created 0600: the store holds every object of the cluster.  SQLite gives the -wal and
        # -shm files the database file's permissions.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._synchronous = synchronous.upper()
        self._max_batch = max_batch
        # What it was opened with, to reopen it the same way: SQLiteStore(data_dir, **options).
        self.data_dir = data_dir
        self.options: dict[str, Any] = {
            "synchronous": self._synchronous,
            "ring_capacity": ring_capacity,
            "max_batch": max_batch,
            "read_threads": read_threads,
            "lock_timeout_s": lock_timeout_s,
        }
        try:
            self._wconn = self._connect(writer=True)
            self._wconn.executescript(_SCHEMA)
            rev, compacted = self._recover(self._wconn)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._wrev = rev  # writer-thread view: last committed revision
        self._wcompacted = compacted
        self._compacted = compacted  # loop view
        self._log = EventLog(rev, capacity=ring_capacity)
        self._stats = _Stats()
        self._queue: queue.SimpleQueue[_Txn | _Compact | None] = queue.SimpleQueue()
        self._closed = False
        self._local = threading.local()
        self._rconns: builtins.list[sqlite3.Connection] = []
        self._rconns_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(read_threads, thread_name_prefix="kubesvc-sqlite-read")
        self._writer = threading.Thread(target=self._writer_main, name="kubesvc-sqlite-writer", daemon=True)
        self._writer.start()
        self._wal_dirty = threading.Event()  # set by the writer after a commit
        self._ckpt_stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpointer_main, name="kubesvc-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    # -- connections --------------------------------------------------------------------------

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        if writer:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot put {self.path} in WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            # No checkpoint inside a commit: the checkpointer thread does them (see there).
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        else:
            conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB
        return conn

    @staticmethod
    def _recover(conn: sqlite3.Connection) -> tuple[int, int]:
        meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
        max_rev = conn.execute("SELECT max(mod_rev) FROM kv").fetchone()[0] or 0
        rev = max(1, int(meta.get("revision", 1)), int(max_rev))
        return rev, int(meta.get("compacted", 0))

    def _rconn(self, *, inline: bool = False) -> sqlite3.Connection:
        """This thread's reading connection: a pool thread's, or (`inline`) the one an event loop
        thread reads the current version of a key with, which must never wait for a lock."""
        attr = "inline_conn" if inline else "conn"
        conn: sqlite3.Connection | None = getattr(self._local, attr, None)
        if conn is None:
            conn = self._connect(writer=False)
            if inline:
                conn.execute("PRAGMA busy_timeout = 0")
            setattr(self._local, attr, conn)
            with self._rconns_lock:
                self._rconns.append(conn)
        return conn

    # -- reads --------------------------------------------------------------------------------

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._check_open()
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._in_snapshot, fn, args)

    def _in_snapshot(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        conn = self._rconn()
        conn.execute("BEGIN")
        try:
            return fn(conn, *args)
        finally:
            conn.execute("COMMIT")

    @staticmethod
    def _meta(conn: sqlite3.Connection) -> tuple[int, int]:
        meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
        return int(meta.get("revision", 1)), int(meta.get("compacted", 0))

    @classmethod
    def _resolve_revision(cls, conn: sqlite3.Connection, revision: int) -> int:
        """In a read transaction: the revision to read at.  The current one is the snapshot's own
        (the writer records it in the transaction that writes it); it cannot be compacted."""
        if revision <= 0:
            row = conn.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
            return 1 if row is None else int(row[0])
        current, compacted = cls._meta(conn)
        return resolve_revision(revision, current, compacted)

    @staticmethod
    def _get_latest_sync(conn: sqlite3.Connection, key: str) -> KeyValue | None:
        row = conn.execute(
            f"SELECT {_ROW} FROM kv WHERE key = ? ORDER BY mod_rev DESC LIMIT 1", (key,)
        ).fetchone()
        if row is None or row[3] == 0:
            return None
        return _kv(row)

    @classmethod
    def _get_sync(cls, conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
        rev = cls._resolve_revision(conn, revision)
        row = conn.execute(
            f"SELECT {_ROW} FROM kv WHERE key = ? AND mod_rev <= ? ORDER BY mod_rev DESC LIMIT 1", (key, rev)
        ).fetchone()
        if row is None or row[3] == 0:
            return None
        return _kv(row)

    @classmethod
    def _list_sync(
        cls, conn: sqlite3.Connection, prefix: str, revision: int, limit: int, start_after: str
    ) -> ListResult:
        rev = cls._resolve_revision(conn, revision)
        lo, hi, exclusive = _range(prefix, start_after)
        # Per key the newest version at `rev`; streams in key order, so LIMIT stops the scan.
        where = ["k.key > ?" if exclusive else "k.key >= ?"]
        params: builtins.list[Any] = [lo]
        if hi is not None:
            where.append("k.key < ?")
            params.append(hi)
        sql = (
            "SELECT k.key, k.mod_rev, k.create_rev, k.version, k.value FROM kv AS k "
            f"WHERE {' AND '.join(where)} AND k.version > 0 AND k.mod_rev = "
            "(SELECT max(k2.mod_rev) FROM kv AS k2 WHERE k2.key = k.key AND k2.mod_rev <= ?) ORDER BY k.key"
        )
        params.append(rev)
        if limit:
            sql += " LIMIT ?"
            params.append(limit + 1)
        items = [_kv(row) for row in conn.execute(sql, params)]
        more = bool(limit) and len(items) > limit
        if more:
            del items[limit:]
        return ListResult(items, rev, more)

    @staticmethod
    def _history_sync(
        conn: sqlite3.Connection, prefix: str, from_rev: int, max_revs: int
    ) -> tuple[builtins.list[WatchEvent], int]:
        current, compacted = SQLiteStore._meta(conn)
        if from_rev < compacted:
            raise CompactedError(from_rev, compacted)
        through = min(current, from_rev + max_revs - 1)
        if through < from_rev:
            return [], from_rev - 1
        lo, hi, _ = _range(prefix, "")
        sql = f"SELECT {_ROW} FROM kv WHERE mod_rev >= ? AND mod_rev <= ? AND key >= ?"
        params: builtins.list[Any] = [from_rev, through, lo]
        if hi is not None:
            sql += " AND key < ?"
            params.append(hi)
        sql += " ORDER BY mod_rev, key"
        events: builtins.list[WatchEvent] = []
        for row in conn.execute(sql, params).fetchall():
            kv = _kv(row)
            prev_row = conn.execute(
                f"SELECT {_ROW} FROM kv WHERE key = ? AND mod_rev < ? ORDER BY mod_rev DESC LIMIT 1",
                (kv.key, kv.mod_revision),
            ).fetchone()
            prev = _kv(prev_row) if prev_row is not None and prev_row[3] > 0 else None
            events.append(WatchEvent("DELETE" if kv.version == 0 else "PUT", kv, prev))
        return events, through

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        if revision <= 0:
            # The current version: one autocommit SELECT, which in WAL mode is itself a consistent
            # snapshot (the newest committed row of the key), so no BEGIN/COMMIT and no revision
            # lookup; and no executor hop: a primary-key lookup takes microseconds, far less than
            # handing it to a thread.  The connection is this thread's own and never waits for a
            # lock: should SQLite ever answer busy, the read goes to the pool like the others.
            self._check_open()
            try:
                kv = self._get_latest_sync(self._rconn(inline=True), key)
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in (
                    sqlite3.SQLITE_BUSY,
                    sqlite3.SQLITE_LOCKED,
                ):
                    raise
            else:
                # Still a suspension point, as every other read: a task reading many keys in a
                # row lets the others (watch delivery, HTTP handlers) run in between.
                await asyncio.sleep(0)
                return kv
        result: KeyValue | None = await self._read(self._get_sync, key, revision)
        return result

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str = ""
    ) -> ListResult:
        result: ListResult = await self._read(self._list_sync, prefix, revision, limit, start_after)
        return result

    @classmethod
    def _count_sync(cls, conn: sqlite3.Connection, prefix: str, revision: int, start_after: str) -> int:
        rev = cls._resolve_revision(conn, revision)
        lo, hi, exclusive = _range(prefix, start_after)
        where = ["key > ?" if exclusive else "key >= ?"]
        params: builtins.list[Any] = [lo]
        if hi is not None:
            where.append("key < ?")
            params.append(hi)
        # per key its newest row at `rev` (SQLite takes the bare `version` from the max() row)
        sql = (
            "SELECT count(*) FROM (SELECT max(mod_rev), version FROM kv "
            f"WHERE {' AND '.join(where)} AND mod_rev <= ? GROUP BY key) WHERE version > 0"
        )
        params.append(rev)
        return int(conn.execute(sql, params).fetchone()[0])

    async def count(self, prefix: str, *, revision: int = 0, start_after: str = "") -> int:
        """How many keys under `prefix` (after `start_after`) live at `revision`: etcd's range
        count, which kube-apiserver turns into a list's `remainingItemCount`."""
        result: int = await self._read(self._count_sync, prefix, revision, start_after)
        return result

    async def _history(
        self, prefix: str, from_rev: int, max_revs: int
    ) -> tuple[builtins.list[WatchEvent], int]:
        result: tuple[builtins.list[WatchEvent], int] = await self._read(
            self._history_sync, prefix, from_rev, max_revs
        )
        return result

    async def current_revision(self) -> int:
        return self._log.last_rev

    # -- writes -------------------------------------------------------------------------------

    async def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnResult:
        self._check_open()
        check_ops(ops)
        fut: asyncio.Future[TxnResult] = asyncio.get_running_loop().create_future()
        self._queue.put(_Txn(tuple(compares), tuple(ops), fut))
        return await fut

    async def compact(self, revision: int) -> None:
        self._check_open()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put(_Compact(revision, fut))
        await fut

    def _writer_main(self) -> None:
        _no_wakeup_preemption()
        conn = self._wconn
        compact_target = 0  # physical compaction still to do up to this revision
        # Rows below this revision are clean.  0 at start: a compaction interrupted by a crash
        # left rows behind, and the first compaction after a restart sweeps them too.
        compact_done = 0
        waiting: builtins.list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        stopping = False
        while not stopping:
            if compact_done < compact_target and self._queue.empty():
                upto = min(compact_target, compact_done + COMPACT_CHUNK_REVISIONS)
                try:
                    self._compact_chunk(conn, compact_done, upto, compact_target)
                except Exception as exc:
                    # The compacted revision stands; the rows stay until the next compaction.
                    log.error("sqlite store: compaction to %d failed: %s", compact_target, exc)
                    compact_target = compact_done = 0
                    for loop, fut in waiting:
                        _call(loop, _set_exception, fut, StoreError(f"compaction failed: {exc}"))
                    waiting = []
                    continue
                compact_done = upto
                if compact_done >= compact_target:
                    for loop, fut in waiting:
                        _call(loop, _set_result, fut, None)
                    waiting = []
                continue
            first = self._queue.get()
            batch: builtins.list[_Txn | _Compact] = []
            item: _Txn | _Compact | None = first
            while True:
                if item is None:
                    stopping = True
                    break
                batch.append(item)
                if len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            # Compactions split the batch: the txns before one commit first.
            txns: builtins.list[_Txn] = []
            for req in batch:
                if isinstance(req, _Txn):
                    txns.append(req)
                    continue
                self._commit_txns(conn, txns)
                txns = []
                loop = req.future.get_loop()
                try:
                    self._start_compaction(conn, req.revision)
                except Exception as exc:
                    _call(loop, _set_exception, req.future, exc)
                    continue
                compact_target = req.revision
                waiting.append((loop, req.future))
                _call(loop, self._set_compacted, req.revision)
            self._commit_txns(conn, txns)
        # Closing during a physical compaction: the compacted revision is recorded, the rows left
        # behind are swept by the next compaction after reopening.
        for loop, fut in waiting:
            _call(loop, _set_result, fut, None)
        conn.close()

    def _checkpointer_main(self) -> None:
        """Copy the WAL back into the database file, off the writer's path.

        SQLite's default (auto-checkpoint every 1000 WAL pages) runs the checkpoint inside the
        commit that crosses the threshold: that commit, and every txn queued behind it, waits
        while pages are copied and the database file is fsynced, tens to hundreds of ms on a busy
        disk, every few thousand writes.  Here the writer never checkpoints; this thread runs a
        PASSIVE checkpoint (it never blocks the writer or the readers) at most every
        CHECKPOINT_INTERVAL_S while there are new commits, and SQLite restarts the WAL from the
        beginning at the next write once a checkpoint has copied everything."""
        _no_wakeup_preemption()
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wal_dirty.wait()
                if self._ckpt_stop.wait(CHECKPOINT_INTERVAL_S):  # let commits gather
                    return
                self._wal_dirty.clear()
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                        conn.execute("PRAGMA busy_timeout = 10000")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self._stats.checkpoints += 1
                except sqlite3.Error as exc:
                    log.warning("sqlite store: checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def _set_compacted(self, revision: int) -> None:
        self._compacted = max(self._compacted, revision)
        # As in memory (and etcd): a watcher lagging below the compacted revision is cancelled.
        self._log.trim_below(revision)

    def _start_compaction(self, conn: sqlite3.Connection, revision: int) -> None:
        check_compaction(revision, self._wrev, self._wcompacted)
        with _write_transaction(conn):
            conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', ?)", (revision,))
        self._wcompacted = revision
        self._stats.compactions += 1

    def _compact_chunk(self, conn: sqlite3.Connection, lo: int, hi: int, target: int) -> None:
        """Clean the keys written at lo <= mod_rev < hi of what no read at or after `target`
        needs: every version below `target` that a newer version below `target` supersedes, and
        tombstones below `target`.  A key not written since the previous compaction has nothing
        to clean, so sweeping the revisions [previous target, target) in chunks covers all."""
        with _write_transaction(conn):
            cur = conn.execute(
                "DELETE FROM kv WHERE key IN (SELECT DISTINCT key FROM kv WHERE mod_rev >= ? AND mod_rev < ?) "
                "AND mod_rev < ? AND (version = 0 OR mod_rev < "
                "(SELECT max(k2.mod_rev) FROM kv AS k2 WHERE k2.key = kv.key AND k2.mod_rev < ?))",
                (lo, hi, target, target),
            )
        self._stats.deleted_rows += max(cur.rowcount, 0)

    def _commit_txns(self, conn: sqlite3.Connection, txns: builtins.list[_Txn]) -> None:
        if not txns:
            return
        outcomes: dict[asyncio.AbstractEventLoop, _Outcome] = {}
        rev = self._wrev
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Every statement below gives up the GIL and must take it back from a busy event
                # loop, so a batch costs a fixed handful of them: one read of the latest version
                # of every key the batch touches, one insert of all its new versions.
                latest = self._latest_many(conn, _keys_of(txns))
                rows: builtins.list[tuple[str, int, int, int, bytes]] = []
                for req in txns:
                    result, events = _apply(req, latest, rev, rows)
                    rev = result.revision
                    loop = req.future.get_loop()
                    outcomes.setdefault(loop, _Outcome(loop)).results.append((req.future, result, events))
                if rows:
                    conn.executemany(
                        "INSERT INTO kv (key, mod_rev, create_rev, version, value) VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                if rev != self._wrev:
                    conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('revision', ?)", (rev,))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except Exception as exc:
            # Nothing of the batch was committed: every caller gets the error.
            for req in txns:
                _call(req.future.get_loop(), _set_exception, req.future, StoreError(str(exc)))
            return
        self._wrev = rev
        self._wal_dirty.set()
        self._stats.txns += len(txns)
        self._stats.commits += 1
        self._stats.batches += 1
        self._stats.max_batch = max(self._stats.max_batch, len(txns))
        for outcome in outcomes.values():
            _call(outcome.loop, self._deliver, outcome)

    @staticmethod
    def _latest_many(conn: sqlite3.Connection, keys: builtins.list[str]) -> dict[str, KeyValue | None]:
        """The newest live version of each key (None: absent or deleted), a few statements for
        any number of keys.  Lists are padded to a power of two so few statements are prepared."""
        latest: dict[str, KeyValue | None] = dict.fromkeys(keys)
        for lo in range(0, len(keys), _LATEST_CHUNK):
            chunk = keys[lo : lo + _LATEST_CHUNK]
            size = 1 << (len(chunk) - 1).bit_length()
            params = chunk + [chunk[-1]] * (size - len(chunk))
            for row in conn.execute(_latest_sql(size), params):
                if row[3] > 0:
                    latest[row[0]] = _kv(row)
        return latest

    def _deliver(self, outcome: _Outcome) -> None:
        """On the loop: publish the batch's events in revision order, then acknowledge."""
        appended = False
        for _fut, result, events in outcome.results:
            if events:
                self._log.append(result.revision, events)
                appended = True
        if appended:
            self._log.notify()
        for fut, result, _ in outcome.results:
            _set_result(fut, result)

    # -- lifecycle ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        s = self._stats
        return {
            "backend": "sqlite",
            "path": self.path,
            "synchronous": self._synchronous,
            "revision": self._log.last_rev,
            "compacted_revision": self._compacted,
            "txns": s.txns,
            "commits": s.commits,
            "max_batch": s.max_batch,
            "compactions": s.compactions,
            "compacted_rows": s.deleted_rows,
            "checkpoints": s.checkpoints,
            "watchers": self._log.watchers,
        }

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.stop_background_compaction()
        self._queue.put(None)
        await asyncio.to_thread(self._writer.join)
        self._ckpt_stop.set()
        self._wal_dirty.set()
        await asyncio.to_thread(self._checkpointer.join)
        self._readers.shutdown(wait=True)
        with self._rconns_lock:
            for conn in self._rconns:
                conn.close()
            self._rconns.clear()
        self._log.close()
        os.close(self._lock_fd)


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back when the body (or the commit) fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _lock_data_dir(path: str, timeout_s: float) -> int:
    """Hold an exclusive lock for the life of the store: two processes writing one file would
    hand out the same revisions.  The kernel drops the lock when the process dies (kill -9)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreError(f"{path}: the store is in use by another process") from None
            time.sleep(0.05)


def _no_wakeup_preemption() -> None:
    """Run the calling thread as SCHED_BATCH (Linux): woken, it waits for a free CPU or the
    end of the running thread's slice instead of preempting it.  A txn wakes the writer while
    the event loop thread holds the GIL; preempted there, the loop thread would keep the GIL
    while descheduled and the writer would only wake to wait for it (two switches per txn
    for nothing).  Same priority otherwise (nice unchanged)."""
    setter = getattr(os, "sched_setscheduler", None)
    if setter is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        setter(0, os.SCHED_BATCH, os.sched_param(0))


def _set_result(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _set_exception(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


def _call(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> None:
    """Hand a result to the event loop; a loop that is already closed has nobody waiting."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)
