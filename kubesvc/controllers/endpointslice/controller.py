"""The EndpointSlice controller: Services + Pods + Nodes → EndpointSlices, through the API.

Construction (what the controller-manager does)::

    factory = InformerFactory(client)
    ctrl = EndpointSliceController.from_factory(client, factory, max_endpoints_per_slice=100)
    factory.start()
    await ctrl.run()          # waits for the caches, then `workers` workers

or explicitly: `EndpointSliceController(client, services=..., pods=..., nodes=..., slices=...,
max_endpoints_per_slice=100, workers=5, recorder=EventRecorder(client, "endpointslice-controller"))`,
the four being `Informer`s of SERVICES, PODS, NODES and ENDPOINT_SLICES (all namespaces).

Per Service key, `sync` reads the caches, asks `reconciler.plan_slices` for a plan and applies
it (creates, then updates, then deletes; upstream sends them one by one, we keep up to
`writes_in_flight` (16) of each kind in flight), recording what it wrote in the `EndpointSliceTracker`
so that it never acts on a cache older than its own writes (the sync fails and is retried).
Events: `FailedToUpdateEndpointSlices` (Warning) on the Service when applying fails.

When a Service is gone, the slices this controller made for it are deleted (what the garbage
collector does upstream through the ownerReference).

Metrics: `kubesvc_endpointslice_changes_total{operation}`, `kubesvc_endpointslice_endpoints`
(desired endpoints over all Services) and `kubesvc_endpointslice_slices` (slices we manage).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from prometheus_client import Counter, Gauge

from kubesvc.api.scheme import ENDPOINT_SLICES, NODES, PODS, SERVICES
from kubesvc.client.cache import Indexer, object_key, split_key
from kubesvc.client.errors import ApiError, ConflictError, NotFoundError
from kubesvc.client.informer import Informer, InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpointslice.hints import hints_enabled, node_topology
from kubesvc.controllers.endpointslice.indexes import (
    add_pod_indexes,
    add_slice_indexes,
    pods_selected_by,
    slices_of_service,
)
from kubesvc.controllers.endpointslice.podchange import queue_services_on_events
from kubesvc.controllers.endpointslice.pods import meta, selector_of, spec
from kubesvc.controllers.endpointslice.reconciler import (
    CONTROLLER_NAME,
    DEFAULT_MAX_ENDPOINTS_PER_SLICE,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    MAX_ENDPOINTS_PER_SLICE_LIMIT,
    SlicePlan,
    managed_by,
    plan_slices,
)
from kubesvc.controllers.endpointslice.tracker import EndpointSliceTracker, StaleInformerCacheError
from kubesvc.controllers.endpointslice.triggertime import TriggerTimeTracker
from kubesvc.controllers.runtime import Controller, EventRecorder

log = logging.getLogger(__name__)

Obj = dict[str, Any]

SLICE_CHANGES = Counter(
    "kubesvc_endpointslice_changes_total", "EndpointSlice writes by operation.", ["operation"]
)
ENDPOINTS_DESIRED = Gauge("kubesvc_endpointslice_endpoints", "Endpoints the EndpointSlice controller keeps.")
SLICES_MANAGED = Gauge("kubesvc_endpointslice_slices", "EndpointSlices the EndpointSlice controller keeps.")

# Upstream: a slice event is synced no sooner than 1 s later, to batch our own echoes.
ENDPOINT_SLICE_CHANGE_MIN_SYNC_DELAY = 1.0

# Slice writes of one sync sent concurrently (bench/README.md: EndpointSlice controller).
WRITES_IN_FLIGHT = 16

# Services with fewer selected Pods get no plan memo (see `_memo_for`).
MEMO_MIN_PODS = 100


class SyncError(Exception):
    """A sync did not fully succeed (retried with backoff)."""


class _NodeView(Mapping[str, Obj]):
    def __init__(self, store: Indexer) -> None:
        self._store = store

    def __getitem__(self, name: str) -> Obj:
        node = self._store.get(name)
        if node is None:
            raise KeyError(name)
        return node

    def get(self, name: str, default: Any = None) -> Any:
        return self._store.get(name) or default

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.keys())

    def __len__(self) -> int:
        return len(self._store)


class EndpointSliceController(Controller):
    name = "endpointslice"

    def __init__(
        self,
        client: RestClient,
        *,
        services: Informer,
        pods: Informer,
        nodes: Informer,
        slices: Informer,
        max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
        workers: int = 5,
        recorder: EventRecorder | None = None,
        endpoint_updates_batch_period: float = 0.0,
        controller_name: str = CONTROLLER_NAME,
        writes_in_flight: int = WRITES_IN_FLIGHT,
        **kwargs: Any,
    ) -> None:
        if not 1 <= max_endpoints_per_slice <= MAX_ENDPOINTS_PER_SLICE_LIMIT:
            raise ValueError(
                f"max-endpoints-per-slice must be between 1 and {MAX_ENDPOINTS_PER_SLICE_LIMIT}, "
                f"got {max_endpoints_per_slice}"
            )
        super().__init__(workers=workers, informers=[services, pods, nodes, slices], **kwargs)
        self.client = client
        self.services = services
        self.pods = pods
        self.nodes = nodes
        self.slices = slices
        self.max_endpoints_per_slice = max_endpoints_per_slice
        self.controller_name = controller_name
        self.batch_period = endpoint_updates_batch_period
        self.writes_in_flight = max(1, writes_in_flight)
        self.recorder = recorder or EventRecorder(client, "endpointslice-controller")
        self.tracker = EndpointSliceTracker()
        self.trigger_times = TriggerTimeTracker()
        self._counts: dict[str, tuple[int, int]] = {}  # service key -> (endpoints, slices)
        self._memos: dict[str, dict[str, Any]] = {}  # service key -> plan_slices memo
        self._topology_hinted: set[str] = set()  # service keys with topology-aware hints populated
        self._topology_services: set[str] = set()  # service keys with the topology annotation "Auto"
        add_pod_indexes(pods.store)
        add_slice_indexes(slices.store)
        queue_services_on_events(self.queue, services, pods, batch_period=endpoint_updates_batch_period)
        slices.add_handler(
            on_add=self._on_slice_add, on_update=self._on_slice_update, on_delete=self._on_slice_delete
        )
        services.add_handler(
            on_add=self._track_topology_service,
            on_update=lambda old, new: self._track_topology_service(new),
            on_delete=lambda svc: self._topology_services.discard(object_key(svc)),
        )
        nodes.add_handler(
            on_add=lambda n: self._queue_topology_services(),
            on_update=self._on_node_update,
            on_delete=lambda n: self._queue_topology_services(),
        )

    @classmethod
    def from_factory(
        cls, client: RestClient, factory: InformerFactory, **kwargs: Any
    ) -> EndpointSliceController:
        return cls(
            client,
            services=factory.informer(SERVICES),
            pods=factory.informer(PODS),
            nodes=factory.informer(NODES),
            slices=factory.informer(ENDPOINT_SLICES),
            **kwargs,
        )

    # -- event handlers ----------------------------------------------------------------------

    def _queue_for_slice(self, slice_: Obj) -> None:
        m = meta(slice_)
        svc = (m.get("labels") or {}).get(LABEL_SERVICE_NAME)
        if not svc:
            return
        self.queue.add_after(
            f"{m.get('namespace', '')}/{svc}", max(ENDPOINT_SLICE_CHANGE_MIN_SYNC_DELAY, self.batch_period)
        )

    def _track_topology_service(self, svc: Obj) -> None:
        if hints_enabled(svc):
            self._topology_services.add(object_key(svc))
        else:
            self._topology_services.discard(object_key(svc))

    def _queue_topology_services(self) -> None:
        """Nodes changed: Services with topology-aware hints ("Auto") are re-planned, as their
        zone allocations follow the Nodes (upstream checkNodeTopologyDistribution)."""
        for key in list(self._topology_services):
            self.queue.add(key)

    def _on_node_update(self, old: Obj, new: Obj) -> None:
        if node_topology(old) != node_topology(new):
            self._queue_topology_services()

    def _on_slice_add(self, slice_: Obj) -> None:
        if managed_by(slice_, self.controller_name) and self.tracker.should_sync(slice_):
            self._queue_for_slice(slice_)

    def _on_slice_update(self, old: Obj, new: Obj) -> None:
        old_svc = (meta(old).get("labels") or {}).get(LABEL_SERVICE_NAME)
        new_svc = (meta(new).get("labels") or {}).get(LABEL_SERVICE_NAME)
        if old_svc != new_svc:
            self._queue_for_slice(new)
            self._queue_for_slice(old)
            return
        managed_changed = managed_by(old, self.controller_name) != managed_by(new, self.controller_name)
        if managed_changed or (managed_by(new, self.controller_name) and self.tracker.should_sync(new)):
            self._queue_for_slice(new)

    def _on_slice_delete(self, slice_: Obj) -> None:
        # Upstream only resyncs for slices its tracker knows; a slice deleted by someone else
        # that we have not written since start is resynced here too (not expected → sync).
        if managed_by(slice_, self.controller_name) and not self.tracker.handle_deletion(slice_):
            self._queue_for_slice(slice_)

    # -- sync --------------------------------------------------------------------------------

    def managed_slices(self, namespace: str, name: str) -> list[Obj]:
        return [
            s
            for s in slices_of_service(self.slices.store, namespace, name)
            if (meta(s).get("labels") or {}).get(LABEL_MANAGED_BY) == self.controller_name
        ]

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.store.get(key)
        if service is None:
            self.trigger_times.delete_service(namespace, name)
            self.tracker.delete_service(namespace, name)
            self._set_counts(key, None)
            self._memos.pop(key, None)
            self._topology_hinted.discard(key)
            await self._delete_orphans(namespace, name)
            return
        if spec(service).get("type") == "ExternalName":
            return  # ExternalName Services get no endpoints from this controller
        if selector_of(service) is None:
            return  # selector-less Services get slices written by users (or mirrored)

        pods = pods_selected_by(self.pods.store, service)
        slices = [s for s in self.managed_slices(namespace, name) if meta(s).get("deletionTimestamp") is None]
        if self.tracker.stale_slices(service, slices):
            raise StaleInformerCacheError("EndpointSlice informer cache is out of date")
        trigger = self.trigger_times.compute(service, pods)
        plan = plan_slices(
            service,
            pods,
            _NodeView(self.nodes.store),
            slices,
            max_endpoints_per_slice=self.max_endpoints_per_slice,
            controller_name=self.controller_name,
            trigger_time=trigger,
            memo=self._memo_for(key, len(pods)),
            topology_hints_populated=key in self._topology_hinted,
        )
        if plan.topology_hints:
            self._topology_hinted.add(key)
        else:
            self._topology_hinted.discard(key)
        for event_type, reason, message in plan.events:
            self.recorder.record(service, event_type, reason, message, info=SERVICES)
        errors = list(plan.errors)
        try:
            await self.apply(service, plan)
        except (ApiError, SyncError) as exc:
            errors.append(str(exc))
        else:
            self._record_counts(key, slices, plan)
        if errors:
            # upstream aggregates the reconciler's errors: one as is, several as "[a, b]"
            message = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            self.recorder.record(
                service,
                "Warning",
                "FailedToUpdateEndpointSlices",
                f"Error updating Endpoint Slices for Service {namespace}/{name}: {message}",
                info=SERVICES,
            )
            raise SyncError(message)

    def _memo_for(self, key: str, pods: int) -> dict[str, Any] | None:
        """The plan memo of a Service with many Pods; small ones are planned from scratch (the
        memo would cost about as much memory as their Pods, for no time worth saving)."""
        if pods < MEMO_MIN_PODS:
            self._memos.pop(key, None)
            return None
        return self._memos.setdefault(key, {})

    async def apply(self, service: Obj, plan: SlicePlan) -> None:
        ns = meta(service).get("namespace", "")
        svc_name = meta(service).get("name", "")

        async def create(s: Obj) -> None:
            try:
                created = await self.client.create(ENDPOINT_SLICES, s, namespace=ns)
            except ApiError as exc:
                if exc.has_cause("NamespaceTerminating"):
                    return
                raise SyncError(f"failed to create EndpointSlice for Service {ns}/{svc_name}: {exc}") from exc
            SLICE_CHANGES.labels("create").inc()
            self.tracker.update(created)

        async def update(s: Obj) -> None:
            try:
                updated = await self.client.update(ENDPOINT_SLICES, s)
            except ApiError as exc:
                raise SyncError(
                    f"failed to update {meta(s).get('name')} EndpointSlice for Service {ns}/{svc_name}: {exc}"
                ) from exc
            SLICE_CHANGES.labels("update").inc()
            self.tracker.update(updated)

        async def delete(s: Obj) -> None:
            try:
                await self.client.delete(ENDPOINT_SLICES, meta(s)["name"], namespace=ns)
            except NotFoundError:
                return
            except ApiError as exc:
                raise SyncError(
                    f"failed to delete {meta(s).get('name')} EndpointSlice for Service {ns}/{svc_name}: {exc}"
                ) from exc
            SLICE_CHANGES.labels("delete").inc()
            self.tracker.expect_deletion(s)

        # Upstream writes one by one; we keep a few writes in flight (the apiserver works on one
        # while the next travels), bounded so that a sync of many slices reuses a few kept-alive
        # connections instead of opening (and TLS-handshaking) one per slice.
        in_flight = asyncio.Semaphore(self.writes_in_flight)

        async def bounded(step: Callable[[Obj], Awaitable[None]], s: Obj) -> None:
            async with in_flight:
                await step(s)

        for step, items in ((create, plan.to_create), (update, plan.to_update), (delete, plan.to_delete)):
            if not items:
                continue
            results = await asyncio.gather(*(bounded(step, s) for s in items), return_exceptions=True)
            for r in results:
                if isinstance(r, BaseException):
                    raise r

    async def _delete_orphans(self, namespace: str, name: str) -> None:
        """The Service is gone: remove the slices we made for it (the garbage collector's job).
        Only slices that still name the Service as owner, on the version we saw: a Service
        deleted with propagationPolicy=Orphan leaves its slices without that reference."""
        for s in self.managed_slices(namespace, name):
            m = meta(s)
            if not any(
                r.get("kind") == "Service" and r.get("apiVersion") == "v1" and r.get("name") == name
                for r in m.get("ownerReferences") or ()
            ):
                continue
            uid = m.get("uid")
            pre = {"uid": uid, "resourceVersion": m.get("resourceVersion")} if uid else None
            try:
                await self.client.delete(
                    ENDPOINT_SLICES,
                    m["name"],
                    namespace=namespace,
                    preconditions={k: v for k, v in pre.items() if v} if pre else None,
                )
                SLICE_CHANGES.labels("delete").inc()
            except (NotFoundError, ConflictError):
                pass  # already gone, or replaced by a newer slice (the garbage collector's turn)

    # -- metrics -----------------------------------------------------------------------------

    def _record_counts(self, key: str, before: list[Obj], plan: SlicePlan) -> None:
        by_name = {meta(s).get("name"): s for s in before}
        for s in plan.to_delete:
            by_name.pop(meta(s).get("name"), None)
        for s in plan.to_update:
            by_name[meta(s).get("name")] = s
        slices = list(by_name.values()) + plan.to_create
        self._set_counts(key, (sum(len(s.get("endpoints") or ()) for s in slices), len(slices)))

    def _set_counts(self, key: str, counts: tuple[int, int] | None) -> None:
        if counts is None:
            self._counts.pop(key, None)
        else:
            self._counts[key] = counts
        ENDPOINTS_DESIRED.set(sum(e for e, _ in self._counts.values()))
        SLICES_MANAGED.set(sum(s for _, s in self._counts.values()))
