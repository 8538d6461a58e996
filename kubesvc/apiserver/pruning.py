"""Unknown-field detection and pruning, driven by the TypedDicts of `kubesvc.api.types`.

kube-apiserver decodes request bodies into Go structs: fields the struct lacks are dropped and,
per `fieldValidation`, reported as `unknown field "spec.ports[0].nmae"` (Strict: 400, Warn:
a Warning header).  We walk the JSON document along the TypedDict declarations the same way;
`dict[str, X]` maps and `Any` are open, a kind without a declaration is not checked.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Union, get_args, get_origin

from kubesvc.api.scheme import ResourceInfo

# (apiVersion, kind) -> the TypedDict of api/types.py describing it (also used by wireshape.py).
KIND_TYPES = {
    ("v1", "Service"): "Service",
    ("v1", "Pod"): "Pod",
    ("v1", "Node"): "Node",
    ("v1", "Namespace"): "Namespace",
    ("v1", "Endpoints"): "Endpoints",
    ("v1", "Event"): "Event",
    ("discovery.k8s.io/v1", "EndpointSlice"): "EndpointSlice",
    ("events.k8s.io/v1", "Event"): "EventsV1Event",
    ("coordination.k8s.io/v1", "Lease"): "Lease",
}


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


def prune(obj: dict[str, Any], info: ResourceInfo) -> list[str]:
    """Remove unknown fields from `obj` (in place); return their paths in document order."""
    tp = root_type(info)
    if tp is None:
        return []
    out: list[str] = []
    _walk(obj, compiled(tp), "", out)
    return out


def _candidates(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        res: list[Any] = []
        for a in get_args(tp):
            res.extend(_candidates(a))
        return res
    return [tp]


def _walk(value: Any, spec: Spec | None, path: str, out: list[str]) -> None:
    if spec is None:
        return
    if isinstance(value, dict):
        fields = spec.fields
        if fields is not None:
            for k in list(value):
                if k not in fields:
                    out.append(f"{path}.{k}" if path else k)
                    del value[k]
                    continue
                child = value[k]
                sub = fields[k]
                if sub is not None and isinstance(child, dict | list):
                    _walk(child, sub, f"{path}.{k}" if path else k, out)
        elif spec.values is not None:
            for k, v in value.items():
                if isinstance(v, dict | list):
                    _walk(v, spec.values, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list) and spec.items is not None:
        for i, v in enumerate(value):
            if isinstance(v, dict | list):
                _walk(v, spec.items, f"{path}[{i}]", out)


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


__all__ = ["Pairs", "prune", "root_type", "strict_problems"]
