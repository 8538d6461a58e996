"""The namespace controller: finishes the deletion of a Namespace, as upstream's does.

When a Namespace has a deletionTimestamp (the apiserver sets it and the phase `Terminating` on
DELETE, keeping the object while `spec.finalizers` holds `kubernetes`), one sync:

1. reads the Namespace fresh from the API (several actors edit it during termination); gone or
   not being deleted: nothing to do. Sets `status.phase: Terminating` if it is not yet.
2. if `spec.finalizers` no longer holds `kubernetes`, our part is done;
3. finds every namespaced resource the server serves (discovery; on failure, the resources of
   our scheme, and the condition NamespaceDeletionDiscoveryFailure says so) and deletes its
   content: `deletecollection` when supported, else list and delete one by one (Background
   propagation); then lists again to count what remains.  From Kubernetes 1.33 on (the
   server's /version), as upstream's OrderedNamespaceDeletion: Pods first, and the rest only
   once no Pod is left;
4. writes the namespace conditions upstream maintains (NamespaceDeletionDiscoveryFailure,
   NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure,
   NamespaceContentRemaining, NamespaceFinalizersRemaining), worded as upstream's;
5. if content remains: retries after `estimate/2 + 1` seconds, the estimate being the longest
   remaining Pod grace period, or 15 s for objects held by finalizers;
6. else removes `kubernetes` from `spec.finalizers` with PUT `/api/v1/namespaces/<ns>/finalize`;
   the apiserver deletes the Namespace once no finalizers are left.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from datetime import UTC, datetime
from typing import Any

from kubesvc.api.scheme import ALL, NAMESPACES, PODS, ResourceInfo
from kubesvc.client.cache import object_key
from kubesvc.client.errors import ApiError, ClientError, ConflictError, NotFoundError
from kubesvc.client.informer import Informer
from kubesvc.client.rest import RestClient
from kubesvc.controllers.runtime import Controller

log = logging.getLogger(__name__)

Obj = dict[str, Any]
FINALIZER = "kubernetes"
FINALIZER_ESTIMATE_SECONDS = 15

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
GV_PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (
    DISCOVERY_FAILURE,
    GV_PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
)
OK_MESSAGES = {
    DISCOVERY_FAILURE: "All resources successfully discovered",
    GV_PARSING_FAILURE: "All legacy kube types successfully parsed",
    CONTENT_FAILURE: "All content successfully deleted, may be waiting on finalization",
    CONTENT_REMAINING: "All content successfully removed",
    FINALIZERS_REMAINING: "All content-preserving finalizers finished",
}
OK_REASONS = {
    DISCOVERY_FAILURE: "ResourcesDiscovered",
    GV_PARSING_FAILURE: "ParsedGroupVersions",
    CONTENT_FAILURE: "ContentDeleted",
    CONTENT_REMAINING: "ContentRemoved",
    FINALIZERS_REMAINING: "ContentHasNoFinalizers",
}


class ResourcesRemainingError(Exception):
    def __init__(self, estimate: int) -> None:
        super().__init__(
            f"some content remains in the namespace, estimate {estimate} seconds before it is removed"
        )
        self.estimate = estimate


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def update_conditions(status: Obj, new_conditions: list[Obj]) -> bool:
    """Merge `new_conditions` into `status.conditions` as upstream does: every maintained type
    gets a condition (the "ok" variant when not failing); lastTransitionTime moves only when the
    status flips. Returns whether anything changed. Pure apart from the timestamp."""
    changed = False
    conditions: list[Obj] = status.setdefault("conditions", [])
    for ctype in CONDITION_TYPES:
        new = next((c for c in new_conditions if c["type"] == ctype), None)
        if new is None:
            new = {
                "type": ctype,
                "status": "False",
                "lastTransitionTime": _now(),
                "reason": OK_REASONS[ctype],
                "message": OK_MESSAGES[ctype],
            }
        old = next((c for c in conditions if c.get("type") == ctype), None)
        if old is None:
            conditions.append(new)
            changed = True
        elif (old.get("status"), old.get("message"), old.get("reason")) != (
            new["status"],
            new["message"],
            new["reason"],
        ):
            if old.get("status") != new["status"]:
                old["lastTransitionTime"] = _now()
            old.update(status=new["status"], reason=new["reason"], message=new["message"])
            changed = True
    return changed


def _failure(ctype: str, reason: str, message: str) -> Obj:
    return {
        "type": ctype,
        "status": "True",
        "lastTransitionTime": _now(),
        "reason": reason,
        "message": message,
    }


def _has_finalizers(ns: Obj) -> bool:
    return bool((ns.get("spec") or {}).get("finalizers") or (ns.get("metadata") or {}).get("finalizers"))


class NamespaceController(Controller):
    name = "namespace"

    def __init__(self, client: RestClient, *, namespaces: Informer, workers: int = 5) -> None:
        super().__init__(workers=workers, informers=[namespaces])
        self.client = client
        self.namespaces = namespaces
        self._not_supported: set[tuple[str, str]] = set()  # (verb, group_resource)
        self._ordered: bool | None = None  # pods first (from the server's /version)
        namespaces.add_handler(self._on_change, lambda old, new: self._on_change(new), None)

    def _on_change(self, ns: Obj) -> None:
        if (ns.get("metadata") or {}).get("deletionTimestamp"):
            self.enqueue(object_key(ns))

    async def sync(self, key: str) -> None:
        try:
            await self._delete(key)
        except ResourcesRemainingError as exc:
            # not a failure: come back when the remaining content should be gone
            log.info("namespace %s: %s", key, exc)
            self.enqueue_after(key, exc.estimate / 2 + 1)

    # -- the deleter

    async def _delete(self, name: str) -> None:
        try:
            ns = await self.client.get(NAMESPACES, name)
        except NotFoundError:
            return
        if not (ns.get("metadata") or {}).get("deletionTimestamp"):
            return
        latest = await self._retry_on_conflict(ns, self._ensure_terminating)
        if latest is None or not (latest.get("metadata") or {}).get("deletionTimestamp"):
            return
        ns = latest
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return
        estimate = await self._delete_all_content(ns)
        if estimate > 0:
            raise ResourcesRemainingError(estimate)
        finalized = await self._retry_on_conflict(ns, self._finalize)
        if finalized is not None and not _has_finalizers(finalized):
            # an apiserver that keeps a finalized namespace gets the final DELETE (upstream's
            # old deleteNamespaceWhenDone); ours removes it in the finalize update already
            with contextlib.suppress(NotFoundError, ConflictError):
                await self.client.delete(
                    NAMESPACES, name, preconditions={"uid": finalized["metadata"].get("uid", "")}
                )

    async def _retry_on_conflict(self, ns: Obj, fn: Any) -> Obj | None:
        latest = ns
        while True:
            try:
                result: Obj = await fn(latest)
                return result
            except NotFoundError:
                return None
            except ConflictError:
                prev_uid = latest["metadata"].get("uid")
                latest = await self.client.get(NAMESPACES, ns["metadata"]["name"])
                if latest["metadata"].get("uid") != prev_uid:
                    raise RuntimeError("namespace uid has changed across retries") from None

    async def _ensure_terminating(self, ns: Obj) -> Obj:
        if (ns.get("status") or {}).get("phase") == "Terminating":
            return ns
        updated = copy.deepcopy(ns)
        updated.setdefault("status", {})["phase"] = "Terminating"
        return await self.client.update_status(NAMESPACES, updated)

    async def _finalize(self, ns: Obj) -> Obj:
        updated = copy.deepcopy(ns)
        spec = updated.setdefault("spec", {})
        spec["finalizers"] = sorted({f for f in spec.get("finalizers") or [] if f != FINALIZER})
        return await self.client.update(NAMESPACES, updated, subresource="finalize")

    async def discover(self) -> tuple[list[ResourceInfo], list[str]]:
        """Namespaced resources that can be deleted, from the server's discovery documents;
        with the errors met (empty when discovery fully worked)."""
        errors: list[str] = []
        gvs: list[tuple[str, str]] = []
        try:
            core = await self.client.request("GET", "/api")
            gvs += [("", v) for v in (core or {}).get("versions") or []][:1]
            groups = await self.client.request("GET", "/apis")
            for g in (groups or {}).get("groups") or []:
                preferred = (g.get("preferredVersion") or {}).get("version") or (
                    (g.get("versions") or [{}])[0].get("version")
                )
                if preferred:
                    gvs.append((g["name"], preferred))
        except ClientError as exc:
            return [r for r in ALL if r.namespaced and "delete" in r.verbs], [str(exc)]
        found: list[ResourceInfo] = []
        for group, version in gvs:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                doc = await self.client.request("GET", path)
            except ClientError as exc:
                errors.append(f"{group}/{version}: {exc}".lstrip("/"))
                continue
            for r in (doc or {}).get("resources") or []:
                verbs = tuple(r.get("verbs") or ())
                if "/" in r.get("name", "") or not r.get("namespaced") or "delete" not in verbs:
                    continue
                found.append(
                    ResourceInfo(
                        group,
                        version,
                        r.get("kind", ""),
                        r["name"],
                        r.get("singularName") or r["name"],
                        True,
                        verbs=verbs,
                    )
                )
        return found, errors

    async def _delete_all_content(self, ns: Obj) -> int:
        name = ns["metadata"]["name"]
        resources, discovery_errors = await self.discover()
        new_conditions: list[Obj] = []
        if discovery_errors:
            new_conditions.append(
                _failure(
                    DISCOVERY_FAILURE,
                    "DiscoveryFailed",
                    f"Discovery failed for some groups, {len(discovery_errors)} failing: {', '.join(discovery_errors)}",
                )
            )
        estimate = 0
        errors: list[str] = []
        remaining: dict[str, int] = {}
        finalizers_remaining: dict[str, int] = {}
        ordered = await self._ordered_deletion()
        if ordered:
            # OrderedNamespaceDeletion (KEP-5080): Pods first; the rest of the content only
            # once no Pod is left
            resources = sorted(resources, key=lambda r: not (r.resource == "pods" and not r.group))
        for info in resources:
            try:
                gvr_estimate, items = await self._delete_resource(info, name)
            except ClientError as exc:
                errors.append(str(exc))
                continue
            estimate = max(estimate, gvr_estimate)
            if items:
                remaining[f"{info.resource}.{info.group}"] = len(items)
                with_finalizers = 0
                for item in items:
                    for f in (item.get("metadata") or {}).get("finalizers") or []:
                        finalizers_remaining[f] = finalizers_remaining.get(f, 0) + 1
                        with_finalizers += 1
                if gvr_estimate == 0:
                    if with_finalizers:
                        estimate = max(estimate, FINALIZER_ESTIMATE_SECONDS)
                    else:
                        errors.append(
                            f"unexpected items still remain in namespace: {name} for gvr: {info.group_version}, Resource={info.resource}"
                        )
            if ordered and items and info.resource == "pods" and not info.group:
                break
        if errors:
            new_conditions.append(
                _failure(
                    CONTENT_FAILURE,
                    "ContentDeletionFailed",
                    f"Failed to delete all resource types, {len(errors)} remaining: {', '.join(sorted(errors))}",
                )
            )
        if remaining:
            parts = sorted(f"{gr} has {n} resource instances" for gr, n in remaining.items())
            new_conditions.append(
                _failure(
                    CONTENT_REMAINING,
                    "SomeResourcesRemain",
                    f"Some resources are remaining: {', '.join(parts)}",
                )
            )
        if finalizers_remaining:
            parts = sorted(f"{f} in {n} resource instances" for f, n in finalizers_remaining.items())
            new_conditions.append(
                _failure(
                    FINALIZERS_REMAINING,
                    "SomeFinalizersRemain",
                    f"Some content in the namespace has finalizers remaining: {', '.join(parts)}",
                )
            )
        await self._write_conditions(ns, new_conditions)
        if errors:
            raise RuntimeError(f"namespace {name}: " + "; ".join(errors))
        return estimate

    async def _ordered_deletion(self) -> bool:
        """Whether the server's Kubernetes version deletes Pods first: the OrderedNamespaceDeletion
        feature gate is on by default from 1.33 (off in the 1.30-1.32 betas)."""
        if self._ordered is None:
            try:
                info = await self.client.request("GET", "/version")
                version = (int(str(info["major"]).rstrip("+")), int(str(info["minor"]).rstrip("+")))
            except (ClientError, KeyError, TypeError, ValueError):
                return False  # asked again on the next sync
            self._ordered = version >= (1, 33)
        return self._ordered

    async def _write_conditions(self, ns: Obj, new_conditions: list[Obj]) -> None:
        try:
            latest = await self.client.get(NAMESPACES, ns["metadata"]["name"])
        except NotFoundError:
            return
        updated = copy.deepcopy(latest)
        status = updated.setdefault("status", {})
        if update_conditions(status, new_conditions):
            # on a conflict the next sync writes them again
            with contextlib.suppress(ConflictError, NotFoundError):
                await self.client.update_status(NAMESPACES, updated)

    async def _delete_resource(self, info: ResourceInfo, namespace: str) -> tuple[int, list[Obj]]:
        """Delete all objects of one resource in the namespace; returns (estimate, remaining)."""
        base = RestClient.path(info, namespace=namespace)
        estimate = 0
        if info.resource == "pods" and not info.group:
            estimate = await self._estimate_pods(namespace)
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        gr = info.group_resource
        collection_done = False
        if "deletecollection" in info.verbs and ("deletecollection", gr) not in self._not_supported:
            try:
                await self.client.request("DELETE", base, body=options)
                collection_done = True
            except ApiError as exc:
                if exc.code not in (404, 405):
                    raise
                self._not_supported.add(("deletecollection", gr))
        if not collection_done:
            for item in await self._list(info, namespace):
                item_name = (item.get("metadata") or {}).get("name", "")
                try:
                    await self.client.request("DELETE", f"{base}/{item_name}", body=options)
                except ApiError as exc:
                    if exc.code not in (404, 405):
                        raise
        remaining = await self._list(info, namespace)
        # (upstream counts the Pod estimate even when no Pod is left; we wait only for what remains)
        return (estimate if remaining else 0), remaining

    async def _list(self, info: ResourceInfo, namespace: str) -> list[Obj]:
        if "list" not in info.verbs:
            return []
        try:
            result = await self.client.list(info, namespace=namespace)
        except ApiError as exc:
            if exc.code in (404, 405):
                return []
            raise
        return list(result.get("items") or [])

    async def _estimate_pods(self, namespace: str) -> int:
        """Longest grace period among Pods still running (upstream estimateGracefulTerminationForPods)."""
        try:
            pods = (await self.client.list(PODS, namespace=namespace)).get("items") or []
        except ApiError:
            return 0
        estimate = 0
        for pod in pods:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("metadata") or {}).get("deletionGracePeriodSeconds")
            if grace is None:
                grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            estimate = max(estimate, int(grace or 0))
        return estimate
