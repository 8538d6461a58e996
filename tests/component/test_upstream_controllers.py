"""Upstream's controller cases that are about behaviour, against a real apiserver on loopback.

The EndpointSlice and Endpoints controllers run together (as in the controller-manager) over
HTTP list+watch; Pods' status is written by the test.  Cases carried over from
pkg/controller/endpointslice/endpointslice_controller_test.go (TestSyncService: terminating
pods, multi-IP Pods and ipFamilies, ExternalName, no selector) and
pkg/controller/endpoint/endpoints_controller_test.go (TestSyncServiceAddresses: terminal and
terminating Pods, publishNotReadyAddresses; labels and the headless label; the trigger time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS, EVENTS_V1, NAMESPACES, NODES, PODS, SERVICES
from kubesvc.client.errors import NotFoundError
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpoints.controller import EndpointsController
from kubesvc.controllers.endpointslice.controller import EndpointSliceController
from tests.support.controllers import running
from tests.support.waiting import eventually

Obj = dict[str, Any]
_seq = itertools.count()
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
HEADLESS = "service.kubernetes.io/headless"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


@pytest.fixture
async def client(apiserver: Any) -> AsyncIterator[RestClient]:
    c = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    with contextlib.suppress(Exception):
        await c.create(
            NODES,
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}},
            },
        )
    yield c
    await c.close()


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"up-{next(_seq)}-{id(client) % 10000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@pytest.fixture
async def controllers(client: RestClient) -> AsyncIterator[None]:
    factory = InformerFactory(client)
    slices = EndpointSliceController.from_factory(client, factory)
    endpoints = EndpointsController.from_factory(client, factory)
    async with running(factory, slices, endpoints):
        yield None


def service(name: str, *, labels: Obj | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }


async def make_pod(
    client: RestClient,
    ns: str,
    name: str,
    app: str,
    ips: list[str] | None,
    *,
    ready: bool = True,
    phase: str = "Running",
    finalizers: list[str] | None = None,
    node: str = "node-1",
) -> Obj:
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
    }
    if finalizers:
        pod["metadata"]["finalizers"] = finalizers
    await client.create(PODS, pod, namespace=ns)
    # the kubelet stamps lastTransitionTime, which the trigger-time annotation is computed from
    ready_cond = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "lastTransitionTime": "2024-05-06T07:08:09Z",
    }
    status: Obj = {"phase": phase, "conditions": [ready_cond]}
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    return await client.patch(PODS, name, {"status": status}, namespace=ns, subresource="status")


async def slices_of(client: RestClient, ns: str, svc: str) -> list[Obj]:
    out = await client.list(ENDPOINT_SLICES, namespace=ns, label_selector=f"{SERVICE_NAME}={svc}")
    return sorted(out["items"], key=lambda s: s["metadata"]["name"])


async def endpoints_of(client: RestClient, ns: str, name: str) -> Obj | None:
    try:
        return await client.get(ENDPOINTS, name, namespace=ns)
    except NotFoundError:
        return None


def slice_endpoints(slices: list[Obj]) -> dict[str, Obj]:
    return {ep["targetRef"]["name"]: ep for s in slices for ep in s.get("endpoints") or []}


def ep_ips(ep: Obj | None, key: str = "addresses") -> list[str]:
    return sorted(a["ip"] for s in (ep or {}).get("subsets") or [] for a in s.get(key) or [])


async def test_terminating_terminal_and_ipless_pods(client: RestClient, ns: str, controllers: None) -> None:
    """TestSyncService "Terminating pods" / "Not ready terminating pods" and TestSyncServiceAddresses:
    a terminating Pod stays in the slice (ready false, serving as its readiness, terminating true)
    but leaves the Endpoints; Succeeded/Failed Pods and Pods without an IP are in neither."""
    await client.create(SERVICES, service("web"), namespace=ns)
    await make_pod(client, ns, "ready", "web", ["10.9.0.1"])
    await make_pod(client, ns, "term-ready", "web", ["10.9.0.2"], finalizers=["test.kubesvc.io/hold"])
    await make_pod(
        client, ns, "term-unready", "web", ["10.9.0.3"], ready=False, finalizers=["test.kubesvc.io/hold"]
    )
    await make_pod(client, ns, "done", "web", ["10.9.0.4"], ready=False, phase="Succeeded")
    await make_pod(client, ns, "failed", "web", ["10.9.0.5"], ready=False, phase="Failed")
    await make_pod(client, ns, "no-ip", "web", None, ready=False, phase="Pending")
    await client.delete(PODS, "term-ready", namespace=ns)
    await client.delete(PODS, "term-unready", namespace=ns)
    try:

        async def slices_settled() -> dict[str, Obj] | None:
            eps = slice_endpoints(await slices_of(client, ns, "web"))
            if (
                set(eps) == {"ready", "term-ready", "term-unready"}
                and eps["term-unready"]["conditions"]["terminating"]
            ):
                return eps
            return None

        eps = await eventually(slices_settled)
        assert eps["ready"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert eps["term-ready"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
        assert eps["term-unready"]["conditions"] == {"ready": False, "serving": False, "terminating": True}
        assert eps["ready"]["zone"] == "zone-a" and eps["ready"]["nodeName"] == "node-1"

        async def endpoints_settled() -> Obj | None:
            ep = await endpoints_of(client, ns, "web")
            return ep if ep and ep_ips(ep) == ["10.9.0.1"] and not ep_ips(ep, "notReadyAddresses") else None

        await eventually(endpoints_settled)
    finally:
        for name in ("term-ready", "term-unready"):
            with contextlib.suppress(Exception):
                await client.patch(PODS, name, {"metadata": {"finalizers": None}}, namespace=ns)


async def test_publish_not_ready_addresses(client: RestClient, ns: str, controllers: None) -> None:
    """TestReconcile1EndpointSlicePublishNotReadyAddresses / TestSyncServiceAddresses "tolerate unready"."""
    await client.create(SERVICES, service("pub", publishNotReadyAddresses=True), namespace=ns)
    await make_pod(client, ns, "p0", "pub", ["10.9.1.1"], ready=False)
    await make_pod(client, ns, "p1", "pub", ["10.9.1.2"], ready=True)

    async def settled() -> tuple[dict[str, Obj], Obj] | None:
        eps = slice_endpoints(await slices_of(client, ns, "pub"))
        ep = await endpoints_of(client, ns, "pub")
        if len(eps) == 2 and ep and ep_ips(ep) == ["10.9.1.1", "10.9.1.2"]:
            return eps, ep
        return None

    eps, ep = await eventually(settled)
    assert eps["p0"]["conditions"] == {"ready": True, "serving": False, "terminating": False}
    assert not ep_ips(ep, "notReadyAddresses")


async def test_multi_ip_pods_follow_ip_families(client: RestClient, ns: str, controllers: None) -> None:
    """TestSyncService "pods with multiple IPs": an IPv4 Service's slice and Endpoints carry only the
    IPv4 address of a dual-stack Pod."""
    await client.create(SERVICES, service("multi"), namespace=ns)
    await make_pod(client, ns, "pod0", "multi", ["10.9.2.1"])
    await make_pod(client, ns, "pod1", "multi", ["10.9.2.2", "fd08::5678:0000:0000:9abc:def0"])

    async def settled() -> list[Obj] | None:
        slices = await slices_of(client, ns, "multi")
        return slices if len(slice_endpoints(slices)) == 2 else None

    slices = await eventually(settled)
    assert {s["addressType"] for s in slices} == {"IPv4"}
    assert sorted(a for ep in slice_endpoints(slices).values() for a in ep["addresses"]) == [
        "10.9.2.1",
        "10.9.2.2",
    ]
    ep = await eventually(lambda: endpoints_of(client, ns, "multi"))
    await eventually(lambda: _ips_are(client, ns, "multi", ["10.9.2.1", "10.9.2.2"]))
    assert ep["metadata"]["name"] == "multi"


async def _ips_are(client: RestClient, ns: str, name: str, want: list[str]) -> bool:
    return ep_ips(await endpoints_of(client, ns, name)) == want


async def test_labels_headless_label_and_trigger_time(client: RestClient, ns: str, controllers: None) -> None:
    """Labels copied from the Service (reserved keys ignored), the headless label, managed-by;
    a label change on the Service reaches slices and Endpoints."""
    labels = {"team": "blue", SERVICE_NAME: "spoof", MANAGED_BY: "someone"}
    await client.create(SERVICES, service("hl", labels=labels, clusterIP="None"), namespace=ns)
    await make_pod(client, ns, "hl-0", "hl", ["10.9.3.1"])

    async def slice_ready() -> Obj | None:
        slices = await slices_of(client, ns, "hl")
        return slices[0] if len(slices) == 1 and slices[0].get("endpoints") else None

    s = await eventually(slice_ready)
    assert s["metadata"]["labels"] == {
        "team": "blue",
        SERVICE_NAME: "hl",
        MANAGED_BY: "endpointslice-controller.k8s.io",
        HEADLESS: "",
    }
    # (the trigger-time annotation is best effort, as upstream: a retried write may drop it)
    assert all(v.endswith("Z") for k, v in (s["metadata"].get("annotations") or {}).items() if k == TRIGGER)
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"

    async def endpoints_ready() -> Obj | None:
        ep = await endpoints_of(client, ns, "hl")
        return ep if ep and ep_ips(ep) == ["10.9.3.1"] else None

    ep = await eventually(endpoints_ready)
    assert ep["metadata"]["labels"] == {
        **labels,
        HEADLESS: "",
        "endpoints.kubernetes.io/managed-by": "endpoint-controller",
    }
    assert all(v.endswith("Z") for k, v in (ep["metadata"].get("annotations") or {}).items() if k == TRIGGER)

    await client.patch(SERVICES, "hl", {"metadata": {"labels": {"team": "red"}}}, namespace=ns)

    async def relabelled() -> bool:
        slices = await slices_of(client, ns, "hl")
        ep = await endpoints_of(client, ns, "hl")
        return bool(
            slices
            and all(x["metadata"]["labels"].get("team") == "red" for x in slices)
            and ep
            and ep["metadata"]["labels"].get("team") == "red"
        )

    await eventually(relabelled)


async def test_selectorless_service_endpoints_are_the_users(
    client: RestClient, ns: str, controllers: None
) -> None:
    """TestSyncServiceNoSelector / TestSyncEndpointsItemsPreserveNoSelector: a Service without a
    selector gets no slices from the EndpointSlice controller and its user-written Endpoints are
    left as written."""
    svc = service("manual")
    del svc["spec"]["selector"]
    await client.create(SERVICES, svc, namespace=ns)
    user_ep = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "manual"},
        "subsets": [{"addresses": [{"ip": "6.7.8.9"}], "ports": [{"port": 1000, "protocol": "TCP"}]}],
    }
    await client.create(ENDPOINTS, user_ep, namespace=ns)
    # a selector Service in the same namespace proves the controllers are running
    await client.create(SERVICES, service("probe"), namespace=ns)
    await eventually(lambda: slices_of(client, ns, "probe"))
    await asyncio.sleep(0.5)
    ep = await endpoints_of(client, ns, "manual")
    assert ep is not None and ep["subsets"] == user_ep["subsets"]
    ours = [
        s
        for s in await slices_of(client, ns, "manual")
        if s["metadata"]["labels"].get(MANAGED_BY) == "endpointslice-controller.k8s.io"
    ]
    assert ours == []


async def _set_node(client: RestClient, name: str, zone: str, ready: bool) -> None:
    with contextlib.suppress(Exception):
        await client.create(
            NODES,
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
            },
        )
    status = {
        "allocatable": {"cpu": "1"},
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    await client.patch(NODES, name, {"status": status}, subresource="status")


async def test_topology_aware_hints_follow_nodes(client: RestClient, ns: str, controllers: None) -> None:
    """Topology annotation "Auto" (topologycache): with three ready zones of equal CPU every
    endpoint is hinted for its own zone and a TopologyAwareHintsEnabled Event is recorded; when a
    Node goes not ready the allocation no longer fits and the hints are removed with a
    TopologyAwareHintsDisabled Warning (the Service is re-planned on the Node change alone)."""
    for i, zone in enumerate(("tz-a", "tz-b", "tz-c")):
        await _set_node(client, f"topo-{i}", zone, True)
    try:
        svc = service("topo")
        svc["metadata"]["annotations"] = {"service.kubernetes.io/topology-mode": "Auto"}
        await client.create(SERVICES, svc, namespace=ns)
        for i in range(3):
            await make_pod(client, ns, f"topo-{i}", "topo", [f"10.9.4.{i + 1}"], node=f"topo-{i}")

        async def hinted() -> dict[str, Obj] | None:
            eps = slice_endpoints(await slices_of(client, ns, "topo"))
            ok = len(eps) == 3 and all(
                e.get("hints") == {"forZones": [{"name": e["zone"]}]} for e in eps.values()
            )
            return eps if ok else None

        await eventually(hinted)

        async def event(reason: str) -> bool:
            evs = (await client.list(EVENTS_V1, namespace=ns))["items"]
            return any(e.get("reason") == reason and e["involvedObject"]["name"] == "topo" for e in evs)

        await eventually(lambda: event("TopologyAwareHintsEnabled"))

        await _set_node(client, "topo-2", "tz-c", False)

        async def unhinted() -> bool:
            eps = slice_endpoints(await slices_of(client, ns, "topo"))
            return len(eps) == 3 and all("hints" not in e for e in eps.values())

        await eventually(unhinted)
        await eventually(lambda: event("TopologyAwareHintsDisabled"))
    finally:
        for i in range(3):
            with contextlib.suppress(Exception):
                await client.delete(NODES, f"topo-{i}")
