"""The namespace controller against a real apiserver: a deleted namespace is emptied, then removed."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS, NAMESPACES, PODS, SERVICES
from kubesvc.client.errors import NotFoundError
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.namespace.controller import NamespaceController
from tests.support.controllers import running
from tests.support.waiting import eventually

Obj = dict[str, Any]
_seq = itertools.count()


@contextlib.asynccontextmanager
async def namespace_controller(client: RestClient) -> AsyncIterator[NamespaceController]:
    factory = InformerFactory(client)
    ctrl = NamespaceController(client, namespaces=factory.informer(NAMESPACES))
    async with running(factory, ctrl):
        yield ctrl


async def make_namespace(client: RestClient) -> str:
    name = f"doomed-{next(_seq)}-{id(client) % 100000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def pod(ns: str, name: str, node: str | None = None) -> Obj:
    # a short grace period keeps the controller's requeue (estimate/2 + 1 s) short
    spec: Obj = {"containers": [{"name": "c", "image": "busybox"}], "terminationGracePeriodSeconds": 2}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec}


async def fill(client: RestClient, ns: str) -> None:
    await client.create(
        SERVICES,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "protocol": "TCP"}]},
        },
    )
    await client.create(
        ENDPOINTS,
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "ext", "namespace": ns},
            "subsets": [{"addresses": [{"ip": "10.6.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]}],
        },
    )
    await client.create(
        ENDPOINT_SLICES,
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "web-1", "namespace": ns},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.6.0.2"]}],
            "ports": [],
        },
    )
    await client.create(PODS, pod(ns, "p1"))


async def namespace_gone(client: RestClient, name: str) -> bool:
    try:
        await client.get(NAMESPACES, name)
    except NotFoundError:
        return True
    return False


async def test_deleted_namespace_is_emptied_and_removed(client: RestClient) -> None:
    ns = await make_namespace(client)
    await fill(client, ns)
    await client.delete(NAMESPACES, ns)
    marked = await client.get(NAMESPACES, ns)
    assert marked["status"]["phase"] == "Terminating"
    assert marked["spec"]["finalizers"] == ["kubernetes"]
    async with namespace_controller(client):
        await eventually(lambda: namespace_gone(client, ns))
    for info in (SERVICES, ENDPOINTS, ENDPOINT_SLICES, PODS):
        assert (await client.list(info, namespace=ns))["items"] == [], info.resource


async def test_remaining_content_is_reported_in_conditions_until_it_goes(client: RestClient) -> None:
    ns = await make_namespace(client)
    # a Pod bound to a node terminates gracefully: it stays until its node confirms
    await client.create(PODS, pod(ns, "slow", node="node-that-never-answers"))
    await client.delete(NAMESPACES, ns)
    async with namespace_controller(client):

        async def remaining() -> Obj | None:
            cur = await client.get(NAMESPACES, ns)
            conds = {c["type"]: c for c in (cur.get("status") or {}).get("conditions") or []}
            c = conds.get("NamespaceContentRemaining")
            return conds if c and c["status"] == "True" else None

        conds = await eventually(remaining)
        assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
        assert (
            conds["NamespaceContentRemaining"]["message"]
            == "Some resources are remaining: pods. has 1 resource instances"
        )
        assert conds["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
        assert conds["NamespaceDeletionDiscoveryFailure"]["reason"] == "ResourcesDiscovered"
        assert conds["NamespaceDeletionContentFailure"]["status"] == "False"
        assert not await namespace_gone(client, ns)

        # the node "confirms" (force delete): the namespace goes on the controller's next pass
        await client.delete(PODS, "slow", namespace=ns, grace_period_seconds=0)
        await eventually(lambda: namespace_gone(client, ns), timeout=30.0)
