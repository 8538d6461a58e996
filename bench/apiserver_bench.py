"""Apiserver benchmark: prints figures (not a test).

Against its own `python -m kubesvc apiserver` (SQLite, loopback, HTTPS + token):
  1. Service creates/s with 1 and with 32 concurrent clients;
  2. p50/p99 create latency at a steady 200 writes/s (target p99 < 50 ms);
  3. LIST of 10,000 Services (target < 1 s);
  4. watch delivery latency to 100 watchers (target p99 < 100 ms).

    .venv/bin/python bench/apiserver_bench.py [--list-size 10000] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.apiserver import ApiServer, start_apiserver


def service(name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


async def ensure_namespace(s: aiohttp.ClientSession, name: str) -> None:
    async with s.post("/api/v1/namespaces", json={"metadata": {"name": name}}) as r:
        assert r.status in (201, 409), await r.text()


async def create(s: aiohttp.ClientSession, ns: str, name: str, **kw: Any) -> float:
    t = time.perf_counter()
    async with s.post(f"/api/v1/namespaces/{ns}/services", json=service(name, **kw)) as r:
        body = await r.read()
        if r.status != 201:
            raise RuntimeError(f"create {name}: {r.status} {body[:200]!r}")
    return time.perf_counter() - t


async def creates_per_second(srv: ApiServer, clients: int, total: int) -> tuple[float, list[float]]:
    ns = f"bench-c{clients}"
    async with srv.session() as s:
        await ensure_namespace(s, ns)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)
        lat: list[float] = []

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                lat.append(await create(s, ns, f"s{i}"))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return total / elapsed, lat


async def steady_rate(srv: ApiServer, rate: float, seconds: float) -> list[float]:
    ns = "bench-steady"
    lat: list[float] = []
    async with srv.session() as s:
        await ensure_namespace(s, ns)
        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(create(s, ns, f"s{i}")))
        lat = list(await asyncio.gather(*tasks))
    return lat


async def big_list(srv: ApiServer, size: int) -> tuple[float, float, int]:
    ns = "bench-list"
    async with srv.session() as s:
        await ensure_namespace(s, ns)
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem:
                await create(s, ns, f"s{i:05d}")

        t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(size)))
        fill = time.perf_counter() - t
        t = time.perf_counter()
        async with s.get(f"/api/v1/namespaces/{ns}/services") as r:
            body = await r.read()
        elapsed = time.perf_counter() - t
        count = len(json.loads(body)["items"])
    return elapsed, fill, count


async def watch_latency(srv: ApiServer, watchers: int, events: int) -> list[float]:
    ns = "bench-watch"
    lat: list[float] = []
    async with srv.session() as admin:
        await ensure_namespace(admin, ns)
        async with admin.get(f"/api/v1/namespaces/{ns}/services") as r:
            rv = (await r.json())["metadata"]["resourceVersion"]
    sessions = [srv.session() for _ in range(watchers)]
    ready = 0
    done = asyncio.Event()
    seen = [0] * watchers

    async def watcher(idx: int, s: aiohttp.ClientSession) -> None:
        nonlocal ready
        params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"}
        async with s.get(f"/api/v1/namespaces/{ns}/services", params=params) as r:
            ready += 1
            async for line in r.content:
                if not line.strip():
                    continue
                now = time.time()
                ev = json.loads(line)
                sent = float(ev["object"]["metadata"]["annotations"]["bench/sent"])
                lat.append(now - sent)
                seen[idx] += 1
                if seen[idx] >= events:
                    break
        if all(n >= events for n in seen):
            done.set()

    tasks = [asyncio.create_task(watcher(i, s)) for i, s in enumerate(sessions)]
    while ready < watchers:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    async with srv.session() as admin:
        for i in range(events):
            await create(admin, ns, f"w{i}", annotations={"bench/sent": repr(time.time())})
            await asyncio.sleep(0.05)
    await asyncio.wait_for(done.wait(), 60)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in sessions:
        await s.close()
    return lat


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_apiserver(Path(tmp) / "data", "--log-level", "warning", backend=args.backend)
        try:
            print(f"apiserver benchmark ({args.backend}, pid {srv.pid}, {srv.url})")
            for clients in (1, 32):
                rate, lat = await creates_per_second(srv, clients, args.creates)
                print(
                    f"  creates, {clients:2d} client(s): {rate:7.1f}/s   p50 {ms(statistics.median(lat))}  "
                    f"p99 {ms(pct(lat, 99))}"
                )
            lat = await steady_rate(srv, args.rate, args.seconds)
            print(
                f"  steady {args.rate:.0f} creates/s for {args.seconds:.0f}s: p50 {ms(statistics.median(lat))}  "
                f"p99 {ms(pct(lat, 99))}   (target p99 < 50 ms)"
            )
            elapsed, fill, count = await big_list(srv, args.list_size)
            print(f"  LIST of {count} Services: {ms(elapsed)}   (target < 1000 ms; filled in {fill:.1f}s)")
            lat = await watch_latency(srv, args.watchers, args.watch_events)
            print(
                f"  watch delivery to {args.watchers} watchers ({len(lat)} deliveries): "
                f"p50 {ms(statistics.median(lat))}  p99 {ms(pct(lat, 99))}   (target p99 < 100 ms)"
            )
        finally:
            srv.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "memory"])
    p.add_argument("--creates", type=int, default=500)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--list-size", type=int, default=10000)
    p.add_argument("--watchers", type=int, default=100)
    p.add_argument("--watch-events", type=int, default=20)
    asyncio.run(main(p.parse_args()))
