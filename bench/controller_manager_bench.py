"""Controller-manager memory benchmark: figures printed, nothing asserted.

    .venv/bin/python bench/controller_manager_bench.py [--services 10000] [--pods-per-service 10]
                                                       [--seed store|api] [--namespaces 100]
                                                       [--controllers '*'] [--kubeconfig PATH]

1. starts an apiserver (sqlite, in a temporary data dir) and `python -m kubesvc controller-manager
   --leader-elect=false` (all controllers) on the empty cluster, and reads the manager's resident
   memory once its caches are synced (baseline); stops both;
2. seeds S Services, each selecting P ready Pods on one Node, spread over `--namespaces`
   namespaces (default 100):
   - `--seed store` (default): the SQLite store is written directly with the apiserver's own
     registry (`build_registry`: defaulting, validation, the Service strategy's ClusterIP
     allocation), while no apiserver runs.  A Pod is written once, with the status the status
     patch would have given it merged into the one the Pod strategy sets on create.  The
     objects are those the API would have stored, except that they carry no
     `metadata.managedFields` (the field manager runs in the HTTP handlers; the
     controller-manager drops them from its caches anyway) and a Pod's resourceVersion is that
     of its create;
   - `--seed api`: through the API (Pod create + status patch, Service create), 64 requests in
     flight, as a user would;
3. starts the apiserver on the seeded store, then the manager (it LISTs everything, as after a
   restart or a leader change), waits until the controllers have caught up (every Service's
   slice written with all its endpoints, work queues empty, per /metrics and a final LIST) and
   prints the manager's resident set (VmRSS), its peak (VmHWM), the apiserver's, and the
   figures per Service and per cached object.

With `--kubeconfig` an existing server is used (seeding through the API only, no apiserver
figures).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._manager import ManagerProcess, counter, proc_cpu_seconds, proc_memory  # noqa: E402
from kubesvc.api.scheme import ENDPOINT_SLICES, NAMESPACES, NODES, PODS, SERVICES  # noqa: E402
from kubesvc.client.errors import AlreadyExistsError  # noqa: E402
from kubesvc.client.rest import RestClient  # noqa: E402

NS = "bench-cm"  # namespaces are NS-0, NS-1, ... (see --namespaces)
Obj = dict[str, Any]
MiB = 2**20


def pod_ip(i: int) -> str:
    return f"10.{64 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def ns_of(svc: int, services: int, namespaces: int) -> str:
    return f"{NS}-{svc * namespaces // services}"


def namespace_obj(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


NODE: Obj = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "bench-node", "labels": {"topology.kubernetes.io/zone": "zone-a"}},
}


def pod_obj(i: int, svc: int) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p-{i}", "labels": {"app": f"s-{svc}"}},
        "spec": {"nodeName": "bench-node", "containers": [{"name": "c", "image": "busybox"}]},
    }


def pod_status(i: int) -> Obj:
    return {
        "phase": "Running",
        "podIP": pod_ip(i),
        "podIPs": [{"ip": pod_ip(i)}],
        "conditions": [{"type": "Ready", "status": "True"}],
    }


def service_obj(svc: int) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"s-{svc}"},
        "spec": {"selector": {"app": f"s-{svc}"}, "ports": [{"port": 80, "protocol": "TCP"}]},
    }


async def _in_batches(jobs: list[Any], run: Any, in_flight: int) -> None:
    sem = asyncio.Semaphore(in_flight)

    async def one(job: Any) -> None:
        async with sem:
            await run(job)

    batch = 5000  # bounded number of pending coroutines
    for k in range(0, len(jobs), batch):
        await asyncio.gather(*(one(j) for j in jobs[k : k + batch]))


# -- seeding --------------------------------------------------------------------------------


class _StatusOnCreate:
    """The Pod strategy, except that create merges the status given (as the status patch through
    the API would have, one write later) into the status the strategy resets it to: one store
    write per Pod instead of two."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def prepare_for_create(self, obj: Obj) -> None:
        given = obj.get("status") or {}
        self._inner.prepare_for_create(obj)
        obj.setdefault("status", {}).update(given)


async def seed_store(data_dir: Path, services: int, per_service: int, namespaces: int) -> float:
    """Write the objects straight into the SQLite store with the apiserver's registry."""
    from kubesvc.api.defaults import apply_defaults
    from kubesvc.apiserver.config import ServerConfig
    from kubesvc.registry import build_registry
    from kubesvc.storage import open_store

    start = time.perf_counter()
    store = open_store("sqlite", data_dir=str(data_dir))
    registry = build_registry(store, ServerConfig(data_dir=str(data_dir)))
    try:
        await registry.ensure_system_namespaces()
        for n in range(namespaces):
            obj = namespace_obj(f"{NS}-{n}")
            apply_defaults(obj)
            await registry.get(NAMESPACES).create("", obj)
        node = dict(NODE)
        apply_defaults(node)
        await registry.get(NODES).create("", node)
        pods_rs = registry.get(PODS)
        pods_rs.strategy = _StatusOnCreate(pods_rs.strategy)  # type: ignore[assignment]

        async def one_pod(job: tuple[int, int]) -> None:
            i, svc = job
            obj = pod_obj(i, svc)
            apply_defaults(obj)
            obj["status"] = pod_status(i)
            await pods_rs.create(ns_of(svc, services, namespaces), obj)

        async def one_service(svc: int) -> None:
            obj = service_obj(svc)
            apply_defaults(obj)
            await registry.get(SERVICES).create(ns_of(svc, services, namespaces), obj)

        t = time.perf_counter()
        await _in_batches([(i, i // per_service) for i in range(services * per_service)], one_pod, 256)
        t_pods = time.perf_counter() - t
        t = time.perf_counter()
        await _in_batches(list(range(services)), one_service, 256)
        print(f"  store seeding: Pods {t_pods:.1f}s, Services {time.perf_counter() - t:.1f}s")
    finally:
        await store.close()
    return time.perf_counter() - start


async def seed_api(client: RestClient, services: int, per_service: int, namespaces: int) -> float:
    """The same objects through the API, 64 requests in flight."""
    start = time.perf_counter()
    for n in range(namespaces):
        with contextlib.suppress(AlreadyExistsError):
            await client.create(NAMESPACES, namespace_obj(f"{NS}-{n}"))
    with contextlib.suppress(AlreadyExistsError):
        await client.create(NODES, NODE)

    async def one_pod(job: tuple[int, int]) -> None:
        i, svc = job
        ns = ns_of(svc, services, namespaces)
        await client.create(PODS, pod_obj(i, svc), namespace=ns)
        await client.patch(PODS, f"p-{i}", {"status": pod_status(i)}, namespace=ns, subresource="status")

    async def one_service(svc: int) -> None:
        await client.create(SERVICES, service_obj(svc), namespace=ns_of(svc, services, namespaces))

    await _in_batches([(i, i // per_service) for i in range(services * per_service)], one_pod, 64)
    await _in_batches(list(range(services)), one_service, 64)
    return time.perf_counter() - start


# -- measuring ------------------------------------------------------------------------------


async def idle_baseline(kubeconfig: str, controllers: str) -> int:
    mgr = ManagerProcess(kubeconfig, controllers)
    try:
        await mgr.wait_cached("services", 1)  # the `kubernetes` Service
        await asyncio.sleep(2.0)
        return mgr.memory()["VmRSS"]
    finally:
        mgr.stop()


async def measure(
    args: argparse.Namespace, client: RestClient, kubeconfig: str, base_rss: int, apiserver_pid: int | None
) -> None:
    services, per_service = args.services, args.pods_per_service
    pods = services * per_service
    start = time.perf_counter()
    mgr = ManagerProcess(kubeconfig, args.controllers)
    try:
        await mgr.wait_cached("pods", pods)
        cached_at = time.perf_counter() - start
        while True:
            m = await mgr.metrics()
            slices = counter(m, "kubesvc_controller_manager_informer_objects", resource="endpointslices")
            depth = sum(v for k, v in m.items() if k.startswith("kubesvc_workqueue_depth"))
            # Without the EndpointSlice controller (--controllers): caught up = queues empty.
            writes_slices = 'kubesvc_workqueue_depth{name="endpointslice"}' in m
            if depth == 0 and (not writes_slices or slices >= services + 1):  # + `kubernetes`
                items = (await client.list_all(ENDPOINT_SLICES, page_size=500))["items"]
                ours = [x for x in items if x["metadata"]["namespace"].startswith(NS)]
                if not writes_slices or sum(len(s.get("endpoints") or []) for s in ours) >= pods:
                    break
            await asyncio.sleep(1.0)
        done_at = time.perf_counter() - start
        mem = mgr.memory()
        cpu = proc_cpu_seconds(mgr.pid)
    finally:
        mgr.stop()
    n_endpoints = sum(len(s.get("endpoints") or []) for s in ours)
    print(
        f"manager started: Pod cache filled after {cached_at:.1f}s, every Service's slice written "
        f"after {done_at:.1f}s ({cpu:.1f}s CPU)"
    )
    print(f"EndpointSlices: {len(ours)} holding {n_endpoints} endpoints")
    # cached: Pods, Services, their slices and Endpoints (+ namespaces and the Node)
    objects = pods + 3 * services
    rss, peak = mem["VmRSS"], mem["VmHWM"]
    print(
        f"controller-manager at {services} Services x {per_service} Pods: RSS {rss / MiB:.1f} MiB "
        f"(peak {peak / MiB:.1f} MiB; idle on an empty cluster {base_rss / MiB:.1f} MiB)"
    )
    print(
        f"  per Service (with its {per_service} Pods, slice and Endpoints): "
        f"{(rss - base_rss) / services / 1024:.1f} KiB; per cached object: "
        f"{(rss - base_rss) / objects:.0f} bytes ({objects} objects)"
    )
    if apiserver_pid is not None:
        amem = proc_memory(apiserver_pid)
        print(
            f"apiserver (sqlite) at the same size: RSS {amem['VmRSS'] / MiB:.1f} MiB "
            f"(peak {amem['VmHWM'] / MiB:.1f} MiB), {amem['VmRSS'] / services / 1024:.1f} KiB per Service"
        )
    if services < 10000:
        scale = 10000 / services
        print(
            f"EXTRAPOLATED (linear from this run, not measured) to 10000 Services x {per_service} Pods: "
            f"controller-manager RSS ~{(base_rss + (rss - base_rss) * scale) / MiB:.0f} MiB"
        )


async def run_local(args: argparse.Namespace) -> None:
    from tests.support.apiserver import start_apiserver

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        srv = start_apiserver(data, backend="sqlite")
        try:
            base_rss = await idle_baseline(str(srv.kubeconfig), args.controllers)
        finally:
            srv.stop()
        print(f"controller-manager idle (empty cluster): RSS {base_rss / MiB:.1f} MiB")
        if args.seed == "store":
            took = await seed_store(data, args.services, args.pods_per_service, args.namespaces)
            srv = start_apiserver(data, backend="sqlite", timeout=600)
        else:
            srv = start_apiserver(data, backend="sqlite")
            async with RestClient.from_kubeconfig(str(srv.kubeconfig), connection_limit=64) as c:
                took = await seed_api(c, args.services, args.pods_per_service, args.namespaces)
        print(
            f"seeded {args.services} Services and {args.services * args.pods_per_service} ready Pods "
            f"({args.seed}) in {took:.1f}s"
        )
        try:
            async with RestClient.from_kubeconfig(str(srv.kubeconfig)) as client:
                await measure(args, client, str(srv.kubeconfig), base_rss, srv.pid)
        finally:
            srv.stop()


async def run_remote(args: argparse.Namespace) -> None:
    async with RestClient.from_kubeconfig(args.kubeconfig, connection_limit=64) as client:
        base_rss = await idle_baseline(args.kubeconfig, args.controllers)
        print(f"controller-manager idle: RSS {base_rss / MiB:.1f} MiB")
        took = await seed_api(client, args.services, args.pods_per_service, args.namespaces)
        print(f"seeded {args.services} Services through the API in {took:.1f}s")
        await measure(args, client, args.kubeconfig, base_rss, None)


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--pods-per-service", type=int, default=10)
    p.add_argument("--seed", default="store", choices=["store", "api"])
    p.add_argument("--kubeconfig", default=None, help="an existing server (seeds through the API)")
    p.add_argument("--controllers", default="*", help="passed to --controllers (default: all)")
    p.add_argument(
        "--namespaces",
        type=int,
        default=100,
        help="spread the Services over this many namespaces (default 100: 100 Services each)",
    )
    args = p.parse_args()
    args.namespaces = max(1, min(args.namespaces, args.services))
    asyncio.run(run_remote(args) if args.kubeconfig else run_local(args))


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # run the finally blocks: stop the processes we started


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
