"""The EndpointSlice mirroring controller: the async shell around `reconciler.plan_mirrored_slices`.

Keys are Endpoints keys (`ns/name`). They are queued, as upstream queues them, when:
- a Service without a selector is added or deleted, or gains/loses its selector;
- an Endpoints that should be mirrored (or was) is added, changed or deleted;
- a mirrored EndpointSlice changes in a way we did not cause (its key is taken from its
  `kubernetes.io/service-name` label).

Our own writes are remembered (`SliceTracker`, upstream's endpointSliceTracker idea): a sync
whose cached slices do not yet show them fails with `StaleCacheError` and is retried, so a
lagging cache never leads to duplicate slices.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS
from kubesvc.client.cache import object_key, split_key
from kubesvc.client.errors import AlreadyExistsError, ApiError, NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.mirroring.reconciler import (
    DEFAULT_MAX_ENDPOINTS_PER_SUBSET,
    EVENT_COMPONENT,
    LABEL_SERVICE_NAME,
    endpoints_key_for_slice,
    is_mirrored_slice,
    plan_mirrored_slices,
    service_has_selector,
    should_mirror,
)
from kubesvc.controllers.runtime import Controller, EventRecorder

log = logging.getLogger(__name__)

Obj = dict[str, Any]
SLICE_INDEX = "mirroring/service-name"


class StaleCacheError(Exception):
    """The EndpointSlice cache does not yet show this controller's own last writes."""


def _slice_index(slice_: Obj) -> list[str]:
    key = endpoints_key_for_slice(slice_)
    return [key] if key else []


def _rv_int(obj: Mapping[str, Any]) -> int | None:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion", ""))
    except (TypeError, ValueError):
        return None


class SliceTracker:
    """Expected state of the slices this controller wrote, per Endpoints key."""

    def __init__(self) -> None:
        self._written: dict[str, dict[str, int | None]] = {}  # key -> slice name -> rv
        self._deleted: dict[str, dict[str, str]] = {}  # key -> slice name -> uid

    def wrote(self, key: str, slice_: Obj) -> None:
        self._written.setdefault(key, {})[slice_["metadata"]["name"]] = _rv_int(slice_)
        self._deleted.get(key, {}).pop(slice_["metadata"]["name"], None)

    def deleted(self, key: str, slice_: Obj) -> None:
        meta = slice_["metadata"]
        self._deleted.setdefault(key, {})[meta["name"]] = meta.get("uid", "")
        self._written.get(key, {}).pop(meta["name"], None)

    def forget(self, key: str) -> None:
        self._written.pop(key, None)
        self._deleted.pop(key, None)

    def stale(self, key: str, cached: list[Obj]) -> bool:
        """True while the cache lacks a write of ours; satisfied expectations are dropped."""
        by_name = {s["metadata"]["name"]: s for s in cached}
        written = self._written.get(key, {})
        for name, rv in list(written.items()):
            have = by_name.get(name)
            if have is None:
                return True
            have_rv = _rv_int(have)
            if rv is not None and have_rv is not None and have_rv < rv:
                return True
            del written[name]
        deleted = self._deleted.get(key, {})
        for name, uid in list(deleted.items()):
            have = by_name.get(name)
            if have is not None and (have["metadata"].get("uid", "") == uid or not uid):
                return True
            del deleted[name]
        return False


class MirroringController(Controller):
    name = "endpointslice-mirroring"

    def __init__(
        self,
        client: RestClient,
        *,
        endpoints: Informer,
        slices: Informer,
        services: Informer,
        recorder: EventRecorder | None = None,
        max_endpoints_per_subset: int = DEFAULT_MAX_ENDPOINTS_PER_SUBSET,
        workers: int = 5,
    ) -> None:
        super().__init__(workers=workers, informers=[endpoints, slices, services], max_retries=15)
        self.client = client
        self.endpoints = endpoints
        self.slices = slices
        self.services = services
        self.recorder = recorder if recorder is not None else EventRecorder(client, EVENT_COMPONENT)
        self.max_endpoints_per_subset = max_endpoints_per_subset
        self.tracker = SliceTracker()
        with contextlib.suppress(ValueError):  # already there when the informer is shared
            slices.add_index(SLICE_INDEX, _slice_index)
        services.add_handler(self._on_service_add, self._on_service_update, self._on_service_delete)
        endpoints.add_handler(self._on_endpoints_add, self._on_endpoints_update, self._on_endpoints_delete)
        slices.add_handler(self._on_slice_add, self._on_slice_update, self._on_slice_delete)

    # -- handlers (upstream's queueing rules)

    def _on_service_add(self, svc: Obj) -> None:
        if not service_has_selector(svc):
            self.enqueue(object_key(svc))

    def _on_service_update(self, old: Obj, new: Obj) -> None:
        if service_has_selector(old) != service_has_selector(new):
            self.enqueue(object_key(new))

    def _on_service_delete(self, svc: Obj) -> None:
        if not service_has_selector(svc):
            self.enqueue(object_key(svc))

    def _on_endpoints_add(self, ep: Obj) -> None:
        if should_mirror(ep):
            self.enqueue(object_key(ep))

    def _on_endpoints_update(self, old: Obj, new: Obj) -> None:
        if should_mirror(new) or should_mirror(old):
            self.enqueue(object_key(new))

    def _on_endpoints_delete(self, ep: Obj) -> None:
        if should_mirror(ep):
            self.enqueue(object_key(ep))

    def _enqueue_for_slice(self, slice_: Obj) -> None:
        key = endpoints_key_for_slice(slice_)
        if key:
            self.enqueue(key)

    def _on_slice_add(self, slice_: Obj) -> None:
        if is_mirrored_slice(slice_):
            self._enqueue_for_slice(slice_)

    def _on_slice_update(self, old: Obj, new: Obj) -> None:
        old_name = ((old.get("metadata") or {}).get("labels") or {}).get(LABEL_SERVICE_NAME)
        new_name = ((new.get("metadata") or {}).get("labels") or {}).get(LABEL_SERVICE_NAME)
        if old_name != new_name:
            self._enqueue_for_slice(old)
            self._enqueue_for_slice(new)
        elif is_mirrored_slice(old) or is_mirrored_slice(new):
            self._enqueue_for_slice(new)

    def _on_slice_delete(self, slice_: Obj) -> None:
        if is_mirrored_slice(slice_):
            self._enqueue_for_slice(slice_)

    # -- sync

    async def sync(self, key: str) -> None:
        namespace, _ = split_key(key)
        endpoints = self.endpoints.store.get(key)
        service = self.services.store.get(key)
        cached = [s for s in self.slices.store.by_index(SLICE_INDEX, key) if is_mirrored_slice(s)]
        mirroring = (
            endpoints is not None
            and should_mirror(endpoints)
            and service is not None
            and not service_has_selector(service)
        )
        if mirroring and self.tracker.stale(key, cached):
            raise StaleCacheError(f"EndpointSlice informer cache is out of date for {key}")
        if not mirroring:
            self.tracker.forget(key)
        plan = plan_mirrored_slices(
            endpoints, service, cached, max_endpoints_per_subset=self.max_endpoints_per_subset
        )
        if endpoints is not None:
            for ev in plan.events:
                self.recorder.record(endpoints, ev.type, ev.reason, ev.message, info=ENDPOINTS)
        for slice_ in plan.create:
            try:
                created = await self.client.create(ENDPOINT_SLICES, slice_, namespace=namespace)
            except ApiError as exc:
                if _namespace_terminating(exc):
                    return  # creates keep failing while the namespace goes away: drop the key
                raise
            self.tracker.wrote(key, created)
        for slice_ in plan.update:
            updated = await self.client.update(ENDPOINT_SLICES, slice_)
            self.tracker.wrote(key, updated)
        for slice_ in plan.delete:
            with contextlib.suppress(NotFoundError):
                await self.client.delete(ENDPOINT_SLICES, slice_["metadata"]["name"], namespace=namespace)
            if mirroring:
                self.tracker.deleted(key, slice_)


def _namespace_terminating(exc: ApiError) -> bool:
    if isinstance(exc, AlreadyExistsError):
        return False
    causes = (exc.details or {}).get("causes") or []
    return any(c.get("type") == "NamespaceTerminating" for c in causes if isinstance(c, Mapping))
