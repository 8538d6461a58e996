"""An informer keeps up with a burst of concurrent writes (issue #5: the controller-manager's Pod
informer lagged far behind the writes while 110,000 objects were created).

The apiserver used to take one loop iteration per queued watch event; under write load one
iteration is long, so a watch delivered about one event per second until the writes stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kubesvc.api.scheme import NAMESPACES, PODS
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient

WRITES = 480
IN_FLIGHT = 48


def _pod(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"burst-{i}", "labels": {"app": "burst"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


async def test_informer_sees_most_events_while_writes_are_still_running(
    apiserver_factory: Callable[..., Any],
) -> None:
    srv = apiserver_factory(backend="memory")
    client = RestClient.from_kubeconfig(str(srv.kubeconfig), connection_limit=IN_FLIGHT + 8)
    informer = Informer(client, PODS, namespace="burst")
    task: asyncio.Task[None] | None = None
    try:
        await client.create(
            NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "burst"}}
        )
        task = asyncio.create_task(informer.run())
        await asyncio.wait_for(informer.wait_synced(), 30)
        sem = asyncio.Semaphore(IN_FLIGHT)

        async def create(i: int) -> None:
            async with sem:
                await client.create(PODS, _pod(i), namespace="burst")

        await asyncio.gather(*(create(i) for i in range(WRITES)))
        seen_when_writes_done = len(informer.store)
        # Every create answered before this point was committed; its event should mostly be
        # delivered by now (the apiserver was busy the whole time, so one event per loop
        # iteration would leave nearly all of them queued).
        assert seen_when_writes_done >= WRITES // 2, (
            f"the informer had seen {seen_when_writes_done} of {WRITES} Pods when the writes ended"
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(informer.store) < WRITES and loop.time() < deadline:
            await asyncio.sleep(0.02)
        assert len(informer.store) == WRITES
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await client.close()
