"""Allocation benchmarks (prints figures; not a test).

1. Allocator throughput when the range is 0 %, 50 % and 99 % full (allocate_next + release of
   the same item, so the occupancy stays put), for a /16 IPv4 range, the /108 IPv6 range and
   the default NodePort range.  Target: the cost at 99 % is at most 2x the cost at 0 %.
2. Service create rate through the real HTTP API of an apiserver subprocess (memory store):
   ClusterIP Services (one IP allocated each) versus headless ones (nothing allocated).

    .venv/bin/python bench/allocation_bench.py [--api-count 400] [--concurrency 16] [--backend sqlite] [--no-api]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubesvc.allocation.ipallocator import IPRange  # noqa: E402
from kubesvc.allocation.portallocator import PortRange  # noqa: E402


def _fill(r: Any, fraction: float, rng: random.Random) -> None:
    target = int(r.size * fraction)
    while r.used < target:
        r.allocate_next(rng)


def bench_range(label: str, make: Any, ops: int = 20000, repeats: int = 7) -> None:
    """Best of `repeats` rounds (the machine is shared: the minimum is the least noisy figure)."""
    rng = random.Random(42)
    base = None
    print(f"\n{label}")
    for fraction in (0.0, 0.5, 0.99):
        r = make()
        _fill(r, fraction, rng)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(ops // repeats):
                item = r.allocate_next(rng)
                r.release(item)
            best = min(best, time.perf_counter() - t0)
        dt = best * repeats
        per = dt / ops * 1e6
        base = base or per
        print(
            f"  {fraction * 100:5.1f}% full ({r.used:>6}/{r.size}): {ops / dt:>10,.0f} alloc+release/s"
            f"  {per:6.2f} us/op  ratio vs empty {per / base:4.2f}x"
        )


async def bench_api(count: int, concurrency: int, backend: str = "memory") -> None:
    from tests.support.apiserver import start_apiserver

    tmp = Path(tempfile.mkdtemp(prefix="allocbench-"))
    srv = start_apiserver(tmp / "data", "--service-cluster-ip-range", "10.96.0.0/16", backend=backend)
    try:
        async with srv.session() as s:

            async def run(kind: str) -> float:
                sem = asyncio.Semaphore(concurrency)

                async def one(i: int) -> None:
                    spec: dict[str, Any] = {"selector": {"app": "b"}, "ports": [{"port": 80}]}
                    if kind == "headless":
                        spec["clusterIP"] = "None"
                    elif kind == "nodeport":
                        spec["type"] = "NodePort"
                    body = {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": {"name": f"{kind}-{i}"},
                        "spec": spec,
                    }
                    async with sem, s.post("/api/v1/namespaces/default/services", json=body) as r:
                        if r.status != 201:
                            raise RuntimeError(f"{r.status}: {await r.text()}")
                        await r.read()

                t0 = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(count)))
                return count / (time.perf_counter() - t0)

            await run("warmup")
            headless = await run("headless")
            clusterip = await run("clusterip")
            nodeport = await run("nodeport")
        print(
            f"\nService creates through the API ({count} each, {concurrency} concurrent clients, {backend} store)"
        )
        print(f"  headless (no allocation)     {headless:8.0f} creates/s")
        print(
            f"  ClusterIP (1 IP)             {clusterip:8.0f} creates/s  ({clusterip / headless:4.2f}x headless)"
        )
        print(
            f"  NodePort (1 IP + 1 port)     {nodeport:8.0f} creates/s  ({nodeport / headless:4.2f}x headless)"
        )
    finally:
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--api-count", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-api", action="store_true")
    ap.add_argument("--backend", default="memory", choices=["memory", "sqlite"])
    args = ap.parse_args()
    print("Allocator throughput by occupancy (allocate_next + release, occupancy constant)")
    bench_range("IPv4 10.96.0.0/16", lambda: IPRange("10.96.0.0/16"), args.ops)
    bench_range("IPv4 10.96.0.0/12 (default)", lambda: IPRange("10.96.0.0/12"), args.ops)
    bench_range("IPv6 fd00:10:96::/108 (65535 items)", lambda: IPRange("fd00:10:96::/108"), args.ops)
    bench_range("NodePorts 30000-32767", lambda: PortRange("30000-32767"), args.ops)
    if not args.no_api:
        asyncio.run(bench_api(args.api_count, args.concurrency, args.backend))


if __name__ == "__main__":
    main()
