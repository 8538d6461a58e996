"""The legacy Endpoints controller against a real apiserver, truncation at 1000 included."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINTS, NAMESPACES, PODS, SERVICES
from kubesvc.client.errors import NotFoundError
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpoints.controller import EndpointsController
from tests.support.controllers import running
from tests.support.waiting import eventually as wait_until

Obj = dict[str, Any]
_seq = itertools.count()
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    return await wait_until(check, timeout)


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"ep-{next(_seq)}-{id(client) % 10000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@contextlib.asynccontextmanager
async def controller(client: RestClient) -> AsyncIterator[EndpointsController]:
    factory = InformerFactory(client)
    ctrl = EndpointsController.from_factory(client, factory)
    async with running(factory, ctrl):
        yield ctrl


def service(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"team": "blue"}},
        "spec": {
            "selector": {"app": name},
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }


async def make_pod(client: RestClient, ns: str, name: str, app: str, ip: str, ready: bool = True) -> Obj:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "busybox"}]},
    }
    await client.create(PODS, pod, namespace=ns)
    status = {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    return await client.patch(PODS, name, {"status": status}, namespace=ns, subresource="status")


async def make_pods(client: RestClient, ns: str, app: str, start: int, count: int) -> None:
    sem = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        async with sem:
            await make_pod(
                client, ns, f"{app}-{i}", app, f"10.{100 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"
            )

    await asyncio.gather(*(one(i) for i in range(start, start + count)))


async def get_endpoints(client: RestClient, ns: str, name: str) -> Obj | None:
    try:
        return await client.get(ENDPOINTS, name, namespace=ns)
    except NotFoundError:
        return None


def count(ep: Obj) -> int:
    return sum(
        len(s.get("addresses") or []) + len(s.get("notReadyAddresses") or []) for s in ep.get("subsets") or []
    )


async def test_endpoints_follow_pods_and_service(client: RestClient, ns: str) -> None:
    await client.create(SERVICES, service("web"), namespace=ns)
    await make_pod(client, ns, "web-1", "web", "10.1.0.1", ready=True)
    await make_pod(client, ns, "web-2", "web", "10.1.0.2", ready=False)
    await client.create(SERVICES, {**service("nosel"), "spec": {"ports": [{"port": 80}]}}, namespace=ns)
    async with controller(client):

        async def both() -> Obj | None:
            ep = await get_endpoints(client, ns, "web")
            return ep if ep and count(ep) == 2 else None

        ep = await eventually(both)
        assert ep["metadata"]["labels"] == {
            "team": "blue",
            "endpoints.kubernetes.io/managed-by": "endpoint-controller",
        }
        (subset,) = ep["subsets"]
        assert [a["ip"] for a in subset["addresses"]] == ["10.1.0.1"]
        assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.1.0.2"]
        assert subset["addresses"][0]["targetRef"]["name"] == "web-1"
        assert subset["addresses"][0]["nodeName"] == "node-a"
        assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
        assert await get_endpoints(client, ns, "nosel") is None, "selector-less Services are left to users"

        await client.delete(SERVICES, "web", namespace=ns)

        async def gone() -> bool:
            return await get_endpoints(client, ns, "web") is None

        await eventually(gone)


@pytest.mark.slow
async def test_truncation_annotation_appears_and_disappears(client: RestClient, ns: str) -> None:
    await client.create(SERVICES, service("big"), namespace=ns)
    await make_pods(client, ns, "big", 0, 1001)
    async with controller(client):

        async def truncated() -> Obj | None:
            ep = await get_endpoints(client, ns, "big")
            ok = ep and (ep["metadata"].get("annotations") or {}).get(OVER_CAPACITY) == "truncated"
            return ep if ok else None

        ep = await eventually(truncated, timeout=60)
        assert count(ep) == 1000
        await client.delete(PODS, "big-7", namespace=ns, grace_period_seconds=0)

        async def back_to_full() -> Obj | None:
            ep = await get_endpoints(client, ns, "big")
            ok = ep and OVER_CAPACITY not in (ep["metadata"].get("annotations") or {})
            return ep if ok else None

        ep = await eventually(back_to_full, timeout=30)
        assert count(ep) == 1000
        assert "10.100.0.8" not in {a["ip"] for s in ep["subsets"] for a in s.get("addresses") or []}


async def test_leftover_endpoints_removed_at_start_except_leader_election(
    client: RestClient, ns: str
) -> None:
    def endpoints(name: str, annotations: Obj | None = None) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "annotations": annotations or {}},
            "subsets": [{"addresses": [{"ip": "192.0.2.1"}], "ports": [{"port": 80}]}],
        }

    await client.create(ENDPOINTS, endpoints("orphan"), namespace=ns)
    await client.create(
        ENDPOINTS, endpoints("lock", {"control-plane.alpha.kubernetes.io/leader": "{}"}), namespace=ns
    )
    await client.create(
        SERVICES,
        {
            **service("ext"),
            "spec": {"type": "ExternalName", "externalName": "example.com", "selector": {"app": "ext"}},
        },
        namespace=ns,
    )
    await make_pod(client, ns, "ext-1", "ext", "10.3.0.1")
    async with controller(client):

        async def orphan_gone() -> bool:
            return await get_endpoints(client, ns, "orphan") is None

        await eventually(orphan_gone)
        await asyncio.sleep(0.5)
        assert await get_endpoints(client, ns, "lock") is not None
        assert await get_endpoints(client, ns, "ext") is None, "ExternalName Services get no Endpoints"
