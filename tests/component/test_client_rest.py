"""RestClient and kubeconfig against a real apiserver: verbs, typed errors with Status, watch."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from kubesvc.api.scheme import NAMESPACES, SERVICES
from kubesvc.client.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidError,
    NotFoundError,
    TransportError,
    UnauthorizedError,
)
from kubesvc.client.kubeconfig import ClientConfig, load_kubeconfig
from kubesvc.client.rest import RestClient

Obj = dict[str, Any]
_seq = itertools.count()


@pytest.fixture
async def ns(client: RestClient) -> str:
    name = f"client-rest-{next(_seq)}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def svc(name: str, port: int = 80) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": port, "protocol": "TCP"}]},
    }


def test_load_kubeconfig_resolves_current_context(apiserver: Any) -> None:
    cfg = load_kubeconfig(str(apiserver.kubeconfig))
    assert cfg.server == apiserver.url
    assert cfg.token == apiserver.admin_token
    assert cfg.ca_data is not None or cfg.ca_file is not None
    assert cfg.ssl_context() is not None


async def test_crud_round_trip(client: RestClient, ns: str) -> None:
    created = await client.create(SERVICES, svc("web"), namespace=ns)
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    got = await client.get(SERVICES, "web", namespace=ns)
    assert got["metadata"]["uid"] == created["metadata"]["uid"]
    listed = await client.list(SERVICES, namespace=ns)
    assert listed["kind"] == "ServiceList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["web"]
    assert listed["metadata"]["resourceVersion"]
    got["metadata"]["labels"] = {"tier": "front"}
    updated = await client.update(SERVICES, got)
    assert updated["metadata"]["labels"] == {"tier": "front"}
    patched = await client.patch(SERVICES, "web", {"metadata": {"annotations": {"a": "b"}}}, namespace=ns)
    assert patched["metadata"]["annotations"] == {"a": "b"}
    by_label = await client.list(SERVICES, namespace=ns, label_selector="tier=front")
    assert len(by_label["items"]) == 1
    assert (await client.list(SERVICES, namespace=ns, label_selector="tier=back"))["items"] == []
    await client.delete(SERVICES, "web", namespace=ns)
    with pytest.raises(NotFoundError):
        await client.get(SERVICES, "web", namespace=ns)


async def test_errors_are_typed_and_carry_the_status(client: RestClient, ns: str) -> None:
    with pytest.raises(NotFoundError) as nf:
        await client.get(SERVICES, "missing", namespace=ns)
    assert nf.value.code == 404
    assert nf.value.status["kind"] == "Status"
    assert nf.value.message == 'services "missing" not found'
    await client.create(SERVICES, svc("dup"), namespace=ns)
    with pytest.raises(AlreadyExistsError) as ae:
        await client.create(SERVICES, svc("dup"), namespace=ns)
    assert ae.value.reason == "AlreadyExists" and ae.value.code == 409
    stale = await client.get(SERVICES, "dup", namespace=ns)
    fresh = dict(stale, metadata=dict(stale["metadata"], labels={"x": "1"}))
    await client.update(SERVICES, fresh)
    stale["metadata"]["labels"] = {"x": "2"}
    with pytest.raises(ConflictError) as ce:
        await client.update(SERVICES, stale)
    assert ce.value.reason == "Conflict"
    bad = svc("bad", port=0)
    with pytest.raises(InvalidError) as ie:
        await client.create(SERVICES, bad, namespace=ns)
    assert ie.value.code == 422
    assert any(c.get("field") == "spec.ports[0].port" for c in ie.value.details.get("causes", []))
    with pytest.raises(NotFoundError):
        await client.delete(SERVICES, "missing", namespace=ns)


async def test_wrong_token_and_unreachable_server(apiserver: Any) -> None:
    cfg = load_kubeconfig(str(apiserver.kubeconfig))
    bad = RestClient(ClientConfig(server=cfg.server, token="nope", ca_data=cfg.ca_data, ca_file=cfg.ca_file))
    try:
        with pytest.raises(UnauthorizedError):
            await bad.list(NAMESPACES)
    finally:
        await bad.close()
    gone = RestClient(ClientConfig(server="https://127.0.0.1:1", token="x", insecure=True))
    try:
        with pytest.raises(TransportError):
            await gone.list(NAMESPACES)
    finally:
        await gone.close()


async def test_watch_yields_decoded_events_in_order(client: RestClient, ns: str) -> None:
    rv = (await client.list(SERVICES, namespace=ns))["metadata"]["resourceVersion"]
    events: list[tuple[str, str]] = []

    async def consume() -> None:
        async for ev in client.watch(SERVICES, namespace=ns, resource_version=rv, timeout_seconds=60):
            if ev["type"] == "BOOKMARK":
                continue
            events.append((ev["type"], ev["object"]["metadata"]["name"]))
            if ev["type"] == "DELETED":
                return

    task = asyncio.create_task(consume())
    await client.create(SERVICES, svc("w"), namespace=ns)
    await client.patch(SERVICES, "w", {"metadata": {"labels": {"a": "b"}}}, namespace=ns)
    await client.delete(SERVICES, "w", namespace=ns)
    await asyncio.wait_for(task, 60)
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


async def test_watch_with_field_selector(client: RestClient, ns: str) -> None:
    rv = (await client.list(SERVICES, namespace=ns))["metadata"]["resourceVersion"]
    seen: list[str] = []

    async def consume() -> None:
        async for ev in client.watch(
            SERVICES, namespace=ns, resource_version=rv, field_selector="metadata.name=b", timeout_seconds=60
        ):
            if ev["type"] != "BOOKMARK":
                seen.append(ev["object"]["metadata"]["name"])
                return

    task = asyncio.create_task(consume())
    await client.create(SERVICES, svc("a"), namespace=ns)
    await client.create(SERVICES, svc("b"), namespace=ns)
    await asyncio.wait_for(task, 60)
    assert seen == ["b"]
