"""The legacy Endpoints controller: selector Services + Pods → v1 Endpoints (same name).

Construction::

    ctrl = EndpointsController.from_factory(client, factory)      # or
    ctrl = EndpointsController(client, services=..., pods=..., endpoints=..., workers=5)

Per Service key, `sync`:
- Service gone → delete the Endpoints of that name (whoever wrote it, as upstream);
- ExternalName or selector-less Service → nothing (selector-less Endpoints are the user's);
- otherwise `reconciler.plan_endpoints` says what to write; create or update it.  An update
  that changed the object marks the old resourceVersion stale, so a sync that still sees it in
  the cache fails and is retried (upstream's staleEndpointsTracker).
At start every cached Endpoints key is queued once, so Endpoints left behind by a Service
deleted while the controller was down are removed (those carrying the leader-election
annotation excepted).
Events: `FailedToCreateEndpoint` / `FailedToUpdateEndpoint` (Warning) on the Endpoints.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from kubesvc.api.scheme import ENDPOINTS, PODS, SERVICES
from kubesvc.client.cache import object_key, split_key
from kubesvc.client.errors import ApiError, ForbiddenError, NotFoundError
from kubesvc.client.informer import Informer, InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpoints.reconciler import LEADER_ANNOTATION, plan_endpoints
from kubesvc.controllers.endpointslice.indexes import add_pod_indexes, pods_selected_by
from kubesvc.controllers.endpointslice.podchange import queue_services_on_events
from kubesvc.controllers.endpointslice.pods import meta, selector_of, spec
from kubesvc.controllers.endpointslice.triggertime import TriggerTimeTracker
from kubesvc.controllers.runtime import Controller, EventRecorder

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class EndpointsController(Controller):
    name = "endpoint"

    def __init__(
        self,
        client: RestClient,
        *,
        services: Informer,
        pods: Informer,
        endpoints: Informer,
        workers: int = 5,
        recorder: EventRecorder | None = None,
        endpoint_updates_batch_period: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(workers=workers, informers=[services, pods, endpoints], **kwargs)
        self.client = client
        self.services = services
        self.pods = pods
        self.endpoints = endpoints
        self.recorder = recorder or EventRecorder(client, "endpoint-controller")
        self.trigger_times = TriggerTimeTracker()
        self._stale_rv: dict[str, str] = {}
        add_pod_indexes(pods.store)
        queue_services_on_events(self.queue, services, pods, batch_period=endpoint_updates_batch_period)
        endpoints.add_handler(on_delete=lambda ep: self.queue.add(object_key(ep)))

    @classmethod
    def from_factory(cls, client: RestClient, factory: InformerFactory, **kwargs: Any) -> EndpointsController:
        return cls(
            client,
            services=factory.informer(SERVICES),
            pods=factory.informer(PODS),
            endpoints=factory.informer(ENDPOINTS),
            **kwargs,
        )

    async def started(self) -> None:
        # checkLeftoverEndpoints: Endpoints whose Service vanished while we were away.
        for ep in self.endpoints.store.list():
            if LEADER_ANNOTATION in (meta(ep).get("annotations") or {}):
                continue
            self.queue.add(object_key(ep))

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.store.get(key)
        if service is None:
            with contextlib.suppress(NotFoundError):
                await self.client.delete(ENDPOINTS, name, namespace=namespace)
            self.trigger_times.delete_service(namespace, name)
            self._stale_rv.pop(key, None)
            return
        if spec(service).get("type") == "ExternalName" or selector_of(service) is None:
            return
        pods = pods_selected_by(self.pods.store, service)
        trigger = self.trigger_times.compute(service, pods)
        current = self.endpoints.store.get(key)
        if current is not None:
            rv = meta(current).get("resourceVersion")
            if self._stale_rv.get(key) == rv:
                raise RuntimeError(
                    f"endpoints informer cache is out of date, resource version {rv} already processed "
                    f"for endpoints {key}"
                )
        plan = plan_endpoints(service, pods, current, trigger_time=trigger)
        if plan.action is None or plan.endpoints is None:
            return
        try:
            if plan.action == "create":
                await self.client.create(ENDPOINTS, plan.endpoints, namespace=namespace)
            else:
                updated = await self.client.update(ENDPOINTS, plan.endpoints)
                old_rv = meta(current or {}).get("resourceVersion")
                if old_rv and meta(updated).get("resourceVersion") != old_rv:
                    self._stale_rv[key] = old_rv
        except ApiError as exc:
            terminating = isinstance(exc, ForbiddenError) and exc.has_cause("NamespaceTerminating")
            if plan.action == "create" and terminating:
                return  # the namespace is going away: creates will keep failing
            if plan.action == "create":
                reason, message = (
                    "FailedToCreateEndpoint",
                    f"Failed to create endpoint for service {namespace}/{name}: {exc}",
                )
            else:
                reason, message = (
                    "FailedToUpdateEndpoint",
                    f"Failed to update endpoint {namespace}/{name}: {exc}",
                )
            self.recorder.record(plan.endpoints, "Warning", reason, message, info=ENDPOINTS)
            raise
