"""Unknown-field detection and pruning, driven by the TypedDicts of `kubesvc.api.types`.

kube-apiserver decodes request bodies into Go structs: fields the struct lacks are dropped and,
per `fieldValidation`, reported as `unknown field "spec.ports[0].nmae"` (Strict: 400, Warn:
a Warning header).  We walk the JSON document along the TypedDict declarations the same way;
`dict[str, X]` maps and `Any` are open, a kind without a declaration is not checked.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, Union, get_args, get_origin

from kubesvc.api.scheme import ResourceInfo

_KIND_TYPES = {
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
    name = _KIND_TYPES.get((info.api_version, info.kind))
    mod = _types_module()
    if name is None or mod is None:
        return None
    return getattr(mod, name, None)


def prune(obj: dict[str, Any], info: ResourceInfo) -> list[str]:
    """Remove unknown fields from `obj` (in place); return their paths in document order."""
    tp = root_type(info)
    if tp is None:
        return []
    out: list[str] = []
    _walk(obj, tp, "", out)
    return out


def _candidates(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        res: list[Any] = []
        for a in get_args(tp):
            res.extend(_candidates(a))
        return res
    return [tp]


def _walk(value: Any, tp: Any, path: str, out: list[str]) -> None:
    if tp is Any or value is None:
        return
    cands = _candidates(tp)
    if isinstance(value, dict):
        for c in cands:
            if _is_typeddict(c):
                hints = _hints(c)
                if not hints:
                    return
                for k in list(value.keys()):
                    child = f"{path}.{k}" if path else k
                    if k not in hints:
                        out.append(child)
                        del value[k]
                    else:
                        _walk(value[k], hints[k], child, out)
                return
            origin = get_origin(c)
            if origin is dict:
                args = get_args(c)
                vt = args[1] if len(args) == 2 else Any
                for k, v in value.items():
                    _walk(v, vt, f"{path}.{k}" if path else k, out)
                return
        return
    if isinstance(value, list):
        for c in cands:
            if get_origin(c) is list:
                args = get_args(c)
                et = args[0] if args else Any
                for i, v in enumerate(value):
                    _walk(v, et, f"{path}[{i}]", out)
                return
        return


__all__ = ["prune", "root_type"]
