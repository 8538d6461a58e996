"""The controller runtime: keys → work queue → workers → `sync(key)`, with retries and metrics.

A controller subclasses `Controller`, registers informer handlers that call `self.enqueue(key)`
(keys are "ns/name" strings), and implements `async sync(key)`, which reads the informer caches
and makes the world match.  `run()` waits for the informers it lists in `informers` to sync,
then runs `workers` workers.  Each worker takes a key (the queue never hands one key to two
workers at once), calls `sync`; on success it `forget`s the key's failures, on an exception it
re-adds the key rate-limited (5 ms doubling up to 1000 s), and after `max_retries` failures
(upstream's EndpointSlice controller uses 15) it drops the key until the next change.

Metrics (prometheus_client, default registry, label `controller`):
`kubesvc_controller_sync_duration_seconds` (histogram), `kubesvc_controller_syncs_total`
(label `result`: success/error), `kubesvc_controller_retries_total`, `kubesvc_controller_dropped_total`;
the queue itself exports `kubesvc_workqueue_depth{name=<controller>}`.

`EventRecorder(client, component)` writes core/v1 Events as client-go's recorder does:
`record(obj, type, reason, message)` returns at once and the write happens in the background;
a repeat of the same (object, type, reason, message) within the recorder's lifetime
increments `count` and `lastTimestamp` of the existing Event with a merge patch instead of
creating a new one.  `await recorder.drain()` waits for pending writes (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Histogram

from kubesvc.aio.clock import Clock
from kubesvc.api.scheme import EVENTS_V1, ResourceInfo
from kubesvc.client.errors import ClientError, NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.client.workqueue import ShutDownError, WorkQueue

log = logging.getLogger(__name__)

SYNC_DURATION = Histogram(
    "kubesvc_controller_sync_duration_seconds",
    "Time one sync(key) took.",
    ["controller"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNCS = Counter("kubesvc_controller_syncs_total", "sync(key) calls by result.", ["controller", "result"])
RETRIES = Counter("kubesvc_controller_retries_total", "Keys re-queued after a failed sync.", ["controller"])
DROPPED = Counter("kubesvc_controller_dropped_total", "Keys dropped after max retries.", ["controller"])


class Controller:
    """Base class: subclasses set handlers that `enqueue` keys and implement `sync(key)`."""

    name: str = "controller"

    def __init__(
        self,
        *,
        name: str | None = None,
        workers: int = 1,
        informers: Iterable[Informer] = (),
        clock: Clock | None = None,
        max_retries: int = 15,
    ) -> None:
        if name is not None:
            self.name = name
        self.workers = workers
        self.informers = list(informers)
        self.max_retries = max_retries
        self.queue: WorkQueue[str] = WorkQueue(self.name, clock=clock)

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def enqueue_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)

    async def sync(self, key: str) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        """Wait for the informers to sync, then work until cancelled."""
        await asyncio.gather(*(inf.wait_synced() for inf in self.informers))
        await self.started()
        tasks = [
            asyncio.create_task(self._worker(), name=f"{self.name}-worker-{i}") for i in range(self.workers)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            self.queue.shutdown()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def started(self) -> None:
        """Hook run once after the caches synced, before the workers start."""

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDownError:
                return
            await self.process(key)

    async def process(self, key: str) -> bool:
        """Sync one key taken from the queue; returns True on success."""
        start = time.perf_counter()
        try:
            await self.sync(key)
        except asyncio.CancelledError:
            self.queue.done(key)
            raise
        except Exception as exc:
            SYNCS.labels(self.name, "error").inc()
            if self.queue.num_requeues(key) < self.max_retries:
                RETRIES.labels(self.name).inc()
                log.info("%s: sync %s failed, retrying: %s", self.name, key, exc)
                self.queue.add_rate_limited(key)
            else:
                DROPPED.labels(self.name).inc()
                log.warning("%s: dropping %s after %d retries: %s", self.name, key, self.max_retries, exc)
                self.queue.forget(key)
            return False
        else:
            SYNCS.labels(self.name, "success").inc()
            self.queue.forget(key)
            return True
        finally:
            SYNC_DURATION.labels(self.name).observe(time.perf_counter() - start)
            self.queue.done(key)


def _timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    """Records core/v1 Events for objects, aggregating repeats (client-go record.EventRecorder)."""

    def __init__(self, client: RestClient, component: str, *, host: str | None = None) -> None:
        self.client = client
        self.component = component
        self.host = host if host is not None else socket.gethostname()
        self._seen: dict[tuple[str, ...], tuple[str, str, int]] = {}  # key -> (ns, name, count)
        self._pending: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    @staticmethod
    def reference(obj: Mapping[str, Any], info: ResourceInfo | None = None) -> dict[str, Any]:
        meta = obj.get("metadata") or {}
        ref: dict[str, Any] = {
            "kind": obj.get("kind") or (info.kind if info else ""),
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "uid": meta.get("uid", ""),
            "apiVersion": obj.get("apiVersion") or (info.api_version if info else ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        return {k: v for k, v in ref.items() if v}

    def record(
        self,
        obj: Mapping[str, Any],
        type: str,
        reason: str,
        message: str,
        *,
        info: ResourceInfo | None = None,
    ) -> None:
        """Record an Event (type "Normal" or "Warning"); the write happens in the background."""
        ref = self.reference(obj, info)
        try:
            task = asyncio.get_running_loop().create_task(self._write(ref, type, reason, message))
        except RuntimeError:
            log.warning("event %s %s dropped: no running loop", reason, message)
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _write(self, ref: dict[str, Any], type: str, reason: str, message: str) -> None:
        key = (
            self.component,
            self.host,
            ref.get("kind", ""),
            ref.get("namespace", ""),
            ref.get("name", ""),
            ref.get("uid", ""),
            ref.get("apiVersion", ""),
            type,
            reason,
            message,
        )
        now = datetime.now(UTC)
        ts = _timestamp(now)
        async with self._lock:  # keeps create-then-patch of one key in order
            try:
                seen = self._seen.get(key)
                if seen is not None:
                    ns, name, count = seen
                    try:
                        await self.client.patch(
                            EVENTS_V1,
                            name,
                            {"count": count + 1, "lastTimestamp": ts},
                            namespace=ns,
                        )
                        self._seen[key] = (ns, name, count + 1)
                        return
                    except NotFoundError:
                        pass  # expired or deleted: make a new one
                ns = ref.get("namespace") or "default"
                name = f"{ref.get('name', '')}.{time.time_ns():x}"
                event = {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": ns},
                    "involvedObject": ref,
                    "reason": reason,
                    "message": message,
                    "source": {"component": self.component, "host": self.host},
                    "firstTimestamp": ts,
                    "lastTimestamp": ts,
                    "count": 1,
                    "type": type,
                    "eventTime": None,
                    "reportingComponent": self.component,
                    "reportingInstance": self.host,
                }
                await self.client.create(EVENTS_V1, event, namespace=ns)
                self._seen[key] = (ns, name, 1)
            except ClientError as exc:
                log.warning(
                    "could not write event %s/%s %s: %s", ref.get("namespace"), ref.get("name"), reason, exc
                )
