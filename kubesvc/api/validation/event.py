"""Validation of Events: core v1 and events.k8s.io/v1 (pkg/apis/core/validation/events.go).

Both API versions store the same object.  Events created through core v1 only get the
"legacy" checks, for compatibility with old clients: the namespace must agree with
`involvedObject.namespace`, and events that carry `eventTime` (the new style) need
reportingController/reportingInstance/action/reason within their length limits.  Events
created through events.k8s.io/v1 also get metadata validation and the new-style rules
(eventTime required, type Normal or Warning, deprecated fields unset, series).

Error paths name the internal fields (`involvedObject`, `message`, `source`, ...) for both
versions, as upstream's do; only the reporting controller is named per version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubesvc.api.fields import ErrorList, invalid, path, required
from kubesvc.api.validation.meta import (
    name_is_dns1123_subdomain,
    validate_immutable_field,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.names import is_dns1123_subdomain, validate_qualified_name
from kubesvc.api.validation.zerovalues import as_map, as_str

Obj = Mapping[str, Any]

REPORTING_INSTANCE_LENGTH_LIMIT: Final = 128
ACTION_LENGTH_LIMIT: Final = 128
REASON_LENGTH_LIMIT: Final = 128
NOTE_LENGTH_LIMIT: Final = 1024
EVENTS_V1: Final = "events.k8s.io/v1"


def _blen(value: str) -> int:
    return len(value.encode())


# internal field -> (its core/v1 name, its events.k8s.io/v1 name), for the fields renamed
_RENAMED: Final = {
    "involvedObject": ("involvedObject", "regarding"),
    "message": ("message", "note"),
    "source": ("source", "deprecatedSource"),
    "firstTimestamp": ("firstTimestamp", "deprecatedFirstTimestamp"),
    "lastTimestamp": ("lastTimestamp", "deprecatedLastTimestamp"),
    "count": ("count", "deprecatedCount"),
    "reportingController": ("reportingComponent", "reportingController"),
}


def internal_event(event: Obj) -> dict[str, Any]:
    """The event under internal field names, whichever API version it came in."""
    version = 1 if as_str(event.get("apiVersion")) == EVENTS_V1 else 0

    def get(name: str) -> Any:
        return event.get(_RENAMED[name][version] if name in _RENAMED else name)

    return {
        "metadata": as_map(get("metadata")),
        "involvedObject": as_map(get("involvedObject")),
        "reason": as_str(get("reason")),
        "message": as_str(get("message")),
        "source": as_map(get("source")),
        "firstTimestamp": get("firstTimestamp"),
        "lastTimestamp": get("lastTimestamp"),
        "count": get("count") or 0,
        "type": as_str(get("type")),
        "eventTime": get("eventTime"),
        "series": get("series"),
        "action": as_str(get("action")),
        "related": get("related"),
        "reportingController": as_str(get("reportingController")),
        "reportingInstance": as_str(get("reportingInstance")),
    }


def _legacy(ev: Mapping[str, Any], request_version: str) -> ErrorList:
    errs: ErrorList = []
    namespace = as_str(as_map(ev["metadata"]).get("namespace"))
    involved_ns = as_str(ev["involvedObject"].get("namespace"))
    reporting_field = "reportingComponent" if request_version == "v1" else "reportingController"
    ns_path = path("involvedObject", "namespace")
    if not ev["eventTime"]:
        # old-style events: the event lives in its object's namespace ("default" for cluster objects)
        if not involved_ns:
            if namespace not in ("", "default"):
                errs.append(invalid(ns_path, involved_ns, "does not match event.namespace"))
        elif namespace != involved_ns:
            errs.append(invalid(ns_path, involved_ns, "does not match event.namespace"))
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            errs.append(invalid(ns_path, involved_ns, "does not match event.namespace"))
        controller = ev["reportingController"]
        if not controller:
            errs.append(required(path(reporting_field), ""))
        errs.extend(validate_qualified_name(controller, path(reporting_field)))
        instance = ev["reportingInstance"]
        if not instance:
            errs.append(required(path("reportingInstance"), ""))
        if _blen(instance) > REPORTING_INSTANCE_LENGTH_LIMIT:
            errs.append(
                invalid(
                    path("reportingInstance"),
                    "",
                    f"can have at most {REPORTING_INSTANCE_LENGTH_LIMIT} characters",
                )
            )
        action = ev["action"]
        if not action:
            errs.append(required(path("action"), ""))
        if _blen(action) > ACTION_LENGTH_LIMIT:
            errs.append(invalid(path("action"), "", f"can have at most {ACTION_LENGTH_LIMIT} characters"))
        reason = ev["reason"]
        if not reason:
            errs.append(required(path("reason"), ""))
        if _blen(reason) > REASON_LENGTH_LIMIT:
            errs.append(invalid(path("reason"), "", f"can have at most {REASON_LENGTH_LIMIT} characters"))
        if _blen(ev["message"]) > NOTE_LENGTH_LIMIT:
            errs.append(invalid(path("message"), "", f"can have at most {NOTE_LENGTH_LIMIT} characters"))
    errs.extend(invalid(path("namespace"), namespace, m) for m in is_dns1123_subdomain(namespace))
    return errs


def _series(ev: Mapping[str, Any]) -> ErrorList:
    series = ev["series"]
    if not isinstance(series, Mapping):
        return []
    errs: ErrorList = []
    count = series.get("count")
    if not isinstance(count, int) or count < 2:
        errs.append(invalid(path("series.count"), "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        errs.append(required(path("series.lastObservedTime"), ""))
    return errs


def validate_event(event: Obj) -> ErrorList:
    request_version = as_str(event.get("apiVersion")) or "v1"
    ev = internal_event(event)
    errs = _legacy(ev, request_version)
    if request_version != EVENTS_V1:
        return errs  # core v1: nothing more, for old clients' sake
    errs.extend(validate_object_meta(ev["metadata"], namespaced=True, name_fn=name_is_dns1123_subdomain))
    errs.extend(_series(ev))
    if not ev["eventTime"]:
        errs.append(required(path("eventTime"), ""))
    if ev["type"] not in ("Normal", "Warning"):
        errs.append(invalid(path("type"), "", f"has invalid value: {ev['type']}"))
    if ev["firstTimestamp"]:
        errs.append(invalid(path("firstTimestamp"), "", "needs to be unset"))
    if ev["lastTimestamp"]:
        errs.append(invalid(path("lastTimestamp"), "", "needs to be unset"))
    if ev["count"]:
        errs.append(invalid(path("count"), "", "needs to be unset"))
    source = ev["source"]
    if as_str(source.get("component")) or as_str(source.get("host")):
        errs.append(invalid(path("source"), "", "needs to be unset"))
    return errs


def _micro(value: Any) -> str:
    """A MicroTime truncated to microseconds (sub-microsecond changes are tolerated)."""
    text = as_str(value)
    if "." not in text:
        return text
    head, _, frac = text.partition(".")
    digits = "".join(ch for ch in frac if ch.isdigit())
    zone = frac[len(digits) :]
    return f"{head}.{digits[:6].ljust(6, '0')}{zone}"


def validate_event_update(new: Obj, old: Obj) -> ErrorList:
    request_version = as_str(new.get("apiVersion")) or "v1"
    ev, before = internal_event(new), internal_event(old)
    errs = _legacy(ev, request_version)
    if request_version != EVENTS_V1:
        return errs
    errs.extend(validate_object_meta_update(ev["metadata"], before["metadata"]))
    for key in (
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "count",
        "reason",
        "type",
    ):
        errs.extend(validate_immutable_field(ev[key], before[key], path(key)))
    if _micro(ev["eventTime"]) != _micro(before["eventTime"]):
        errs.extend(validate_immutable_field(ev["eventTime"], before["eventTime"], path("eventTime")))
    for key in ("action", "related", "reportingController", "reportingInstance"):
        errs.extend(validate_immutable_field(ev[key], before[key], path(key)))
    errs.extend(_series(ev))
    return errs
