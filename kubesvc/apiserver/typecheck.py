"""Whether a JSON-shaped object fits its kind's Go types, as apimachinery's unstructured
converter (`runtime.DefaultUnstructuredConverter.FromUnstructured`) finds out when a strategic
merge patch's result is turned back into the typed object.  Only the container mismatches are
checked (a struct, map or slice given a value of another JSON kind), with the converter's
words: "cannot restore map from string", "cannot restore slice from map",
"cannot restore struct from: string".  Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from kubesvc.api.scheme import ResourceInfo
from kubesvc.apiserver.wireshape import Shape, root_shape


def _go_kind(value: Any) -> str:
    """The reflect.Kind an unstructured value decodes to."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "slice"
    return "string"


def _check(value: Any, shape: Shape) -> str | None:
    if value is None or shape.open:
        return None
    if shape.name:
        if not isinstance(value, dict):
            return f"cannot restore struct from: {_go_kind(value)}"
        for key, item in value.items():
            sub = shape.fields.get(key)
            if sub is not None and (err := _check(item, sub)):
                return err
        return None
    if shape.is_map:
        if not isinstance(value, dict):
            return f"cannot restore map from {_go_kind(value)}"
        if shape.values is not None:
            for item in value.values():
                if err := _check(item, shape.values):
                    return err
        return None
    if shape.is_list:
        if not isinstance(value, list):
            return f"cannot restore slice from {_go_kind(value)}"
        if shape.items is not None:
            for item in value:
                if err := _check(item, shape.items):
                    return err
    return None


def unstructured_error(obj: dict[str, Any], info: ResourceInfo) -> str | None:
    """The converter's error for `obj` as a `info.kind`, or None when it fits."""
    shape = root_shape(info.api_version, info.kind)
    return None if shape is None else _check(obj, shape)


__all__ = ["unstructured_error"]
