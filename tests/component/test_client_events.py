"""EventRecorder against a real apiserver: core/v1 Events, repeats aggregated by count."""

from __future__ import annotations

import itertools

from kubesvc.api.scheme import EVENTS_V1, NAMESPACES, NODES, SERVICES
from kubesvc.client.rest import RestClient
from kubesvc.controllers.runtime import EventRecorder

_seq = itertools.count()


async def test_event_written_and_repeats_counted(client: RestClient) -> None:
    ns = f"events-{next(_seq)}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    svc = await client.create(
        SERVICES,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}]},
        },
        namespace=ns,
    )
    rec = EventRecorder(client, "test-controller", host="host-1")
    rec.record(svc, "Warning", "Broken", "it broke", info=SERVICES)
    await rec.drain()
    rec.record(svc, "Warning", "Broken", "it broke", info=SERVICES)
    rec.record(svc, "Normal", "Fixed", "all good", info=SERVICES)
    await rec.drain()
    events = {e["reason"]: e for e in (await client.list(EVENTS_V1, namespace=ns))["items"]}
    assert set(events) == {"Broken", "Fixed"}
    broken = events["Broken"]
    assert broken["count"] == 2
    assert broken["type"] == "Warning" and broken["message"] == "it broke"
    assert broken["source"] == {"component": "test-controller", "host": "host-1"}
    assert broken["involvedObject"]["kind"] == "Service"
    assert broken["involvedObject"]["name"] == "web"
    assert broken["involvedObject"]["uid"] == svc["metadata"]["uid"]
    assert broken["involvedObject"]["apiVersion"] == "v1"
    assert broken["metadata"]["name"].startswith("web.")
    assert broken["firstTimestamp"] and broken["lastTimestamp"]
    assert events["Fixed"]["count"] == 1


async def test_event_for_cluster_scoped_object_goes_to_default(client: RestClient) -> None:
    name = f"ev-node-{next(_seq)}"
    node = await client.create(NODES, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    rec = EventRecorder(client, "test-controller")
    rec.record(node, "Normal", "Seen", "hello", info=NODES)
    await rec.drain()
    items = (await client.list(EVENTS_V1, namespace="default"))["items"]
    assert any(e["involvedObject"].get("name") == name and e["reason"] == "Seen" for e in items)
