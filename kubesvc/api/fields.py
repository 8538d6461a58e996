"""Field paths and field errors, rendered exactly as apimachinery's `field` package renders them.

A validator returns a list of `FieldError`; the API turns such a list into a 422 `Status`
(see `errors.invalid`).  `FieldError.message()` is the cause message, `str(err)` the full line
(`spec.ports[0].name: Invalid value: "my_port": a lowercase RFC 1123 label must ...`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final


class ErrorType(enum.Enum):
    """The field error types with their `reason` (cause type) and their text."""

    NOT_FOUND = ("FieldValueNotFound", "Not found")
    REQUIRED = ("FieldValueRequired", "Required value")
    DUPLICATE = ("FieldValueDuplicate", "Duplicate value")
    INVALID = ("FieldValueInvalid", "Invalid value")
    NOT_SUPPORTED = ("FieldValueNotSupported", "Unsupported value")
    FORBIDDEN = ("FieldValueForbidden", "Forbidden")
    TOO_LONG = ("FieldValueTooLong", "Too long")
    TOO_MANY = ("FieldValueTooMany", "Too many")
    INTERNAL = ("InternalError", "Internal error")
    TYPE_INVALID = ("FieldValueTypeInvalid", "Invalid value")

    @property
    def reason(self) -> str:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]


class _Omit:
    """Marks an error whose value is not printed."""

    def __repr__(self) -> str:
        return "<omitted>"


OMIT: Final = _Omit()

# Types whose value apimachinery never prints.
_VALUELESS = {ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG, ErrorType.INTERNAL}


@dataclass(frozen=True)
class FieldPath:
    """An immutable path such as `spec.ports[1].name`; build it with `child`, `index`, `key`."""

    text: str = ""

    def child(self, name: str, *more: str) -> FieldPath:
        path = self.text
        if not more:  # the usual call: one step, answered from the cache of built paths
            key = (path, name)
            found = _CHILDREN.get(key)
            if found is None:
                if len(_CHILDREN) >= _CHILDREN_MAX:
                    _CHILDREN.clear()
                found = _CHILDREN[key] = FieldPath(f"{path}.{name}" if path else name)
            return found
        for part in (name, *more):
            path = f"{path}.{part}" if path else part
        return FieldPath(path)

    def index(self, i: int) -> FieldPath:
        return FieldPath(f"{self.text}[{i}]")

    def key(self, k: str) -> FieldPath:
        return FieldPath(f"{self.text}[{k}]")

    def __str__(self) -> str:
        return self.text


ROOT: Final = FieldPath()

# Paths are immutable, and validators build the same few (`metadata.labels`, `spec.ports`, ...)
# for every object they check: (parent text, name) -> the child, bounded.
_CHILDREN: dict[tuple[str, str], FieldPath] = {}
_CHILDREN_MAX: Final = 4096


def path(*parts: str) -> FieldPath:
    """`path("spec", "ports")` is `spec.ports`."""
    return ROOT.child(*parts) if parts else ROOT


def _go_value(value: Any) -> str:
    """Print a bad value the way Go's fmt prints it in a field error."""
    if value is None:
        return '"null"'  # apimachinery turns a nil value into the string "null", then quotes it
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        if all(isinstance(v, str) for v in value):
            return "[]string{" + ", ".join(_go_quote(v) for v in value) + "}"
        return "[]interface {}{" + ", ".join(_go_value(v) for v in value) + "}"
    if isinstance(value, dict):
        items = ", ".join(f"{_go_quote(str(k))}:{_go_value(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + items + "}"
    return str(value)


def _go_quote(s: str) -> str:
    """Go's %q for the strings we meet (printable ASCII and UTF-8)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@dataclass(frozen=True)
class FieldError:
    type: ErrorType
    field: str
    value: Any = OMIT
    detail: str = ""

    def message(self) -> str:
        """The error without its field: apimachinery's `ErrorBody`."""
        if self.type in _VALUELESS or self.value is OMIT:
            body = self.type.text
        else:
            body = f"{self.type.text}: {_go_value(self.value)}"
        if self.detail:
            body += f": {self.detail}"
        return body

    def __str__(self) -> str:
        return f"{self.field}: {self.message()}" if self.field else self.message()


ErrorList = list[FieldError]


def _p(p: FieldPath | str) -> str:
    return str(p)


def required(p: FieldPath | str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, _p(p), OMIT, detail)


def invalid(p: FieldPath | str, value: Any, detail: str = "") -> FieldError:
    return FieldError(ErrorType.INVALID, _p(p), value, detail)


def not_supported(p: FieldPath | str, value: Any, valid: Iterable[str] | None = None) -> FieldError:
    detail = ""
    if valid is not None:
        detail = "supported values: " + ", ".join(_go_quote(v) for v in valid)
    return FieldError(ErrorType.NOT_SUPPORTED, _p(p), value, detail)


def duplicate(p: FieldPath | str, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, _p(p), value)


def forbidden(p: FieldPath | str, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, _p(p), OMIT, detail)


def not_found(p: FieldPath | str, value: Any) -> FieldError:
    return FieldError(ErrorType.NOT_FOUND, _p(p), value)


def too_long(p: FieldPath | str, value: Any, max_length: int) -> FieldError:
    detail = f"may not be more than {max_length} bytes" if max_length >= 0 else "value is too long"
    return FieldError(ErrorType.TOO_LONG, _p(p), value, detail)


def too_many(p: FieldPath | str, actual: int, max_quantity: int) -> FieldError:
    value: Any = actual if actual >= 0 else OMIT
    return FieldError(ErrorType.TOO_MANY, _p(p), value, f"must have at most {max_quantity} items")


def internal(p: FieldPath | str, err: str) -> FieldError:
    return FieldError(ErrorType.INTERNAL, _p(p), OMIT, err)


def aggregate_message(errors: Sequence[FieldError]) -> str:
    """apimachinery's aggregate: one message alone, several as `[a, b]`, duplicates dropped."""
    seen: list[str] = []
    for e in errors:
        s = str(e)
        if s not in seen:
            seen.append(s)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"
