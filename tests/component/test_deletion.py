"""DELETE with propagationPolicy, finalizers and deletionTimestamp, and the garbage collector,
against a real apiserver (the collector runs in the test's event loop on namespaced informers).

What a user sees is asserted: the answer of the DELETE (code, body), the object that stays with
its `orphan`/`foregroundDeletion` finalizer, the dependents that stay (orphaned) or go (cascade),
the owner that waits for its blocking dependents, and upstream's error messages word for word.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubesvc.api.scheme import (
    ENDPOINT_SLICES,
    ENDPOINTS,
    LEASES,
    NAMESPACES,
    PODS,
    SERVICES,
    ResourceInfo,
)
from kubesvc.client.errors import NotFoundError
from kubesvc.client.informer import InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.gc import GarbageCollector, gc_resources
from tests.support.apiserver import ApiServer
from tests.support.waiting import eventually

Obj = dict[str, Any]
_seq = itertools.count()


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"del-{next(_seq)}-{id(client) % 100000}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@contextlib.asynccontextmanager
async def garbage_collector(client: RestClient, ns: str) -> AsyncIterator[GarbageCollector]:
    factory = InformerFactory(client)
    informers = {
        info: factory.informer(info, namespace=ns if info.namespaced else None) for info in gc_resources()
    }
    gc = GarbageCollector(client, informers)
    factory.start()
    task = asyncio.create_task(gc.run())
    try:
        await asyncio.wait_for(factory.wait_synced(), 60)
        yield gc
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await factory.stop()


def service(ns: str, name: str, finalizers: list[str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": ns}
    if finalizers:
        meta["finalizers"] = finalizers
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]},
    }


def ref(owner: Obj, *, block: bool | None = True, controller: bool = True) -> Obj:
    r: Obj = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
    }
    if block is not None:
        r["blockOwnerDeletion"] = block
    return r


def endpoint_slice(ns: str, name: str, owners: list[Obj], finalizers: list[str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": ns}
    if owners:
        meta["ownerReferences"] = owners
    if finalizers:
        meta["finalizers"] = finalizers
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta,
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.9.0.1"]}],
        "ports": [],
    }


def lease(ns: str, name: str, owners: list[Obj]) -> Obj:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": ns, "ownerReferences": owners},
        "spec": {"holderIdentity": "someone"},
    }


def pod(ns: str, name: str, node: str = "") -> Obj:
    spec: Obj = {"containers": [{"name": "c", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec}


async def exists(client: RestClient, info: ResourceInfo, ns: str, name: str) -> Obj | None:
    try:
        return await client.get(info, name, namespace=ns)
    except NotFoundError:
        return None


async def gone(client: RestClient, info: ResourceInfo, ns: str, name: str) -> bool:
    return await exists(client, info, ns, name) is None


def raw_delete(apiserver: ApiServer, path: str, body: Any = None) -> tuple[int, Any]:
    status, answer, _ = apiserver.call("DELETE", path, body)
    return status, answer


async def drop_finalizers(client: RestClient, info: ResourceInfo, ns: str, name: str) -> Obj:
    return await client.patch(info, name, {"metadata": {"finalizers": None}}, namespace=ns)


# -- the apiserver's delete path --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "query", "finalizers"),
    [
        ({"propagationPolicy": "Orphan"}, "", ["orphan"]),
        ({"propagationPolicy": "Foreground"}, "", ["foregroundDeletion"]),
        ({"orphanDependents": True}, "", ["orphan"]),
        (None, "?propagationPolicy=Orphan", ["orphan"]),
        (None, "?propagationPolicy=Foreground", ["foregroundDeletion"]),
        (None, "?orphanDependents=true", ["orphan"]),
    ],
    ids=[
        "orphan",
        "foreground",
        "orphanDependents",
        "query-orphan",
        "query-foreground",
        "query-orphanDependents",
    ],
)
async def test_policy_finalizer_keeps_the_object_until_removed(
    apiserver: ApiServer, client: RestClient, ns: str, options: Obj | None, query: str, finalizers: list[str]
) -> None:
    await client.create(SERVICES, service(ns, "owner"))
    path = f"/api/v1/namespaces/{ns}/services/owner{query}"
    body = {"kind": "DeleteOptions", "apiVersion": "v1", **options} if options is not None else None
    status, answer = raw_delete(apiserver, path, body)
    assert status == 200, answer
    assert answer["kind"] == "Service"
    meta = answer["metadata"]
    assert meta["finalizers"] == finalizers
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 0
    stored = await client.get(SERVICES, "owner", namespace=ns)
    assert stored["metadata"]["finalizers"] == finalizers
    assert stored["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
    # the update that removes the last finalizer deletes the object
    await drop_finalizers(client, SERVICES, ns, "owner")
    assert await gone(client, SERVICES, ns, "owner")


async def test_background_and_default_delete_at_once(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    for name, body in (
        ("a", {"propagationPolicy": "Background"}),
        ("b", None),
        ("c", {"orphanDependents": False}),
    ):
        await client.create(SERVICES, service(ns, name))
        status, answer = raw_delete(apiserver, f"/api/v1/namespaces/{ns}/services/{name}", body)
        assert status == 200, answer
        assert "deletionTimestamp" not in answer["metadata"]
        assert await gone(client, SERVICES, ns, name)


async def test_second_delete_switches_the_policy_finalizer(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    await client.create(SERVICES, service(ns, "twice", finalizers=["example.com/hold"]))
    path = f"/api/v1/namespaces/{ns}/services/twice"
    _, first = raw_delete(apiserver, path, {"propagationPolicy": "Orphan"})
    assert first["metadata"]["finalizers"] == ["example.com/hold", "orphan"]
    status, second = raw_delete(apiserver, path, {"propagationPolicy": "Foreground"})
    assert status == 200
    assert second["metadata"]["finalizers"] == ["example.com/hold", "foregroundDeletion"]
    assert second["metadata"]["deletionTimestamp"] == first["metadata"]["deletionTimestamp"]
    # no policy: the object's own finalizers decide, nothing changes
    _, third = raw_delete(apiserver, path)
    assert third["metadata"]["finalizers"] == ["example.com/hold", "foregroundDeletion"]
    assert third["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"]
    # Background drops the GC finalizer; the other finalizer still holds the object
    _, fourth = raw_delete(apiserver, path, {"propagationPolicy": "Background"})
    assert fourth["metadata"]["finalizers"] == ["example.com/hold"]
    await drop_finalizers(client, SERVICES, ns, "twice")
    assert await gone(client, SERVICES, ns, "twice")


async def test_background_on_an_orphaning_object_without_other_finalizers_deletes_it(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    await client.create(SERVICES, service(ns, "switch"))
    path = f"/api/v1/namespaces/{ns}/services/switch"
    raw_delete(apiserver, path, {"propagationPolicy": "Orphan"})
    status, answer = raw_delete(apiserver, path, {"propagationPolicy": "Background"})
    assert status == 200
    assert answer["metadata"]["finalizers"] == ["orphan"]  # the last stored state
    assert await gone(client, SERVICES, ns, "switch")


async def test_orphan_dependents_false_answers_202_when_the_object_stays(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    await client.create(SERVICES, service(ns, "held", finalizers=["example.com/hold"]))
    status, answer = raw_delete(
        apiserver, f"/api/v1/namespaces/{ns}/services/held", {"orphanDependents": False}
    )
    assert status == 202, answer
    assert answer["metadata"]["finalizers"] == ["example.com/hold"]
    assert answer["metadata"]["deletionTimestamp"]
    await drop_finalizers(client, SERVICES, ns, "held")


async def test_body_options_win_over_the_query(apiserver: ApiServer, client: RestClient, ns: str) -> None:
    await client.create(SERVICES, service(ns, "bodywins"))
    status, answer = raw_delete(
        apiserver,
        f"/api/v1/namespaces/{ns}/services/bodywins?propagationPolicy=Orphan",
        {"kind": "DeleteOptions", "apiVersion": "v1"},
    )
    assert status == 200
    assert "finalizers" not in answer["metadata"]
    assert await gone(client, SERVICES, ns, "bodywins")


@pytest.mark.parametrize(
    ("body", "query", "message", "causes"),
    [
        (
            {"orphanDependents": True, "propagationPolicy": "Orphan"},
            "",
            'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": '
            "orphanDependents and deletionPropagation cannot be both set",
            [
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set',
                    "field": "propagationPolicy",
                }
            ],
        ),
        (
            None,
            "?propagationPolicy=Sideways",
            'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": '
            'supported values: "Foreground", "Background", "Orphan", "nil"',
            [
                {
                    "reason": "FieldValueNotSupported",
                    "message": 'Unsupported value: "Sideways": supported values: "Foreground", "Background", '
                    '"Orphan", "nil"',
                    "field": "propagationPolicy",
                }
            ],
        ),
        (
            {"dryRun": ["Some"]},
            "",
            'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: '
            'supported values: "All"',
            [
                {
                    "reason": "FieldValueNotSupported",
                    "message": 'Unsupported value: []string{"Some"}: supported values: "All"',
                    "field": "dryRun",
                }
            ],
        ),
    ],
    ids=["both-set", "unknown-policy", "dry-run"],
)
async def test_invalid_delete_options_are_422_before_anything_is_read(
    apiserver: ApiServer, ns: str, body: Obj | None, query: str, message: str, causes: list[Obj]
) -> None:
    # the object does not even exist: options are validated first
    status, answer = raw_delete(apiserver, f"/api/v1/namespaces/{ns}/services/nothing{query}", body)
    assert status == 422, answer
    assert answer["reason"] == "Invalid"
    assert answer["message"] == message
    assert answer["details"] == {"group": "meta.k8s.io", "kind": "DeleteOptions", "causes": causes}


async def test_resource_version_precondition_message(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    created = await client.create(ENDPOINT_SLICES, endpoint_slice(ns, "pre", []))
    rv = created["metadata"]["resourceVersion"]
    status, answer = raw_delete(
        apiserver,
        f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/pre",
        {"preconditions": {"resourceVersion": "1"}},
    )
    assert status == 409
    assert answer["message"] == (
        f'Operation cannot be fulfilled on EndpointSlice.discovery.k8s.io "pre": the ResourceVersion in the '
        f"precondition (1) does not match the ResourceVersion in record ({rv}). The object might have been modified"
    )
    assert answer["details"] == {"name": "pre", "group": "discovery.k8s.io", "kind": "EndpointSlice"}


async def test_marking_an_endpointslice_bumps_its_generation(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    created = await client.create(ENDPOINT_SLICES, endpoint_slice(ns, "gen", []))
    assert created["metadata"]["generation"] == 1
    status, answer = raw_delete(
        apiserver,
        f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/gen",
        {"propagationPolicy": "Foreground"},
    )
    assert status == 200 and answer["kind"] == "EndpointSlice"  # an object, not a Status: it stays
    assert answer["metadata"]["generation"] == 2
    await drop_finalizers(client, ENDPOINT_SLICES, ns, "gen")
    assert await gone(client, ENDPOINT_SLICES, ns, "gen")


async def test_events_never_get_gc_finalizers(apiserver: ApiServer, client: RestClient, ns: str) -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "ev", "namespace": ns},
        "involvedObject": {"kind": "Service", "name": "x", "namespace": ns},
        "reason": "Test",
        "message": "m",
        "type": "Normal",
    }
    status, _, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/events", event)
    assert status == 201
    status, answer = raw_delete(
        apiserver, f"/api/v1/namespaces/{ns}/events/ev", {"propagationPolicy": "Orphan"}
    )
    assert status == 200 and answer["kind"] == "Status" and answer["status"] == "Success"
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/events/ev")[0] == 404


async def test_graceful_pod_with_orphan_policy(apiserver: ApiServer, client: RestClient, ns: str) -> None:
    await client.create(PODS, pod(ns, "running", node="node-a"))
    status, answer = raw_delete(
        apiserver,
        f"/api/v1/namespaces/{ns}/pods/running",
        {"propagationPolicy": "Orphan", "gracePeriodSeconds": 60},
    )
    assert status == 200
    meta = answer["metadata"]
    assert meta["finalizers"] == ["orphan"]
    assert meta["deletionGracePeriodSeconds"] == 60
    # a longer (or equal) grace period leaves the pending deletion alone, a shorter one moves it
    _, again = raw_delete(apiserver, f"/api/v1/namespaces/{ns}/pods/running", {"gracePeriodSeconds": 90})
    assert again["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
    _, now = raw_delete(apiserver, f"/api/v1/namespaces/{ns}/pods/running", {"gracePeriodSeconds": 0})
    assert now["metadata"]["deletionGracePeriodSeconds"] == 0
    assert now["metadata"]["finalizers"] == ["orphan"]
    assert await exists(client, PODS, ns, "running") is not None  # the finalizer holds it
    await drop_finalizers(client, PODS, ns, "running")
    assert await gone(client, PODS, ns, "running")


async def test_dry_run_marks_nothing(apiserver: ApiServer, client: RestClient, ns: str) -> None:
    await client.create(SERVICES, service(ns, "dry"))
    status, answer = raw_delete(
        apiserver, f"/api/v1/namespaces/{ns}/services/dry", {"propagationPolicy": "Orphan", "dryRun": ["All"]}
    )
    assert status == 200 and answer["metadata"]["finalizers"] == ["orphan"]
    stored = await client.get(SERVICES, "dry", namespace=ns)
    assert "deletionTimestamp" not in stored["metadata"] and "finalizers" not in stored["metadata"]


# -- with the garbage collector ---------------------------------------------------------------------


async def test_orphan_removes_owner_references_then_the_owner(client: RestClient, ns: str) -> None:
    async with garbage_collector(client, ns):
        owner = await client.create(SERVICES, service(ns, "web"))
        for name in ("web-1", "web-2"):
            await client.create(ENDPOINT_SLICES, endpoint_slice(ns, name, [ref(owner)]))
        other = await client.create(SERVICES, service(ns, "other"))
        await client.create(
            ENDPOINT_SLICES, endpoint_slice(ns, "shared", [ref(owner), ref(other, controller=False)])
        )

        await client.delete(SERVICES, "web", namespace=ns, propagation_policy="Orphan")

        await eventually(lambda: gone(client, SERVICES, ns, "web"))
        for name in ("web-1", "web-2"):
            kept = await client.get(ENDPOINT_SLICES, name, namespace=ns)
            assert "ownerReferences" not in kept["metadata"]
        shared = await client.get(ENDPOINT_SLICES, "shared", namespace=ns)
        assert [r["name"] for r in shared["metadata"]["ownerReferences"]] == ["other"]
        await asyncio.sleep(0.3)  # orphans are not collected later either
        assert await exists(client, ENDPOINT_SLICES, ns, "web-1") is not None


async def test_foreground_waits_for_blocking_dependents(client: RestClient, ns: str) -> None:
    async with garbage_collector(client, ns):
        owner = await client.create(SERVICES, service(ns, "fg"))
        await client.create(
            ENDPOINT_SLICES, endpoint_slice(ns, "fg-held", [ref(owner)], finalizers=["example.com/hold"])
        )
        await client.create(ENDPOINT_SLICES, endpoint_slice(ns, "fg-free", [ref(owner, block=None)]))
        await client.create(LEASES, lease(ns, "fg-lease", [ref(owner, block=False)]))

        await client.delete(SERVICES, "fg", namespace=ns, propagation_policy="Foreground")

        # every dependent is deleted; the held one stays (being deleted) and blocks the owner
        async def held_is_terminating() -> bool:
            held = await exists(client, ENDPOINT_SLICES, ns, "fg-held")
            return bool(held and held["metadata"].get("deletionTimestamp"))

        await eventually(held_is_terminating)
        await eventually(lambda: gone(client, ENDPOINT_SLICES, ns, "fg-free"))
        await eventually(lambda: gone(client, LEASES, ns, "fg-lease"))
        await asyncio.sleep(0.3)
        waiting = await client.get(SERVICES, "fg", namespace=ns)
        assert waiting["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert waiting["metadata"]["deletionTimestamp"]

        await drop_finalizers(client, ENDPOINT_SLICES, ns, "fg-held")
        await eventually(lambda: gone(client, SERVICES, ns, "fg"))


async def test_foreground_recurses_through_dependents_with_dependents(client: RestClient, ns: str) -> None:
    async with garbage_collector(client, ns):
        svc = await client.create(SERVICES, service(ns, "top"))
        ep = await client.create(
            ENDPOINTS,
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": "top", "namespace": ns, "ownerReferences": [ref(svc)]},
            },
        )
        await client.create(
            ENDPOINT_SLICES, endpoint_slice(ns, "top-leaf", [ref(ep)], finalizers=["example.com/hold"])
        )

        await client.delete(SERVICES, "top", namespace=ns, propagation_policy="Foreground")

        async def middle_waits() -> bool:
            middle = await exists(client, ENDPOINTS, ns, "top")
            return bool(middle and "foregroundDeletion" in (middle["metadata"].get("finalizers") or []))

        await eventually(middle_waits)  # the Endpoints, having a dependent, is deleted in the foreground
        assert await exists(client, SERVICES, ns, "top") is not None
        await drop_finalizers(client, ENDPOINT_SLICES, ns, "top-leaf")
        await eventually(lambda: gone(client, ENDPOINTS, ns, "top"))
        await eventually(lambda: gone(client, SERVICES, ns, "top"))


async def test_foreground_keeps_a_dependent_with_another_live_owner(client: RestClient, ns: str) -> None:
    async with garbage_collector(client, ns):
        first = await client.create(SERVICES, service(ns, "first"))
        second = await client.create(SERVICES, service(ns, "second"))
        await client.create(
            ENDPOINT_SLICES, endpoint_slice(ns, "both", [ref(first), ref(second, controller=False)])
        )

        await client.delete(SERVICES, "first", namespace=ns, propagation_policy="Foreground")

        await eventually(lambda: gone(client, SERVICES, ns, "first"))
        kept = await client.get(ENDPOINT_SLICES, "both", namespace=ns)
        assert [r["name"] for r in kept["metadata"]["ownerReferences"]] == ["second"]


async def test_background_collects_dependents_of_any_kind(client: RestClient, ns: str) -> None:
    async with garbage_collector(client, ns):
        owner = await client.create(PODS, pod(ns, "holder"))
        await client.create(LEASES, lease(ns, "held-lease", [ref(owner)]))
        await client.create(ENDPOINT_SLICES, endpoint_slice(ns, "free", []))
        await asyncio.sleep(0.3)
        assert await exists(client, LEASES, ns, "held-lease") is not None  # a live owner keeps it

        await client.delete(PODS, "holder", namespace=ns, propagation_policy="Background")

        await eventually(lambda: gone(client, LEASES, ns, "held-lease"))
        assert await exists(client, ENDPOINT_SLICES, ns, "free") is not None


async def test_a_recreated_owner_does_not_keep_its_predecessors_dependents(
    client: RestClient, ns: str
) -> None:
    async with garbage_collector(client, ns):
        old = await client.create(SERVICES, service(ns, "again"))
        await client.delete(SERVICES, "again", namespace=ns)
        await client.create(SERVICES, service(ns, "again"))
        # created after the owner it names is gone (another uid lives under the name)
        await client.create(ENDPOINT_SLICES, endpoint_slice(ns, "stale", [ref(old)]))
        await eventually(lambda: gone(client, ENDPOINT_SLICES, ns, "stale"))
        assert await exists(client, SERVICES, ns, "again") is not None


async def test_delete_collection_applies_the_policy_to_each_item(
    apiserver: ApiServer, client: RestClient, ns: str
) -> None:
    for name in ("c1", "c2"):
        await client.create(SERVICES, service(ns, name))
    status, answer = raw_delete(apiserver, f"/api/v1/namespaces/{ns}/services?propagationPolicy=Orphan")
    assert status == 200, answer
    assert answer["kind"] == "ServiceList"
    for name in ("c1", "c2"):
        stored = await client.get(SERVICES, name, namespace=ns)
        assert stored["metadata"]["finalizers"] == ["orphan"] and stored["metadata"]["deletionTimestamp"]
        await drop_finalizers(client, SERVICES, ns, name)
    status, answer = raw_delete(
        apiserver,
        f"/api/v1/namespaces/{ns}/services",
        {"orphanDependents": False, "propagationPolicy": "Orphan"},
    )
    assert status == 422


@pytest.mark.parametrize("policy", ["Orphan", "Foreground"])
async def test_namespace_deletion_with_a_policy_finishes(
    apiserver: ApiServer, client: RestClient, policy: str
) -> None:
    from kubesvc.controllers.namespace.controller import NamespaceController

    name = f"del-ns-{policy.lower()}-{next(_seq)}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    await client.create(SERVICES, service(name, "inside"))
    status, answer = raw_delete(apiserver, f"/api/v1/namespaces/{name}", {"propagationPolicy": policy})
    assert status == 200, answer
    expected = ["orphan"] if policy == "Orphan" else ["foregroundDeletion"]
    assert answer["metadata"]["finalizers"] == expected
    assert answer["status"]["phase"] == "Terminating"
    assert answer["spec"]["finalizers"] == ["kubernetes"]

    factory = InformerFactory(client)
    namespaces = factory.informer(NAMESPACES)
    controllers = [
        NamespaceController(client, namespaces=namespaces),
        GarbageCollector(client, {NAMESPACES: namespaces}),
    ]
    factory.start()
    tasks = [asyncio.create_task(c.run()) for c in controllers]
    try:
        await eventually(lambda: gone(client, NAMESPACES, "", name), timeout=30)
        assert await gone(client, SERVICES, name, "inside")
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await factory.stop()
