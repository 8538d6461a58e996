"""OpenAPI documents: `/openapi/v3` (index + one document per group-version) and `/openapi/v2`.

What kubectl needs (kubectl-needs.md §4):
- `apply -f`, `create -f` and `edit` look for a PATCH operation whose
  `x-kubernetes-group-version-kind` is the object's GVK and whose parameters include the
  `fieldValidation` query parameter; then they let the server validate (`fieldValidation=Strict`).
- We do not list `application/strategic-merge-patch+json` in the PATCH request bodies: kubectl
  would then compute its patches from these schemas and warn wherever they are incomplete; without
  it kubectl uses its compiled-in types, whose merge keys our server honours.
- `explain` reads the schemas: `description`, `type`, `$ref` (wrapped in `allOf` as upstream
  does), `required`, `enum`, and the kind schema's `x-kubernetes-group-version-kind`.
- kubectl 1.27/1.28 always fetch `/openapi/v2` (protobuf) and fail on 404; an empty body with
  `Content-Type: application/octet-stream` is an empty, valid document for them.

The schemas are generated from the TypedDicts of `kubesvc.api.types`; the list and map
semantics come from `kubesvc.api.patch.FIELD_SCHEMA`, the field docs from `openapi_data`.
Documents are built once and served as bytes with a SHA-512 hash (`?hash=` in the index,
ETag), like kube-openapi's handler.
"""

from __future__ import annotations

import hashlib
import types as pytypes
import typing
from functools import cache
from typing import Any, Literal, get_args, get_origin

from kubesvc.api import codec, scheme
from kubesvc.api import types as t
from kubesvc.api.patch import schema_for
from kubesvc.api.scheme import ResourceInfo
from kubesvc.apiserver.openapi_data.descriptions import COMMON, DESCRIPTIONS, ENUMS, REQUIRED

OPENAPI_VERSION = "3.0.0"
INFO = {"title": "Kubernetes", "version": "v1.31.0"}
V2_CONTENT_TYPE = "application/octet-stream"

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_META_TYPES = {
    "ObjectMeta", "OwnerReference", "ManagedFieldsEntry", "ListMeta", "Status", "StatusCause",
    "StatusDetails", "LabelSelector", "LabelSelectorRequirement", "Condition", "TypeMeta",
}  # fmt: skip
_DISCOVERY_TYPES = {"EndpointSlice", "Endpoint", "EndpointConditions", "EndpointHints", "ForZone", "ForNode"}
_RENAMED = {
    "DiscoveryEndpointPort": "io.k8s.api.discovery.v1.EndpointPort",
    "EventsV1Event": "io.k8s.api.events.v1.Event",
}

# The TypedDict describing each kind.
KIND_TYPES: dict[tuple[str, str], Any] = {
    ("", "Service"): t.Service,
    ("", "Pod"): t.Pod,
    ("", "Node"): t.Node,
    ("", "Namespace"): t.Namespace,
    ("", "Endpoints"): t.Endpoints,
    ("", "Event"): t.Event,
    ("discovery.k8s.io", "EndpointSlice"): t.EndpointSlice,
    ("coordination.k8s.io", "Lease"): t.Lease,
    ("events.k8s.io", "Event"): t.EventsV1Event,
}


def schema_name(type_name: str, group: str = "") -> str:
    """The upstream definition name, e.g. `io.k8s.api.core.v1.Service`."""
    if type_name in _RENAMED:
        return _RENAMED[type_name]
    if type_name in _META_TYPES:
        return f"{_META}.{type_name}"
    if type_name in _DISCOVERY_TYPES:
        return f"io.k8s.api.discovery.v1.{type_name}"
    if type_name in ("Lease", "LeaseSpec"):
        return f"io.k8s.api.coordination.v1.{type_name}"
    return f"io.k8s.api.core.v1.{type_name}"


_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
# Typeless (oneOf) schemas, as upstream serves them, so `explain` prints <IntOrString>/<Quantity>.
_INT_OR_STRING_SCHEMA: dict[str, Any] = {
    "description": "A value that is either an integer or a string (a port number or a port name).",
    "format": "int-or-string",
    "oneOf": [{"type": "integer"}, {"type": "string"}],
}
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_QUANTITY_SCHEMA: dict[str, Any] = {
    "description": "A fixed-point amount of a resource, such as 100m CPU or 1Gi of memory.",
    "oneOf": [{"type": "string"}, {"type": "number"}],
}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__")


class _Builder:
    """Collects component schemas reachable from a set of kinds."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, tp: Any, kind_schema: Any, path: str) -> str:
        name = schema_name(tp.__name__)
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder against recursion
            self.schemas[name] = self.object_schema(tp, kind_schema, path)
        return name

    def object_schema(self, tp: Any, kind_schema: Any, path: str) -> dict[str, Any]:
        hints = typing.get_type_hints(tp)
        raw: dict[str, Any] = {}
        for klass in reversed(tp.__mro__):
            raw.update(getattr(klass, "__annotations__", {}))
        props: dict[str, Any] = {}
        for field, hint in hints.items():
            child_path = f"{path}.{field}" if path else field
            prop = self.type_schema(hint, str(raw.get(field, "")), kind_schema, child_path)
            key = f"{tp.__name__}.{field}"
            desc = DESCRIPTIONS.get(key) or COMMON.get(field)
            if desc:
                if "$ref" in prop:
                    prop = {"allOf": [prop], "description": desc}
                else:
                    prop["description"] = desc
            if key in ENUMS:
                prop["enum"] = list(ENUMS[key])
            props[field] = prop
        out: dict[str, Any] = {"type": "object", "properties": dict(sorted(props.items()))}
        if tp.__name__ in DESCRIPTIONS:
            out["description"] = DESCRIPTIONS[tp.__name__]
        required = REQUIRED.get(tp.__name__)
        if required:
            out["required"] = list(required)
        return out

    def type_schema(self, hint: Any, raw: str, kind_schema: Any, path: str) -> dict[str, Any]:
        origin = get_origin(hint)
        args = [a for a in get_args(hint) if a is not type(None)]
        if "IntOrString" in raw:
            self.schemas.setdefault(_INT_OR_STRING, dict(_INT_OR_STRING_SCHEMA))
            return {"$ref": f"#/components/schemas/{_INT_OR_STRING}"}
        if "Quantity" in raw and origin is not dict:
            self.schemas.setdefault(_QUANTITY, dict(_QUANTITY_SCHEMA))
            return {"$ref": f"#/components/schemas/{_QUANTITY}"}
        if "MicroTime" in raw:
            return {"type": "string", "format": "date-time"}
        if "Time" in raw.split("[")[0]:
            return {"type": "string", "format": "date-time"}
        if origin in (typing.Union, pytypes.UnionType):
            return self.type_schema(args[0], raw, kind_schema, path) if len(args) == 1 else {"type": "object"}
        if origin is Literal:
            return {"type": "string", "enum": sorted(str(a) for a in get_args(hint))}
        if hint is str:
            return {"type": "string"}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {
                "type": "integer",
                "format": "int32" if not path.endswith(("generation", "Seconds")) else "int64",
            }
        if hint is float:
            return {"type": "number", "format": "double"}
        if origin is list:
            (item,) = get_args(hint)
            inner_raw = raw[raw.find("[") + 1 : raw.rfind("]")] if "[" in raw else ""
            items = self.type_schema(item, inner_raw, kind_schema, path)
            schema: dict[str, Any] = {"type": "array", "items": items}
            meta = kind_schema.list_at(path)
            schema["x-kubernetes-list-type"] = meta.list_type
            if meta.list_type == "map":
                schema["x-kubernetes-list-map-keys"] = list(meta.map_keys)
            if meta.smp_merge:
                schema["x-kubernetes-patch-strategy"] = "merge,retainKeys" if meta.retain_keys else "merge"
                if meta.smp_key:
                    schema["x-kubernetes-patch-merge-key"] = meta.smp_key
            return schema
        if origin is dict:
            _, value = get_args(hint)
            value_raw = raw.split(",", 1)[1].rstrip("]").strip() if "," in raw else ""
            if value is Any:
                return {"type": "object"}
            schema = {
                "type": "object",
                "additionalProperties": self.type_schema(value, value_raw, kind_schema, path),
            }
            if path in kind_schema.atomic_maps:
                schema["x-kubernetes-map-type"] = "atomic"
            return schema
        if _is_typeddict(hint):
            return {"$ref": f"#/components/schemas/{self.ref(hint, kind_schema, path)}"}
        return {"type": "object"}


# ------------------------------------------------------------------------------ paths

_QUERY = {
    "dryRun": "When present, the request is processed but not persisted. The only valid value is All.",
    "fieldManager": "Name of the actor making the change, recorded in managedFields.",
    "fieldValidation": "What to do with unknown or duplicate fields in the body: Ignore, Warn (the "
    "default) or Strict (reject the request).",
    "force": "Apply requests only: take ownership of fields other managers own instead of failing with "
    "a conflict.",
    "pretty": "Pretty-print the output.",
}
_LIST_QUERY = {
    "allowWatchBookmarks": (
        "boolean",
        'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement '
        "bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not "
        "assume bookmarks are returned at any specific interval, nor may they assume the server will send any "
        "BOOKMARK event during a session. If this is not a watch, this field is ignored.",
    ),
    "continue": (
        "string",
        "The continue option should be set when retrieving more results from the server. Since this value is "
        "server defined, clients may only use the continue value from a previous query result with identical "
        "query parameters (except for the value of continue) and the server may reject a continue value it "
        "does not recognize.",
    ),
    "fieldSelector": (
        "string",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    ),
    "labelSelector": (
        "string",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    ),
    "limit": (
        "integer",
        "limit is a maximum number of responses to return for a list call. If more items exist, the server "
        "will set the `continue` field on the list metadata to a value that can be used with the same initial "
        "query to retrieve the next set of results.",
    ),
    "resourceVersion": (
        "string",
        "resourceVersion sets a constraint on what resource versions a request may be served from. See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset",
    ),
    "resourceVersionMatch": (
        "string",
        "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly "
        "recommended that resourceVersionMatch be set for list calls where resourceVersion is set See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset",
    ),
    "sendInitialEvents": (
        "boolean",
        "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will "
        "begin with synthetic events to produce the current state of objects in the collection.",
    ),
    "timeoutSeconds": (
        "integer",
        "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity "
        "or inactivity.",
    ),
    "watch": (
        "boolean",
        "Watch for changes to the described resources and return them as a stream of add, update, and "
        "remove notifications. Specify resourceVersion.",
    ),
}


def _param(name: str, description: str, type_: str = "string", where: str = "query") -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "in": where, "description": description, "schema": {"type": type_}}
    if where == "path":
        p["required"] = True
        p["schema"]["uniqueItems"] = True
    else:
        p["schema"]["uniqueItems"] = True
    return p


def _q(*names: str) -> list[dict[str, Any]]:
    return [_param(n, _QUERY[n], "boolean" if n == "force" else "string") for n in names]


def _content(ref: str) -> dict[str, Any]:
    body = {"schema": {"$ref": ref}}
    return {
        "application/json": body,
        "application/yaml": body,
        "application/vnd.kubernetes.protobuf": body,
    }


def _op_id(verb: str, info: ResourceInfo, *, namespaced: bool, suffix: str = "", all_ns: bool = False) -> str:
    group = "Core" if not info.group else info.group.split(".")[0].capitalize()
    gv = f"{group}{info.version.capitalize()}"
    scope = "Namespaced" if namespaced and not all_ns else ""
    tail = "ForAllNamespaces" if all_ns else ""
    return f"{verb}{gv}{scope}{info.kind}{suffix}{tail}"


def _gvk(info: ResourceInfo) -> dict[str, str]:
    return {"group": info.group, "version": info.version, "kind": info.kind}


def _operation(
    verb: str, action: str, info: ResourceInfo, ref: str, *, query: list[dict[str, Any]], op_id: str,
    body: bool = False, patch: bool = False, codes: tuple[str, ...] = ("200",), list_ref: str = "",
) -> dict[str, Any]:  # fmt: skip
    group_tag = "core" if not info.group else info.group.split(".")[0]
    op: dict[str, Any] = {
        "tags": [f"{group_tag}_{info.version}"],
        "description": f"{verb} the specified {info.kind}",
        "operationId": op_id,
        "parameters": query,
        "responses": {
            code: {"description": "OK" if code == "200" else "Created", "content": _content(list_ref or ref)}
            for code in codes
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(info),
    }
    if patch:
        schema = {"schema": {"type": "object", "description": "The patch document."}}
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json-patch+json": schema,
                "application/merge-patch+json": schema,
                "application/apply-patch+yaml": schema,
            },
        }
    elif body:
        op["requestBody"] = {"required": True, "content": {"*/*": {"schema": {"$ref": ref}}}}
    return op


def _paths_for(info: ResourceInfo, ref: str, list_ref: str) -> dict[str, Any]:
    prefix = "/api/v1" if not info.group else f"/apis/{info.group}/{info.version}"
    ns = "/namespaces/{namespace}" if info.namespaced else ""
    collection = f"{prefix}{ns}/{info.resource}"
    item = f"{collection}/{{name}}"
    nsd = info.namespaced
    scope_params = (
        [_param("namespace", "object name and auth scope, such as for teams and projects", where="path")]
        if nsd
        else []
    )
    name_param = [_param("name", f"name of the {info.kind}", where="path")]
    list_query = [_param(n, d, ty) for n, (ty, d) in _LIST_QUERY.items()] + _q("pretty")
    paths: dict[str, Any] = {
        collection: {
            "parameters": scope_params,
            "get": _operation("list", "list", info, ref, query=list_query, op_id=_op_id("list", info, namespaced=nsd), list_ref=list_ref),
            "post": _operation(
                "create", "post", info, ref, query=_q("dryRun", "fieldManager", "fieldValidation", "pretty"),
                op_id=_op_id("create", info, namespaced=nsd), body=True, codes=("200", "201", "202"),
            ),
        },
        item: {
            "parameters": scope_params + name_param,
            "get": _operation("read", "get", info, ref, query=_q("pretty"), op_id=_op_id("read", info, namespaced=nsd)),
            "put": _operation(
                "replace", "put", info, ref, query=_q("dryRun", "fieldManager", "fieldValidation", "pretty"),
                op_id=_op_id("replace", info, namespaced=nsd), body=True, codes=("200", "201"),
            ),
            "patch": _operation(
                "patch", "patch", info, ref, query=_q("dryRun", "fieldManager", "fieldValidation", "force", "pretty"),
                op_id=_op_id("patch", info, namespaced=nsd), patch=True, codes=("200", "201"),
            ),
            "delete": _operation(
                "delete", "delete", info, ref, query=_q("dryRun", "pretty"),
                op_id=_op_id("delete", info, namespaced=nsd), codes=("200", "202"),
            ),
        },
    }  # fmt: skip
    if "status" in info.subresources:
        paths[f"{item}/status"] = {
            "parameters": scope_params + name_param,
            "get": _operation("read", "get", info, ref, query=_q("pretty"), op_id=_op_id("read", info, namespaced=nsd, suffix="Status")),
            "put": _operation(
                "replace", "put", info, ref, query=_q("dryRun", "fieldManager", "fieldValidation", "pretty"),
                op_id=_op_id("replace", info, namespaced=nsd, suffix="Status"), body=True, codes=("200", "201"),
            ),
            "patch": _operation(
                "patch", "patch", info, ref, query=_q("dryRun", "fieldManager", "fieldValidation", "force", "pretty"),
                op_id=_op_id("patch", info, namespaced=nsd, suffix="Status"), patch=True, codes=("200", "201"),
            ),
        }  # fmt: skip
    if nsd:
        paths[f"{prefix}/{info.resource}"] = {
            "get": _operation(
                "list", "list", info, ref, query=list_query,
                op_id=_op_id("list", info, namespaced=True, all_ns=True), list_ref=list_ref,
            )
        }  # fmt: skip
    return paths


# Upstream's description of each list's `items`.
_API_CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
_LIST_ITEMS = {
    ("", "Service"): "List of services",
    ("", "Pod"): f"List of pods. More info: {_API_CONVENTIONS}",
    ("", "Node"): "List of nodes",
    ("", "Namespace"): "Items is the list of Namespace objects in the list. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    ("", "Endpoints"): "List of endpoints.",
    ("", "Event"): "List of events",
    ("discovery.k8s.io", "EndpointSlice"): "items is the list of endpoint slices",
    ("coordination.k8s.io", "Lease"): "items is a list of schema objects.",
    ("events.k8s.io", "Event"): "items is a list of schema objects.",
}


def _list_schema(info: ResourceInfo, item_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A list of {info.kind} objects.",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string", "description": "Versioned schema of this representation."},
            "items": {
                "type": "array",
                "items": {"$ref": item_ref},
                "description": _LIST_ITEMS.get((info.group, info.kind), f"List of {info.resource}."),
            },
            "kind": {"type": "string", "description": "REST resource this object represents."},
            "metadata": {
                "allOf": [{"$ref": f"#/components/schemas/{_META}.ListMeta"}],
                "description": "Standard list metadata.",
            },
        },
        "x-kubernetes-group-version-kind": [{**_gvk(info), "kind": info.list_kind_name}],
    }


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


@cache
def _documents() -> dict[str, bytes]:
    docs: dict[str, bytes] = {}
    for group, version in scheme.group_versions():
        builder = _Builder()
        paths: dict[str, Any] = {}
        for info in scheme.resources_in(group, version):
            tp = KIND_TYPES.get((info.group, info.kind))
            if tp is None:
                continue
            kind_schema = schema_for(info.api_version, info.kind)
            name = builder.ref(tp, kind_schema, "")
            # A schema may be shared (core Event is listed once per group that serves it).
            builder.schemas[name]["x-kubernetes-group-version-kind"] = [_gvk(info)]
            ref = f"#/components/schemas/{name}"
            builder.schemas[name + "List"] = _list_schema(info, ref)
            paths.update(_paths_for(info, ref, f"#/components/schemas/{name}List"))
        builder.ref(t.ListMeta, schema_for("", ""), "")
        builder.ref(t.Status, schema_for("", ""), "")
        doc = {
            "openapi": OPENAPI_VERSION,
            "info": INFO,
            "paths": dict(sorted(paths.items())),
            "components": {"schemas": dict(sorted(builder.schemas.items()))},
        }
        docs[_gv_path(group, version)] = codec.dumps(doc)
    return docs


def _hash(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest().upper()


def v3_paths() -> list[str]:
    """The group-version paths served under /openapi/v3/ (`api/v1`, `apis/discovery.k8s.io/v1`, ...)."""
    return list(_documents())


def v3_document_bytes(path: str) -> bytes | None:
    return _documents().get(path.strip("/"))


def v3_hash(path: str) -> str | None:
    data = v3_document_bytes(path)
    return None if data is None else _hash(data)


def v3_document(path: str) -> dict[str, Any] | None:
    """The OpenAPI v3 document of one group-version (`api/v1`, `apis/discovery.k8s.io/v1`, ...)."""
    data = v3_document_bytes(path)
    if data is None:
        return None
    doc: dict[str, Any] = codec.loads(data)
    return doc


def v3_index() -> dict[str, Any]:
    """`GET /openapi/v3`: each group-version's hash-qualified URL."""
    return {
        "paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={_hash(data)}"}
            for path, data in _documents().items()
        }
    }


def v3_http(
    path: str, query_hash: str | None, *, if_none_match: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Everything an HTTP handler needs for `GET /openapi/v3/<path>[?hash=...]`.

    Mirrors kube-openapi: a stale hash redirects (301) to the current one; a matching hash is
    cacheable forever (`Cache-Control: public, immutable`); every answer carries the quoted ETag,
    and a matching If-None-Match gets 304.
    """
    data = v3_document_bytes(path)
    if data is None:
        return (
            404,
            {"Content-Type": "application/json"},
            b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}',
        )
    etag = _hash(data)
    headers = {"Content-Type": "application/json", "Etag": f'"{etag}"'}
    if query_hash:
        if query_hash != etag:
            return 301, {"Location": f"/openapi/v3/{path.strip('/')}?hash={etag}"}, b""
        headers["Cache-Control"] = "public, immutable"
        headers["Expires"] = "Fri, 01 Jan 2100 00:00:00 GMT"
    else:
        headers["Cache-Control"] = "no-cache, private"
    if if_none_match and if_none_match.strip('"') == etag:
        return 304, headers, b""
    return 200, headers, data


# ------------------------------------------------------------------------------ v2 (swagger)

V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def _v2_schema(node: Any) -> Any:
    """A v3 schema as swagger 2.0 writes it: refs under `#/definitions/`, a described ref as a
    `$ref` with a sibling description (v2 has no allOf wrapping), oneOf collapsed to a string."""
    if isinstance(node, list):
        return [_v2_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node and len(node["allOf"]) == 1:
        merged = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        return _v2_schema(merged)
    if "oneOf" in node:
        rest = {k: v for k, v in node.items() if k != "oneOf"}
        return {
            **rest,
            "type": "string",
            **({"format": "int-or-string"} if "integer" in str(node["oneOf"]) else {}),
        }
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "$ref" and isinstance(v, str):
            out[k] = v.replace("#/components/schemas/", "#/definitions/")
        else:
            out[k] = _v2_schema(v)
    return out


def _v2_parameter(p: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in p.items() if k != "schema"}
    out.update(p.get("schema") or {})
    return out


def _v2_operation(op: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op["description"]}
    body = op.get("requestBody")
    if body:
        out["consumes"] = [c for c in body["content"] if c != "*/*"] or ["*/*"]
    out["produces"] = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    out["schemes"] = ["https"]
    out["tags"] = op["tags"]
    out["operationId"] = op["operationId"]
    params = [_v2_parameter(p) for p in op.get("parameters", [])]
    if body:
        schema = next(iter(body["content"].values()))["schema"]
        params.insert(0, {"name": "body", "in": "body", "required": True, "schema": _v2_schema(schema)})
    if params:
        out["parameters"] = params
    responses: dict[str, Any] = {}
    for code, resp in op["responses"].items():
        schema = next(iter(resp["content"].values()))["schema"]
        responses[code] = {"description": resp["description"], "schema": _v2_schema(schema)}
    responses["401"] = {"description": "Unauthorized"}
    out["responses"] = responses
    for k in ("x-kubernetes-action", "x-kubernetes-group-version-kind"):
        out[k] = op[k]
    return out


@cache
def v2_document_bytes() -> bytes:
    """`GET /openapi/v2` as JSON: every group-version's v3 document folded into one swagger 2.0
    document (`definitions`, `paths` with body parameters), as kube-apiserver serves it."""
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for data in _documents().values():
        doc = codec.loads(data)
        for name, schema in doc["components"]["schemas"].items():
            definitions[name] = _v2_schema(schema)
        for path, item in doc["paths"].items():
            entry: dict[str, Any] = {}
            for method, op in item.items():
                if method == "parameters":
                    entry["parameters"] = [_v2_parameter(p) for p in op]
                else:
                    entry[method] = _v2_operation(op)
            paths[path] = entry
    swagger = {
        "swagger": "2.0",
        "info": INFO,
        "paths": dict(sorted(paths.items())),
        "definitions": dict(sorted(definitions.items())),
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "type": "apiKey",
                "name": "authorization",
                "in": "header",
            }
        },
        "security": [{"BearerToken": []}],
    }
    return codec.dumps(swagger)


def v2_response(accept: str = "") -> tuple[bytes, str]:
    """`GET /openapi/v2`: JSON unless the client asks for the protobuf form before JSON (kubectl
    1.27/1.28 do); that one stays an empty protobuf document (a valid, empty openapi_v2.Document):
    we do not encode gnostic's protobuf, and an empty document makes those kubectl versions fall
    back to their compiled-in types."""
    ranges = [r.split(";")[0].strip() for r in accept.split(",") if r.strip()]
    for r in ranges:
        if r.startswith("application/com.github.proto-openapi.spec.v2"):
            return b"", V2_CONTENT_TYPE
        if r in ("application/json", "*/*", "application/*"):
            break
    return v2_document_bytes(), "application/json"
