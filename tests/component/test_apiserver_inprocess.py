"""The in-process harness serves the same API as the subprocess one."""

from __future__ import annotations

import asyncio
import json

from tests.support.apiserver import ApiServer


async def test_inprocess_crud_and_watch(apiserver_inprocess: ApiServer) -> None:
    srv = apiserver_inprocess
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ip"},
        "spec": {"ports": [{"port": 80}]},
    }
    st, created, _ = await asyncio.to_thread(srv.call, "POST", "/api/v1/namespaces/default/services", body)
    assert st == 201, created
    assert created["spec"]["clusterIP"]
    params = {"watch": "true", "resourceVersion": "0", "fieldSelector": "metadata.name=ip"}
    async with srv.session() as s, s.get("/api/v1/namespaces/default/services", params=params) as resp:
        line = await asyncio.wait_for(resp.content.readline(), 30)
    ev = json.loads(line)
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["uid"] == created["metadata"]["uid"]
    st, _, _ = await asyncio.to_thread(srv.call, "GET", "/api/v1/namespaces", token=None)
    assert st == 401
