"""The EndpointSlice controller against a real apiserver (Pods' status written by the test)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINT_SLICES, EVENTS_V1, NAMESPACES, NODES, PODS, SERVICES
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpointslice.controller import SLICE_CHANGES, EndpointSliceController
from tests.support.controllers import running
from tests.support.waiting import eventually

Obj = dict[str, Any]
_seq = itertools.count()
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


@pytest.fixture
async def client(apiserver: Any) -> AsyncIterator[RestClient]:
    c = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    for name, zone in (("node-a", "zone-a"), ("node-b", "zone-b")):
        with contextlib.suppress(Exception):
            await c.create(
                NODES,
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
                },
            )
    yield c
    await c.close()


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"eps-{next(_seq)}-{id(client) % 10000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@contextlib.asynccontextmanager
async def controller(client: RestClient, **kw: Any) -> AsyncIterator[EndpointSliceController]:
    factory = InformerFactory(client)
    ctrl = EndpointSliceController.from_factory(client, factory, **kw)
    async with running(factory, ctrl):
        yield ctrl


def service(name: str, *, ports: list[Obj] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"team": "blue"}},
        "spec": {
            "selector": {"app": name},
            "ports": ports or [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }


async def make_pod(
    client: RestClient,
    ns: str,
    name: str,
    app: str,
    ip: str,
    *,
    ready: bool = True,
    node: str = "node-a",
    container_ports: list[Obj] | None = None,
) -> Obj:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "image": "busybox", "ports": container_ports or []}],
        },
    }
    created = await client.create(PODS, pod, namespace=ns)
    return await set_pod_status(client, created, ip, ready)


async def set_pod_status(client: RestClient, pod: Obj, ip: str, ready: bool) -> Obj:
    status = {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    return await client.patch(
        PODS,
        pod["metadata"]["name"],
        {"status": status},
        namespace=pod["metadata"]["namespace"],
        subresource="status",
    )


async def slices_for(client: RestClient, ns: str, svc: str) -> list[Obj]:
    out = await client.list(ENDPOINT_SLICES, namespace=ns, label_selector=f"{SERVICE_NAME}={svc}")
    return sorted(out["items"], key=lambda s: s["metadata"]["name"])


def endpoints_of(slices: list[Obj]) -> dict[str, Obj]:
    return {ep["addresses"][0]: ep for s in slices for ep in s.get("endpoints") or []}


async def test_slices_appear_with_endpoints_ports_and_conditions(client: RestClient, ns: str) -> None:
    svc = await client.create(SERVICES, service("web", trafficDistribution="PreferClose"), namespace=ns)
    await make_pod(client, ns, "web-1", "web", "10.244.0.1", ready=True, node="node-a")
    await make_pod(client, ns, "web-2", "web", "10.244.0.2", ready=False, node="node-b")
    await make_pod(client, ns, "other", "other", "10.244.0.3")
    async with controller(client):

        async def two_endpoints() -> list[Obj] | None:
            slices = await slices_for(client, ns, "web")
            return slices if len(endpoints_of(slices)) == 2 else None

        slices = await eventually(two_endpoints)
    (s,) = slices
    assert s["addressType"] == "IPv4"
    assert s["metadata"]["name"].startswith("web-")
    assert s["metadata"]["labels"] == {
        "team": "blue",
        SERVICE_NAME: "web",
        MANAGED_BY: "endpointslice-controller.k8s.io",
    }
    assert s["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": svc["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert s["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    eps = endpoints_of(slices)
    assert eps["10.244.0.1"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert eps["10.244.0.1"]["zone"] == "zone-a" and eps["10.244.0.1"]["nodeName"] == "node-a"
    assert eps["10.244.0.1"]["hints"] == {"forZones": [{"name": "zone-a"}]}
    assert (
        eps["10.244.0.1"]["targetRef"]["kind"] == "Pod" and eps["10.244.0.1"]["targetRef"]["name"] == "web-1"
    )
    assert eps["10.244.0.2"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert "hints" not in eps["10.244.0.2"]


async def test_readiness_flip_rewrites_exactly_one_slice(client: RestClient, ns: str) -> None:
    await client.create(SERVICES, service("flip"), namespace=ns)
    pods = [await make_pod(client, ns, f"flip-{i}", "flip", f"10.245.0.{i + 1}") for i in range(7)]
    async with controller(client, max_endpoints_per_slice=3):

        async def settled() -> list[Obj] | None:
            slices = await slices_for(client, ns, "flip")
            return slices if len(endpoints_of(slices)) == 7 else None

        before = await eventually(settled)
        assert sorted(len(s["endpoints"]) for s in before) == [1, 3, 3]
        await asyncio.sleep(1.5)  # let the controller see the echoes of its own writes
        writes_before = sum(SLICE_CHANGES.labels(op)._value.get() for op in ("create", "update", "delete"))
        await set_pod_status(client, pods[4], "10.245.0.5", ready=False)

        async def flipped() -> list[Obj] | None:
            slices = await slices_for(client, ns, "flip")
            return slices if endpoints_of(slices)["10.245.0.5"]["conditions"]["ready"] is False else None

        after = await eventually(flipped)
        await asyncio.sleep(1.5)
        writes = (
            sum(SLICE_CHANGES.labels(op)._value.get() for op in ("create", "update", "delete"))
            - writes_before
        )
    assert writes == 1
    gen_before = {s["metadata"]["name"]: s["metadata"].get("generation") for s in before}
    changed = [
        s["metadata"]["name"]
        for s in after
        if s["metadata"].get("generation") != gen_before[s["metadata"]["name"]]
    ]
    assert len(changed) == 1
    assert [s["metadata"]["name"] for s in after] == sorted(gen_before)


async def test_named_target_port_splits_slices_and_deletion_cleans_up(client: RestClient, ns: str) -> None:
    ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}]
    await client.create(SERVICES, service("named", ports=ports), namespace=ns)
    await make_pod(
        client, ns, "n-1", "named", "10.246.0.1", container_ports=[{"name": "web", "containerPort": 8080}]
    )
    await make_pod(
        client, ns, "n-2", "named", "10.246.0.2", container_ports=[{"name": "web", "containerPort": 9090}]
    )
    async with controller(client):

        async def two_slices() -> list[Obj] | None:
            slices = await slices_for(client, ns, "named")
            return slices if len(slices) == 2 and all(s["endpoints"] for s in slices) else None

        slices = await eventually(two_slices)
        by_port = {s["ports"][0]["port"]: [ep["addresses"][0] for ep in s["endpoints"]] for s in slices}
        assert by_port == {8080: ["10.246.0.1"], 9090: ["10.246.0.2"]}

        await client.delete(PODS, "n-2", namespace=ns)  # graceful: the Pod is terminating

        async def terminating() -> bool:
            eps = endpoints_of(await slices_for(client, ns, "named"))
            return eps["10.246.0.2"]["conditions"] == {"ready": False, "serving": True, "terminating": True}

        await eventually(terminating)
        await client.delete(PODS, "n-2", namespace=ns, grace_period_seconds=0)

        async def one_slice() -> bool:
            return len(await slices_for(client, ns, "named")) == 1

        await eventually(one_slice)
        await client.delete(SERVICES, "named", namespace=ns)

        async def none_left() -> bool:
            return await slices_for(client, ns, "named") == []

        await eventually(none_left)


async def test_placeholder_user_slices_left_alone_and_event_on_unknown_node(
    client: RestClient, ns: str
) -> None:
    user_slice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "by-hand", "labels": {SERVICE_NAME: "lonely", MANAGED_BY: "someone-else"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["192.0.2.1"]}],
        "ports": [],
    }
    await client.create(ENDPOINT_SLICES, user_slice, namespace=ns)
    await client.create(SERVICES, service("lonely"), namespace=ns)
    await make_pod(client, ns, "lost", "lonely", "10.247.0.1", node="no-such-node")
    async with controller(client):

        async def placeholder() -> list[Obj] | None:
            slices = [s for s in await slices_for(client, ns, "lonely") if s["metadata"]["name"] != "by-hand"]
            return slices if slices else None

        (ph,) = await eventually(placeholder)
        assert ph["endpoints"] in ([], None) or "endpoints" not in ph
        assert ph.get("ports") in ([], None)

        async def warning() -> list[Obj] | None:
            evs = await client.list(EVENTS_V1, namespace=ns)
            hits = [e for e in evs["items"] if e["reason"] == "FailedToUpdateEndpointSlices"]
            return hits or None

        (ev,) = await eventually(warning)
    assert ev["type"] == "Warning"
    assert ev["involvedObject"]["kind"] == "Service" and ev["involvedObject"]["name"] == "lonely"
    assert ev["message"] == (
        f"Error updating Endpoint Slices for Service {ns}/lonely: "
        f"skipping Pod lost for Service {ns}/lonely: Node no-such-node Not Found"
    )
    assert ev["source"]["component"] == "endpointslice-controller"
    mine = await client.get(ENDPOINT_SLICES, "by-hand", namespace=ns)
    assert mine["endpoints"] == [{"addresses": ["192.0.2.1"]}] or mine["endpoints"][0]["addresses"] == [
        "192.0.2.1"
    ]
    assert mine["metadata"]["labels"][MANAGED_BY] == "someone-else"


async def test_selectorless_and_external_name_services_get_no_slices(client: RestClient, ns: str) -> None:
    bare = service("bare")
    del bare["spec"]["selector"]
    await client.create(SERVICES, bare, namespace=ns)
    ext = service("ext")
    ext["spec"] = {"type": "ExternalName", "externalName": "example.com", "selector": {"app": "ext"}}
    await client.create(SERVICES, ext, namespace=ns)
    await make_pod(client, ns, "ext-1", "ext", "10.248.0.1")
    await client.create(SERVICES, service("marker"), namespace=ns)
    async with controller(client):

        async def marker_done() -> bool:
            return len(await slices_for(client, ns, "marker")) == 1

        await eventually(marker_done)  # the controller has worked through the queue
        await asyncio.sleep(0.3)
        assert await slices_for(client, ns, "bare") == []
        assert await slices_for(client, ns, "ext") == []
