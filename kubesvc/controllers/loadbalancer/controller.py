"""The LoadBalancer IP controller: keeps `status.loadBalancer.ingress` of our LoadBalancer Services
in line with the pool (rules in `pool.py`).

At start (after the Service cache synced, before any sync) the pool is rebuilt from the addresses
Services already show, oldest Service first, so a restart or a leader change keeps every address
where it is. A sync then runs `pool.assign` for one Service and writes the status through the
`status` subresource when it differs. Events: Normal `IPAllocated` ("Assigned IP [...]") and
Warning `AllocationFailed` ("Failed to allocate IP for "ns/name": <why>").

Status ownership: a Service of another `loadBalancerClass` is never touched; a Service that is no
longer of type LoadBalancer has its ingress cleared (its address goes back to the pool).
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from prometheus_client import Gauge

from kubesvc.api.scheme import SERVICES
from kubesvc.client.cache import object_key
from kubesvc.client.errors import NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.loadbalancer.pool import (
    ANNOTATION_REQUESTED_IPS,
    IPPool,
    assign,
    ingress_equal,
    is_ours,
    service_key,
    status_ips,
)
from kubesvc.controllers.runtime import Controller, EventRecorder

log = logging.getLogger(__name__)

Obj = dict[str, Any]
EVENT_COMPONENT = "service-lb-controller"

POOL_FREE = Gauge("kubesvc_lb_pool_free_addresses", "Free addresses in the LoadBalancer IP pool.", ["family"])
POOL_SIZE = Gauge("kubesvc_lb_pool_size_addresses", "Addresses in the LoadBalancer IP pool.", ["family"])


def _relevant(svc: Obj) -> tuple[Any, ...]:
    spec = svc.get("spec") or {}
    meta = svc.get("metadata") or {}
    return (
        spec.get("type"),
        spec.get("loadBalancerClass"),
        tuple(spec.get("ipFamilies") or ()),
        spec.get("clusterIP"),
        spec.get("loadBalancerIP"),
        (meta.get("annotations") or {}).get(ANNOTATION_REQUESTED_IPS),
        bool(meta.get("deletionTimestamp")),
        json.dumps(
            ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [], sort_keys=True
        ),
    )


def _has_ingress(svc: Obj) -> bool:
    return bool(((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress"))


class LoadBalancerController(Controller):
    name = "service-lb-controller"

    def __init__(
        self,
        client: RestClient,
        pool: IPPool,
        *,
        services: Informer,
        recorder: EventRecorder | None = None,
        workers: int = 1,
    ) -> None:
        # One worker: allocation decisions are made one Service at a time, in queue order.
        super().__init__(workers=workers, informers=[services])
        self.client = client
        self.pool = pool
        self.services = services
        self.recorder = recorder if recorder is not None else EventRecorder(client, EVENT_COMPONENT)
        self._unannounced: dict[str, list[str]] = {}
        self._waiting: set[str] = set()  # Services that got no address last time
        services.add_handler(self._on_add, self._on_update, self._on_delete)

    def _on_add(self, svc: Obj) -> None:
        if is_ours(svc) or _has_ingress(svc):
            self.enqueue(object_key(svc))

    def _on_update(self, old: Obj, new: Obj) -> None:
        if (is_ours(old) or is_ours(new) or _has_ingress(new)) and _relevant(old) != _relevant(new):
            self.enqueue(object_key(new))

    def _on_delete(self, svc: Obj) -> None:
        self.enqueue(object_key(svc))

    async def started(self) -> None:
        ours = [s for s in self.services.store.list() if is_ours(s) and status_ips(s)]
        ours.sort(key=lambda s: ((s.get("metadata") or {}).get("creationTimestamp") or "", service_key(s)))
        for svc in ours:
            rejected = self.pool.restore(service_key(svc), status_ips(svc))
            if rejected:
                log.info(
                    "%s: status addresses %s not restored (outside pool or taken)", service_key(svc), rejected
                )
        self._export_pool()

    def _export_pool(self) -> None:
        for fam in self.pool.families():
            POOL_FREE.labels(fam).set(self.pool.free(fam))
            POOL_SIZE.labels(fam).set(self.pool.size(fam))

    async def sync(self, key: str) -> None:
        before = {fam: self.pool.free(fam) for fam in self.pool.families()}
        try:
            await self._sync(key)
        finally:
            if any(self.pool.free(fam) > n for fam, n in before.items()):
                # addresses came back: Services waiting for one get another chance
                for waiting in sorted(self._waiting - {key}):
                    self.enqueue(waiting)

    async def _sync(self, key: str) -> None:
        svc = self.services.store.get(key)
        if svc is None:
            self.pool.release(key)
            self._waiting.discard(key)
            self._export_pool()
            return
        spec = svc.get("spec") or {}
        if not is_ours(svc) and spec.get("type") == "LoadBalancer":
            # another implementation's Service: its status is not ours to touch
            self.pool.release(key)
            self._export_pool()
            return
        outcome = assign(self.pool, svc)
        self._export_pool()
        if outcome.allocated:
            # announced once the status shows it (a failed write is retried without re-allocating)
            self._unannounced[key] = outcome.allocated
        elif not outcome.ingress:
            self._unannounced.pop(key, None)
        if outcome.error is not None:
            self._waiting.add(key)
        else:
            self._waiting.discard(key)
        if outcome.error is not None:
            self.recorder.record(
                svc,
                "Warning",
                "AllocationFailed",
                f'Failed to allocate IP for "{key}": {outcome.error}',
                info=SERVICES,
            )
        current = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        if ingress_equal(current, outcome.ingress):
            self._announce(svc, key)
            return
        updated = copy.deepcopy(svc)
        status = updated.setdefault("status", {})
        status["loadBalancer"] = {"ingress": outcome.ingress} if outcome.ingress else {}
        try:
            await self.client.update_status(SERVICES, updated)
        except NotFoundError:
            self.pool.release(key)
            self._unannounced.pop(key, None)
            return
        self._announce(svc, key)

    def _announce(self, svc: Obj, key: str) -> None:
        allocated = self._unannounced.pop(key, None)
        if allocated:
            self.recorder.record(
                svc, "Normal", "IPAllocated", f"Assigned IP {json.dumps(allocated)}", info=SERVICES
            )
