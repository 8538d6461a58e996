"""Reading a JSON field as Go reads the struct field: a value of the wrong type is the zero value.

Validation runs on decoded dicts whose fields may be absent, null or mistyped; upstream sees
them through typed structs, where such a field is simply "", 0, nil or empty.  These readers
give every validator that view, so a mistyped field is reported by the rule that checks it
(e.g. "Required value") and never crashes a validator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else []


def as_map(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # decoded JSON: skip the (slow) abstract Mapping check
        return value
    return value if isinstance(value, Mapping) else {}
