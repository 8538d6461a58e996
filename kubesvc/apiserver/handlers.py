"""REST handlers: decode the request, call the registry, encode the answer.

Every handler takes the parsed `RequestInfo` and the `ResourceStore` it addresses and returns an
aiohttp response; failures are `StatusError`s, rendered as `Status` bodies by the app's
middleware.  Decoding covers JSON, YAML and (through `protobuf.py`) protobuf bodies, with the
checks kube-apiserver makes on them (kind/apiVersion, name and namespace against the URL,
unknown and duplicate fields per `fieldValidation`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from aiohttp import web

from kubesvc.api import codec, errors
from kubesvc.api import patch as patch_mod
from kubesvc.api.patch import go_format
from kubesvc.api.scheme import ResourceInfo
from kubesvc.apiserver import fieldmanager, protobuf, pruning, tables, typecheck, wireshape
from kubesvc.apiserver import negotiation as neg
from kubesvc.apiserver.requestinfo import RequestInfo
from kubesvc.registry import deletion
from kubesvc.registry.generic import ListOptions, ResourceStore, clone
from kubesvc.registry.selectors import build_filter
from kubesvc.registry.strategy import Obj, Strategy, apply_defaults

log = logging.getLogger("kubesvc.apiserver")


@dataclass
class RequestScope:
    """What a handler needs besides the request."""

    ri: RequestInfo
    rs: ResourceStore
    query: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def info(self) -> ResourceInfo:
        return self.rs.info


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# -- encoding -------------------------------------------------------------------------------


def encode(obj: Any, out: neg.Output | None) -> tuple[bytes, str]:
    if out is not None and out.format == "yaml":
        # kube-apiserver writes YAML by re-reading its JSON into generic maps (sigs.k8s.io/yaml
        # JSONToYAML): every mapping comes out with its keys sorted
        return yaml.safe_dump(obj, sort_keys=True).encode(), neg.YAML
    pretty = out is not None and out.pretty
    if out is not None and out.as_ == "Table":
        return codec.dumps_go(obj, pretty=pretty), f"application/json;as=Table;v={out.version};g=meta.k8s.io"
    return codec.dumps_go(obj, pretty=pretty), neg.JSON


def respond(obj: Any, status: int, out: neg.Output | None, warnings: list[str] | None = None) -> web.Response:
    body, ctype = encode(obj, out)
    resp = web.Response(body=body, status=status, headers={"Content-Type": ctype})
    add_warnings(resp, warnings or [])
    return resp


def add_warnings(resp: web.StreamResponse, warnings: list[str]) -> None:
    seen: set[str] = set()
    for w in warnings:
        if w in seen or any((c < " " and c != "\t") or c == "\x7f" for c in w):
            continue  # upstream refuses warning texts with control characters (and drops them)
        seen.add(w)
        resp.headers.add("Warning", '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"')


def output_for(request: web.Request, *, allow_table: bool, stream: bool = False) -> neg.Output:
    out = neg.negotiate_output(request.headers.get("Accept"), allow_table=allow_table, stream=stream)
    if out is None:
        raise errors.not_acceptable(
            "only the following media types are accepted: "
            + (
                neg.STREAM_TYPES
                if stream
                else "application/json, application/yaml, application/vnd.kubernetes.protobuf"
            )
        )
    if out.as_ == "Table":
        include = request.query.get("includeObject", "")
        if include not in ("", "Metadata", "None", "Object"):
            from kubesvc.api import fields as F

            problem = F.invalid("includeObject", include, "must be 'Metadata', 'Object', 'None', or empty")
            raise errors.bad_request(f"Unable to convert to Table as requested: {problem}")
    if is_pretty(request):
        return dataclasses.replace(out, pretty=True)
    return out


def is_pretty(request: web.Request) -> bool:
    """Upstream `isPrettyPrint`: the `pretty` parameter when it is given (a Go bool), else
    whether the client is a human's (User-Agent curl, Wget or Mozilla/5.0)."""
    pp = request.query.get("pretty", "")
    if pp:
        return pp in ("1", "t", "T", "TRUE", "true", "True")
    ua = request.headers.get("User-Agent", "")
    return ua.startswith(("curl", "Wget", "Mozilla/5.0"))


def method_not_allowed() -> errors.StatusError:
    """No route for this method on this path (what kube-apiserver answers, e.g. POST on a name)."""
    return errors.StatusError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def _partial(obj: Obj, version: str) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata", {}),
    }


def _go_type(info: ResourceInfo, list_: bool) -> str:
    """The `%T` of kube-apiserver's internal object (`*core.Service`, `*discovery.EndpointSliceList`)."""
    pkg = "core" if info.group in ("", "events.k8s.io") else info.group.split(".")[0]
    return f"*{pkg}.{info.kind}{'List' if list_ else ''}"


def render_object(scope: RequestScope, obj: Obj, out: neg.Output) -> Any:
    if out.requested == "PartialObjectMetadataList":
        raise errors.not_acceptable(
            "you requested PartialObjectMetadataList, but the requested object is not a list "
            f"({_go_type(scope.info, False)})"
        )
    if out.as_ == "Table":
        return tables.to_table(
            scope.info,
            [obj],
            now=now(),
            include_object=scope.query.get("includeObject") or "Metadata",
            version=out.version,
        )
    if out.as_ == "PartialObjectMetadata":
        return _partial(obj, out.version)
    return obj


def render_list(scope: RequestScope, lst: Obj, out: neg.Output) -> Any:
    if out.requested == "PartialObjectMetadata":
        raise errors.not_acceptable(
            "you requested PartialObjectMetadata, but the requested object is a list "
            f"({_go_type(scope.info, True)})"
        )
    if out.as_ == "Table":
        items = [_with_type(scope.info, it) for it in lst["items"]]
        return tables.to_table(
            scope.info,
            items,
            now=now(),
            include_object=scope.query.get("includeObject") or "Metadata",
            list_meta=lst["metadata"],
            version=out.version,
        )
    if out.as_ == "PartialObjectMetadata":
        return {
            "kind": "PartialObjectMetadataList",
            "apiVersion": f"meta.k8s.io/{out.version}",
            "metadata": lst["metadata"],
            "items": [_partial(it, out.version) for it in lst["items"]],
        }
    return lst


def _with_type(info: ResourceInfo, obj: Obj) -> Obj:
    if "kind" in obj:
        return obj
    return {"kind": info.kind, "apiVersion": info.api_version, **obj}


# -- decoding -------------------------------------------------------------------------------


async def read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None:
        if request.content_length > limit:
            raise errors.too_large(limit)
        return await request.content.read()  # Content-Length bounds it: all of it at once
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise errors.too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _pairs_if_duplicates(body: bytes) -> pruning.Pairs | None:
    """orjson keeps the last of duplicate keys silently: re-read the JSON keeping every
    (key, value) pair, and return that tree only when some object repeats a key."""
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> pruning.Pairs:
        nonlocal found
        if not found and len({k for k, _ in pairs}) != len(pairs):
            found = True
        return pruning.Pairs(pairs)

    tree = json.loads(body, object_pairs_hook=hook)
    return tree if found and isinstance(tree, pruning.Pairs) else None


def decode_document(body: bytes, content_type: str) -> tuple[Any, pruning.Pairs | None]:
    """(document, its key/value pair tree when some object repeats a key, else None)."""
    mt = neg.parse_media_type(content_type or neg.JSON).type
    if mt in ("", neg.JSON, neg.MERGE_PATCH, neg.JSON_PATCH, neg.STRATEGIC_PATCH):
        try:
            doc = codec.loads(body)
        except codec.DecodeError as exc:
            raise errors.bad_request(
                f"couldn't get version/kind; json parse error: {_go_json_error(body, exc)}"
            ) from exc
        pairs: pruning.Pairs | None = None
        if isinstance(doc, dict) and codec.may_repeat_keys(body, doc):
            try:
                pairs = _pairs_if_duplicates(body)
            except ValueError:
                pairs = None
        return doc, pairs
    if mt in (neg.YAML, neg.APPLY_PATCH):
        try:
            doc = codec.loads_yaml(body)
        except codec.DecodeError as exc:
            raise errors.bad_request(f"error converting YAML to JSON: {exc}") from exc
        return doc, None
    if mt == neg.PROTOBUF:
        try:
            return protobuf.decode(body), None
        except Exception as exc:
            raise errors.StatusError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types include: "
                f"application/json, application/yaml, application/vnd.kubernetes.protobuf ({exc})",
            ) from exc
    raise errors.unsupported_media_type(
        "application/json, application/yaml, application/vnd.kubernetes.protobuf"
    )


def field_validation(query: Mapping[str, str]) -> str:
    v = query.get("fieldValidation", "")
    if v == "":
        return "Warn"
    if v not in ("Ignore", "Warn", "Strict"):
        raise errors.bad_request(f'fieldValidation must be one of "Ignore", "Warn", or "Strict", got "{v}"')
    return v


def check_fields(
    scope: RequestScope,
    obj: Obj,
    pairs: pruning.Pairs | None,
    *,
    patch: Any = None,
    strict_prefix: str = "",
    leading: list[str] | None = None,
    sort_unknown: bool = False,
    patched_value: bool = False,
) -> None:
    """Unknown and duplicate fields: Strict → 400 (a 422 naming the patch for patches),
    Warn → Warning headers, Ignore → silently dropped.  `leading` are problems found before
    the typed decode (a YAML body's repeated keys, a patch's own repeated keys); `sort_unknown`
    reports unknown fields in the key order of Go's JSON of a map (YAML bodies, patched
    objects); `patched_value` makes the 422's value the patched object's JSON (merge and JSON
    patches) instead of the patch (strategic merge)."""
    mode = field_validation(scope.query)
    snapshot = (
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if patched_value and mode == "Strict"
        else ""
    )
    unknown = pruning.prune(obj, scope.info, sort=sort_unknown)
    if pairs is not None:
        # In document order, duplicates and unknown fields interleaved, as upstream reports them.
        problems = pruning.strict_problems(pairs, scope.info)
    else:
        problems = [f'unknown field "{u}"' for u in unknown]
    if leading:
        problems = [*leading, *problems]
    if not problems:
        return
    if mode == "Strict":
        message = "strict decoding error: " + ", ".join(problems)
        if patch is not None:
            from kubesvc.api import fields as F

            value = snapshot if patched_value else go_format(patch)
            raise errors.invalid("", "", [F.invalid("patch", value, message)])
        raise errors.bad_request(strict_prefix + message)
    if mode == "Warn":
        for p in problems:
            if p.startswith(_YAML_UNMARSHAL):
                # one warning per repeated key, as upstream splits the YAML error
                scope.warnings.extend(line.strip() for line in p.split("\n")[1:])
            else:
                scope.warnings.append(p)


_YAML_UNMARSHAL = "yaml: unmarshal errors:"


def _go_json_error(body: bytes, exc: Exception) -> str:
    """Go's encoding/json words for the common syntax error (a body that does not start a JSON
    value, e.g. YAML sent as JSON); otherwise the parser's own."""
    text = body.lstrip(b" \t\r\n")
    if not text:
        return "unexpected end of JSON input"
    first = text[:1].decode("latin-1")
    if first not in '{["-0123456789tfn':
        shown = first if first.isprintable() and first != "'" else repr(first)[1:-1]
        return f"invalid character '{shown}' looking for beginning of value"
    return str(exc)


def _unrecognized(info: ResourceInfo, message: str, body: bytes) -> errors.StatusError:
    """Upstream's transformDecodeError for a body whose kind could not be read: the message,
    then the first 30 bytes of the body (as text when it starts an object, else in hex)."""
    head = body[:30]
    summary = "<empty>" if not body else (head.decode("utf-8", "replace") if body[:1] == b"{" else head.hex())
    if len(body) > 30:
        summary += " ..."
    return errors.bad_request(
        f"the object provided is unrecognized (must be of type {info.kind}): {message} ({summary})"
    )


def decode_object(scope: RequestScope, body: bytes, content_type: str) -> Obj:
    try:
        doc, pairs = decode_document(body, content_type)
    except errors.StatusError as exc:
        if exc.reason == "BadRequest" and exc.message.startswith(
            ("couldn't get version/kind", "error converting YAML to JSON")
        ):
            raise _unrecognized(scope.info, exc.message, body) from exc
        raise
    if not isinstance(doc, dict):
        raise _unrecognized(
            scope.info,
            "couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{_json_kind(doc)} into Go value of type struct "
            '{ APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
            body,
        )
    info = scope.info
    api_version = str(doc.get("apiVersion") or info.api_version)
    kind = str(doc.get("kind") or info.kind)
    check_kind(info, api_version, kind)
    doc["apiVersion"] = api_version
    doc["kind"] = kind
    prefix = _cannot_handle(info, api_version, kind)
    if not isinstance(doc.get("metadata", {}), dict):
        raise errors.bad_request(
            f"{prefix}json: cannot unmarshal {_json_kind(doc['metadata'])} into Go struct field "
            f"{kind}.metadata of type v1.ObjectMeta"
        )
    wrong_type = pruning.type_error(doc, info)
    if wrong_type:
        # A value of the wrong JSON type fails the decode, whatever the field validation.
        raise errors.bad_request(prefix + wrong_type)
    is_yaml = neg.parse_media_type(content_type or neg.JSON).type == neg.YAML
    leading: list[str] = []
    if is_yaml:
        # The YAML decoder's repeated keys come first; the JSON it converts to has sorted keys.
        repeated = _apply_duplicate_keys(body, field_validation(scope.query))
        if repeated:
            leading.append(repeated[repeated.index(_YAML_UNMARSHAL) :])
    check_fields(scope, doc, pairs, strict_prefix=prefix, leading=leading, sort_unknown=is_yaml)
    reshape(scope, doc)
    return doc


def reshape(scope: RequestScope, obj: Obj) -> None:
    """What decoding into the Go struct does to the body: empty omitempty fields dropped,
    times reformatted (a bad one is a 400), always-written structs present (wireshape.py)."""
    wireshape.reshape(obj, scope.info)


# The internal (hub) package of each group, as upstream's conversion errors name it.
_INTERNAL_PACKAGE = {
    "": "core",
    "events.k8s.io": "core",
    "discovery.k8s.io": "discovery",
    "coordination.k8s.io": "coordination",
}


def _cannot_handle(info: ResourceInfo, api_version: str, kind: str) -> str:
    """The prefix of upstream's decode errors (`transformDecodeError`)."""
    version = api_version.rsplit("/", 1)[-1]
    return f'{kind} in version "{version}" cannot be handled as a {info.kind}: '


def check_kind(info: ResourceInfo, api_version: str, kind: str) -> None:
    """A body of another kind or version: the errors kube-apiserver's decoder gives."""
    if api_version == info.api_version and kind == info.kind:
        return
    from kubesvc.api import scheme

    prefix = _cannot_handle(info, api_version, kind)
    registered = scheme.by_kind(api_version, kind)
    if registered is None:
        raise errors.bad_request(
            f'{prefix}no kind "{kind}" is registered for version "{api_version}" in scheme '
            '"pkg/api/legacyscheme/scheme.go:30"'
        )
    if registered.kind != info.kind or _INTERNAL_PACKAGE.get(registered.group) != _INTERNAL_PACKAGE.get(
        info.group
    ):
        src = f"{registered.version}.{kind}"
        dst = f"{_INTERNAL_PACKAGE.get(info.group, info.group)}.{info.kind}"
        raise errors.bad_request(f"{prefix}converting ({src}) to ({dst}): unknown conversion")
    raise errors.bad_request(
        f"the API version in the data ({api_version}) does not match the expected API version ({info.api_version})"
    )


def _json_kind(v: Any) -> str:
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if v is None:
        return "null"
    return "object"


def check_namespace(scope: RequestScope, obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    if scope.info.namespaced:
        ns = meta.get("namespace")
        if ns and ns != scope.ri.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = scope.ri.namespace
    else:
        meta.pop("namespace", None)


def check_name(scope: RequestScope, obj: Obj) -> None:
    name = (obj.get("metadata") or {}).get("name") or ""
    if name != scope.ri.name:
        raise errors.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({scope.ri.name})"
        )


_DUPLICATE_OWNERS = (
    ".metadata.ownerReferences contains duplicate entries{}; API server dedups owner references in "
    "1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) "
    "observed: {}"
)


def dedup_owner_references(scope: RequestScope, obj: Obj, *, after_admission: bool = False) -> None:
    """Drop repeated identical owner references with upstream's warning (create and update
    dedup the decoded body; a patch the patched object, "after mutating admission")."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return
    refs = meta.get("ownerReferences")
    if not isinstance(refs, list) or len(refs) < 2:
        return
    kept: list[Any] = []
    repeated: list[str] = []
    for ref in refs:
        if ref in kept:
            repeated.append(str(ref.get("uid", "")) if isinstance(ref, dict) else "")
        else:
            kept.append(ref)
    if repeated:
        where = " after mutating admission happens" if after_admission else ""
        scope.warnings.append(_DUPLICATE_OWNERS.format(where, ", ".join(repeated)))
        meta["ownerReferences"] = kept


def dry_run(query: Mapping[str, str], values: list[str] | None = None) -> bool:
    vals = list(values or [])
    if "dryRun" in query:
        vals.append(query["dryRun"])
    for v in vals:
        if v != "All":
            raise errors.invalid(
                "CreateOptions",
                "",
                [_not_supported_dry_run(v)],
                "meta.k8s.io",
            )
    return bool(vals)


def _not_supported_dry_run(v: str) -> Any:
    from kubesvc.api import fields as F

    return F.not_supported("dryRun", v, ["All"])


def manager_name(request: web.Request, query: Mapping[str, str]) -> str:
    m = query.get("fieldManager", "")
    if m:
        return m
    ua = request.headers.get("User-Agent", "")
    return ua.split("/", 1)[0] if ua else ""


def record_update(
    scope: RequestScope, old: Obj | None, new: Obj, manager: str, subresource: str = ""
) -> None:
    try:
        fieldmanager.record_update(
            old,
            new,
            manager=manager,
            operation="Update",
            subresource=subresource,
            api_version=scope.info.api_version,
            now=now(),
        )
    except errors.StatusError:
        raise
    except Exception:
        log.exception("managedFields update failed")


def strategy_for(scope: RequestScope) -> Strategy:
    sub = scope.ri.subresource
    if not sub:
        return scope.rs.strategy
    if sub == "status":
        st = scope.rs.strategy.status_strategy()
        if st is not None:
            return st
    if sub == "finalize" and hasattr(scope.rs.strategy, "finalize_strategy"):
        fin: Strategy = scope.rs.strategy.finalize_strategy()
        return fin
    raise errors.path_not_found()


# -- verbs ----------------------------------------------------------------------------------


async def get(request: web.Request, scope: RequestScope) -> web.StreamResponse:
    sub = scope.ri.subresource
    if sub and (sub != "status" or scope.rs.strategy.status_strategy() is None):
        raise errors.path_not_found()
    out = output_for(request, allow_table=True)
    obj = await scope.rs.get(scope.ri.namespace, scope.ri.name)
    return respond(render_object(scope, obj, out), 200, out)


def list_options(scope: RequestScope) -> ListOptions:
    q = scope.query
    limit = 0
    if q.get("limit"):
        try:
            limit = max(int(q["limit"]), 0)
        except ValueError as exc:
            raise errors.bad_request(f'invalid limit "{q["limit"]}"') from exc
    flt = build_filter(scope.info, q.get("labelSelector", ""), q.get("fieldSelector", ""))
    return ListOptions(
        filter=flt,
        limit=limit,
        continue_token=q.get("continue", ""),
        resource_version=q.get("resourceVersion", ""),
        resource_version_match=q.get("resourceVersionMatch", ""),
        send_initial_events=bool(q.get("sendInitialEvents")),
    )


async def list_(request: web.Request, scope: RequestScope) -> web.StreamResponse:
    out = output_for(request, allow_table=True)
    lst = await scope.rs.list(scope.ri.namespace, list_options(scope))
    return respond(render_list(scope, lst, out), 200, out)


async def create(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    if scope.ri.name or scope.ri.subresource:
        raise method_not_allowed()
    out = output_for(request, allow_table=False)
    body = await read_body(request, limit)
    obj = decode_object(scope, body, request.headers.get("Content-Type", ""))
    check_namespace(scope, obj)
    dedup_owner_references(scope, obj)
    is_dry = dry_run(scope.query)
    apply_defaults(obj)
    record_update(scope, None, obj, manager_name(request, scope.query))
    created = await scope.rs.create(scope.ri.namespace, obj, dry_run=is_dry)
    scope.warnings.extend(scope.rs.strategy.warnings_on_create(created))
    return respond(created, 201, out, scope.warnings)


async def update(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    out = output_for(request, allow_table=False)
    strategy = strategy_for(scope)
    body = await read_body(request, limit)
    obj = decode_object(scope, body, request.headers.get("Content-Type", ""))
    check_name(scope, obj)
    check_namespace(scope, obj)
    dedup_owner_references(scope, obj)
    is_dry = dry_run(scope.query)
    apply_defaults(obj)
    manager = manager_name(request, scope.query)
    sub = scope.ri.subresource

    seen: list[Obj | None] = [None]

    async def updater(current: Obj | None) -> Obj:
        seen[0] = clone(current) if current is not None else None
        new: Obj = clone(obj)
        record_update(scope, current, new, manager, sub)
        return new

    result, created = await scope.rs.update(
        scope.ri.namespace, scope.ri.name, updater, strategy=strategy, dry_run=is_dry
    )
    add_strategy_warnings(scope, strategy, result, None if created else seen[0])
    return respond(result, 201 if created else 200, out, scope.warnings)


def add_strategy_warnings(scope: RequestScope, strategy: Strategy, result: Obj, old: Obj | None) -> None:
    """The strategy's WarningsOnCreate / WarningsOnUpdate (e.g. a Service's ignored fields and
    non-standard IPs), after those of the request itself."""
    if old is None:
        scope.warnings.extend(strategy.warnings_on_create(result))
    else:
        scope.warnings.extend(strategy.warnings_on_update(result, old))


def _patch_error(exc: Exception) -> errors.StatusError:
    if isinstance(exc, errors.StatusError):
        return exc
    if hasattr(exc, "to_status_error"):  # kubesvc.api.patch.PatchError knows upstream's answer
        converted: errors.StatusError = exc.to_status_error()
        return converted
    kind = getattr(exc, "kind", None) or getattr(exc, "reason", None)
    invalid = getattr(exc, "invalid", None)
    if invalid is True or kind in ("invalid", "Invalid"):
        return errors.StatusError(422, "Invalid", str(exc))
    return errors.bad_request(str(exc))


def _patch_pins_rv(ctype: str, patch: Any) -> bool:
    if ctype == neg.JSON_PATCH:
        return any(
            isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion" and op.get("op") != "test"
            for op in (patch if isinstance(patch, list) else [])
        )
    if isinstance(patch, dict):
        return bool((patch.get("metadata") or {}).get("resourceVersion"))
    return False


async def patch(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    out = output_for(request, allow_table=False)
    strategy = strategy_for(scope)
    ctype = neg.parse_media_type(request.headers.get("Content-Type", "")).type
    if ctype not in neg.PATCH_TYPES:
        raise errors.StatusError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(neg.PATCH_TYPES),
        )
    body = await read_body(request, limit)
    _validate_patch_options(scope.query, ctype)
    doc = _decode_apply(body) if ctype == neg.APPLY_PATCH else decode_document(body, ctype)[0]
    is_dry = dry_run(scope.query)
    manager = manager_name(request, scope.query)
    sub = scope.ri.subresource
    info = scope.info
    if ctype == neg.JSON_PATCH and not isinstance(doc, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")
    if ctype != neg.JSON_PATCH and not isinstance(doc, dict):
        raise errors.bad_request(
            f"couldn't get version/kind; json parse error: json: cannot unmarshal {_json_kind(doc)} into Go value of type map[string]interface {{}}"
        )
    force = scope.query.get("force", "") == "true"
    if ctype == neg.APPLY_PATCH:
        assert isinstance(doc, dict)
        _check_apply_body(scope, doc)
    pinned = _patch_pins_rv(ctype, doc)
    # The strict pass over the patch's own bytes (Strict and Warn only), before it is applied.
    own_problems = (
        pruning.patch_problems(body, json_patch=(ctype == neg.JSON_PATCH))
        if ctype != neg.APPLY_PATCH and field_validation(scope.query) != "Ignore" and b'"' in body
        else []
    )

    seen: list[Obj | None] = [None]

    async def updater(current: Obj | None) -> Obj:
        if current is None and ctype != neg.APPLY_PATCH:
            raise errors.not_found(info.resource, scope.ri.name, info.group)
        seen[0] = clone(current) if current is not None else None
        try:
            if ctype == neg.APPLY_PATCH:
                applied = clone(doc)
                _check_apply_schema(info, applied)
                pruning.type_error(applied, info)  # quantities in canonical form, as decoded
                strict_yaml = _apply_duplicate_keys(body, field_validation(scope.query))
                result = fieldmanager.server_side_apply(
                    current,
                    applied,
                    manager=manager,
                    force=force,
                    now=now(),
                    api_version=info.api_version,
                    kind=info.kind,
                    subresource=sub,
                )
                if strict_yaml:
                    # Checked once the apply itself went through, as upstream does.
                    if field_validation(scope.query) == "Strict":
                        raise errors.bad_request("error strict decoding YAML: " + strict_yaml)
                    # One warning per complaint, the YAML error's prefix trimmed.
                    scope.warnings.extend(line.strip() for line in strict_yaml.split("\n")[1:])
            else:
                assert current is not None
                if ctype == neg.JSON_PATCH:
                    assert isinstance(doc, list)  # decode_document checked the shape
                    result = patch_mod.apply_json_patch(current, doc)
                elif ctype == neg.MERGE_PATCH:
                    result = patch_mod.apply_merge_patch(current, doc)
                else:
                    result = patch_mod.apply_strategic_merge_patch(
                        current, doc, api_version=info.api_version, kind=info.kind
                    )
                    # upstream turns the merged map back into the typed object here
                    if isinstance(result, dict) and (bad := typecheck.unstructured_error(result, info)):
                        from kubesvc.api import fields as F

                        raise errors.invalid("", "", [F.invalid("patch", go_format(doc), bad)])
        except errors.StatusError:
            raise
        except Exception as exc:
            raise _patch_error(exc) from exc
        if not isinstance(result, dict):
            raise errors.bad_request("the patched document is not an object")
        uid = (result.get("metadata") or {}).get("uid")
        if current is None and uid:
            raise errors.conflict(
                info.resource,
                scope.ri.name,
                f"uid mismatch: the provided object specified uid {uid}, and no existing object was found",
                info.group,
            )
        if (
            result.get("apiVersion", info.api_version) != info.api_version
            or result.get("kind", info.kind) != info.kind
        ):
            raise errors.bad_request(
                f"the API version in the data ({result.get('apiVersion')}) does not match the expected API version ({info.api_version})"
            )
        result["apiVersion"] = info.api_version
        result["kind"] = info.kind
        # (also canonicalizes quantities; apply reports wrong types through its schema check)
        wrong_type = pruning.type_error(result, info)
        if ctype != neg.APPLY_PATCH:
            if wrong_type:
                # The patched object does not decode: 422 on the patch, whatever the validation.
                from kubesvc.api import fields as F

                value = (
                    go_format(doc)
                    if ctype == neg.STRATEGIC_PATCH
                    else json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                )
                raise errors.invalid("", "", [F.invalid("patch", value, wrong_type)])
            check_fields(
                scope,
                result,
                None,
                patch=doc,
                leading=own_problems,
                sort_unknown=True,
                patched_value=(ctype != neg.STRATEGIC_PATCH),
            )
        check_name(scope, result)
        check_namespace(scope, result)
        dedup_owner_references(scope, result, after_admission=True)
        reshape(scope, result)
        apply_defaults(result)
        if ctype != neg.APPLY_PATCH:
            record_update(scope, current, result, manager, sub)
        if not pinned and current is not None:
            rv = (current.get("metadata") or {}).get("resourceVersion")
            result.setdefault("metadata", {})["resourceVersion"] = rv
        elif pinned and ctype == neg.APPLY_PATCH and current is not None:
            # An applied resourceVersion is a precondition, as in any other patch.
            result.setdefault("metadata", {})["resourceVersion"] = str(doc["metadata"]["resourceVersion"])
        return result

    result, created = await scope.rs.update(
        scope.ri.namespace,
        scope.ri.name,
        updater,
        strategy=strategy,
        dry_run=is_dry,
        allow_create=(ctype == neg.APPLY_PATCH and not sub),
        retry_conflicts=not pinned,
    )
    add_strategy_warnings(scope, strategy, result, None if created else seen[0])
    return respond(result, 201 if created else 200, out, scope.warnings)


def _decode_apply(body: bytes) -> Obj:
    """The applied configuration, decoded as upstream's apply patcher decodes it (YAML into a
    map; an empty or null body is an empty object), with its error texts."""
    try:
        doc = codec.loads_yaml(body)
    except codec.DecodeError as exc:
        cause = exc.__cause__
        mark, problem = getattr(cause, "problem_mark", None), getattr(cause, "problem", None)
        text = f"yaml: line {mark.line + 1}: {problem}" if mark is not None and problem else f"yaml: {exc}"
        raise errors.bad_request(f"error decoding YAML: error converting YAML to JSON: {text}") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise errors.bad_request(
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{_json_kind(doc)} into Go value of type map[string]interface {{}}"
        )
    return doc


class _DuplicateKeyLoader(yaml.SafeLoader):
    """A YAML loader noting each mapping key seen twice (line numbers 1-based)."""

    duplicates: list[tuple[int, Any]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key))
                seen.add(key)
            except TypeError:
                continue
        return super().construct_mapping(node, deep=deep)


def _apply_duplicate_keys(body: bytes, mode: str) -> str:
    """yaml.UnmarshalStrict's complaint about repeated keys ("" when there is none or when the
    validation is Ignore)."""
    if mode == "Ignore" or body.count(b":") < 2:
        return ""
    if body.lstrip()[:1] == b"{":
        # A JSON body (what most clients send): orjson says fast whether any key repeats; only
        # then is the (slow, pure-Python) line-numbering YAML pass worth running.
        tree = pruning.pairs_tree(body)
        if tree is not None and not pruning.patch_problems(body, json_patch=False):
            return ""
    loader = _DuplicateKeyLoader(body)
    loader.duplicates = []
    try:
        loader.get_single_data()
    except yaml.YAMLError:
        return ""
    finally:
        loader.dispose()
    if not loader.duplicates:
        return ""
    lines = "\n".join(
        f"  line {line}: key {json.dumps(key)} already set in map" for line, key in loader.duplicates
    )
    return "error converting YAML to JSON: yaml: unmarshal errors:\n" + lines


def _check_apply_schema(info: ResourceInfo, applied: Obj) -> None:
    """Fields the kind does not declare fail the apply whatever fieldValidation says: upstream's
    typed conversion of the applied object errors, and that plain error is a reason-less 500."""
    unknown = pruning.prune(applied, info)
    if not unknown:
        return
    raw_meta = applied.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    group, _, version = info.api_version.rpartition("/")
    where = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}; {group}/{version}, Kind={info.kind}"
    problems = [f".{u}: field not declared in schema" for u in unknown]
    detail = problems[0] if len(problems) == 1 else "\n".join(["errors:", *("  " + p for p in problems)])
    raise errors.StatusError(500, "", f"failed to create typed patch object ({where}): {detail}")


def _validate_patch_options(query: Mapping[str, str], ctype: str) -> None:
    """PatchOptions as upstream validates them before looking at the patch: `force` only with
    apply (present at all, even `false`), a fieldManager required for apply, at most 128
    printable characters, dryRun `All`, a known fieldValidation; all problems in one 422."""
    from kubesvc.api import fields as F

    errs: list[Any] = []
    manager = query.get("fieldManager", "")
    if ctype != neg.APPLY_PATCH:
        if "force" in query:
            errs.append(F.forbidden("force", "may not be specified for non-apply patch"))
    elif not manager:
        errs.append(F.required("fieldManager", "is required for apply patch"))
    if len(manager.encode()) > 128:
        errs.append(F.too_long("fieldManager", manager, 128))
    pos = 0
    for ch in manager:
        if not ch.isprintable():
            errs.append(
                F.invalid("fieldManager", manager, f"invalid character U+{ord(ch):04X} (at position {pos})")
            )
        pos += len(ch.encode())
    if "dryRun" in query and query["dryRun"] != "All":
        errs.append(F.not_supported("dryRun", [query["dryRun"]], ["All"]))
    if query.get("fieldValidation", "") not in ("", "Ignore", "Strict", "Warn"):
        errs.append(
            F.not_supported("fieldValidation", query["fieldValidation"], ["", "Ignore", "Strict", "Warn"])
        )
    if errs:
        raise errors.invalid("PatchOptions", "", errs, "meta.k8s.io")


def _check_apply_body(scope: RequestScope, doc: Obj) -> None:
    """Upstream's version check of the applied object: exactly the endpoint's group, version
    and kind, else 400 naming the GroupVersionKind the body carries."""
    api_version = doc.get("apiVersion") if isinstance(doc.get("apiVersion"), str) else ""
    kind = doc.get("kind") if isinstance(doc.get("kind"), str) else ""
    if api_version == scope.info.api_version and kind == scope.info.kind:
        return
    group, _, version = str(api_version).rpartition("/")
    raise errors.bad_request(f"invalid object type: {group}/{version}, Kind={kind}")


def _delete_options(body: bytes, content_type: str, query: Mapping[str, str]) -> deletion.DeleteOptions:
    """DeleteOptions as upstream's DELETE handler reads them: from the body when there is one,
    else from the query; validated (422 on DeleteOptions.meta.k8s.io)."""
    doc: dict[str, Any] | None = None
    if body.strip():
        decoded, _ = decode_document(body, content_type or neg.JSON)
        if not isinstance(decoded, dict):
            raise errors.bad_request("DeleteOptions must be an object")
        doc = decoded
    opts = deletion.decode_delete_options(doc, query)
    deletion.check_delete_options(opts)
    return opts


# Kinds whose DELETE answers with the deleted object; the others answer a Status Success
# (upstream `ReturnDeletedObject` in each kind's REST storage).
RETURNS_DELETED_OBJECT = {"Service", "Pod", "Namespace"}


async def delete(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    if scope.ri.subresource:
        raise method_not_allowed()
    out = output_for(request, allow_table=False)
    body = await read_body(request, limit)
    opts = _delete_options(body, request.headers.get("Content-Type", ""), scope.query)
    obj, deleted = await scope.rs.delete(
        scope.ri.namespace, scope.ri.name, dry_run=bool(opts.dry_run), options=opts
    )
    if deleted and scope.info.kind not in RETURNS_DELETED_OBJECT:
        meta = obj.get("metadata") or {}
        # the revision of the deletion (upstream: the Status's ListMeta since the DELETE result
        # carries one, so a client can wait for its cache to catch up)
        rv = meta.get("resourceVersion")
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": rv} if rv else {},
            "status": "Success",
            "details": {
                "name": scope.ri.name,
                **({"group": scope.info.group} if scope.info.group else {}),
                "kind": scope.info.resource,
                "uid": meta.get("uid"),
            },
        }
        return respond(status, 200, out)
    # upstream answers 202 Accepted when the object stays and the client asked, the old way,
    # for its dependents to be deleted (orphanDependents=false)
    code = 202 if not deleted and opts.orphan_dependents is False else 200
    return respond(obj, code, out)


async def delete_collection(request: web.Request, scope: RequestScope, limit: int) -> web.StreamResponse:
    if "deletecollection" not in scope.info.verbs:
        raise method_not_allowed()
    out = output_for(request, allow_table=False)
    body = await read_body(request, limit)
    list_opts = list_options(scope)
    opts = _delete_options(body, request.headers.get("Content-Type", ""), scope.query)
    lst = await scope.rs.delete_collection(
        scope.ri.namespace, list_opts, dry_run=bool(opts.dry_run), options=opts
    )
    return respond(lst, 200, out)
