"""Minimal garbage collection: delete EndpointSlices and Endpoints whose owners are gone.

Upstream's garbage collector handles every kind through a graph of ownerReferences. The Service
system needs only its slice of that job: EndpointSlices owned by a Service (EndpointSlice
controller) or by an Endpoints (mirroring controller), and Endpoints owned by a Service.

Rules carried over:
- An owner is matched by kind, namespace, name *and uid*: a Service deleted and re-created under
  the same name is a different owner, and its predecessor's slices are garbage.
- A dependent is deleted only when every one of its owners is absent (a dependent with a live
  owner, or with an owner of a kind we do not track, is left alone).
- Absence seen in the cache is confirmed with a live GET before deleting (a new owner may not
  be in our cache yet), and the delete carries a uid precondition, with Background propagation.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Mapping
from typing import Any

from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS, SERVICES, ResourceInfo
from kubesvc.client.cache import object_key, split_key
from kubesvc.client.errors import ConflictError, NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.runtime import Controller

log = logging.getLogger(__name__)

Obj = dict[str, Any]
OWNER_INDEX = "gc/owner-uid"
OWNER_KINDS: dict[tuple[str, str], ResourceInfo] = {
    ("v1", "Service"): SERVICES,
    ("v1", "Endpoints"): ENDPOINTS,
}


def owner_refs(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((obj.get("metadata") or {}).get("ownerReferences") or [])


def _owner_uids(obj: Obj) -> list[str]:
    return [str(r.get("uid")) for r in owner_refs(obj) if r.get("uid")]


def dangling(obj: Mapping[str, Any], lookup: Any) -> bool:
    """Pure: True when `obj` has owners, all of a tracked kind, and none of them is present.
    `lookup(info, namespace, name)` returns the owner object or None."""
    refs = owner_refs(obj)
    if not refs:
        return False
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    for ref in refs:
        info = OWNER_KINDS.get((ref.get("apiVersion", ""), ref.get("kind", "")))
        if info is None:
            return False
        owner = lookup(info, namespace, ref.get("name", ""))
        if owner is not None and (owner.get("metadata") or {}).get("uid") == ref.get("uid"):
            return False
    return True


class GarbageCollector(Controller):
    name = "garbagecollector"

    def __init__(
        self,
        client: RestClient,
        *,
        services: Informer,
        endpoints: Informer,
        slices: Informer,
        workers: int = 2,
    ) -> None:
        super().__init__(workers=workers, informers=[services, endpoints, slices])
        self.client = client
        self.owners: dict[ResourceInfo, Informer] = {SERVICES: services, ENDPOINTS: endpoints}
        self.dependents: dict[str, tuple[ResourceInfo, Informer]] = {
            "endpointslices": (ENDPOINT_SLICES, slices),
            "endpoints": (ENDPOINTS, endpoints),
        }
        for prefix, (_info, inf) in self.dependents.items():
            with contextlib.suppress(ValueError):
                inf.add_index(OWNER_INDEX, _owner_uids)
            inf.add_handler(
                functools.partial(self._on_dependent, prefix),
                functools.partial(self._on_dependent_update, prefix),
            )
        for inf in self.owners.values():
            inf.add_handler(None, None, self._on_owner_delete)

    def _on_dependent(self, prefix: str, obj: Obj) -> None:
        if owner_refs(obj):
            self.enqueue(f"{prefix}:{object_key(obj)}")

    def _on_dependent_update(self, prefix: str, _old: Obj, new: Obj) -> None:
        self._on_dependent(prefix, new)

    def _on_owner_delete(self, owner: Obj) -> None:
        uid = (owner.get("metadata") or {}).get("uid")
        if not uid:
            return
        for prefix, (_info, inf) in self.dependents.items():
            for dep in inf.store.by_index(OWNER_INDEX, uid):
                self.enqueue(f"{prefix}:{object_key(dep)}")

    def _cached_owner(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        return self.owners[info].store.get_by(namespace, name)

    async def _live_owner(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        try:
            return await self.client.get(info, name, namespace=namespace)
        except NotFoundError:
            return None

    async def sync(self, key: str) -> None:
        prefix, _, obj_key = key.partition(":")
        info, inf = self.dependents[prefix]
        obj = inf.store.get(obj_key)
        if obj is None or not dangling(obj, self._cached_owner):
            return
        namespace, name = split_key(obj_key)
        # confirm with the API: the owner may be newer than our cache
        live: dict[tuple[str, str], Obj | None] = {}
        for ref in owner_refs(obj):
            ref_info = OWNER_KINDS[(ref.get("apiVersion", ""), ref.get("kind", ""))]
            live[(ref_info.resource, ref.get("name", ""))] = await self._live_owner(
                ref_info, namespace, ref.get("name", "")
            )
        if not dangling(obj, lambda i, _ns, n: live.get((i.resource, n))):
            return
        uid = (obj.get("metadata") or {}).get("uid")
        log.info("garbage collecting %s %s: its owners are gone", info.kind, obj_key)
        with contextlib.suppress(NotFoundError, ConflictError):
            await self.client.delete(
                info,
                name,
                namespace=namespace,
                preconditions={"uid": uid} if uid else None,
                propagation_policy="Background",
            )
