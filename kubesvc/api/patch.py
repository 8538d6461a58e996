"""Patches over JSON documents: JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch.

Theory of operation
-------------------
All three functions take the stored object as a plain dict and return a new dict; the input is
never mutated.  Errors are `PatchError`, which knows whether kube-apiserver answers 400 (the patch
itself is malformed) or 422 (a well-formed patch that cannot be applied, e.g. a failing `test`).

Strategic merge patch needs to know, per list, whether it merges by a key or is replaced
wholesale.  Upstream reads that from the Go struct tags (`patchStrategy:"merge"
patchMergeKey:"port"`) of k8s.io/api; we keep the same facts in `FIELD_SCHEMA`, one table per
kind, keyed by a dotted path in which list items are transparent (`spec.containers.ports`).
The same table carries the server-side-apply list types (`+listType=map +listMapKey=...`), which
differ from the SMP keys in places: Service ports merge by `port` under SMP but are keyed by
(`port`, `protocol`) under SSA.  Lists that the table does not mention are atomic under both.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from kubesvc.api.errors import StatusError, bad_request

JSON = Any


class PatchError(ValueError):
    """A patch that cannot be applied.

    `invalid` is True when kube-apiserver answers 422 Unprocessable Entity (the patch is well
    formed but does not apply to this object), False for 400 Bad Request (the patch is malformed).
    """

    def __init__(self, message: str, *, invalid: bool = False, internal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.invalid = invalid
        # A plain Go error of the patch library (no sentinel): a reason-less 500 upstream.
        self.internal = internal

    @property
    def code(self) -> int:
        return 422 if self.invalid else 400

    @property
    def reason(self) -> str:
        return "Invalid" if self.invalid else "BadRequest"

    def to_status_error(self) -> StatusError:
        """The Status kube-apiserver answers.

        A patch that fails to apply becomes apimachinery's generic 422 response, whose message
        does not carry the patch library's text; a malformed patch is a 400 with the text.
        """
        if self.internal:
            return StatusError(500, "", self.message)
        if self.invalid:
            # NewGenericServerResponse(..., isUnexpectedResponse=false): the library's text is
            # not carried (no cause), only the generic message.
            return StatusError(422, "Invalid", GENERIC_UNPROCESSABLE, {})
        return bad_request(self.message)


GENERIC_UNPROCESSABLE: Final = "the server rejected our request due to an error in our request"
# kube-apiserver refuses a JSON patch with more operations than this (413).
MAX_JSON_PATCH_OPERATIONS: Final = 10000


# --------------------------------------------------------------------------------------------
# Schema facts: patch strategies, merge keys, SSA list and map types.


@dataclass(frozen=True)
class ListSchema:
    """How one list field merges.

    smp_merge/smp_key: strategic merge patch (`patchStrategy:"merge"` and its `patchMergeKey`;
    a merge list without key is a set of primitives).  retain_keys: `patchStrategy` also lists
    `retainKeys`.  list_type/map_keys: the SSA `+listType` and `+listMapKey` markers.
    key_defaults: values the SSA key uses when an item omits a key field (defaulted upstream
    before the key is computed, e.g. protocol TCP).
    """

    smp_merge: bool = False
    smp_key: str | None = None
    retain_keys: bool = False
    list_type: str = "atomic"
    map_keys: tuple[str, ...] = ()
    key_defaults: tuple[tuple[str, JSON], ...] = ()


def _map_list(
    smp_key: str, *keys: str, retain: bool = False, defaults: Mapping[str, JSON] | None = None
) -> ListSchema:
    return ListSchema(
        smp_merge=True,
        smp_key=smp_key,
        retain_keys=retain,
        list_type="map",
        map_keys=keys or (smp_key,),
        key_defaults=tuple((defaults or {}).items()),
    )


_SET_MERGE: Final = ListSchema(smp_merge=True, list_type="set")
_ATOMIC: Final = ListSchema()
_TCP: Final = {"protocol": "TCP"}


@dataclass(frozen=True)
class KindSchema:
    """Per kind: list fields (path -> ListSchema), granular maps and atomic maps (paths)."""

    lists: Mapping[str, ListSchema]
    maps: frozenset[str]
    atomic_maps: frozenset[str] = frozenset()

    def list_at(self, path: str) -> ListSchema:
        return self.lists.get(path, _ATOMIC)

    def is_map(self, path: str) -> bool:
        """A `map[string]T` (as opposed to a struct); its keys are user data."""
        return path in self.maps or path in self.atomic_maps


_META_LISTS: Final = {
    "metadata.finalizers": _SET_MERGE,
    "metadata.ownerReferences": _map_list("uid"),
    "metadata.managedFields": _ATOMIC,
}
_META_MAPS: Final = frozenset({"metadata.labels", "metadata.annotations"})

_CONTAINER_LISTS: Final = {
    "ports": _map_list("containerPort", "containerPort", "protocol", defaults=_TCP),
    "env": _map_list("name"),
    "volumeMounts": _map_list("mountPath"),
    "volumeDevices": _map_list("devicePath"),
    "resizePolicy": ListSchema(list_type="atomic"),
}
_CONTAINER_MAPS: Final = ("resources.limits", "resources.requests")


def _pod_schema() -> KindSchema:
    lists: dict[str, ListSchema] = dict(_META_LISTS)
    maps = set(_META_MAPS)
    for containers in ("spec.containers", "spec.initContainers", "spec.ephemeralContainers"):
        lists[containers] = _map_list("name")
        for sub, schema in _CONTAINER_LISTS.items():
            lists[f"{containers}.{sub}"] = schema
        for sub in _CONTAINER_MAPS:
            maps.add(f"{containers}.{sub}")
    lists.update(
        {
            "spec.volumes": _map_list("name", retain=True),
            "spec.imagePullSecrets": _map_list("name"),
            "spec.hostAliases": _map_list("ip"),
            "spec.topologySpreadConstraints": _map_list("topologyKey", "topologyKey", "whenUnsatisfiable"),
            "spec.schedulingGates": _map_list("name"),
            "spec.resourceClaims": _map_list("name", retain=True),
            "status.conditions": _map_list("type"),
            "status.podIPs": _map_list("ip"),
            "status.hostIPs": _map_list("ip"),
            "status.resourceClaimStatuses": _map_list("name", retain=True),
        }
    )
    return KindSchema(lists, frozenset(maps), frozenset({"spec.nodeSelector"}))


SERVICE_SCHEMA: Final = KindSchema(
    {
        **_META_LISTS,
        # SMP merges ports by port alone; SSA keys them by (port, protocol).
        "spec.ports": _map_list("port", "port", "protocol", defaults=_TCP),
        "status.conditions": _map_list("type"),
    },
    _META_MAPS,
    frozenset({"spec.selector"}),
)
POD_SCHEMA: Final = _pod_schema()
NODE_SCHEMA: Final = KindSchema(
    {
        **_META_LISTS,
        "spec.podCIDRs": _SET_MERGE,
        "status.conditions": _map_list("type"),
        # Declared mergeable by type for SMP, but atomic for SSA (types are not unique).
        "status.addresses": ListSchema(smp_merge=True, smp_key="type", list_type="atomic"),
    },
    _META_MAPS | {"status.capacity", "status.allocatable"},
)
NAMESPACE_SCHEMA: Final = KindSchema(
    {**_META_LISTS, "status.conditions": _map_list("type")},
    _META_MAPS,
)
_PLAIN: Final = KindSchema(dict(_META_LISTS), _META_MAPS)
ENDPOINT_SLICE_SCHEMA: Final = KindSchema(dict(_META_LISTS), _META_MAPS | {"endpoints.deprecatedTopology"})

FIELD_SCHEMA: Final[Mapping[tuple[str, str], KindSchema]] = {
    ("v1", "Service"): SERVICE_SCHEMA,
    ("v1", "Pod"): POD_SCHEMA,
    ("v1", "Node"): NODE_SCHEMA,
    ("v1", "Namespace"): NAMESPACE_SCHEMA,
    ("v1", "Endpoints"): _PLAIN,
    ("v1", "Event"): _PLAIN,
    ("events.k8s.io/v1", "Event"): _PLAIN,
    ("discovery.k8s.io/v1", "EndpointSlice"): ENDPOINT_SLICE_SCHEMA,
    ("coordination.k8s.io/v1", "Lease"): _PLAIN,
}


def schema_for(api_version: str, kind: str) -> KindSchema:
    """The schema facts of a kind; unknown kinds get metadata facts only (lists replace)."""
    return FIELD_SCHEMA.get((api_version, kind), _PLAIN)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# --------------------------------------------------------------------------------------------
# JSON patch (RFC 6902), with the messages of the json-patch library kube-apiserver uses.


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _split_pointer(pointer: Any) -> list[str]:
    if not isinstance(pointer, str):
        raise PatchError(f"invalid JSON pointer: {pointer!r}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f'JSON pointer must be empty or start with a "/": {pointer}', invalid=True)
    return [_unescape(t) for t in pointer[1:].split("/")]


def _index(token: str, length: int, *, allow_end: bool, path: str, op: str) -> int:
    if token == "-" and allow_end:
        return length
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(
            f"{op} operation does not apply: invalid array index {token!r} in {path}", invalid=True
        )
    i = int(token)
    limit = length if allow_end else length - 1
    if i > limit:
        raise PatchError(f"{op} operation does not apply: index out of bounds: {i} in {path}", invalid=True)
    return i


def _container(doc: JSON, tokens: list[str], path: str, op: str) -> JSON:
    node = doc
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(
                    f'{op} operation does not apply: doc is missing path: "{path}": missing value',
                    invalid=True,
                )
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), allow_end=False, path=path, op=op)]
        else:
            raise PatchError(
                f'{op} operation does not apply: doc is missing path: "{path}": missing value', invalid=True
            )
    return node


def _get(doc: JSON, pointer: str, op: str) -> JSON:
    tokens = _split_pointer(pointer)
    if not tokens:
        return doc
    parent = _container(doc, tokens[:-1], pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(
                f"{op} operation does not apply: doc is missing key: {pointer}: missing value", invalid=True
            )
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent), allow_end=False, path=pointer, op=op)]
    raise PatchError(
        f"{op} operation does not apply: doc is missing key: {pointer}: missing value", invalid=True
    )


def _add(doc: JSON, pointer: str, value: JSON, op: str = "add") -> JSON:
    tokens = _split_pointer(pointer)
    if not tokens:
        return value
    parent = _container(doc, tokens[:-1], pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), allow_end=True, path=pointer, op=op), value)
    else:
        raise PatchError(
            f'{op} operation does not apply: doc is missing path: "{pointer}": missing value', invalid=True
        )
    return doc


def _remove(doc: JSON, pointer: str, op: str = "remove") -> tuple[JSON, JSON]:
    tokens = _split_pointer(pointer)
    if not tokens:
        raise PatchError(f"{op} operation does not apply: cannot remove the whole document", invalid=True)
    parent = _container(doc, tokens[:-1], pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"Unable to remove nonexistent key: {last}: missing value", invalid=True)
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), allow_end=False, path=pointer, op=op))
    raise PatchError(
        f'{op} operation does not apply: doc is missing path: "{pointer}": missing value', invalid=True
    )


def _json_equal(a: JSON, b: JSON) -> bool:
    # JSON equality: 1 == 1.0, but True is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def apply_json_patch(doc: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """Apply an RFC 6902 patch; all operations apply or none (a failing `test` rejects it all)."""
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise StatusError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
        )
    result: JSON = copy.deepcopy(doc)
    for raw in ops:
        if not isinstance(raw, dict):
            raise PatchError("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        op = raw.get("op")
        path = raw.get("path")
        if op not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchError(f"Unexpected kind: {op}", invalid=True)
        if not isinstance(path, str):
            raise PatchError(f"{op} operation does not apply: missing path", invalid=True)
        if op in ("add", "replace", "test") and "value" not in raw:
            raise PatchError(f"{op} operation does not apply: missing value", invalid=True)
        value = copy.deepcopy(raw.get("value"))
        if op == "add":
            result = _add(result, path, value)
        elif op == "remove":
            result, _ = _remove(result, path)
        elif op == "replace":
            tokens = _split_pointer(path)
            if not tokens:
                result = value
                continue
            _get(result, path, "replace")
            parent = _container(result, tokens[:-1], path, "replace")
            if isinstance(parent, dict):
                parent[tokens[-1]] = value
            else:
                parent[_index(tokens[-1], len(parent), allow_end=False, path=path, op="replace")] = value
        elif op in ("move", "copy"):
            source = raw.get("from")
            if not isinstance(source, str):
                raise PatchError(f"{op} operation does not apply: missing from path", invalid=True)
            if op == "move":
                if path.startswith(source + "/"):
                    raise PatchError(
                        "move operation does not apply: cannot move a value into itself", invalid=True
                    )
                result, moved = _remove(result, source, "move")
            else:
                moved = copy.deepcopy(_get(result, source, "copy"))
            result = _add(result, path, moved, op)
        else:  # test
            try:
                current = _get(result, path, "test")
            except PatchError:
                raise PatchError(f"testing value {path} failed: test failed", invalid=True) from None
            if not _json_equal(current, value):
                raise PatchError(f"testing value {path} failed: test failed", invalid=True)
    if not isinstance(result, dict):
        raise PatchError("the patched document is not a JSON object", invalid=True)
    return result


# --------------------------------------------------------------------------------------------
# Merge patch (RFC 7386).


def _merge(target: JSON, patch: JSON) -> JSON:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def apply_merge_patch(doc: dict[str, Any], patch: Any) -> dict[str, Any]:
    """RFC 7386: maps merge recursively, `null` deletes, everything else (lists too) replaces."""
    if not isinstance(patch, dict):
        raise PatchError("json: cannot unmarshal non-object into Go value of type map[string]interface {}")
    result = _merge(copy.deepcopy(doc), patch)
    assert isinstance(result, dict)
    return result


# --------------------------------------------------------------------------------------------
# Strategic merge patch.

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_ORDER_PREFIX: Final = "$setElementOrder/"
_DELETE_PRIMITIVE_PREFIX: Final = "$deleteFromPrimitiveList/"


def apply_strategic_merge_patch(
    doc: dict[str, Any], patch: Any, *, api_version: str, kind: str
) -> dict[str, Any]:
    """Apply a strategic merge patch with the merge keys upstream declares for `kind`."""
    if not isinstance(patch, dict):
        raise PatchError("unable to find api field in struct for the patch: patch is not a JSON object")
    schema = schema_for(api_version, kind)
    result = _smp_map(copy.deepcopy(doc), patch, "", schema)
    return result if isinstance(result, dict) else {}


def _smp_map(
    original: dict[str, Any], patch: dict[str, Any], path: str, schema: KindSchema
) -> dict[str, Any]:
    directive = patch.get(_DIRECTIVE)
    if directive is not None:
        if directive == "replace":
            replaced: dict[str, Any] = _strip_directives({k: v for k, v in patch.items() if k != _DIRECTIVE})
            return replaced
        if directive == "delete":
            return {}
        raise PatchError(
            f"unknown patch type: {go_format(directive)} in map: {go_format(patch)}", internal=True
        )
    retain = patch.get(_RETAIN_KEYS)
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError("invalid patch format of retainKeys")
        for key, value in patch.items():
            if not key.startswith("$") and value is not None and key not in retain:
                raise PatchError("invalid patch format of retainKeys")
        original = {k: v for k, v in original.items() if k in retain}
    # $deleteFromPrimitiveList/<field> runs before the merge of that field.
    for key, value in patch.items():
        if key.startswith(_DELETE_PRIMITIVE_PREFIX):
            field = key[len(_DELETE_PRIMITIVE_PREFIX) :]
            if not isinstance(value, list):
                raise PatchError("invalid patch: $deleteFromPrimitiveList must be a list")
            current = original.get(field)
            if isinstance(current, list):
                original[field] = [x for x in current if not any(_json_equal(x, d) for d in value)]
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        child = _join(path, key)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            # Maps merge key by key under SMP, even those SSA treats as atomic (Service selector).
            original[key] = _smp_map(current, value, child, schema)
        elif isinstance(value, list) and isinstance(current, list):
            order = patch.get(_ORDER_PREFIX + key)
            original[key] = _smp_list(current, value, child, schema, order)
        elif isinstance(value, list):
            original[key] = _smp_list([], value, child, schema, patch.get(_ORDER_PREFIX + key))
        elif isinstance(value, dict):
            merged = _smp_map({}, value, child, schema)
            original[key] = merged
        else:
            original[key] = value
    # A `$setElementOrder` for a list the patch does not touch still reorders it.
    for key, order in patch.items():
        if key.startswith(_ORDER_PREFIX):
            field = key[len(_ORDER_PREFIX) :]
            if field not in patch and isinstance(original.get(field), list):
                original[field] = _smp_list(original[field], [], _join(path, field), schema, order)
    return original


def go_format(value: Any) -> str:
    """A decoded JSON value as Go's `%v` prints it (maps with sorted keys, numbers as float64)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_float(float(value))
    return str(value)


def _go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form below 1e-4 and
    from 1e6 on (`1e+06`)."""
    if f == 0:
        return "0"
    sign = "-" if f < 0 else ""
    t = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(str(d) for d in t.digits)
    dp = len(digits) + int(t.exponent)
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _strip_directives(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value if not (isinstance(v, dict) and _DIRECTIVE in v)]
    return value


def _item_key(item: JSON, key: str) -> JSON:
    if not isinstance(item, dict) or key not in item:
        raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {key}", internal=True)
    return item[key]


def _smp_list(original: list[Any], patch: list[Any], path: str, schema: KindSchema, order: JSON) -> list[Any]:
    meta = schema.list_at(path)
    if not meta.smp_merge:
        # Replace semantics; a `{"$patch": "replace"}` marker item is tolerated.
        return [
            _strip_directives(v)
            for v in patch
            if not (isinstance(v, dict) and v.get(_DIRECTIVE) == "replace")
        ]
    if any(isinstance(v, dict) and v.get(_DIRECTIVE) == "replace" for v in patch):
        return [_strip_directives(v) for v in patch if not (isinstance(v, dict) and _DIRECTIVE in v)]
    key = meta.smp_key
    if key is None:
        merged = list(original)
        for v in patch:
            if isinstance(v, dict | list):
                raise PatchError("unable to merge a list of non-primitives without a merge key", invalid=True)
            if not any(_json_equal(v, x) for x in merged):
                merged.append(v)
        return _order_primitives(merged, original, order)
    merged = [copy.deepcopy(x) for x in original]
    for item in patch:
        if isinstance(item, dict) and _DIRECTIVE in item and item[_DIRECTIVE] != "delete":
            if item[_DIRECTIVE] == "merge":
                raise PatchError("merging lists cannot yet be specified in the patch", internal=True)
            raise PatchError(
                f"unknown patch type: {go_format(item[_DIRECTIVE])} in map: {go_format(item)}", internal=True
            )
        if isinstance(item, dict) and item.get(_DIRECTIVE) == "delete":
            if key not in item:
                raise PatchError("delete patch type with no merge key defined", internal=True)
            k = _item_key(item, key)
            merged = [x for x in merged if not (isinstance(x, dict) and _json_equal(x.get(key), k))]
            continue
        if not isinstance(item, dict):
            raise PatchError(
                f"map: {go_format(item)} does not contain declared merge key: {key}", internal=True
            )
        k = _item_key(item, key)
        for i, x in enumerate(merged):
            if isinstance(x, dict) and _json_equal(x.get(key), k):
                merged[i] = _smp_map(x, item, path, schema)
                break
        else:
            merged.append(_smp_map({}, item, path, schema))
    if isinstance(order, list):
        return _order_items(merged, original, order, key)
    return merged


def _order_items(merged: list[Any], original: list[Any], order: list[Any], key: str) -> list[Any]:
    """Apply `$setElementOrder`: patch-ordered items, with server-only items kept where they were."""
    wanted = [o.get(key) if isinstance(o, dict) else o for o in order]
    server_order = [x.get(key) for x in original if isinstance(x, dict)]

    def pos(seq: list[Any], k: Any) -> int:
        for i, s in enumerate(seq):
            if _json_equal(s, k):
                return i
        return -1

    right = sorted((x for x in merged if pos(wanted, x.get(key)) >= 0), key=lambda x: pos(wanted, x.get(key)))
    left = [x for x in merged if pos(wanted, x.get(key)) < 0]
    return _merge_sorted(left, right, lambda x: pos(server_order, x.get(key)))


def _order_primitives(merged: list[Any], original: list[Any], order: JSON) -> list[Any]:
    if not isinstance(order, list):
        return merged

    def pos(seq: list[Any], k: Any) -> int:
        for i, s in enumerate(seq):
            if _json_equal(s, k):
                return i
        return -1

    right = sorted((x for x in merged if pos(order, x) >= 0), key=lambda x: pos(order, x))
    left = [x for x in merged if pos(order, x) < 0]
    return _merge_sorted(left, right, lambda x: pos(original, x))


def _merge_sorted(left: list[Any], right: list[Any], server_pos: Any) -> list[Any]:
    # Server-only items (left) go before a patch item (right) only when both were on the server
    # and the server had them in that order; otherwise the patch item comes first.
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = server_pos(left[i]), server_pos(right[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out
