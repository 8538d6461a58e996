"""Apiserver benchmark: prints figures (not a test).

Against its own `python -m kubesvc apiserver` (SQLite, loopback, HTTPS + token), a separate
process from this one:
  1. Service creates/s with 1 and with 32 concurrent clients (closed loop);
  2. create latency at a steady (open-loop) 200 creates/s: p50/p95/p99/max and the rate achieved
     (target p99 < 50 ms);
  3. LIST of 10,000 Services (target < 1 s);
  4. watch delivery latency to 100 watchers (target p99 < 100 ms).

    .venv/bin/python bench/apiserver_bench.py [--rate 200] [--seconds 10] [--list-size 10000]
    .venv/bin/python bench/apiserver_bench.py --phases steady --seconds 30

The load generator is cheap on purpose, since it shares the machine's cores with the server: one
prebuilt HTTP/1.1 request per create written on kept-alive TLS connections, the answer read by its
Content-Length (no HTTP client library on the hot path); uvloop when installed.  The steady phase
is open loop: request i is due at start + i/rate whatever happened before, and its latency is
counted from that due time, so a stall of the server (or of this client) shows up in the figures
instead of silently lowering the offered rate.  Connections are opened before the clock starts (a
steady client keeps its connections) and one more is opened only when every open one is busy.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

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
    """The p-th percentile (nearest rank on the sorted values)."""
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


# -- a lean HTTP/1.1 client -------------------------------------------------------------------


class HttpError(RuntimeError):
    pass


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        else:
            raise HttpError(f"no Content-Length in {head[:200]!r}")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


@dataclass
class Client:
    """Kept-alive TLS connections to the server; `request` borrows an idle one (opening one more
    when all are busy)."""

    host: str
    port: int
    token: str
    ctx: ssl.SSLContext
    max_conns: int = 64
    idle: list[Conn] = field(default_factory=list)
    opened: int = 0  # open now (or opening)
    connects: int = 0  # TLS connections made in all
    _free: asyncio.Condition | None = None

    @classmethod
    def for_server(cls, srv: ApiServer) -> Client:
        return cls("127.0.0.1", srv.port, srv.admin_token, srv.ssl_context())

    async def _open(self) -> Conn:
        self.opened += 1  # counted before the handshake: concurrent borrowers see the cap
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ctx)
        except BaseException:
            self.opened -= 1
            raise
        self.connects += 1
        return Conn(reader, writer)

    async def warm(self, n: int) -> None:
        while len(self.idle) < n:
            self.idle.append(await self._open())

    def build(self, method: str, path: str, body: bytes = b"") -> bytes:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: application/json\r\n"
            f"User-Agent: apiserver-bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def _borrow(self) -> Conn:
        if self.idle:
            return self.idle.pop()
        if self.opened < self.max_conns:
            return await self._open()
        if self._free is None:
            self._free = asyncio.Condition()
        async with self._free:
            await self._free.wait_for(lambda: bool(self.idle))
            return self.idle.pop()

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """One request on an idle connection (a new one while fewer than `max_conns` are
        open, else the next one freed)."""
        conn = await self._borrow()
        try:
            result = await conn.request(raw)
        except BaseException:
            conn.close()
            self.opened -= 1
            raise
        self.idle.append(conn)
        if self._free is not None:
            async with self._free:
                self._free.notify()
        return result

    def close(self) -> None:
        for c in self.idle:
            c.close()
        self.idle.clear()


def create_request(client: Client, ns: str, name: str, **kw: Any) -> bytes:
    return client.build("POST", f"/api/v1/namespaces/{ns}/services", orjson.dumps(service(name, **kw)))


async def ensure_namespace(client: Client, name: str) -> None:
    status, body = await client.request(
        client.build("POST", "/api/v1/namespaces", orjson.dumps({"metadata": {"name": name}}))
    )
    if status not in (201, 409):
        raise HttpError(f"namespace {name}: {status} {body[:200]!r}")


async def create(client: Client, ns: str, name: str, **kw: Any) -> float:
    raw = create_request(client, ns, name, **kw)
    t = time.perf_counter()
    status, body = await client.request(raw)
    if status != 201:
        raise HttpError(f"create {name}: {status} {body[:200]!r}")
    return time.perf_counter() - t


# -- phases -------------------------------------------------------------------------------------


async def creates_per_second(srv: ApiServer, clients: int, total: int, ns: str) -> tuple[float, list[float]]:
    client = Client.for_server(srv)
    await ensure_namespace(client, ns)
    await client.warm(clients)
    names = iter(range(total))
    lat: list[float] = []

    async def worker() -> None:
        for i in names:
            lat.append(await create(client, ns, f"s{i}"))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    client.close()
    return total / elapsed, lat


@dataclass
class Steady:
    rate: float
    seconds: float
    offered: int = 0
    latencies: list[float] = field(default_factory=list)  # from each request's due time
    errors: int = 0
    achieved: float = 0.0  # completed creates per second over the phase
    late_start_max: float = 0.0  # how late this client sent a request, at worst
    connections: int = 0
    server_cpu: float = 0.0  # server CPU seconds per wall second during the phase
    server_cpu_per_create: float = 0.0  # server CPU seconds per completed create
    first_error: str = ""
    breakdown: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # p50, p99, max bucket


async def steady_rate(
    srv: ApiServer, rate: float, seconds: float, ns: str, *, warmup: float = 1.0, prefix: str = "s"
) -> Steady:
    """Open loop: request i is due at start + i/rate; latency counts from the due time (on
    time.perf_counter: uvloop's loop.time() has only millisecond resolution)."""
    client = Client.for_server(srv)
    await ensure_namespace(client, ns)
    await client.warm(8)
    res = Steady(rate, seconds)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    last_done = [0.0]

    async def one(raw: bytes, due: float, measured: bool) -> None:
        try:
            status, _ = await client.request(raw)
        except Exception as exc:
            res.errors += 1
            res.first_error = res.first_error or repr(exc)
            return
        done = time.perf_counter()
        if status != 201:
            res.errors += 1
            res.first_error = res.first_error or f"HTTP {status}"
            return
        if measured:
            res.latencies.append(done - due)
            last_done[0] = max(last_done[0], done)

    n_warm = int(rate * warmup)
    n = int(rate * seconds)
    # Build every request body before the clock starts: the generator should only send.
    raws = [create_request(client, ns, f"{prefix}{i}") for i in range(n_warm + n)]
    # The generator must not stall itself: no garbage collection while it sends.
    gc.collect()
    gc.disable()
    t0 = measure_start = time.perf_counter()
    cpu0 = cpu_seconds(srv.pid)
    hist0_task: asyncio.Task[dict[str, dict[float, float]]] | None = None
    for i, raw in enumerate(raws):
        measured = i >= n_warm
        if i == n_warm:
            hist0_task = loop.create_task(scrape(client))  # not awaited here: keeps the schedule
            cpu0 = cpu_seconds(srv.pid)
            measure_start = time.perf_counter()
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif measured:
            res.late_start_max = max(res.late_start_max, -delay)
        tasks.append(loop.create_task(one(raw, due, measured)))
    await asyncio.gather(*tasks)
    gc.enable()
    cpu1 = cpu_seconds(srv.pid)
    hist0 = await hist0_task if hist0_task is not None else {}
    hist1 = await scrape(client)
    for label, after in hist1.items():
        before = hist0.get(label, {})
        res.breakdown[label] = tuple(bucket_quantile(before, after, q) for q in (0.5, 0.99, 1.0))  # type: ignore[assignment]
    first_due = t0 + n_warm / rate
    span = max(last_done[0] - first_due, 1e-9)
    res.offered = n
    res.achieved = len(res.latencies) / span
    res.connections = client.connects
    res.server_cpu = (cpu1 - cpu0) / max(time.perf_counter() - measure_start, 1e-9)
    res.server_cpu_per_create = (cpu1 - cpu0) / max(len(res.latencies), 1)
    client.close()
    return res


async def big_list(srv: ApiServer, size: int) -> tuple[float, float, int]:
    ns = "bench-list"
    client = Client.for_server(srv)
    await ensure_namespace(client, ns)
    await client.warm(32)
    names = iter(range(size))

    async def worker() -> None:
        for i in names:
            await create(client, ns, f"s{i:05d}")

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(32)))
    fill = time.perf_counter() - t
    t = time.perf_counter()
    status, body = await client.request(client.build("GET", f"/api/v1/namespaces/{ns}/services"))
    elapsed = time.perf_counter() - t
    if status != 200:
        raise HttpError(f"list: {status} {body[:200]!r}")
    count = len(orjson.loads(body)["items"])
    client.close()
    return elapsed, fill, count


async def watch_latency(srv: ApiServer, watchers: int, events: int) -> list[float]:
    ns = "bench-watch"
    lat: list[float] = []
    client = Client.for_server(srv)
    await ensure_namespace(client, ns)
    _, body = await client.request(client.build("GET", f"/api/v1/namespaces/{ns}/services"))
    rv = orjson.loads(body)["metadata"]["resourceVersion"]
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
    for i in range(events):
        await create(client, ns, f"w{i}", annotations={"bench/sent": repr(time.time())})
        await asyncio.sleep(0.05)
    await asyncio.wait_for(done.wait(), 60)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in sessions:
        await s.close()
    client.close()
    return lat


def histograms(text: str, wanted: dict[str, dict[str, str]]) -> dict[str, dict[float, float]]:
    """Cumulative bucket counts {le: count} of the Prometheus histograms named in `wanted`
    (label: {metric name, labels that must match})."""
    out: dict[str, dict[float, float]] = {label: {} for label in wanted}
    for line in text.splitlines():
        if "_bucket{" not in line:
            continue
        name, _, rest = line.partition("{")
        labels_text, _, value = rest.rpartition("} ")
        labels = dict(part.split("=", 1) for part in labels_text.split(","))
        labels = {k: v.strip('"') for k, v in labels.items()}
        for label, want in wanted.items():
            if name == want["__name__"] + "_bucket" and all(
                labels.get(k) == v for k, v in want.items() if k != "__name__"
            ):
                le = float(labels["le"])
                out[label][le] = out[label].get(le, 0.0) + float(value)
    return out


SERVER_HISTOGRAMS = {
    "server handling (middleware to response)": {
        "__name__": "apiserver_request_duration_seconds",
        "verb": "POST",
        "resource": "services",
    },
    "store txn (queue, group commit, fsync)": {
        "__name__": "etcd_request_duration_seconds",
        "operation": "txn",
        "type": "services",
    },
}


async def scrape(client: Client) -> dict[str, dict[float, float]]:
    status, body = await client.request(client.build("GET", "/metrics"))
    if status != 200:
        return {}
    return histograms(body.decode(), SERVER_HISTOGRAMS)


def bucket_quantile(before: dict[float, float], after: dict[float, float], q: float) -> str:
    """The upper bound of the bucket holding the q-quantile of what was observed in between."""
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    if not counts or counts[-1][1] <= 0:
        return "-"
    total = counts[-1][1]
    for le, n in counts:
        if n >= q * total:
            return "> 60 s" if le == float("inf") else f"<= {le * 1000:g} ms"
    return "-"


def print_steady(r: Steady) -> None:
    lat = r.latencies
    print(
        f"  steady {r.rate:.0f} creates/s (open loop) for {r.seconds:.0f}s: achieved {r.achieved:.1f}/s, "
        f"{len(lat)}/{r.offered} ok, {r.errors} errors" + (f" (first: {r.first_error})" if r.errors else "")
    )
    if lat:
        print(
            f"    latency p50 {ms(statistics.median(lat))}  p95 {ms(pct(lat, 95))}  p99 {ms(pct(lat, 99))}  "
            f"max {ms(max(lat))}   (target p99 < 50 ms)"
        )
    print(
        f"    server CPU {r.server_cpu * 100:.0f}% of a core ({ms(r.server_cpu_per_create)} per create); "
        f"{r.connections} connections; "
        f"client sent at worst {ms(r.late_start_max)} late"
    )
    for label, (p50, p99, worst) in r.breakdown.items():
        print(f"    {label}: p50 {p50}, p99 {p99}, max {worst} (histogram buckets)")


async def main(args: argparse.Namespace) -> None:
    phases = set(args.phases.split(","))
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        if args.server_tree:
            # The server from another source tree (e.g. `git worktree add /tmp/old <commit>`),
            # for before/after figures from the same bench client.
            import tests.support.apiserver as harness

            harness.REPO = Path(args.server_tree).resolve()
        srv = start_apiserver(Path(tmp) / "data", "--log-level", "warning", backend=args.backend)
        try:
            if args.autogroup_nice is not None:
                _autogroup_nice(srv.pid, args.autogroup_nice)
                _autogroup_nice(os.getpid(), args.autogroup_nice)
            print(
                f"apiserver benchmark ({args.backend}, server pid {srv.pid}, {srv.url}); "
                f"{os.cpu_count()} CPUs, load average before start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            )
            if "throughput" in phases:
                for clients in (1, 32):
                    rate, lat = await creates_per_second(srv, clients, args.creates, f"bench-c{clients}")
                    print(
                        f"  creates, {clients:2d} client(s): {rate:7.1f}/s   p50 {ms(statistics.median(lat))}  "
                        f"p99 {ms(pct(lat, 99))}"
                    )
            if "steady" in phases:
                spy = _py_spy(srv.pid, args.profile)
                try:
                    for run in range(args.repeat):
                        r = await steady_rate(srv, args.rate, args.seconds, f"bench-steady{run}")
                        print_steady(r)
                finally:
                    if spy is not None:
                        spy.send_signal(signal.SIGINT)
                        spy.wait(60)
                        print(f"  py-spy profile of the server (raw, collapsed stacks): {args.profile}")
            if "list" in phases:
                elapsed, fill, count = await big_list(srv, args.list_size)
                print(
                    f"  LIST of {count} Services: {ms(elapsed)}   (target < 1000 ms; filled in {fill:.1f}s)"
                )
            if "watch" in phases:
                lat = await watch_latency(srv, args.watchers, args.watch_events)
                print(
                    f"  watch delivery to {args.watchers} watchers ({len(lat)} deliveries): "
                    f"p50 {ms(statistics.median(lat))}  p99 {ms(pct(lat, 99))}   (target p99 < 100 ms)"
                )
            print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            srv.stop()


def _py_spy(pid: int, out: str | None) -> subprocess.Popen[bytes] | None:
    """`--profile FILE`: py-spy samples the server (GIL holder and idle threads left out) while
    the steady phase runs; the output is py-spy's raw collapsed stacks (one stack and its count
    a line), for `flamegraph.pl` or a few lines of Python."""
    if not out:
        return None
    spy = str(Path(sys.executable).with_name("py-spy"))
    proc = subprocess.Popen(
        [spy, "record", "-p", str(pid), "-o", out, "-f", "raw", "-r", "200", "--nonblocking", "--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached before the clock starts
    return proc


def _autogroup_nice(pid: int, nice: int) -> None:
    """Linux schedules each session's processes as one group (autogroup), and `nice` only weighs
    processes within a group; the server runs in a session of its own.  On a machine shared with
    other work, a negative group nice lets server and client have the CPU they ask for."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(nice))
    except OSError as exc:
        print(f"  (cannot set the autogroup nice of {pid}: {exc})")


def _runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    run: Callable[[Any], Any] = uvloop.run
    return run


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "memory"])
    p.add_argument("--phases", default="throughput,steady,list,watch", help="comma-separated subset")
    p.add_argument("--creates", type=int, default=1000, help="creates per throughput run")
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeat", type=int, default=1, help="steady runs (each in a fresh namespace)")
    p.add_argument("--list-size", type=int, default=10000)
    p.add_argument("--watchers", type=int, default=100)
    p.add_argument("--watch-events", type=int, default=20)
    p.add_argument("--server-tree", metavar="DIR", help="run the server from this source tree (before/after)")
    p.add_argument("--profile", metavar="FILE", help="py-spy the server during the steady phase (raw stacks)")
    p.add_argument(
        "--autogroup-nice",
        type=int,
        default=None,
        help="on a shared machine: give the server's and this process's session this CPU weight (e.g. -10; root)",
    )
    _runner()(main(p.parse_args()))
