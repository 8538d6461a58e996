"""The `pods/eviction` subresource (policy/v1 `Eviction`), as kube-apiserver's EvictionREST serves
it to `kubectl drain`: POST an Eviction named like the pod, and the pod is deleted with the
Eviction's `deleteOptions` (graceful deletion applies).

kubesvc serves no PodDisruptionBudgets, so no budget can refuse an eviction: what remains of
upstream's rules is the name check, the dry-run propagation between the query and the body,
and the resourceVersion precondition it adds for a pod that has not started terminating (a
pod that changes in between is read again and evicted then; a precondition from the client is
never retried).  Success is `201` with a `Status` of `Success`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from kubesvc.api import errors
from kubesvc.apiserver import handlers
from kubesvc.apiserver.handlers import RequestScope
from kubesvc.registry import deletion

SUBRESOURCE = "eviction"
GROUP, VERSION, KIND = "policy", "v1", "Eviction"
# The versions an Eviction may be posted as (upstream AcceptsGroupVersion).
ACCEPTED_API_VERSIONS = ("policy/v1", "policy/v1beta1")
RETRIES = 20

_TERMINAL = ("Succeeded", "Failed")


def _dry_run(query_dry_run: list[str], body_options: dict[str, Any] | None) -> list[str]:
    """Upstream's propagateDryRun: the body's dryRun wins when the query has none, the query's
    when the body has none; two different lists are an error."""
    body_dry_run = list((body_options or {}).get("dryRun") or [])
    if not body_dry_run:
        return query_dry_run
    if not query_dry_run or query_dry_run == body_dry_run:
        return body_dry_run
    raise errors.internal_error(
        f"Non-matching dry-run options in request and content: [{' '.join(query_dry_run)}] and "
        f"[{' '.join(body_dry_run)}]"
    )


def _enforces_resource_version(pod: dict[str, Any]) -> bool:
    """A pod that is not terminal and not already terminating is evicted only at the version
    that was read (so a concurrent change is seen before it goes)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in _TERMINAL and not (pod.get("metadata") or {}).get("deletionTimestamp")


async def serve(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    if request.method != "POST":
        raise handlers.method_not_allowed()
    out = handlers.output_for(request, allow_table=False)
    body = await handlers.read_body(request, limit)
    doc, _ = handlers.decode_document(body, request.headers.get("Content-Type", ""))
    if not isinstance(doc, dict):
        raise errors.bad_request("the body of an eviction must be an Eviction object")
    api_version = doc.get("apiVersion") or f"{GROUP}/{VERSION}"
    kind = doc.get("kind") or KIND
    if api_version not in ACCEPTED_API_VERSIONS or kind != KIND:
        raise errors.bad_request(f"not a Eviction object: {api_version}, Kind={kind}")
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        raise errors.bad_request("the metadata of an Eviction must be an object")
    if meta.get("namespace") and meta["namespace"] != scope.ri.namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    if meta.get("name", "") != scope.ri.name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    raw_options = doc.get("deleteOptions")
    if raw_options is not None and not isinstance(raw_options, dict):
        raise errors.bad_request("the deleteOptions of an Eviction must be an object")
    query_dry_run = [v for k, v in scope.query.items() if k == "dryRun"]
    options = dict(raw_options or {})
    dry = _dry_run(query_dry_run, raw_options)
    if dry:
        options["dryRun"] = dry
    handlers.dry_run({}, dry)  # only "All" is a dry-run value
    opts = deletion.decode_delete_options(options, {})
    deletion.check_delete_options(opts)
    pinned = opts.precondition_rv is not None
    for _ in range(RETRIES):
        pod = await scope.rs.get(scope.ri.namespace, scope.ri.name)
        attempt = opts
        if not pinned and _enforces_resource_version(pod):
            rv = (pod.get("metadata") or {}).get("resourceVersion")
            attempt = dataclasses.replace(opts, precondition_rv=rv)
        try:
            await scope.rs.delete(scope.ri.namespace, scope.ri.name, dry_run=bool(dry), options=attempt)
        except errors.StatusError as exc:
            if exc.reason == "Conflict" and not pinned:
                continue
            raise
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
        return handlers.respond(status, 201, out)
    raise errors.conflict("pods", scope.ri.name, "the pod kept changing while it was being evicted")


__all__ = ["ACCEPTED_API_VERSIONS", "GROUP", "KIND", "SUBRESOURCE", "VERSION", "serve"]
