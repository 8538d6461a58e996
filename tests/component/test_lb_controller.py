"""The LoadBalancer IP controller against a real apiserver: assignment, exhaustion, release."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kubesvc.api.scheme import EVENTS_V1, NAMESPACES, SERVICES
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.loadbalancer.controller import LoadBalancerController
from kubesvc.controllers.loadbalancer.pool import IPPool
from tests.support.controllers import running
from tests.support.proc import run as proc_run

Obj = dict[str, Any]
NS = "lb-test"  # replaced per test by the `ns` fixture
_seq = itertools.count()


@pytest.fixture(autouse=True)
async def ns(client: RestClient) -> AsyncIterator[str]:
    """A namespace of its own per test; the controller under test watches only it."""
    global NS
    NS = f"lb-{next(_seq)}-{id(client) % 100000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    yield NS


@contextlib.asynccontextmanager
async def lb_controller(client: RestClient, pool: str) -> AsyncIterator[LoadBalancerController]:
    factory = InformerFactory(client)
    ctrl = LoadBalancerController(
        client, IPPool.from_spec(pool), services=factory.informer(SERVICES, namespace=NS)
    )
    async with running(factory, ctrl):
        yield ctrl


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        try:
            last = await check()
            if last:
                return last
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
        await asyncio.sleep(0.05)


def lb_service(name: str, **spec: Any) -> Obj:
    annotations = spec.pop("annotations", None)
    svc: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}], **spec},
    }
    if annotations:
        svc["metadata"]["annotations"] = annotations
    return svc


async def ingress(client: RestClient, name: str) -> list[Obj]:
    svc = await client.get(SERVICES, name, namespace=NS)
    return list(((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])


async def events_for(client: RestClient, name: str, reason: str) -> list[Obj]:
    items = (await client.list(EVENTS_V1, namespace=NS)).get("items") or []
    return [
        e for e in items if e.get("reason") == reason and (e.get("involvedObject") or {}).get("name") == name
    ]


def kubectl_get_svc(apiserver: Any) -> dict[str, list[str]]:
    proc = proc_run(["kubectl", f"--kubeconfig={apiserver.kubeconfig}", "get", "svc", "-n", NS], timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    rows = [line.split() for line in out.splitlines()]
    header = rows[0]
    return {r[0]: r for r in rows[1:]} | {"": header}


async def test_ip_assigned_shown_in_status_with_event(client: RestClient, apiserver: Any) -> None:
    async with lb_controller(client, "10.123.0.10-10.123.0.10"):
        await client.create(SERVICES, lb_service("lb-a"))
        got = await eventually(lambda: ingress(client, "lb-a"))
        assert got == [{"ip": "10.123.0.10", "ipMode": "VIP"}]
        (ev,) = await eventually(lambda: events_for(client, "lb-a", "IPAllocated"))
        assert ev["type"] == "Normal" and ev["message"] == 'Assigned IP ["10.123.0.10"]'
        await client.create(SERVICES, lb_service("lb-b"))
        await eventually(lambda: events_for(client, "lb-b", "AllocationFailed"))
    if shutil.which("kubectl"):
        table = kubectl_get_svc(apiserver)
        col = table[""].index("EXTERNAL-IP")
        assert table["lb-a"][col] == "10.123.0.10"
        assert table["lb-b"][col] == "<pending>"


async def test_exhaustion_then_release_on_delete_and_type_change(client: RestClient) -> None:
    async with lb_controller(client, "10.123.1.1"):
        await client.create(SERVICES, lb_service("lb-one"))
        assert await eventually(lambda: ingress(client, "lb-one")) == [{"ip": "10.123.1.1", "ipMode": "VIP"}]
        await client.create(SERVICES, lb_service("lb-two"))
        (ev,) = await eventually(lambda: events_for(client, "lb-two", "AllocationFailed"))
        assert ev["type"] == "Warning"
        assert ev["message"] == f'Failed to allocate IP for "{NS}/lb-two": no available IPs in the IPv4 pool'
        assert await ingress(client, "lb-two") == []  # kubectl shows <pending>

        await client.delete(SERVICES, "lb-one", namespace=NS)
        assert await eventually(lambda: ingress(client, "lb-two")) == [{"ip": "10.123.1.1", "ipMode": "VIP"}]

        # type change away from LoadBalancer: the status is cleared and the address returns
        await client.create(SERVICES, lb_service("lb-three"))
        await eventually(lambda: events_for(client, "lb-three", "AllocationFailed"))
        await client.patch(
            SERVICES,
            "lb-two",
            {
                "spec": {
                    "type": "ClusterIP",
                    "allocateLoadBalancerNodePorts": None,
                    "externalTrafficPolicy": None,
                }
            },
            namespace=NS,
        )

        async def cleared() -> bool:
            return await ingress(client, "lb-two") == []

        await eventually(cleared)
        assert await eventually(lambda: ingress(client, "lb-three")) == [
            {"ip": "10.123.1.1", "ipMode": "VIP"}
        ]


async def test_requested_ip_other_class_and_stable_across_restart(client: RestClient) -> None:
    pool = "10.123.2.1-10.123.2.5"
    async with lb_controller(client, pool):
        await client.create(SERVICES, lb_service("lb-req", loadBalancerIP="10.123.2.4"))
        await client.create(
            SERVICES, lb_service("lb-annot", annotations={"kubesvc.io/load-balancer-ips": "10.123.2.2"})
        )
        await client.create(SERVICES, lb_service("lb-other", loadBalancerClass="example.com/other"))
        await client.create(SERVICES, lb_service("lb-next", allocateLoadBalancerNodePorts=False))
        assert await eventually(lambda: ingress(client, "lb-req")) == [{"ip": "10.123.2.4", "ipMode": "VIP"}]
        assert await eventually(lambda: ingress(client, "lb-annot")) == [
            {"ip": "10.123.2.2", "ipMode": "VIP"}
        ]
        assert await eventually(lambda: ingress(client, "lb-next")) == [{"ip": "10.123.2.1", "ipMode": "VIP"}]
        await client.create(SERVICES, lb_service("lb-bad", loadBalancerIP="10.9.9.9"))
        (ev,) = await eventually(lambda: events_for(client, "lb-bad", "AllocationFailed"))
        assert "requested IP 10.9.9.9 is not in the pool" in ev["message"]
    assert await ingress(client, "lb-other") == []

    # a new controller (restart, or another leader) keeps every address where it is
    async with lb_controller(client, pool):
        await client.create(SERVICES, lb_service("lb-late"))
        assert await eventually(lambda: ingress(client, "lb-late")) == [{"ip": "10.123.2.3", "ipMode": "VIP"}]
        assert await ingress(client, "lb-next") == [{"ip": "10.123.2.1", "ipMode": "VIP"}]
        assert await ingress(client, "lb-req") == [{"ip": "10.123.2.4", "ipMode": "VIP"}]
