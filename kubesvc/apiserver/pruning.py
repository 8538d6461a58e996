"""Unknown-field detection and pruning, driven by the TypedDicts of `kubesvc.api.types`.

kube-apiserver decodes request bodies into Go structs: fields the struct lacks are dropped and,
per `fieldValidation`, reported as `unknown field "spec.ports[0].nmae"` (Strict: 400, Warn:
a Warning header).  We walk the JSON document along the TypedDict declarations the same way;
`dict[str, X]` maps and `Any` are open, a kind without a declaration is not checked.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from kubesvc.api import quantity
from kubesvc.api.scheme import ResourceInfo
from kubesvc.api.wireorder import SERVED_KINDS

# (apiVersion, kind) -> the TypedDict of api/types.py describing it (also used by wireshape.py).
KIND_TYPES = SERVED_KINDS


def _types_module() -> Any:
    try:
        from kubesvc.api import types as api_types
    except Exception:  # pragma: no cover - model module absent or broken
        return None
    return api_types


@cache
def _hints(td: type) -> dict[str, Any]:
    mod = _types_module()
    try:
        return typing.get_type_hints(td, globalns=vars(mod) if mod else None)
    except Exception:  # pragma: no cover - unresolvable annotation: treat as open
        return {}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def root_type(info: ResourceInfo) -> Any:
    name = KIND_TYPES.get((info.api_version, info.kind))
    mod = _types_module()
    if name is None or mod is None:
        return None
    return getattr(mod, name, None)


@dataclass(slots=True)
class Spec:
    """What a JSON value may hold: an object with known `fields` (a TypedDict), a map with
    `values`, or a list with `items`.  None anywhere means "anything" (not checked)."""

    fields: dict[str, Spec | None] | None = None
    values: Spec | None = None
    items: Spec | None = None


@cache
def compiled(tp: Any) -> Spec | None:
    """The Spec of a type annotation (computed once per type)."""
    return _compile(tp, {})


def _compile(tp: Any, memo: dict[Any, Spec]) -> Spec | None:
    if tp is Any:
        return None
    spec = Spec()
    found = False
    for c in _candidates(tp):
        if _is_typeddict(c):
            if c in memo:
                return memo[c]
            memo[c] = spec
            hints = _hints(c)
            if not hints:
                return None
            spec.fields = {}
            for k, v in hints.items():
                spec.fields[k] = _compile(v, memo)
            found = True
        elif get_origin(c) is dict:
            args = get_args(c)
            spec.values = _compile(args[1], memo) if len(args) == 2 else None
            found = found or spec.values is not None
        elif get_origin(c) is list:
            args = get_args(c)
            spec.items = _compile(args[0], memo) if args else None
            found = found or spec.items is not None
    return spec if found else None


def prune(obj: dict[str, Any], info: ResourceInfo, *, sort: bool = False) -> list[str]:
    """Remove unknown fields from `obj` (in place); return their paths in document order, or
    with `sort` in the order of Go's JSON of a map (keys sorted at every level): the order
    upstream reports them for a YAML body (converted to JSON through a map) and for a patched
    object (re-encoded from a map)."""
    tp = root_type(info)
    if tp is None:
        return []
    out: list[str] = []
    _walk(obj, compiled(tp), "", out, sort)
    return out


def _candidates(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        res: list[Any] = []
        for a in get_args(tp):
            res.extend(_candidates(a))
        return res
    return [tp]


def _walk(value: Any, spec: Spec | None, path: str, out: list[str], sort: bool = False) -> None:
    if spec is None:
        return
    if isinstance(value, dict):
        fields = spec.fields
        if fields is not None:
            for k in sorted(value) if sort else list(value):
                if k not in fields:
                    out.append(f"{path}.{k}" if path else k)
                    del value[k]
                    continue
                child = value[k]
                sub = fields[k]
                if sub is not None and isinstance(child, dict | list):
                    _walk(child, sub, f"{path}.{k}" if path else k, out, sort)
        elif spec.values is not None:
            for k in sorted(value) if sort else list(value):
                v = value[k]
                if isinstance(v, dict | list):
                    _walk(v, spec.values, f"{path}.{k}" if path else k, out, sort)
    elif isinstance(value, list) and spec.items is not None:
        for i, v in enumerate(value):
            if isinstance(v, dict | list):
                _walk(v, spec.items, f"{path}[{i}]", out, sort)


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in document order, duplicates kept."""


def strict_problems(tree: Pairs, info: ResourceInfo) -> list[str]:
    """Duplicate and unknown fields of a pair tree, in document order, each once
    (`duplicate field "metadata.name"`, `unknown field "spec.prots"`)."""
    tp = root_type(info)
    out: list[str] = []
    _problems(tree, compiled(tp) if tp is not None else None, "", out)
    seen: set[str] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def _problems(value: Any, spec: Spec | None, path: str, out: list[str]) -> None:
    if isinstance(value, Pairs):
        fields = spec.fields if spec is not None else None
        seen: set[str] = set()
        for k, v in value:
            child = f"{path}.{k}" if path else k
            if fields is not None and k not in fields:
                out.append(f'unknown field "{child}"')
                continue
            if k in seen:
                out.append(f'duplicate field "{child}"')
            seen.add(k)
            if fields is not None:
                sub = fields[k]
            elif spec is not None:
                sub = spec.values
            else:
                sub = None
            _problems(v, sub, child, out)
    elif isinstance(value, list):
        items = spec.items if spec is not None else None
        for i, v in enumerate(value):
            _problems(v, items, f"{path}[{i}]", out)


def pairs_tree(body: bytes) -> Any:
    """A JSON document with every object as its `Pairs` (None when it is not valid JSON)."""
    try:
        return json.loads(body, object_pairs_hook=Pairs)
    except ValueError:
        return None


def patch_problems(body: bytes, *, json_patch: bool) -> list[str]:
    """What upstream's strict pass over a patch's own bytes finds, in document order: a merge
    or strategic-merge patch (decoded into a map) can only repeat keys
    (`duplicate field "spec.paused"`); the operations of a JSON patch (decoded into
    {op, path, from, value}) can also carry unknown keys, each prefixed `json patch `
    (`json patch unknown field "[0].foo"`, `json patch duplicate field "[1].path"`)."""
    tree = pairs_tree(body)
    out: list[str] = []
    if json_patch:
        if isinstance(tree, list):
            _problems(tree, _JSON_PATCH_OPS, "", out)
        return ["json patch " + p for p in out]
    if isinstance(tree, Pairs):
        _problems(tree, None, "", out)
    return out


# The fields of upstream's jsonPatchOp; `value` holds anything (its repeated keys still count).
_JSON_PATCH_OPS = Spec(items=Spec(fields={"op": None, "path": None, "from": None, "value": None}))


# -- Go's type checks (json: cannot unmarshal ...) ---------------------------------------------

# Integer fields that are int64 in the Go types (every other integer of our kinds is an int32).
_INT64_FIELDS = frozenset(
    {
        "generation",
        "deletionGracePeriodSeconds",
        "terminationGracePeriodSeconds",
        "activeDeadlineSeconds",
        "observedGeneration",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "supplementalGroups",
        "seconds",
        "tolerationSeconds",
        "expirationSeconds",
    }
)
# TypedDicts named otherwise than their Go struct.
_GO_NAMES = {"DiscoveryEndpointPort": "EndpointPort", "EventsV1Event": "Event"}


@dataclass(slots=True)
class TSpec:
    """A JSON value's Go type: `kind` is struct, map, list, string, bool, int32, int64 or
    float64; `go` its Go spelling (`v1.ServicePort`, `[]string`, `map[string]string`)."""

    kind: str
    go: str
    name: str = ""  # a struct's Go name
    fields: dict[str, TSpec | None] | None = None
    elem: TSpec | None = None


def _go_name(td: type) -> str:
    return _GO_NAMES.get(td.__name__, td.__name__)


@cache
def typed(tp: Any) -> TSpec | None:
    """The TSpec of a type annotation; None where any JSON value is accepted (Any, unions such
    as IntOrString and Quantity)."""
    return _tcompile(tp, "", {})


def _tcompile(tp: Any, field_name: str, memo: dict[Any, TSpec]) -> TSpec | None:
    cands = [c for c in _candidates(tp) if c is not type(None)]
    if set(cands) == {str, int, float}:
        return TSpec("quantity", "resource.Quantity")
    if len(cands) != 1:
        return None
    c = cands[0]
    origin = get_origin(c)
    if origin is Literal:
        return TSpec("string", "string")
    if c is str:
        return TSpec("string", "string")
    if c is bool:
        return TSpec("bool", "bool")
    if c is int:
        kind = "int64" if field_name in _INT64_FIELDS else "int32"
        return TSpec(kind, kind)
    if c is float:
        return TSpec("float64", "float64")
    if _is_typeddict(c):
        if c in memo:
            return memo[c]
        spec = TSpec("struct", "v1." + _go_name(c), _go_name(c))
        memo[c] = spec
        spec.fields = {k: _tcompile(v, k, memo) for k, v in _hints(c).items()}
        return spec
    if origin is list:
        args = get_args(c)
        elem = _tcompile(args[0], field_name, memo) if args else None
        return TSpec("list", "[]" + (elem.go if elem else "interface {}"), elem=elem)
    if origin is dict:
        args = get_args(c)
        elem = _tcompile(args[1], field_name, memo) if len(args) == 2 else None
        return TSpec("map", "map[string]" + (elem.go if elem else "interface {}"), elem=elem)
    return None


def _child(container: Any, key: Any, value: Any, spec: TSpec | None, path: str, struct: str) -> str | None:
    if spec is not None and spec.kind == "quantity":
        if value is None:
            return None
        try:
            container[key] = quantity.canonical(value)
        except quantity.QuantityError as exc:
            return str(exc)
        return None
    return _terr(value, spec, path, struct)


_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def type_error(obj: dict[str, Any], info: ResourceInfo) -> str | None:
    """The error Go's JSON decoder gives for the first value of the wrong JSON type in `obj`
    (`json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type
    string`), or None.  Unknown fields are not looked at (see prune).  Quantities are checked
    and rewritten in place in their canonical form (`0.5` -> `500m`), as decoding does."""
    tp = root_type(info)
    if tp is None:
        return None
    return _terr(obj, typed(tp), "", _go_name(tp))


def _terr(value: Any, spec: TSpec | None, path: str, struct: str) -> str | None:
    if spec is None or value is None:
        return None
    kind = spec.kind
    bad: str | None = None
    if kind == "struct":
        if not isinstance(value, dict):
            bad = _json_kind(value)
        else:
            fields = spec.fields or {}
            for k, v in value.items():
                if k in fields and v is not None:
                    err = _child(value, k, v, fields[k], f"{path}.{k}" if path else k, spec.name)
                    if err:
                        return err
            return None
    elif kind == "map":
        if not isinstance(value, dict):
            bad = _json_kind(value)
        else:
            for k, v in value.items():
                err = _child(value, k, v, spec.elem, path, struct)
                if err:
                    return err
            return None
    elif kind == "list":
        if not isinstance(value, list):
            bad = _json_kind(value)
        else:
            for i, v in enumerate(value):
                err = _child(value, i, v, spec.elem, path, struct)
                if err:
                    return err
            return None
    elif kind == "string":
        if not isinstance(value, str):
            bad = _json_kind(value)
    elif kind == "bool":
        if not isinstance(value, bool):
            bad = _json_kind(value)
    elif kind in _INT_RANGE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            bad = _json_kind(value)
        elif isinstance(value, float) or not (_INT_RANGE[kind][0] <= value <= _INT_RANGE[kind][1]):
            bad = f"number {value}"
    elif kind == "float64" and (isinstance(value, bool) or not isinstance(value, int | float)):
        bad = _json_kind(value)
    if bad is None:
        return None
    if not path:
        return f"json: cannot unmarshal {bad} into Go value of type {spec.go}"
    return f"json: cannot unmarshal {bad} into Go struct field {struct}.{path} of type {spec.go}"


__all__ = ["Pairs", "pairs_tree", "patch_problems", "prune", "root_type", "strict_problems", "type_error"]
