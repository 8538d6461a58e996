"""The garbage collector: ownerReferences, cascading deletion, `orphan` and `foregroundDeletion`.

After kube-controller-manager's `pkg/controller/garbagecollector`, over the kinds we serve
(Events excepted, as upstream ignores them).  The informer caches are the dependency graph: each
informer indexes its objects by the uids of their owners, so "the dependents of X" is one index
lookup per kind.  Two kinds of work items go through one queue:

* `delete|<resource>|<key>` (upstream `attemptToDeleteItem`), for an object that has owners or is
  being deleted in the foreground:
  - an object being deleted with `foregroundDeletion` waits for its *blocking* dependents (those
    whose reference to it has `blockOwnerDeletion: true`): while any exists it asks for each to be
    deleted; when none is left it removes the finalizer, and the apiserver deletes it;
  - otherwise its owners are classified (`classify_owners`): *solid* (present), *dangling*
    (absent, or present under another uid: deleted and re-created) and *waiting* (being deleted
    in the foreground).  An owner absent from the cache is confirmed absent with a live GET.
    With a solid owner, the references to dangling and waiting owners are removed; with only
    waiting owners, an object that has dependents of its own is deleted in the foreground
    (recursion), any other without a solid owner is deleted (Background, or the policy its own
    finalizers ask for).  Owners of kinds we do not serve are never judged absent.
* `orphan|<resource>|<key>` (upstream `attemptToOrphan`), for an owner being deleted with the
  `orphan` finalizer: its reference is removed from every dependent, then the finalizer.

Deletes carry a uid and resourceVersion precondition; when only the resourceVersion moved and
the ownerReferences are as judged, the delete is retried with the uid alone (as upstream does).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesvc.api import scheme
from kubesvc.api.scheme import (
    ENDPOINT_SLICES,
    ENDPOINTS,
    EVENTS_EVENTS_V1,
    EVENTS_V1,
    SERVICES,
    ResourceInfo,
)
from kubesvc.client.cache import object_key, split_key
from kubesvc.client.errors import ConflictError, NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.runtime import Controller

log = logging.getLogger(__name__)

Obj = dict[str, Any]
OWNER_INDEX = "gc/owner-uid"
FINALIZER_ORPHAN = "orphan"
FINALIZER_FOREGROUND = "foregroundDeletion"

# Resources the garbage collector never watches (upstream `DefaultIgnoredResources`).
IGNORED: frozenset[ResourceInfo] = frozenset({EVENTS_V1, EVENTS_EVENTS_V1})

# Kept for callers of the first, Service-only collector.
OWNER_KINDS: dict[tuple[str, str], ResourceInfo] = {
    ("v1", "Service"): SERVICES,
    ("v1", "Endpoints"): ENDPOINTS,
}


# -- pure rules ----------------------------------------------------------------------------------


def owner_refs(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((obj.get("metadata") or {}).get("ownerReferences") or [])


def _owner_uids(obj: Obj) -> list[str]:
    return [str(r.get("uid")) for r in owner_refs(obj) if r.get("uid")]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def has_finalizer(obj: Mapping[str, Any], name: str) -> bool:
    return name in (_meta(obj).get("finalizers") or [])


def being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def deleting_dependents(obj: Mapping[str, Any]) -> bool:
    """Upstream `isDeletingDependents`: being deleted with the foregroundDeletion finalizer."""
    return being_deleted(obj) and has_finalizer(obj, FINALIZER_FOREGROUND)


def orphaning(obj: Mapping[str, Any]) -> bool:
    return being_deleted(obj) and has_finalizer(obj, FINALIZER_ORPHAN)


def served_kind(ref: Mapping[str, Any]) -> ResourceInfo | None:
    """The served resource an ownerReference names (events.k8s.io Events are core Events)."""
    info = scheme.by_kind(str(ref.get("apiVersion") or ""), str(ref.get("kind") or ""))
    if info is None or info in IGNORED:
        return None
    return info


Lookup = Callable[[ResourceInfo, str, str], Mapping[str, Any] | None]


class OwnerState(enum.Enum):
    SOLID = "solid"
    DANGLING = "dangling"
    WAITING = "waiting"  # being deleted in the foreground: waits for its dependents
    UNKNOWN = "unknown"  # a kind we do not serve: never judged absent


def owner_state(ref: Mapping[str, Any], namespace: str, lookup: Lookup) -> OwnerState:
    """Pure: the state of one owner of an object in `namespace`.  `lookup(info, namespace,
    name)` returns the owner's current object or None."""
    info = served_kind(ref)
    if info is None:
        return OwnerState.UNKNOWN
    if info.namespaced and not namespace:
        # a cluster-scoped object cannot be owned by a namespaced one: upstream treats the
        # reference as unresolvable, never as absent
        return OwnerState.UNKNOWN
    owner = lookup(info, namespace if info.namespaced else "", str(ref.get("name") or ""))
    if owner is None or _meta(owner).get("uid") != ref.get("uid"):
        return OwnerState.DANGLING
    if deleting_dependents(owner):
        return OwnerState.WAITING
    return OwnerState.SOLID


@dataclass
class Owners:
    solid: list[Mapping[str, Any]] = field(default_factory=list)
    dangling: list[Mapping[str, Any]] = field(default_factory=list)
    waiting: list[Mapping[str, Any]] = field(default_factory=list)


def classify_owners(obj: Mapping[str, Any], lookup: Lookup) -> Owners:
    """Pure: upstream `classifyReferences`; owners of unserved kinds count as solid."""
    namespace = str(_meta(obj).get("namespace") or "")
    out = Owners()
    for ref in owner_refs(obj):
        state = owner_state(ref, namespace, lookup)
        if state is OwnerState.DANGLING:
            out.dangling.append(ref)
        elif state is OwnerState.WAITING:
            out.waiting.append(ref)
        else:
            out.solid.append(ref)
    return out


def dangling(obj: Mapping[str, Any], lookup: Any) -> bool:
    """Pure: True when `obj` has owners and every one of them is absent (or re-created)."""
    owners = classify_owners(obj, lookup)
    return bool(owners.dangling) and not owners.solid and not owners.waiting


class Decision(enum.Enum):
    NOTHING = "nothing"
    REMOVE_REFS = "remove-refs"  # drop the references to dangling and waiting owners
    DELETE_FOREGROUND = "delete-foreground"  # delete it, waiting for its own dependents
    DELETE = "delete"  # delete it with the policy its finalizers ask for


def decide(owners: Owners, has_dependents: bool) -> Decision:
    """Pure: what `attemptToDeleteItem` does with an object whose owners are `owners`."""
    if not (owners.solid or owners.dangling or owners.waiting):
        return Decision.NOTHING
    if owners.solid:
        if not owners.dangling and not owners.waiting:
            return Decision.NOTHING
        return Decision.REMOVE_REFS
    if owners.waiting and has_dependents:
        return Decision.DELETE_FOREGROUND
    return Decision.DELETE


def own_policy(obj: Mapping[str, Any]) -> str:
    """The propagation policy an object's own finalizers ask for."""
    if has_finalizer(obj, FINALIZER_ORPHAN):
        return "Orphan"
    if has_finalizer(obj, FINALIZER_FOREGROUND):
        return "Foreground"
    return "Background"


def blocks(dependent: Mapping[str, Any], owner_uid: str) -> bool:
    """The dependent's reference to the owner has blockOwnerDeletion: true."""
    return any(
        r.get("uid") == owner_uid and r.get("blockOwnerDeletion") is True for r in owner_refs(dependent)
    )


def refs_without(obj: Mapping[str, Any], uids: Iterable[str]) -> list[Mapping[str, Any]]:
    drop = set(uids)
    return [r for r in owner_refs(obj) if r.get("uid") not in drop]


def refs_unblocked(obj: Mapping[str, Any], uids: Iterable[str]) -> list[dict[str, Any]]:
    """The ownerReferences with blockOwnerDeletion cleared on those to `uids` (cycle breaking)."""
    targets = set(uids)
    out: list[dict[str, Any]] = []
    for r in owner_refs(obj):
        ref = dict(r)
        if ref.get("uid") in targets and ref.get("blockOwnerDeletion"):
            ref["blockOwnerDeletion"] = False
        out.append(ref)
    return out


# -- the controller ------------------------------------------------------------------------------


class GarbageCollector(Controller):
    name = "garbagecollector"

    def __init__(
        self,
        client: RestClient,
        informers: Mapping[ResourceInfo, Informer] | Sequence[Informer] | None = None,
        *,
        services: Informer | None = None,
        endpoints: Informer | None = None,
        slices: Informer | None = None,
        workers: int = 2,
    ) -> None:
        by_info: dict[ResourceInfo, Informer] = {}
        if isinstance(informers, Mapping):
            by_info.update(informers)
        elif informers is not None:
            by_info.update({inf.info: inf for inf in informers})
        for info, inf in ((SERVICES, services), (ENDPOINTS, endpoints), (ENDPOINT_SLICES, slices)):
            if inf is not None:
                by_info.setdefault(info, inf)
        for info in IGNORED:
            by_info.pop(info, None)
        super().__init__(workers=workers, informers=list(by_info.values()))
        self.client = client
        self.watched = by_info
        self._by_resource = {info.group_resource: info for info in by_info}
        for info, inf in by_info.items():
            with contextlib.suppress(ValueError):
                inf.add_index(OWNER_INDEX, _owner_uids)
            inf.add_handler(
                functools.partial(self._on_add, info),
                functools.partial(self._on_update, info),
                functools.partial(self._on_delete, info),
            )

    # -- keys

    @staticmethod
    def _key(verb: str, info: ResourceInfo, obj: Mapping[str, Any]) -> str:
        return f"{verb}|{info.group_resource}|{object_key(obj)}"

    def _enqueue_delete(self, info: ResourceInfo, obj: Mapping[str, Any]) -> None:
        self.enqueue(self._key("delete", info, obj))

    # -- graph reads (the caches)

    def dependents(self, uid: str) -> list[tuple[ResourceInfo, Obj]]:
        out: list[tuple[ResourceInfo, Obj]] = []
        if not uid:
            return out
        for info, inf in self.watched.items():
            out.extend((info, dep) for dep in inf.store.by_index(OWNER_INDEX, uid))
        return out

    def _cached(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        inf = self.watched.get(info)
        if inf is None:
            return None
        return inf.store.get_by(namespace or None, name)

    def _cached_lookup(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        return self._cached(info, namespace, name)

    async def _live(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        try:
            return await self.client.get(info, name, namespace=namespace or None)
        except NotFoundError:
            return None

    # -- event handlers (upstream's graph builder)

    def _on_add(self, info: ResourceInfo, obj: Obj) -> None:
        if owner_refs(obj):
            self._enqueue_delete(info, obj)
        self._transitions(info, None, obj)

    def _on_update(self, info: ResourceInfo, old: Obj, new: Obj) -> None:
        old_refs, new_refs = owner_refs(old), owner_refs(new)
        if new_refs and (new_refs != old_refs or being_deleted(new) != being_deleted(old)):
            self._enqueue_delete(info, new)
        if old_refs != new_refs:
            # a blocking reference removed or unblocked: its owner may be free to go
            for ref in old_refs:
                self._recheck_owner(ref, str(_meta(new).get("namespace") or ""))
        self._transitions(info, old, new)

    def _on_delete(self, info: ResourceInfo, obj: Obj) -> None:
        uid = str(_meta(obj).get("uid") or "")
        for dep_info, dep in self.dependents(uid):
            self._enqueue_delete(dep_info, dep)
        for ref in owner_refs(obj):
            self._recheck_owner(ref, str(_meta(obj).get("namespace") or ""))

    def _recheck_owner(self, ref: Mapping[str, Any], namespace: str) -> None:
        info = served_kind(ref)
        if info is None or info not in self.watched:
            return
        owner = self._cached(info, namespace if info.namespaced else "", str(ref.get("name") or ""))
        if owner is not None and _meta(owner).get("uid") == ref.get("uid") and deleting_dependents(owner):
            self._enqueue_delete(info, owner)

    def _transitions(self, info: ResourceInfo, old: Obj | None, new: Obj) -> None:
        if orphaning(new) and (old is None or not orphaning(old)):
            self.enqueue(self._key("orphan", info, new))
        if deleting_dependents(new) and (old is None or not deleting_dependents(old)):
            for dep_info, dep in self.dependents(str(_meta(new).get("uid") or "")):
                self._enqueue_delete(dep_info, dep)
            self._enqueue_delete(info, new)

    # -- work

    async def sync(self, key: str) -> None:
        verb, resource, obj_key = key.split("|", 2)
        info = self._by_resource.get(resource)
        if info is None:
            return
        if verb == "orphan":
            await self._orphan(info, obj_key)
        else:
            await self._attempt_to_delete(info, obj_key)

    async def _attempt_to_delete(self, info: ResourceInfo, obj_key: str) -> None:
        cached = self.watched[info].store.get(obj_key)
        if cached is None:
            return
        if being_deleted(cached) and not deleting_dependents(cached):
            return
        uid = str(_meta(cached).get("uid") or "")
        if not deleting_dependents(cached):
            # judged on the caches first: most owned objects have a live owner, and cost no request
            if not owner_refs(cached):
                return
            cached_owners = classify_owners(cached, self._cached_lookup)
            if decide(cached_owners, bool(self.dependents(uid))) is Decision.NOTHING:
                return
        namespace, name = split_key(obj_key)
        latest = await self._live(info, namespace, name)
        if latest is None or _meta(latest).get("uid") != uid:
            return
        if deleting_dependents(latest):
            await self._process_deleting_dependents(info, latest)
            return
        if being_deleted(latest) or not owner_refs(latest):
            return
        owners = await self._classify(latest)
        decision = decide(owners, bool(self.dependents(uid)))
        if decision is Decision.NOTHING:
            return
        if decision is Decision.REMOVE_REFS:
            gone = [str(r.get("uid")) for r in owners.dangling + owners.waiting]
            log.info("%s %s: removing references to owners %s", info.kind, obj_key, ", ".join(gone))
            await self._patch_refs(info, latest, list(refs_without(latest, gone)))
            return
        if decision is Decision.DELETE_FOREGROUND:
            waiting = [str(r.get("uid")) for r in owners.waiting]
            if any(deleting_dependents(dep) for _, dep in self.dependents(uid)):
                # a dependent waits for this object, which would wait for it: unblock
                latest = await self._patch_refs(info, latest, refs_unblocked(latest, waiting))
            log.info(
                "%s %s: an owner waits for its dependents; deleting it in the foreground", info.kind, obj_key
            )
            await self._delete(info, latest, "Foreground")
            return
        policy = own_policy(latest)
        log.info(
            "garbage collecting %s %s: its owners are gone (propagationPolicy=%s)", info.kind, obj_key, policy
        )
        await self._delete(info, latest, policy)

    async def _classify(self, obj: Obj) -> Owners:
        """Owners judged from the caches; an owner the cache lacks is confirmed with the API."""
        namespace = str(_meta(obj).get("namespace") or "")
        live: dict[tuple[str, str, str], Obj | None] = {}
        for ref in owner_refs(obj):
            info = served_kind(ref)
            if info is None:
                continue
            ns = namespace if info.namespaced else ""
            name = str(ref.get("name") or "")
            cached = self._cached(info, ns, name)
            if cached is not None and _meta(cached).get("uid") == ref.get("uid"):
                live[(info.group_resource, ns, name)] = cached
            else:
                live[(info.group_resource, ns, name)] = await self._live(info, ns, name)
        return classify_owners(obj, lambda i, ns, n: live.get((i.group_resource, ns, n)))

    async def _process_deleting_dependents(self, info: ResourceInfo, owner: Obj) -> None:
        uid = str(_meta(owner).get("uid") or "")
        blocking = [(i, d) for i, d in self.dependents(uid) if blocks(d, uid)]
        if not blocking:
            log.info(
                "%s %s: no blocking dependents left; removing %s",
                info.kind,
                object_key(owner),
                FINALIZER_FOREGROUND,
            )
            await self._remove_finalizer(info, owner, FINALIZER_FOREGROUND)
            return
        for dep_info, dep in blocking:
            if not deleting_dependents(dep):
                self._enqueue_delete(dep_info, dep)

    async def _orphan(self, info: ResourceInfo, obj_key: str) -> None:
        owner = self.watched[info].store.get(obj_key)
        if owner is None or not orphaning(owner):
            return
        uid = str(_meta(owner).get("uid") or "")
        for dep_info, dep in self.dependents(uid):
            await self._remove_ref(dep_info, dep, uid)
        log.info("%s %s: dependents orphaned; removing %s", info.kind, obj_key, FINALIZER_ORPHAN)
        await self._remove_finalizer(info, owner, FINALIZER_ORPHAN)

    # -- writes

    async def _patch_refs(self, info: ResourceInfo, obj: Obj, refs: Sequence[Mapping[str, Any]]) -> Obj:
        meta = _meta(obj)
        body = {
            "metadata": {
                "ownerReferences": [dict(r) for r in refs] or None,
                "resourceVersion": meta.get("resourceVersion"),
                "uid": meta.get("uid"),
            }
        }
        return await self.client.patch(
            info, str(meta.get("name")), body, namespace=str(meta.get("namespace") or "") or None
        )

    async def _remove_ref(self, info: ResourceInfo, dep: Obj, owner_uid: str) -> None:
        """Drop one owner's reference from a dependent, on its latest version."""
        namespace, name = split_key(object_key(dep))
        for _ in range(5):
            latest = await self._live(info, namespace, name)
            if latest is None or owner_uid not in _owner_uids(latest):
                return
            try:
                await self._patch_refs(info, latest, refs_without(latest, [owner_uid]))
                return
            except NotFoundError:
                return
            except ConflictError:
                continue
        raise RuntimeError(f"could not remove the owner reference from {info.kind} {namespace}/{name}")

    async def _remove_finalizer(self, info: ResourceInfo, obj: Obj, finalizer: str) -> None:
        namespace, name = split_key(object_key(obj))
        uid = _meta(obj).get("uid")
        for _ in range(5):
            latest = await self._live(info, namespace, name)
            if latest is None or _meta(latest).get("uid") != uid or not has_finalizer(latest, finalizer):
                return
            finalizers = [f for f in _meta(latest).get("finalizers") or [] if f != finalizer]
            body = {
                "metadata": {
                    "finalizers": finalizers or None,
                    "resourceVersion": _meta(latest).get("resourceVersion"),
                }
            }
            try:
                await self.client.patch(info, name, body, namespace=namespace or None)
                return
            except NotFoundError:
                return
            except ConflictError:
                continue
        raise RuntimeError(f"could not remove finalizer {finalizer} from {info.kind} {namespace}/{name}")

    async def _delete(self, info: ResourceInfo, obj: Obj, policy: str) -> None:
        meta = _meta(obj)
        namespace, name = split_key(object_key(obj))
        uid = str(meta.get("uid") or "")
        rv = str(meta.get("resourceVersion") or "")
        pre = {"uid": uid, "resourceVersion": rv} if rv else {"uid": uid}
        try:
            await self.client.delete(
                info, name, namespace=namespace or None, preconditions=pre, propagation_policy=policy
            )
        except NotFoundError:
            return
        except ConflictError:
            if not rv:
                raise
            # only the resourceVersion moved? then the judgement holds: delete on the uid alone
            live = await self._live(info, namespace, name)
            if live is None:
                return
            if _meta(live).get("uid") != uid or owner_refs(live) != owner_refs(obj):
                raise
            with contextlib.suppress(NotFoundError):
                await self.client.delete(
                    info,
                    name,
                    namespace=namespace or None,
                    preconditions={"uid": uid},
                    propagation_policy=policy,
                )


def gc_resources(served: Iterable[ResourceInfo] = scheme.ALL) -> list[ResourceInfo]:
    """The resources the garbage collector watches: every served one but Events."""
    return [info for info in served if info not in IGNORED]
