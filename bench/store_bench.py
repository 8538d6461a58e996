"""Store benchmark: figures printed, nothing asserted.

    .venv/bin/python bench/store_bench.py [--backend sqlite|memory] [--synchronous FULL|NORMAL]

Measures, on a fresh store in a temporary directory:
- txn throughput (creates/s) with 1 and with 32 concurrent writers, and the SQLite commits they
  needed (group commit);
- p50/p99 create latency at a steady 200 writes/s;
- LIST of 10,000 keys of ~900 bytes (a Service-sized value), whole and paged by 500;
- watch delivery latency (commit acknowledged -> event received) to 100 watchers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kubesvc.storage import open_store
from kubesvc.storage.interface import Put, Store

VALUE = b"x" * 900


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


async def throughput(store: Store, writers: int, total: int, tag: str) -> None:
    stats0 = dict(getattr(store, "stats", dict)())
    per = total // writers

    async def writer(i: int) -> None:
        for j in range(per):
            await store.create(f"/bench/{tag}/{i}/{j}", VALUE)

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    dt = time.perf_counter() - t0
    stats1 = getattr(store, "stats", dict)()
    commits = stats1.get("commits", 0) - stats0.get("commits", 0)
    print(
        f"creates, {writers:2d} writer(s): {per * writers / dt:8.0f}/s  ({per * writers} txns, {commits} commits)"
    )


async def steady_latency(store: Store, rate: float, seconds: float) -> None:
    lat: list[float] = []
    tasks = []

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        await store.create(f"/bench/steady/{i}", VALUE)
        lat.append(time.perf_counter() - t0)

    loop = asyncio.get_running_loop()
    start = loop.time()
    n = int(rate * seconds)
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    print(
        f"create latency at {rate:.0f} writes/s: p50 {pct(lat, 0.5) * 1e3:.2f} ms, p99 {pct(lat, 0.99) * 1e3:.2f} ms"
    )


async def list_bench(store: Store) -> None:
    for chunk in range(20):
        await store.txn([], [Put(f"/bench/list/{chunk:02d}/{i:04d}", VALUE) for i in range(500)])
    for _ in range(2):
        t0 = time.perf_counter()
        res = await store.list("/bench/list/")
        dt = time.perf_counter() - t0
    print(f"list of {len(res.items)} keys: {dt * 1e3:.1f} ms")
    t0 = time.perf_counter()
    last, pages, n = "", 0, 0
    while True:
        page = await store.list("/bench/list/", revision=res.revision, limit=500, start_after=last)
        pages += 1
        n += len(page.items)
        if not page.more:
            break
        last = page.items[-1].key
    print(f"list of {n} keys in {pages} pages of 500: {(time.perf_counter() - t0) * 1e3:.1f} ms")


async def watch_latency(store: Store, watchers: int, events: int) -> None:
    sent: dict[str, float] = {}
    lat: list[float] = []

    async def consume(w: Any) -> None:
        got = 0
        async for ev in w:
            lat.append(time.perf_counter() - sent[ev.kv.key])
            got += 1
            if got == events:
                break
        await w.aclose()

    ws = [store.watch("/bench/watch/", start_revision=0) for _ in range(watchers)]
    consumers = [asyncio.create_task(consume(w)) for w in ws]
    await asyncio.sleep(0.05)
    for i in range(events):
        sent[f"/bench/watch/{i}"] = time.perf_counter()
        await store.create(f"/bench/watch/{i}", VALUE)
        await asyncio.sleep(0.005)
    await asyncio.gather(*consumers)
    print(
        f"watch delivery to {watchers} watchers ({events} events, from create call): "
        f"p50 {pct(lat, 0.5) * 1e3:.2f} ms, p99 {pct(lat, 0.99) * 1e3:.2f} ms"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "memory"])
    ap.add_argument("--synchronous", default="FULL")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubesvc-bench-") as d:
        opts: dict[str, Any] = {"synchronous": args.synchronous} if args.backend == "sqlite" else {}
        store = open_store(args.backend, data_dir=d, **opts)
        try:
            print(f"backend {args.backend} {opts}")
            await throughput(store, 1, 1000, "one")
            await throughput(store, 32, 6400, "many")
            await steady_latency(store, 200, 5)
            await list_bench(store)
            await watch_latency(store, 100, 200)
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
