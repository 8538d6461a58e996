"""EndpointSlice controller benchmark: figures printed, nothing asserted.

    .venv/bin/python bench/endpointslice_bench.py [--pods 10000] [--flips 1000] [--backend memory|sqlite]
                                                  [--kubeconfig PATH]   # an existing server instead

Against a real apiserver on loopback (started here unless --kubeconfig is given):
1. creates N ready Pods (status written through the status subresource) and starts the
   controller (informers for Services, Pods, Nodes, EndpointSlices) until its caches are synced;
2. creates a Service selecting them and measures the time until every endpoint is in a slice
   (N/100 slices), as seen by a separate watch on EndpointSlices;
3. flips the readiness of single Pods F times, one after the other (each waits until the
   slice change is seen), and counts the slice writes the controller made (target: one each)
   and the flip → slice-seen latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kubesvc.api.scheme import ENDPOINT_SLICES, NAMESPACES, NODES, PODS, SERVICES
from kubesvc.client.informer import Informer, InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpointslice.controller import SLICE_CHANGES, EndpointSliceController
from kubesvc.controllers.endpointslice.indexes import pods_selected_by
from kubesvc.controllers.endpointslice.reconciler import plan_slices
from kubesvc.controllers.runtime import SYNC_DURATION

NS = "bench-eps"
Obj = dict[str, Any]


def writes() -> float:
    return sum(SLICE_CHANGES.labels(op)._value.get() for op in ("create", "update", "delete"))


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


async def run(client: RestClient, n: int, flips: int, max_per_slice: int) -> None:
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

    factory = InformerFactory(client)
    ctrl = EndpointSliceController.from_factory(client, factory, max_endpoints_per_slice=max_per_slice)
    watcher = Informer(client, ENDPOINT_SLICES, namespace=NS)
    watcher.add_index("ip", _by_ip)
    seen = {"endpoints": 0}

    def count(old: Obj | None, new: Obj | None) -> None:
        seen["endpoints"] += len((new or {}).get("endpoints") or []) - len((old or {}).get("endpoints") or [])

    watcher.add_handler(on_add=lambda o: count(None, o), on_update=count, on_delete=lambda o: count(o, None))
    factory.start()
    tasks = [asyncio.create_task(ctrl.run()), asyncio.create_task(watcher.run())]
    try:
        t = time.perf_counter()
        await factory.wait_synced()
        await watcher.wait_synced()
        print(f"controller caches synced in {time.perf_counter() - t:.2f}s")

        def endpoints_seen() -> int:
            return seen["endpoints"]

        want_slices = -(-n // max_per_slice)
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "bench"},
            "spec": {"selector": {"app": "bench"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
        sync_before = SYNC_DURATION.labels(ctrl.name)._sum.get()
        t0 = time.perf_counter()
        await client.create(SERVICES, svc, namespace=NS)
        await wait_for(lambda: endpoints_seen() == n and len(watcher.store) == want_slices, 300)
        elapsed = time.perf_counter() - t0
        print(
            f"Service create -> all {want_slices} slices ({n} endpoints) written and seen: {elapsed:.2f}s (target < 2 s)"
        )
        spent = SYNC_DURATION.labels(ctrl.name)._sum.get() - sync_before
        print(
            f"  of which inside the controller's sync (plan + {want_slices} creates through the API): {spent:.2f}s"
        )

        await asyncio.sleep(1.5)  # the echoes of our own writes pass
        service_obj = ctrl.services.store.get(f"{NS}/bench")
        pods = pods_selected_by(ctrl.pods.store, service_obj)
        slices = ctrl.managed_slices(NS, "bench")
        nodes = {n["metadata"]["name"]: n for n in ctrl.nodes.store.list()}
        memo: dict[str, Any] = {}
        t = time.perf_counter()
        plan = plan_slices(service_obj, pods, nodes, slices, max_endpoints_per_slice=max_per_slice, memo=memo)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        plan_slices(service_obj, pods, nodes, slices, max_endpoints_per_slice=max_per_slice, memo=memo)
        warm = time.perf_counter() - t
        print(
            f"pure plan over {len(pods)} Pods: {cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms with the memo ({plan.writes()} writes)"
        )
        before = writes()
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
        await asyncio.sleep(1.5)
        made = writes() - before
        latencies.sort()
        print(
            f"{flips} single-Pod readiness flips -> {made:.0f} slice writes "
            f"({made / max(flips, 1):.2f} per flip, target 1.00)"
        )
        print(
            f"flip -> slice seen: p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1000:.1f} ms"
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"max RSS of this process (controller with its caches + the bench's slice watcher): {rss:.0f} MiB"
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await factory.stop()


def _by_ip(s: Obj) -> list[str]:
    return [ep["addresses"][0] for ep in s.get("endpoints") or []]


def _current_ready(watcher: Informer, ip: str) -> bool | None:
    for s in watcher.store.by_index("ip", ip):
        for ep in s.get("endpoints") or []:
            if ep["addresses"][0] == ip:
                return bool(ep["conditions"].get("ready"))
    return None


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--flips", type=int, default=1000)
    ap.add_argument("--max-endpoints-per-slice", type=int, default=100)
    ap.add_argument("--backend", default="memory", choices=["memory", "sqlite"])
    ap.add_argument("--kubeconfig", help="use this server instead of starting one")
    a = ap.parse_args()
    if a.kubeconfig:
        client = RestClient.from_kubeconfig(a.kubeconfig)
        try:
            await run(client, a.pods, a.flips, a.max_endpoints_per_slice)
        finally:
            await client.close()
        return
    from tests.support.apiserver import start_apiserver

    with tempfile.TemporaryDirectory() as tmp:
        srv = start_apiserver(Path(tmp) / "data", backend=a.backend)
        client = RestClient.from_kubeconfig(str(srv.kubeconfig), connection_limit=64)
        try:
            print(f"apiserver pid {srv.pid} at {srv.url} (backend {a.backend})")
            await run(client, a.pods, a.flips, a.max_endpoints_per_slice)
        finally:
            await client.close()
            srv.stop()


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # run the finally blocks: stop the apiserver we started


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    asyncio.run(main())
