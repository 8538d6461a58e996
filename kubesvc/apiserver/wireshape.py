"""The shape kube-apiserver's Go structs give a JSON body: what decoding and re-encoding change.

kube-apiserver decodes every body into Go structs and encodes what it stores and returns from
them, so a field's Go declaration decides what a client reads back:

* an `omitempty` string, number, bool, slice or map that is empty is not written: `labels: {}`,
  `externalIPs: []`, `externalName: ""`, `nodePort: 0` vanish; so does `null` (a nil pointer);
* a pointer keeps its zero value (`allocateLoadBalancerNodePorts: false`, an EndpointSlice port
  `name: ""`), and so does a field without `omitempty` (`port: 0`, `reportingInstance: ""`);
* a struct that is not a pointer is always written (`spec: {}` of a Lease), and a zero
  `metav1.Time`/`MicroTime` that is not a pointer is written as `null` (`lastProbeTime: null`);
* `metav1.Time` is parsed as RFC 3339 and written in UTC at second precision
  (`2024-01-02T03:04:05Z`); `metav1.MicroTime` must carry exactly six fractional digits and is
  written in UTC with six (`2024-01-02T03:04:05.123456Z`).  A value that does not parse is a
  400 with Go's `time.Parse` message.

`reshape(obj, info)` applies those rules in place to a decoded body of one of the served kinds,
walking it along the TypedDicts of `kubesvc.api.types`; this table says, per Go struct, which
fields are pointers or lack `omitempty` (the exceptions), which hold times, and which Go always
writes.  Pure: no I/O.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Union, get_args, get_origin

from kubesvc.api import errors
from kubesvc.api.scheme import ResourceInfo
from kubesvc.api.wireorder import ORDER
from kubesvc.apiserver.pruning import KIND_TYPES

# -- per-struct rules ---------------------------------------------------------------------------

KEEP = "keep"  # a pointer, or no omitempty: zero values stay
SKIP = "skip"  # left exactly as sent (owned by other code, e.g. managedFields)
TIME = "time"  # *metav1.Time: reformatted; null dropped
TIME_V = "time!"  # metav1.Time (not a pointer): reformatted; null stays null
MICRO = "micro"  # *metav1.MicroTime
MICRO_V = "micro!"  # metav1.MicroTime (not a pointer)

# NodeSystemInfo's strings: no omitempty (Go always writes them), kept when sent; its one
# pointer field, `swap`, is not among them.
_NODE_INFO_STRINGS = tuple(k for k in ORDER["NodeSystemInfo"] if k != "swap")

RULES: dict[str, dict[str, str]] = {
    "ObjectMeta": {
        "creationTimestamp": TIME,
        "deletionTimestamp": TIME,
        "deletionGracePeriodSeconds": KEEP,
        "managedFields": SKIP,
    },
    "OwnerReference": {
        "apiVersion": KEEP,
        "kind": KEEP,
        "name": KEEP,
        "uid": KEEP,
        "controller": KEEP,
        "blockOwnerDeletion": KEEP,
    },
    "LabelSelectorRequirement": {"key": KEEP, "operator": KEEP},
    "Condition": {
        "type": KEEP,
        "status": KEEP,
        "lastTransitionTime": TIME_V,
        "reason": KEEP,
        "message": KEEP,
    },
    "ServicePort": {"port": KEEP, "targetPort": KEEP, "appProtocol": KEEP},
    "ClientIPConfig": {"timeoutSeconds": KEEP},
    "ServiceSpec": {
        "ipFamilyPolicy": KEEP,
        "allocateLoadBalancerNodePorts": KEEP,
        "loadBalancerClass": KEEP,
        "internalTrafficPolicy": KEEP,
        "trafficDistribution": KEEP,
    },
    "PortStatus": {"port": KEEP, "protocol": KEEP, "error": KEEP},
    "LoadBalancerIngress": {"ipMode": KEEP},
    # Pods: only what is not an omitempty value type.
    "ObjectFieldSelector": {"fieldPath": KEEP},
    "ResourceFieldSelector": {"resource": KEEP},
    "ConfigMapKeySelector": {"key": KEEP, "optional": KEEP},
    "SecretKeySelector": {"key": KEEP, "optional": KEEP},
    "EnvVar": {"name": KEEP},
    "ContainerPort": {"containerPort": KEEP},
    "HTTPHeader": {"name": KEEP, "value": KEEP},
    "HTTPGetAction": {"port": KEEP},
    "TCPSocketAction": {"port": KEEP},
    "GRPCAction": {"port": KEEP, "service": KEEP},
    "SleepAction": {"seconds": KEEP},
    "Probe": {"terminationGracePeriodSeconds": KEEP},
    "Lifecycle": {"stopSignal": KEEP},
    "Container": {"name": KEEP},
    "EphemeralContainer": {"name": KEEP},
    "PodReadinessGate": {"conditionType": KEEP},
    "PodSecurityContext": {
        "runAsUser": KEEP,
        "runAsGroup": KEEP,
        "runAsNonRoot": KEEP,
        "fsGroup": KEEP,
        "fsGroupChangePolicy": KEEP,
        "supplementalGroupsPolicy": KEEP,
        "seLinuxChangePolicy": KEEP,
    },
    "Toleration": {"tolerationSeconds": KEEP},
    "PodSpec": {
        "containers": KEEP,
        "terminationGracePeriodSeconds": KEEP,
        "activeDeadlineSeconds": KEEP,
        "automountServiceAccountToken": KEEP,
        "shareProcessNamespace": KEEP,
        "priority": KEEP,
        "enableServiceLinks": KEEP,
        "preemptionPolicy": KEEP,
        "runtimeClassName": KEEP,
        "setHostnameAsFQDN": KEEP,
        "hostUsers": KEEP,
        "hostnameOverride": KEEP,
    },
    "PodCondition": {
        "type": KEEP,
        "status": KEEP,
        "lastProbeTime": TIME_V,
        "lastTransitionTime": TIME_V,
    },
    "PodIP": {"ip": KEEP},
    "HostIP": {"ip": KEEP},
    "ContainerStateRunning": {"startedAt": TIME_V},
    "ContainerStateTerminated": {"exitCode": KEEP, "startedAt": TIME_V, "finishedAt": TIME_V},
    "ContainerStatus": {
        "name": KEEP,
        "ready": KEEP,
        "restartCount": KEEP,
        "image": KEEP,
        "imageID": KEEP,
        "started": KEEP,
        "stopSignal": KEEP,
    },
    "PodStatus": {"startTime": TIME},
    # Nodes
    "Taint": {"key": KEEP, "effect": KEEP, "timeAdded": TIME},
    "NodeAddress": {"type": KEEP, "address": KEEP},
    "NodeCondition": {
        "type": KEEP,
        "status": KEEP,
        "lastHeartbeatTime": TIME_V,
        "lastTransitionTime": TIME_V,
    },
    "DaemonEndpoint": {"Port": KEEP},
    "NodeSystemInfo": {**{k: KEEP for k in _NODE_INFO_STRINGS}, "swap": KEEP},
    # Namespaces
    "NamespaceCondition": {"type": KEEP, "status": KEEP, "lastTransitionTime": TIME_V},
    # Endpoints and EndpointSlices
    "EndpointAddress": {"ip": KEEP, "nodeName": KEEP},
    "EndpointPort": {"port": KEEP, "appProtocol": KEEP},
    "EndpointSlice": {"addressType": KEEP, "endpoints": KEEP, "ports": KEEP},
    "EndpointConditions": {"ready": KEEP, "serving": KEEP, "terminating": KEEP},
    "ForZone": {"name": KEEP},
    "ForNode": {"name": KEEP},
    "Endpoint": {"addresses": KEEP, "hostname": KEEP, "nodeName": KEEP, "zone": KEEP},
    "DiscoveryEndpointPort": {"name": KEEP, "protocol": KEEP, "port": KEEP, "appProtocol": KEEP},
    # Events (core/v1 EventSeries is omitempty, events.k8s.io/v1's is not: keep both as sent)
    "EventSeries": {"count": KEEP, "lastObservedTime": MICRO_V},
    "Event": {
        "firstTimestamp": TIME_V,
        "lastTimestamp": TIME_V,
        "eventTime": MICRO_V,
        "reportingComponent": KEEP,
        "reportingInstance": KEEP,
    },
    "EventsV1Event": {
        "eventTime": MICRO_V,
        "deprecatedFirstTimestamp": TIME_V,
        "deprecatedLastTimestamp": TIME_V,
    },
    # Leases: every spec field is a pointer.
    "LeaseSpec": {
        "holderIdentity": KEEP,
        "leaseDurationSeconds": KEEP,
        "acquireTime": MICRO,
        "renewTime": MICRO,
        "leaseTransitions": KEEP,
        "strategy": KEEP,
        "preferredHolder": KEEP,
    },
}

# What Go writes even when the body left it out: structs that are not pointers, fields without
# omitempty.  Only where a user reads it back (`kubectl get -o yaml`); the rest is defaulting's.
ALWAYS: dict[str, dict[str, Any]] = {
    "Lease": {"spec": {}},
    "Node": {"spec": {}, "status": {}},
    "NodeStatus": {"daemonEndpoints": {}, "nodeInfo": {}},
    "NodeDaemonEndpoints": {"kubeletEndpoint": {}},
    "DaemonEndpoint": {"Port": 0},
    "NodeSystemInfo": dict.fromkeys(_NODE_INFO_STRINGS, ""),
    "Event": {
        "involvedObject": {},
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    },
    "EventsV1Event": {
        "eventTime": None,
        "regarding": {},
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    },
    "PodCondition": {"lastProbeTime": None, "lastTransitionTime": None},
    "NodeCondition": {"lastHeartbeatTime": None, "lastTransitionTime": None},
}

_ROOTS = KIND_TYPES

# The zero value of each served kind past its metadata, as Go writes it: structs that are not
# pointers ({}), zero times (null), nil slices without omitempty (null), strings without
# omitempty ("") -- for Events and Leases exactly what ALWAYS keeps of them.  A watch BOOKMARK is such an empty object with only its resourceVersion set
# (`{"kind":"Pod",...,"spec":{"containers":null},"status":{}}`).
ZERO_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("v1", "Service"): {"spec": {}, "status": {"loadBalancer": {}}},
    ("v1", "Pod"): {"spec": {"containers": None}, "status": {}},
    ("v1", "Node"): {
        "spec": {},
        "status": {
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
            "nodeInfo": dict.fromkeys(_NODE_INFO_STRINGS, ""),
        },
    },
    ("v1", "Namespace"): {"spec": {}, "status": {}},
    ("v1", "Endpoints"): {},
    ("v1", "Event"): ALWAYS["Event"],
    ("discovery.k8s.io/v1", "EndpointSlice"): {"addressType": "", "endpoints": None, "ports": None},
    ("events.k8s.io/v1", "Event"): ALWAYS["EventsV1Event"],
    ("coordination.k8s.io/v1", "Lease"): ALWAYS["Lease"],
}


def zero_body(api_version: str, kind: str) -> dict[str, Any]:
    """A fresh copy of `ZERO_BODIES[(api_version, kind)]` ({} for another kind)."""
    return copy.deepcopy(ZERO_BODIES.get((api_version, kind), {}))


# -- the struct tree, from the TypedDicts -------------------------------------------------------


@dataclass(slots=True)
class Shape:
    """A JSON value's Go type: a struct (`name` + `fields`), a map of `values`, a list of
    `items`, or a scalar (nothing set).  `open` marks `Any`: never touched."""

    name: str = ""
    fields: dict[str, Shape] = field(default_factory=dict)
    values: Shape | None = None
    items: Shape | None = None
    is_map: bool = False
    is_list: bool = False
    open: bool = False


_OPEN = Shape(open=True)


def _types_module() -> Any:
    from kubesvc.api import types as api_types

    return api_types


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def _candidates(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for a in get_args(tp):
            out.extend(_candidates(a))
        return out
    return [tp]


def _shape(tp: Any, memo: dict[Any, Shape]) -> Shape:
    cands = [c for c in _candidates(tp) if c is not type(None)]
    for c in cands:
        if _is_typeddict(c):
            if c in memo:
                return memo[c]
            sh = Shape(name=c.__name__)
            memo[c] = sh
            hints = typing.get_type_hints(c, globalns=vars(_types_module()))
            for k, v in hints.items():
                sh.fields[k] = _shape(v, memo)
            return sh
        if get_origin(c) is dict:
            args = get_args(c)
            return Shape(is_map=True, values=_shape(args[1], memo) if len(args) == 2 else _OPEN)
        if get_origin(c) is list:
            args = get_args(c)
            return Shape(is_list=True, items=_shape(args[0], memo) if args else _OPEN)
        if c is Any:
            return _OPEN
    return Shape()  # a scalar (str, int, bool, or a union of them)


@cache
def root_shape(api_version: str, kind: str) -> Shape | None:
    name = _ROOTS.get((api_version, kind))
    if name is None:
        return None
    tp = getattr(_types_module(), name, None)
    return _shape(tp, {}) if tp is not None else None


# -- times ---------------------------------------------------------------------------------------

RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"


class TimeParseError(ValueError):
    """Go's `*time.ParseError` text."""


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cannot(value: str, layout: str, value_elem: str, layout_elem: str) -> TimeParseError:
    return TimeParseError(
        f"parsing time {_go_quote(value)} as {_go_quote(layout)}: "
        f"cannot parse {_go_quote(value_elem)} as {_go_quote(layout_elem)}"
    )


def _out_of_range(value: str, what: str) -> TimeParseError:
    return TimeParseError(f"parsing time {_go_quote(value)}: {what} out of range")


_DIGITS = re.compile(r"\d+")


def parse_time(value: str, *, micro: bool) -> dt.datetime:
    """Parse as Go's `time.Parse(RFC3339[Micro], value)` does, with its error messages."""
    layout = RFC3339_MICRO if micro else RFC3339
    rest = value
    parts: dict[str, int] = {}
    # (layout element, separator that follows it in the layout, width)
    for elem, sep, width in (
        ("2006", "-", 4),
        ("01", "-", 2),
        ("02", "T", 2),
        ("15", ":", 2),
        ("04", ":", 2),
        ("05", "", 2),
    ):
        if elem == "15" and rest[:1].isdigit() and not rest[1:2].isdigit():
            width = 1  # Go reads the hour with one digit or two
        if len(rest) < width or not rest[:width].isdigit():
            raise _cannot(value, layout, rest, elem)
        parts[elem] = int(rest[:width])
        rest = rest[width:]
        for what, key, limit in (
            ("month", "01", 12),
            ("hour", "15", 23),
            ("minute", "04", 59),
            ("second", "05", 59),
        ):
            if elem == key and not (1 if key == "01" else 0) <= parts[elem] <= limit:
                raise _out_of_range(value, what)
        if sep:
            if not rest.startswith(sep):
                raise _cannot(value, layout, rest, sep)
            rest = rest[1:]
    micros = 0
    if micro:
        if len(rest) < 7 or rest[0] not in ".," or not rest[1:7].isdigit():
            raise _cannot(value, layout, rest, ".000000")
        micros = int(rest[1:7])
        rest = rest[7:]
    elif len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit():
        m = _DIGITS.match(rest, 1)
        assert m is not None
        frac = m.group(0)
        micros = int((frac + "000000")[:6])
        rest = rest[m.end() :]
    if rest.startswith("Z"):
        tz: dt.tzinfo = dt.UTC
        tail = rest[1:]
    elif (
        len(rest) >= 6 and rest[0] in "+-" and rest[1:3].isdigit() and rest[3] == ":" and rest[4:6].isdigit()
    ):
        hours, minutes = int(rest[1:3]), int(rest[4:6])
        if hours > 24:
            raise _out_of_range(value, "time zone offset hour")
        if minutes > 60:
            raise _out_of_range(value, "time zone offset minute")
        offset = dt.timedelta(hours=hours, minutes=minutes)
        tz = dt.timezone(offset if rest[0] == "+" else -offset)
        tail = rest[6:]
    else:
        raise _cannot(value, layout, rest, "Z07:00")
    if tail:
        raise TimeParseError(f"parsing time {_go_quote(value)}: extra text: {_go_quote(tail)}")
    try:
        return dt.datetime(
            parts["2006"], parts["01"], parts["02"], parts["15"], parts["04"], parts["05"], micros, tzinfo=tz
        )
    except ValueError:
        raise _out_of_range(value, "day") from None


def format_time(t: dt.datetime, *, micro: bool) -> str:
    u = t.astimezone(dt.UTC)
    base = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    return f"{base}.{u.microsecond:06d}Z" if micro else f"{base}Z"


def normalize_time(value: Any, *, micro: bool) -> str:
    if not isinstance(value, str):
        raise TimeParseError(f"json: cannot unmarshal {_json_kind(value)} into Go value of type string")
    return format_time(parse_time(value, micro=micro), micro=micro)


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "string"


# -- the walk ------------------------------------------------------------------------------------


def reshape(obj: dict[str, Any], info: ResourceInfo) -> None:
    """Give `obj` (a decoded body of `info`'s kind, unknown fields already pruned) the shape Go
    would; raise a 400 `StatusError` for a time that does not parse."""
    shape = root_shape(info.api_version, info.kind)
    if shape is None:
        return
    try:
        _struct(obj, shape)
    except TimeParseError as exc:
        version = info.api_version.rsplit("/", 1)[-1]
        raise errors.bad_request(
            f'{info.kind} in version "{version}" cannot be handled as a {info.kind}: {exc}'
        ) from None


def _empty(value: Any, shape: Shape) -> bool:
    if value is None:
        return True
    if shape.is_map or shape.is_list:
        return isinstance(value, dict | list) and not value
    if shape.name or shape.open:
        return False  # a struct is written even when empty
    return value == "" or value is False or (type(value) is int and value == 0)


def _struct(obj: dict[str, Any], shape: Shape) -> None:
    rules = RULES.get(shape.name, {})
    for key in list(obj):
        sub = shape.fields.get(key)
        if sub is None:
            continue  # unknown fields are pruning's business
        rule = rules.get(key)
        value = obj[key]
        if rule == SKIP:
            continue
        if rule in (TIME, TIME_V, MICRO, MICRO_V):
            if value is None:
                if rule in (TIME, MICRO):
                    del obj[key]
                continue
            obj[key] = normalize_time(value, micro=rule in (MICRO, MICRO_V))
            continue
        if rule != KEEP and _empty(value, sub):
            del obj[key]
            continue
        _value(value, sub)
    for key, zero in ALWAYS.get(shape.name, {}).items():
        if obj.get(key) is None:
            obj[key] = {} if isinstance(zero, dict) else zero
            sub = shape.fields.get(key)
            if isinstance(obj[key], dict) and sub is not None and sub.name:
                _struct(obj[key], sub)


def _value(value: Any, shape: Shape) -> None:
    if shape.open:
        return
    if shape.name and isinstance(value, dict):
        _struct(value, shape)
    elif shape.is_list and isinstance(value, list) and shape.items is not None:
        for item in value:
            _value(item, shape.items)
    elif shape.is_map and isinstance(value, dict) and shape.values is not None and not shape.values.open:
        for v in value.values():
            _value(v, shape.values)


__all__ = ["ZERO_BODIES", "format_time", "normalize_time", "parse_time", "reshape", "root_shape", "zero_body"]
