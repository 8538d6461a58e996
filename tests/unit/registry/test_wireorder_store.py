"""The registry stores objects in Go's key order and reads them back as stored (api/wireorder.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from kubesvc.api import codec, scheme
from kubesvc.registry import build_registry
from kubesvc.registry.generic import ListOptions
from kubesvc.registry.selectors import build_filter
from kubesvc.storage import open_store
from kubesvc.storage.interface import Put

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def endpoints(name: str) -> dict[str, Any]:
    # keys deliberately out of Go's order
    return {
        "subsets": [
            {
                "ports": [{"protocol": "TCP", "port": 80, "name": "http"}],
                "addresses": [{"nodeName": "n", "ip": "10.0.0.1"}],
            }
        ],
        "metadata": {"labels": {"z": "1", "a": "2"}, "name": name},
        "apiVersion": "v1",
        "kind": "Endpoints",
    }


async def test_stored_bytes_are_in_go_order_with_a_resource_version_placeholder() -> None:
    store = open_store("memory")
    reg = build_registry(store, None, clock=lambda: NOW, rng=random.Random(1))
    await reg.ensure_system_namespaces()
    rs = reg.get(scheme.ENDPOINTS)
    created = await rs.create("default", endpoints("e1"))
    assert list(created) == ["kind", "apiVersion", "metadata", "subsets"]
    assert list(created["metadata"])[:5] == [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ]
    assert int(created["metadata"]["resourceVersion"]) > 0

    kv = await store.get(rs.key("default", "e1"))
    assert kv is not None
    stored = json.loads(kv.value)
    assert list(stored) == ["kind", "apiVersion", "metadata", "subsets"]
    assert stored["metadata"]["resourceVersion"] == ""  # the revision is the key's mod_revision
    assert list(stored["metadata"]["labels"]) == ["a", "z"]
    assert list(stored["subsets"][0]) == ["addresses", "ports"]
    assert list(stored["subsets"][0]["addresses"][0]) == ["ip", "nodeName"]

    got = await rs.get("default", "e1")
    assert got["metadata"]["resourceVersion"] == str(kv.mod_revision)
    assert json.dumps(got) == json.dumps(created)


async def test_objects_stored_before_ordering_are_ordered_when_read() -> None:
    store = open_store("memory")
    reg = build_registry(store, None, clock=lambda: NOW, rng=random.Random(1))
    await reg.ensure_system_namespaces()
    rs = reg.get(scheme.ENDPOINTS)
    old = endpoints("legacy")
    old["metadata"].update({"namespace": "default", "uid": "u", "creationTimestamp": "2024-01-01T00:00:00Z"})
    await store.txn([], [Put(rs.key("default", "legacy"), codec.dumps(old))])
    got = await rs.get("default", "legacy")
    assert list(got) == ["kind", "apiVersion", "metadata", "subsets"]
    assert list(got["metadata"]) == [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
    ]
    listed = await rs.list("default", ListOptions(filter=build_filter(scheme.ENDPOINTS, "", "")))
    item = next(i for i in listed["items"] if i["metadata"]["name"] == "legacy")
    assert list(item) == ["metadata", "subsets"]


async def test_dry_run_answers_are_ordered_too() -> None:
    store = open_store("memory")
    reg = build_registry(store, None, clock=lambda: NOW, rng=random.Random(1))
    await reg.ensure_system_namespaces()
    rs = reg.get(scheme.ENDPOINTS)
    dry = await rs.create("default", endpoints("d1"), dry_run=True)
    assert list(dry) == ["kind", "apiVersion", "metadata", "subsets"]
    assert "resourceVersion" not in dry["metadata"]
    assert await store.get(rs.key("default", "d1")) is None
