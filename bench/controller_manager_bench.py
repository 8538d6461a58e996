"""Controller-manager memory benchmark: figures printed, nothing asserted.

    .venv/bin/python bench/controller_manager_bench.py [--services 10000] [--pods-per-service 10]
                                                       [--backend memory|sqlite] [--kubeconfig PATH]
                                                       [--controllers '*']

Against a real apiserver on loopback (started here unless --kubeconfig is given):
1. starts `python -m kubesvc controller-manager --leader-elect=false` (all controllers) on the
   empty cluster and reads its resident memory once its caches are synced (baseline), then stops it;
2. creates S Services, each selecting P ready Pods on one Node (status written through the status
   subresource), spread over `--namespaces` namespaces (default 100);
3. starts the manager again (it LISTs everything, as after a restart or a leader change), waits
   until the controllers have caught up (every Service's slice written with all its endpoints,
   work queues empty, per /metrics) and prints the manager's resident set (VmRSS), its peak
   (VmHWM), and the bytes per cached object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubesvc.api.scheme import ENDPOINT_SLICES, NAMESPACES, NODES, PODS, SERVICES  # noqa: E402
from kubesvc.client.errors import AlreadyExistsError  # noqa: E402
from kubesvc.client.rest import RestClient  # noqa: E402

NS = "bench-cm"  # namespaces are NS-0, NS-1, ... (see --namespaces)
Obj = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def pod_ip(i: int) -> str:
    return f"10.{64 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


async def metrics(port: int) -> dict[str, float]:
    timeout = aiohttp.ClientTimeout(total=3600)  # a manager busy with its initial LIST answers late
    async with aiohttp.ClientSession(timeout=timeout) as s, s.get(f"http://127.0.0.1:{port}/metrics") as r:
        text = await r.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                out[name] = float(value)
    return out


def ns_of(svc: int, services: int, namespaces: int) -> str:
    return f"{NS}-{svc * namespaces // services}"


async def populate(client: RestClient, services: int, per_service: int, namespaces: int) -> None:
    sem = asyncio.Semaphore(64)

    async def one_pod(i: int, svc: int) -> None:
        ns = ns_of(svc, services, namespaces)
        async with sem:
            name = f"p-{i}"
            await client.create(
                PODS,
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": name, "labels": {"app": f"s-{svc}"}},
                    "spec": {"nodeName": "bench-node", "containers": [{"name": "c", "image": "busybox"}]},
                },
                namespace=ns,
            )
            await client.patch(
                PODS,
                name,
                {
                    "status": {
                        "phase": "Running",
                        "podIP": pod_ip(i),
                        "podIPs": [{"ip": pod_ip(i)}],
                        "conditions": [{"type": "Ready", "status": "True"}],
                    }
                },
                namespace=ns,
                subresource="status",
            )

    async def one_service(svc: int) -> None:
        async with sem:
            await client.create(
                SERVICES,
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": f"s-{svc}"},
                    "spec": {"selector": {"app": f"s-{svc}"}, "ports": [{"port": 80, "protocol": "TCP"}]},
                },
                namespace=ns_of(svc, services, namespaces),
            )

    with contextlib.suppress(AlreadyExistsError):
        await client.create(
            NODES,
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "bench-node", "labels": {"topology.kubernetes.io/zone": "zone-a"}},
            },
        )
    start = time.perf_counter()
    batch = 2000
    jobs = [(i, i // per_service) for i in range(services * per_service)]
    for k in range(0, len(jobs), batch):
        await asyncio.gather(*(one_pod(i, s) for i, s in jobs[k : k + batch]))
    for k in range(0, services, batch):
        await asyncio.gather(*(one_service(s) for s in range(k, min(services, k + batch))))
    print(
        f"created {services} Services and {services * per_service} ready Pods "
        f"in {time.perf_counter() - start:.1f}s"
    )


def start_manager(kubeconfig: str, controllers: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubesvc",
            "controller-manager",
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            f"--controllers={controllers}",
            f"--metrics-bind-address=127.0.0.1:{port}",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_manager(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def wait_synced(port: int) -> None:
    while True:
        try:
            m = await metrics(port)
            if 'kubesvc_controller_manager_informer_objects{resource="pods"}' in m:
                return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)


async def run(args: argparse.Namespace, kubeconfig: str) -> None:
    client = RestClient.from_kubeconfig(kubeconfig)
    for n in range(args.namespaces):
        await client.create(
            NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{NS}-{n}"}}
        )
    try:
        port = free_port()
        proc = start_manager(kubeconfig, args.controllers, port)
        try:
            await wait_synced(port)
            await asyncio.sleep(1.0)
            base = proc_memory(proc.pid)
        finally:
            stop_manager(proc)
        print(f"controller-manager idle (empty cluster): RSS {base['VmRSS'] / 2**20:.1f} MiB")

        # The objects are written first and the manager started afterwards: it LISTs them, as
        # after a restart or a leader change (a watch that lags under write load cannot skew this).
        await populate(client, args.services, args.pods_per_service, args.namespaces)
        port = free_port()
        start = time.perf_counter()
        proc = start_manager(kubeconfig, args.controllers, port)
        try:
            await wait_synced(port)
            while True:
                m = await metrics(port)
                slices = m.get('kubesvc_controller_manager_informer_objects{resource="endpointslices"}', 0)
                depth = sum(v for k, v in m.items() if k.startswith("kubesvc_workqueue_depth"))
                if slices >= args.services + 1 and depth == 0:  # + the `kubernetes` slice
                    items = (await client.list(ENDPOINT_SLICES))["items"]
                    if (
                        sum(len(s.get("endpoints") or []) for s in items)
                        >= args.services * args.pods_per_service
                    ):
                        break
                await asyncio.sleep(0.5)
            print(f"every Service has its slice {time.perf_counter() - start:.1f}s after start")
            all_slices = [
                x
                for x in (await client.list(ENDPOINT_SLICES))["items"]
                if x["metadata"]["namespace"].startswith(NS)
            ]
            n_endpoints = sum(len(s.get("endpoints") or []) for s in all_slices)
            mem = proc_memory(proc.pid)
        finally:
            stop_manager(proc)
        objects = args.services * (1 + args.pods_per_service) + 2 * args.services  # + slices + Endpoints
        print(f"EndpointSlices: {len(all_slices)} holding {n_endpoints} endpoints")
        print(
            f"controller-manager at {args.services} Services x {args.pods_per_service} Pods: "
            f"RSS {mem['VmRSS'] / 2**20:.1f} MiB (peak {mem['VmHWM'] / 2**20:.1f} MiB), "
            f"{(mem['VmRSS'] - base['VmRSS']) / objects:.0f} bytes per cached object "
            f"({objects} objects)"
        )
    finally:
        await client.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--pods-per-service", type=int, default=10)
    p.add_argument("--backend", default="memory", choices=["memory", "sqlite"])
    p.add_argument("--kubeconfig", default=None)
    p.add_argument("--controllers", default="*", help="passed to --controllers (default: all)")
    p.add_argument(
        "--namespaces",
        type=int,
        default=100,
        help="spread the Services over this many namespaces (default 100: 100 Services each)",
    )
    args = p.parse_args()
    if args.kubeconfig:
        asyncio.run(run(args, args.kubeconfig))
        return
    from tests.support.apiserver import start_apiserver

    with tempfile.TemporaryDirectory() as tmp:
        srv = start_apiserver(Path(tmp) / "data", backend=args.backend)
        try:
            asyncio.run(run(args, str(srv.kubeconfig)))
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
