"""EndpointSlice mirroring (and garbage collection of owned slices) against a real apiserver."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS, EVENTS_V1, NAMESPACES, SERVICES
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.gc import GarbageCollector
from kubesvc.controllers.mirroring.controller import MirroringController
from tests.support.controllers import running
from tests.support.waiting import eventually as wait_until

Obj = dict[str, Any]
_seq = itertools.count()
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
MIRRORING = "endpointslicemirroring-controller.k8s.io"


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"mirror-{next(_seq)}-{id(client) % 100000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@contextlib.asynccontextmanager
async def controllers(client: RestClient, ns: str, **kw: Any) -> AsyncIterator[MirroringController]:
    factory = InformerFactory(client)
    services = factory.informer(SERVICES, namespace=ns)
    endpoints = factory.informer(ENDPOINTS, namespace=ns)
    slices = factory.informer(ENDPOINT_SLICES, namespace=ns)
    mirroring = MirroringController(client, endpoints=endpoints, slices=slices, services=services, **kw)
    gc = GarbageCollector(client, services=services, endpoints=endpoints, slices=slices)
    async with running(factory, mirroring, gc):
        yield mirroring


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    return await wait_until(check, timeout)


def service(ns: str, name: str, selector: Obj | None = None) -> Obj:
    spec: Obj = {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}
    if selector:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def endpoints(ns: str, name: str, ips: list[str], labels: Obj | None = None, port: int = 8080) -> Obj:
    meta: Obj = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta,
        "subsets": [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"port": port, "protocol": "TCP"}]}],
    }


async def mirrored(client: RestClient, ns: str, name: str) -> list[Obj]:
    items = (
        await client.list(ENDPOINT_SLICES, namespace=ns, label_selector=f"kubernetes.io/service-name={name}")
    ).get("items") or []
    return [s for s in items if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == MIRRORING]


def ips(slices: list[Obj]) -> list[str]:
    return sorted(a for s in slices for e in s.get("endpoints") or [] for a in e["addresses"])


async def test_endpoints_of_selectorless_service_are_mirrored_and_follow_changes(
    client: RestClient, ns: str
) -> None:
    async with controllers(client, ns):
        await client.create(SERVICES, service(ns, "ext"))
        ep = await client.create(
            ENDPOINTS, endpoints(ns, "ext", ["10.1.0.1", "10.1.0.2"], labels={"team": "a"})
        )
        (s,) = await eventually(lambda: mirrored(client, ns, "ext"))
        assert ips([s]) == ["10.1.0.1", "10.1.0.2"]
        assert s["addressType"] == "IPv4"
        assert s["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
        assert s["metadata"]["labels"] == {
            "team": "a",
            "kubernetes.io/service-name": "ext",
            MANAGED_BY: MIRRORING,
        }
        assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
        assert s["metadata"]["ownerReferences"][0]["uid"] == ep["metadata"]["uid"]
        name = s["metadata"]["name"]
        assert name.startswith("ext-")

        # an address added: the same slice is rewritten in place
        ep = await client.get(ENDPOINTS, "ext", namespace=ns)
        ep["subsets"][0]["addresses"].append({"ip": "10.1.0.3"})
        await client.update(ENDPOINTS, ep)

        async def three() -> list[Obj]:
            got = await mirrored(client, ns, "ext")
            return got if ips(got) == ["10.1.0.1", "10.1.0.2", "10.1.0.3"] else []

        (s2,) = await eventually(three)
        assert s2["metadata"]["name"] == name

        # skip-mirror: the mirrored slice goes away
        ep = await client.get(ENDPOINTS, "ext", namespace=ns)
        ep["metadata"].setdefault("labels", {})["endpointslice.kubernetes.io/skip-mirror"] = "true"
        await client.update(ENDPOINTS, ep)

        async def gone() -> bool:
            return await mirrored(client, ns, "ext") == []

        await eventually(gone)


async def test_selector_service_and_missing_service_are_not_mirrored(client: RestClient, ns: str) -> None:
    async with controllers(client, ns):
        await client.create(SERVICES, service(ns, "sel", selector={"app": "x"}))
        await client.create(ENDPOINTS, endpoints(ns, "sel", ["10.2.0.1"]))
        await client.create(ENDPOINTS, endpoints(ns, "orphan", ["10.2.0.2"]))
        # a control object that is mirrored proves the controller is running
        await client.create(SERVICES, service(ns, "ctl"))
        await client.create(ENDPOINTS, endpoints(ns, "ctl", ["10.2.0.3"]))
        await eventually(lambda: mirrored(client, ns, "ctl"))
        assert await mirrored(client, ns, "sel") == []
        assert await mirrored(client, ns, "orphan") == []

        # the Service appears: now its Endpoints are mirrored
        await client.create(SERVICES, service(ns, "orphan"))
        assert ips(await eventually(lambda: mirrored(client, ns, "orphan"))) == ["10.2.0.2"]

        # the Service is deleted: its mirrored slices are deleted
        await client.delete(SERVICES, "orphan", namespace=ns)

        async def gone() -> bool:
            return await mirrored(client, ns, "orphan") == []

        await eventually(gone)


async def test_truncation_at_1000_with_event(client: RestClient, ns: str) -> None:
    async with controllers(client, ns):
        await client.create(SERVICES, service(ns, "big"))
        addrs = [f"10.3.{i // 250}.{i % 250 + 1}" for i in range(1003)]
        await client.create(ENDPOINTS, endpoints(ns, "big", addrs))
        (s,) = await eventually(lambda: mirrored(client, ns, "big"))
        assert len(s["endpoints"]) == 1000

        async def warned() -> list[Obj]:
            items = (await client.list(EVENTS_V1, namespace=ns)).get("items") or []
            return [e for e in items if e.get("reason") == "TooManyAddressesToMirror"]

        (ev,) = await eventually(warned)
        assert ev["type"] == "Warning"
        assert ev["involvedObject"]["kind"] == "Endpoints" and ev["involvedObject"]["name"] == "big"
        assert ev["message"] == (
            "A max of 1000 addresses can be mirrored to EndpointSlices per Endpoints subset. "
            "3 addresses were skipped"
        )


async def test_dual_stack_endpoints_give_one_slice_per_family(client: RestClient, ns: str) -> None:
    async with controllers(client, ns):
        await client.create(SERVICES, service(ns, "dual"))
        await client.create(ENDPOINTS, endpoints(ns, "dual", ["10.4.0.1", "fd00:4::1"]))

        async def two() -> list[Obj]:
            got = await mirrored(client, ns, "dual")
            return got if len(got) == 2 else []

        got = await eventually(two)
        assert sorted((s["addressType"], ips([s])[0]) for s in got) == [
            ("IPv4", "10.4.0.1"),
            ("IPv6", "fd00:4::1"),
        ]


async def test_gc_deletes_slices_whose_owner_is_gone(client: RestClient, ns: str) -> None:
    async with controllers(client, ns):
        svc = await client.create(SERVICES, service(ns, "owned", selector={"app": "owned"}))
        owned_slice = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "owned-abc",
                "namespace": ns,
                "labels": {"kubernetes.io/service-name": "owned"},
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "name": "owned",
                        "uid": svc["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.5.0.1"]}],
            "ports": [],
        }
        unowned = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "free-abc", "namespace": ns},
            "addressType": "IPv4",
            "endpoints": [],
            "ports": [],
        }
        await client.create(ENDPOINT_SLICES, owned_slice)
        await client.create(ENDPOINT_SLICES, unowned)
        await asyncio.sleep(0.5)
        names = {s["metadata"]["name"] for s in (await client.list(ENDPOINT_SLICES, namespace=ns))["items"]}
        assert {"owned-abc", "free-abc"} <= names  # a live owner keeps its slice

        await client.delete(SERVICES, "owned", namespace=ns)

        async def collected() -> bool:
            items = (await client.list(ENDPOINT_SLICES, namespace=ns))["items"]
            return {s["metadata"]["name"] for s in items} == {"free-abc"}

        await eventually(collected)
