"""EndpointSlice controller benchmark: figures printed, nothing asserted.

    .venv/bin/python bench/endpointslice_bench.py [--pods 10000] [--flips 1000] [--backend memory|sqlite]
                                                  [--kubeconfig PATH]   # an existing server instead
                                                  [--profile DIR]       # py-spy both servers

Against a real apiserver on loopback (started here unless --kubeconfig is given) and a real
`kubesvc controller-manager --controllers=endpointslice-controller` process:
1. creates N ready Pods (status written through the status subresource), starts the manager
   and waits until its Pod informer holds them all;
2. creates a Service selecting them and measures the time until every endpoint is in a slice
   (N/100 slices), as seen by a separate watch on EndpointSlices in this process; prints what
   the manager's sync spent (its /metrics) and the CPU each process used meanwhile;
3. flips the readiness of single Pods F times, one after the other (each waits until the
   slice change is seen), and counts the slice writes the manager made (its /metrics; target:
   one each) and the flip → slice-seen latency;
4. times the pure plan (`plan_slices`) over the same Pods, cold and with the memo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._manager import ManagerProcess, counter, proc_cpu_seconds
from kubesvc.api.scheme import ENDPOINT_SLICES, NAMESPACES, NODES, PODS, SERVICES
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpointslice.reconciler import plan_slices
from kubesvc.controllers.manager import slim_pod, trim_managed_fields

NS = "bench-eps"
Obj = dict[str, Any]
CHANGES = "kubesvc_endpointslice_changes_total"


def writes(m: dict[str, float]) -> float:
    return sum(counter(m, CHANGES, operation=op) for op in ("create", "update", "delete"))


def pod_ip(i: int) -> str:
    return f"10.{64 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def pod_status(i: int, ready: bool) -> Obj:
    return {
        "phase": "Running",
        "podIP": pod_ip(i),
        "podIPs": [{"ip": pod_ip(i)}],
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }


async def create_pods(client: RestClient, n: int) -> None:
    sem = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        async with sem:
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p-{i}", "labels": {"app": "bench"}},
                "spec": {"nodeName": "bench-node", "containers": [{"name": "c", "image": "busybox"}]},
            }
            await client.create(PODS, pod, namespace=NS)
            await client.patch(
                PODS, f"p-{i}", {"status": pod_status(i, True)}, namespace=NS, subresource="status"
            )

    await asyncio.gather(*(one(i) for i in range(n)))


async def wait_for(pred: Any, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not pred():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.001)


class Profiler:
    """py-spy on the apiserver and the manager while a phase runs (--profile DIR)."""

    def __init__(self, out_dir: str | None, pids: dict[str, int]) -> None:
        self.out_dir = out_dir
        self.pids = pids
        self.procs: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> Profiler:
        if self.out_dir:
            Path(self.out_dir).mkdir(parents=True, exist_ok=True)
            spy = str(Path(sys.executable).with_name("py-spy"))
            for name, pid in self.pids.items():
                out = Path(self.out_dir) / f"{name}.txt"
                self.procs.append(
                    subprocess.Popen(
                        [spy, "record", "-p", str(pid), "-o", str(out), "-f", "raw", "-r", "250"],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            await asyncio.sleep(1.0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGINT)
        for p in self.procs:
            p.wait(30)
        if self.procs:
            print(f"  py-spy profiles (raw, collapsed stacks) in {self.out_dir}")


async def run(
    client: RestClient,
    kubeconfig: str,
    n: int,
    flips: int,
    max_per_slice: int,
    apiserver_pid: int | None,
    profile: str | None,
) -> None:
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    await client.create(
        NODES,
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "bench-node", "labels": {"topology.kubernetes.io/zone": "z1"}},
        },
    )
    t = time.perf_counter()
    await create_pods(client, n)
    print(f"setup: {n} ready Pods created in {time.perf_counter() - t:.1f}s")

    t = time.perf_counter()
    mgr = ManagerProcess(kubeconfig, "endpointslice-controller", f"--max-endpoints-per-slice={max_per_slice}")
    watcher = Informer(client, ENDPOINT_SLICES, namespace=NS, transform=trim_managed_fields)
    watcher.add_index("ip", _by_ip)
    seen = {"endpoints": 0}

    def count(old: Obj | None, new: Obj | None) -> None:
        seen["endpoints"] += len((new or {}).get("endpoints") or []) - len((old or {}).get("endpoints") or [])

    watcher.add_handler(on_add=lambda o: count(None, o), on_update=count, on_delete=lambda o: count(o, None))
    task = asyncio.create_task(watcher.run())
    try:
        await mgr.wait_cached("pods", n)
        await watcher.wait_synced()
        print(f"controller-manager started, Pod cache filled in {time.perf_counter() - t:.2f}s")

        want_slices = -(-n // max_per_slice)
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "bench"},
            "spec": {"selector": {"app": "bench"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
        m0 = await mgr.metrics()
        pids = {"controller-manager": mgr.pid} | ({"apiserver": apiserver_pid} if apiserver_pid else {})
        cpu0 = {k: proc_cpu_seconds(p) for k, p in pids.items()}
        async with Profiler(profile, pids):
            t0 = time.perf_counter()
            await client.create(SERVICES, svc, namespace=NS)
            await wait_for(lambda: seen["endpoints"] == n and len(watcher.store) == want_slices, 300)
            elapsed = time.perf_counter() - t0
        cpu = {k: proc_cpu_seconds(p) - cpu0[k] for k, p in pids.items()}
        print(
            f"Service create -> all {want_slices} slices ({n} endpoints) written and seen: "
            f"{elapsed:.2f}s (target < 2 s)"
        )
        await asyncio.sleep(1.5)  # the echoes of our own writes pass
        m1 = await mgr.metrics()
        sync_sum = "kubesvc_controller_sync_duration_seconds_sum"
        spent = counter(m1, sync_sum, controller="endpointslice") - counter(
            m0, sync_sum, controller="endpointslice"
        )
        print(
            f"  of which inside the manager's sync (plan + {want_slices} creates through the API): "
            f"{spent:.2f}s; slice writes: {writes(m1) - writes(m0):.0f}"
        )
        print("  CPU used meanwhile: " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()))

        before = writes(m1)
        latencies = []
        for k in range(flips):
            i = (k * 7919) % n
            ready = not _current_ready(watcher, pod_ip(i))
            t = time.perf_counter()
            await client.patch(
                PODS, f"p-{i}", {"status": pod_status(i, ready)}, namespace=NS, subresource="status"
            )
            ip = pod_ip(i)
            await wait_for(lambda ip=ip, ready=ready: _current_ready(watcher, ip) == ready, 30)
            latencies.append(time.perf_counter() - t)
        if flips:
            await asyncio.sleep(1.5)
            made = writes(await mgr.metrics()) - before
            latencies.sort()
            print(
                f"{flips} single-Pod readiness flips -> {made:.0f} slice writes "
                f"({made / flips:.2f} per flip, target 1.00)"
            )
            print(
                f"flip -> slice seen: p50 {statistics.median(latencies) * 1000:.1f} ms, "
                f"p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1000:.1f} ms"
            )
        mem = mgr.memory()
        print(
            f"controller-manager (endpointslice-controller only) RSS {mem['VmRSS'] / 2**20:.0f} MiB, "
            f"peak {mem['VmHWM'] / 2**20:.0f} MiB"
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        mgr.stop()

    # The pure plan over the same Pods (as the manager caches them), in this process.
    service_obj = await client.get(SERVICES, "bench", namespace=NS)
    pods = [slim_pod(p) for p in (await client.list_all(PODS, namespace=NS, page_size=500))["items"]]
    slices = list(watcher.store.list())
    nodes = {"bench-node": await client.get(NODES, "bench-node")}
    memo: dict[str, Any] = {}
    t = time.perf_counter()
    plan_slices(service_obj, pods, nodes, [], max_endpoints_per_slice=max_per_slice, memo=memo)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    plan = plan_slices(service_obj, pods, nodes, slices, max_endpoints_per_slice=max_per_slice, memo=memo)
    warm = time.perf_counter() - t
    print(
        f"pure plan over {len(pods)} Pods: {cold * 1000:.0f} ms from nothing, "
        f"{warm * 1000:.0f} ms against the written slices with the memo ({plan.writes()} writes)"
    )


def _by_ip(s: Obj) -> list[str]:
    return [ep["addresses"][0] for ep in s.get("endpoints") or []]


def _current_ready(watcher: Informer, ip: str) -> bool | None:
    for s in watcher.store.by_index("ip", ip):
        for ep in s.get("endpoints") or []:
            if ep["addresses"][0] == ip:
                return bool(ep["conditions"].get("ready"))
    return None


async def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--flips", type=int, default=1000)
    ap.add_argument("--max-endpoints-per-slice", type=int, default=100)
    ap.add_argument("--backend", default="memory", choices=["memory", "sqlite"])
    ap.add_argument("--kubeconfig", help="use this server instead of starting one")
    ap.add_argument("--profile", metavar="DIR", help="py-spy the manager and apiserver during step 2")
    a = ap.parse_args()
    if a.kubeconfig:
        client = RestClient.from_kubeconfig(a.kubeconfig)
        try:
            await run(client, a.kubeconfig, a.pods, a.flips, a.max_endpoints_per_slice, None, a.profile)
        finally:
            await client.close()
        return
    from tests.support.apiserver import start_apiserver

    with tempfile.TemporaryDirectory() as tmp:
        srv = start_apiserver(Path(tmp) / "data", backend=a.backend)
        client = RestClient.from_kubeconfig(str(srv.kubeconfig), connection_limit=64)
        try:
            print(f"apiserver pid {srv.pid} at {srv.url} (backend {a.backend})")
            await run(
                client,
                str(srv.kubeconfig),
                a.pods,
                a.flips,
                a.max_endpoints_per_slice,
                srv.pid,
                a.profile,
            )
        finally:
            await client.close()
            srv.stop()


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # run the finally blocks: stop the processes we started


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    asyncio.run(main())
