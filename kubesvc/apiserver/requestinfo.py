"""Parse a request path into what it addresses, as apiserver's `RequestInfoFactory` does.

`/api/v1/namespaces/default/services/web/status` → resource request, verb from the method,
group "", version v1, namespace default, resource services, name web, subresource status.
`/apis/<group>/<version>/...` likewise; a leading `watch/` segment (deprecated upstream) makes a
watch.  Anything else (`/version`, `/healthz`, `/openapi/v3`...) is a non-resource request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class RequestInfo:
    path: str
    verb: str  # resource verbs: get list watch create update patch delete deletecollection
    is_resource: bool = False
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    depth: int = 0  # segments after the version (for path-shape checks)


def _truthy(v: str | None) -> bool:
    return v is not None and v.lower() in ("1", "true", "yes", "t")


def parse(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    method = method.upper()
    simple_verb = {
        "GET": "get",
        "HEAD": "get",
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete",
    }.get(method, method.lower())
    parts = [p for p in path.strip("/").split("/") if p != ""]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(path, simple_verb)
    prefix = parts[0]
    rest = parts[1:]
    if prefix == "api":
        if not rest:
            return RequestInfo(path, simple_verb, api_prefix=prefix)
        group, version, rest = "", rest[0], rest[1:]
    else:
        if len(rest) < 2:
            return RequestInfo(path, simple_verb, api_prefix=prefix, group=rest[0] if rest else "")
        group, version, rest = rest[0], rest[1], rest[2:]
    if not rest:
        return RequestInfo(path, simple_verb, api_prefix=prefix, group=group, version=version)
    verb = simple_verb
    watch_path = False
    if rest[0] == "watch":
        watch_path = True
        rest = rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    depth = len(rest)
    if watch_path:
        verb = "watch"
    elif verb == "get":
        if not name:
            verb = "watch" if _truthy(query.get("watch")) else "list"
        elif _truthy(query.get("watch")):
            verb = "watch"
    elif verb == "delete" and not name:
        verb = "deletecollection"
    return RequestInfo(
        path,
        verb,
        is_resource=True,
        api_prefix=prefix,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
        depth=depth,
    )
