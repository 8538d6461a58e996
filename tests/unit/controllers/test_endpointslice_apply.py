"""How the EndpointSlice controller sends the writes of one plan: a bounded number in flight,
every write attempted even when one fails, the tracker told about each success."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINT_SLICES, NODES, PODS, SERVICES
from kubesvc.client.errors import error_from_status
from kubesvc.client.informer import Informer
from kubesvc.controllers.endpointslice.controller import (
    WRITES_IN_FLIGHT,
    EndpointSliceController,
    SyncError,
)
from kubesvc.controllers.endpointslice.reconciler import SlicePlan

Obj = dict[str, Any]
SERVICE: Obj = {"metadata": {"name": "web", "namespace": "default", "uid": "svc-uid"}}


class FakeClient:
    """Answers creates after a short pause, counting how many are in flight at once."""

    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail = fail
        self.in_flight = 0
        self.max_in_flight = 0
        self.created: list[str] = []
        self.answers: list[Obj] = []

    async def create(self, info: Any, obj: Obj, *, namespace: str | None = None) -> Obj:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.002)
            name = obj["metadata"]["generateName"]
            if name in self.fail:
                raise error_from_status(
                    {"kind": "Status", "status": "Failure", "message": "boom", "reason": "InternalError"}, 500
                )
            self.created.append(name)
            out = {**obj, "metadata": {**obj["metadata"], "name": name, "uid": f"uid-{name}"}}
            out["metadata"]["resourceVersion"] = str(len(self.created))
            out["metadata"]["generation"] = 1
            self.answers.append(out)
            return out
        finally:
            self.in_flight -= 1


def controller(client: FakeClient, **kw: Any) -> EndpointSliceController:
    informers = {
        k: Informer(client, info)
        for k, info in (("services", SERVICES), ("pods", PODS), ("nodes", NODES), ("slices", ENDPOINT_SLICES))  # type: ignore[arg-type]
    }
    return EndpointSliceController(client, **informers, **kw)  # type: ignore[arg-type]


def plan_of(n: int) -> SlicePlan:
    return SlicePlan(
        to_create=[
            {
                "metadata": {
                    "generateName": f"web-{i}",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": "web"},
                },
                "addressType": "IPv4",
                "endpoints": [],
                "ports": [],
            }
            for i in range(n)
        ]
    )


async def test_creates_of_one_sync_are_concurrent_but_bounded() -> None:
    client = FakeClient()
    ctrl = controller(client)
    await ctrl.apply(SERVICE, plan_of(3 * WRITES_IN_FLIGHT))
    assert sorted(client.created) == sorted(f"web-{i}" for i in range(3 * WRITES_IN_FLIGHT))
    assert client.max_in_flight == WRITES_IN_FLIGHT
    # the tracker knows every slice written: a cache without them is stale, one with them is not
    assert ctrl.tracker.stale_slices(SERVICE, [])
    assert not ctrl.tracker.stale_slices(SERVICE, client.answers)


async def test_writes_in_flight_one_is_serial_as_upstream() -> None:
    client = FakeClient()
    await controller(client, writes_in_flight=1).apply(SERVICE, plan_of(5))
    assert client.max_in_flight == 1 and len(client.created) == 5


async def test_a_failed_create_fails_the_sync_after_the_others_are_written() -> None:
    client = FakeClient(fail={"web-3"})
    with pytest.raises(SyncError, match="failed to create EndpointSlice for Service default/web"):
        await controller(client).apply(SERVICE, plan_of(20))
    assert len(client.created) == 19 and "web-3" not in client.created
