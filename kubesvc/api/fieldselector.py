"""Field selectors: parsing, the per-kind supported fields, and matching against objects.

Behaviour of apimachinery's `pkg/fields` (selector.go) and of the field label conversion
functions and `GetAttrs`/`ToSelectableFields` of the kinds we serve:

- grammar: terms joined by unescaped ',', each `field=value`, `field==value` or
  `field!=value`; in values `\\`, `\\,` and `\\=` escape those characters;
- terms are sorted as strings before parsing, so rendering is canonical;
- a missing field reads as "" (so `spec.nodeName=` selects unscheduled pods);
- a field a kind does not support is a 400 with upstream's message: `field label not
  supported: X` for kinds with their own conversion function (Pod, Node, Event in both
  groups, Namespace, Service), and `"X" is not a known field selector: only "metadata.name",
  "metadata.namespace"` for the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


class FieldSelectorError(ValueError):
    """A selector that cannot be parsed or uses an unsupported field; `str()` is upstream's text."""


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=" or "!="  ("==" parses as "=")
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        have = fields.get(self.field, "")
        return have == self.value if self.operator == "=" else have != self.value

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def empty(self) -> bool:
        return not self.requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def requires_exact_match(self, field: str) -> str | None:
        for r in self.requirements:
            if r.field == field and r.operator == "=":
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for ch in value:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise FieldSelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            in_slash = False
            continue
        if ch == "\\":
            in_slash = True
        elif ch in ",=":
            # Go prints the rune with %v: its code point
            raise FieldSelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if in_slash:
        raise FieldSelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(selector: str) -> list[str]:
    if not selector:
        return []
    terms: list[str] = []
    start = 0
    escaped = False
    for i, ch in enumerate(selector):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return terms


_TERM_OPERATORS: Final = ("!=", "==", "=")


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in _TERM_OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def parse(selector: str) -> FieldSelector:
    """Parse `metadata.name=x,spec.nodeName!=` into a selector; raise FieldSelectorError."""
    reqs: list[FieldRequirement] = []
    for part in sorted(_split_terms(selector)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise FieldSelectorError(f"invalid selector: '{selector}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = unescape_value(rhs)
        reqs.append(FieldRequirement(lhs, "!=" if op == "!=" else "=", value))
    return FieldSelector(tuple(reqs))


def one_term_equal(field: str, value: str) -> FieldSelector:
    return FieldSelector((FieldRequirement(field, "=", value),))


# ---------------------------------------------------------------------------------------------
# per-kind supported fields

_META_NAMESPACED: Final = ("metadata.name", "metadata.namespace")

# (group, kind) -> labels its conversion function accepts; kinds absent use the default rule.
SUPPORTED_FIELDS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("", "Pod"): (
        *_META_NAMESPACED,
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    ),
    ("", "Node"): ("metadata.name", "spec.unschedulable"),
    ("", "Event"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
        *_META_NAMESPACED,
    ),
    ("", "Namespace"): ("status.phase", "metadata.name"),
    # events.k8s.io/v1 names map onto the core Event's fields (see _RENAMED)
    ("events.k8s.io", "Event"): ("reason", "source", "type", *_META_NAMESPACED),
    ("", "Service"): (*_META_NAMESPACED, "spec.clusterIP", "spec.type"),
}

# Old clients send spec.host for pods; events.k8s.io/v1 names its fields differently from the
# stored core Event.  The conversion functions rename them to the fields objects expose.
_RENAMED: Final = {
    ("", "Pod", "spec.host"): "spec.nodeName",
    **{
        ("events.k8s.io", "Event", f"regarding.{f}"): f"involvedObject.{f}"
        for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    },
    ("events.k8s.io", "Event", "reportingController"): "reportingComponent",
}


def _group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def convert_field_label(api_version: str, kind: str, label: str) -> str:
    """The label as the storage layer knows it; raise FieldSelectorError if the kind lacks it."""
    group = _group(api_version)
    renamed = _RENAMED.get((group, kind, label))
    if renamed:
        return renamed
    supported = SUPPORTED_FIELDS.get((group, kind))
    if supported is None:
        if label in _META_NAMESPACED:
            return label
        raise FieldSelectorError(
            f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'
        )
    if label not in supported:
        raise FieldSelectorError(f"field label not supported: {label}")
    return label


def convert_selector(selector: FieldSelector, api_version: str, kind: str) -> FieldSelector:
    """Check (and rename) every field of `selector` for the kind, as the apiserver does on list."""
    return FieldSelector(
        tuple(
            FieldRequirement(convert_field_label(api_version, kind, r.field), r.operator, r.value)
            for r in selector.requirements
        )
    )


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _bool(value: Any) -> str:
    return "true" if value is True else "false"


def selectable_fields(obj: Mapping[str, Any], *, namespaced: bool = True) -> dict[str, str]:
    """The fields a selector can test on `obj` (the kind's ToSelectableFields)."""
    meta = _m(obj.get("metadata"))
    fields: dict[str, str] = {"metadata.name": _s(meta.get("name"))}
    if namespaced:
        fields["metadata.namespace"] = _s(meta.get("namespace"))
    kind = _s(obj.get("kind"))
    group = _group(_s(obj.get("apiVersion")))
    spec, status = _m(obj.get("spec")), _m(obj.get("status"))
    if (group, kind) == ("", "Pod"):
        pod_ips = status.get("podIPs") or []
        first_ip = _s(_m(pod_ips[0]).get("ip")) if isinstance(pod_ips, list) and pod_ips else ""
        fields.update(
            {
                "spec.nodeName": _s(spec.get("nodeName")),
                "spec.restartPolicy": _s(spec.get("restartPolicy")),
                "spec.schedulerName": _s(spec.get("schedulerName")),
                "spec.serviceAccountName": _s(spec.get("serviceAccountName")),
                "spec.hostNetwork": _bool(spec.get("hostNetwork")),
                "status.phase": _s(status.get("phase")),
                # upstream indexes the first (primary) pod IP
                "status.podIP": first_ip or _s(status.get("podIP")),
                "status.nominatedNodeName": _s(status.get("nominatedNodeName")),
            }
        )
    elif (group, kind) == ("", "Node"):
        fields["spec.unschedulable"] = _bool(spec.get("unschedulable"))
    elif (group, kind) == ("", "Namespace"):
        fields["status.phase"] = _s(status.get("phase"))
    elif (group, kind) == ("", "Service"):
        fields["spec.clusterIP"] = _s(spec.get("clusterIP"))
        fields["spec.type"] = _s(spec.get("type"))
    elif kind == "Event" and group in ("", "events.k8s.io"):
        fields.update(_event_fields(obj, group))
    return fields


def _event_fields(obj: Mapping[str, Any], group: str) -> dict[str, str]:
    if group == "events.k8s.io":
        # the same stored object seen through events.k8s.io/v1 names
        ref = _m(obj.get("regarding"))
        source_component = _s(_m(obj.get("deprecatedSource")).get("component"))
        reporting = _s(obj.get("reportingController"))
    else:
        ref = _m(obj.get("involvedObject"))
        source_component = _s(_m(obj.get("source")).get("component"))
        reporting = _s(obj.get("reportingComponent"))
    return {
        "involvedObject.kind": _s(ref.get("kind")),
        "involvedObject.namespace": _s(ref.get("namespace")),
        "involvedObject.name": _s(ref.get("name")),
        "involvedObject.uid": _s(ref.get("uid")),
        "involvedObject.apiVersion": _s(ref.get("apiVersion")),
        "involvedObject.resourceVersion": _s(ref.get("resourceVersion")),
        "involvedObject.fieldPath": _s(ref.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingComponent": reporting,
        # events without a source are selected by their reporting controller
        "source": source_component or reporting,
        "type": _s(obj.get("type")),
    }


def matches_object(selector: FieldSelector, obj: Mapping[str, Any], *, namespaced: bool = True) -> bool:
    return selector.matches(selectable_fields(obj, namespaced=namespaced))
