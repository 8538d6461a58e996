"""Decode `application/vnd.kubernetes.protobuf` request bodies into JSON-shaped dicts.

kubectl 1.32+ sends its typed-client writes (`create service ...`, `create namespace`) as
protobuf and does not fall back to JSON on 415, so the server must read them.  The wire format
is the 4-byte magic `k8s\\0` followed by a `runtime.Unknown` message {1 typeMeta {1 apiVersion,
2 kind}, 2 raw, 3 contentEncoding, 4 contentType}; `raw` is the object encoded with the field
numbers of k8s.io/api `core/v1/generated.proto` (and apimachinery `meta/v1`, `util/intstr`).

We decode the kinds kubectl's generators create (Service, Namespace) with a small table of
message layouts.  gogo-protobuf writes non-pointer fields even when empty, so empty strings,
zero numbers, false and empty messages are dropped, except for fields that are pointers upstream
(marked `keep`), where a zero value was set on purpose.  Other kinds raise
`UnsupportedKindError`; the handler answers 415 for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubesvc.api import codec

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """The body is not a valid Kubernetes protobuf envelope."""


class UnsupportedKindError(ProtobufError):
    """The envelope holds a kind this server does not decode from protobuf."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"protobuf decoding of {api_version}, Kind={kind} is not supported")
        self.api_version = api_version
        self.kind = kind


@dataclass(frozen=True)
class F:
    """One field: JSON name, type (`string`, `int` (int32), `int64`, `bool`, `bytes`, `map`, `time`, `intstr`,
    `raw-json` or a message name), repeated, keep (a pointer field whose zero value counts)."""

    name: str
    type: str
    repeated: bool = False
    keep: bool = False


MESSAGES: dict[str, dict[int, F]] = {
    "TypeMeta": {1: F("apiVersion", "string"), 2: F("kind", "string")},
    "Unknown": {
        1: F("typeMeta", "TypeMeta"),
        2: F("raw", "bytes"),
        3: F("contentEncoding", "string"),
        4: F("contentType", "string"),
    },
    "ObjectMeta": {
        1: F("name", "string"),
        2: F("generateName", "string"),
        3: F("namespace", "string"),
        5: F("uid", "string"),
        6: F("resourceVersion", "string"),
        7: F("generation", "int64"),
        8: F("creationTimestamp", "time"),
        9: F("deletionTimestamp", "time"),
        10: F("deletionGracePeriodSeconds", "int64", keep=True),
        11: F("labels", "map"),
        12: F("annotations", "map"),
        13: F("ownerReferences", "OwnerReference", repeated=True),
        14: F("finalizers", "string", repeated=True),
        17: F("managedFields", "ManagedFieldsEntry", repeated=True),
    },
    "OwnerReference": {
        1: F("kind", "string"),
        3: F("name", "string"),
        4: F("uid", "string"),
        5: F("apiVersion", "string"),
        6: F("controller", "bool", keep=True),
        7: F("blockOwnerDeletion", "bool", keep=True),
    },
    "ManagedFieldsEntry": {
        1: F("manager", "string"),
        2: F("operation", "string"),
        3: F("apiVersion", "string"),
        4: F("time", "time"),
        6: F("fieldsType", "string"),
        7: F("fieldsV1", "FieldsV1"),
        8: F("subresource", "string"),
    },
    "FieldsV1": {1: F("Raw", "raw-json")},
    "Service": {1: F("metadata", "ObjectMeta"), 2: F("spec", "ServiceSpec"), 3: F("status", "ServiceStatus")},
    "ServiceSpec": {
        1: F("ports", "ServicePort", repeated=True),
        2: F("selector", "map"),
        3: F("clusterIP", "string"),
        4: F("type", "string"),
        5: F("externalIPs", "string", repeated=True),
        7: F("sessionAffinity", "string"),
        8: F("loadBalancerIP", "string"),
        9: F("loadBalancerSourceRanges", "string", repeated=True),
        10: F("externalName", "string"),
        11: F("externalTrafficPolicy", "string"),
        12: F("healthCheckNodePort", "int"),
        13: F("publishNotReadyAddresses", "bool"),
        14: F("sessionAffinityConfig", "SessionAffinityConfig"),
        17: F("ipFamilyPolicy", "string", keep=True),
        18: F("clusterIPs", "string", repeated=True),
        19: F("ipFamilies", "string", repeated=True),
        20: F("allocateLoadBalancerNodePorts", "bool", keep=True),
        21: F("loadBalancerClass", "string", keep=True),
        22: F("internalTrafficPolicy", "string", keep=True),
        23: F("trafficDistribution", "string", keep=True),
    },
    "ServicePort": {
        1: F("name", "string"),
        2: F("protocol", "string"),
        3: F("port", "int"),
        4: F("targetPort", "intstr"),
        5: F("nodePort", "int"),
        6: F("appProtocol", "string", keep=True),
    },
    "SessionAffinityConfig": {1: F("clientIP", "ClientIPConfig")},
    "ClientIPConfig": {1: F("timeoutSeconds", "int", keep=True)},
    "ServiceStatus": {
        1: F("loadBalancer", "LoadBalancerStatus"),
        2: F("conditions", "Condition", repeated=True),
    },
    "LoadBalancerStatus": {1: F("ingress", "LoadBalancerIngress", repeated=True)},
    "LoadBalancerIngress": {
        1: F("ip", "string"),
        2: F("hostname", "string"),
        3: F("ipMode", "string", keep=True),
    },
    "Condition": {
        1: F("type", "string"),
        2: F("status", "string"),
        3: F("observedGeneration", "int64"),
        4: F("lastTransitionTime", "time"),
        5: F("reason", "string"),
        6: F("message", "string"),
    },
    "Namespace": {
        1: F("metadata", "ObjectMeta"),
        2: F("spec", "NamespaceSpec"),
        3: F("status", "NamespaceStatus"),
    },
    "NamespaceSpec": {1: F("finalizers", "string", repeated=True)},
    "NamespaceStatus": {1: F("phase", "string"), 2: F("conditions", "NamespaceCondition", repeated=True)},
    "NamespaceCondition": {
        1: F("type", "string"),
        2: F("status", "string"),
        4: F("lastTransitionTime", "time"),
        5: F("reason", "string"),
        6: F("message", "string"),
    },
}

# The self reviews kubectl 1.32+ posts as protobuf (`auth can-i`, `auth whoami`): k8s.io/api
# authorization/v1 and authentication/v1 generated.proto.
MESSAGES.update(
    {
        "SelfSubjectAccessReview": {
            1: F("metadata", "ObjectMeta"),
            2: F("spec", "SelfSubjectAccessReviewSpec"),
        },
        "SelfSubjectAccessReviewSpec": {
            1: F("resourceAttributes", "ResourceAttributes"),
            2: F("nonResourceAttributes", "NonResourceAttributes"),
        },
        "ResourceAttributes": {
            1: F("namespace", "string"),
            2: F("verb", "string"),
            3: F("group", "string"),
            4: F("version", "string"),
            5: F("resource", "string"),
            6: F("subresource", "string"),
            7: F("name", "string"),
        },
        "NonResourceAttributes": {1: F("path", "string"), 2: F("verb", "string")},
        "SelfSubjectRulesReview": {
            1: F("metadata", "ObjectMeta"),
            2: F("spec", "SelfSubjectRulesReviewSpec"),
        },
        "SelfSubjectRulesReviewSpec": {1: F("namespace", "string")},
        "SelfSubjectReview": {1: F("metadata", "ObjectMeta")},
    }
)

# The Eviction `kubectl drain` posts (k8s.io/api policy/v1 generated.proto; DeleteOptions and
# Preconditions from apimachinery meta/v1).
MESSAGES.update(
    {
        "Eviction": {1: F("metadata", "ObjectMeta"), 2: F("deleteOptions", "DeleteOptions")},
        "DeleteOptions": {
            1: F("gracePeriodSeconds", "int64", keep=True),
            2: F("preconditions", "Preconditions"),
            3: F("orphanDependents", "bool", keep=True),
            4: F("propagationPolicy", "string", keep=True),
            5: F("dryRun", "string", repeated=True),
        },
        "Preconditions": {1: F("uid", "string", keep=True), 2: F("resourceVersion", "string", keep=True)},
    }
)

# (apiVersion, kind) -> top-level message.
KINDS: dict[tuple[str, str], str] = {
    ("policy/v1", "Eviction"): "Eviction",
    ("policy/v1beta1", "Eviction"): "Eviction",
    ("v1", "Service"): "Service",
    ("v1", "Namespace"): "Namespace",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split a message into (field number, wire type, value) triples."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ProtobufError("invalid field number 0")
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ProtobufError("truncated field")
        out.append((number, wire, value))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _text(v: int | bytes) -> str:
    if not isinstance(v, bytes):
        raise ProtobufError("expected a length-delimited string")
    try:
        return v.decode()
    except UnicodeDecodeError as exc:
        raise ProtobufError("invalid UTF-8 in string field") from exc


def _time(v: int | bytes) -> str | None:
    if not isinstance(v, bytes):
        raise ProtobufError("expected a Time message")
    seconds = 0
    for number, _, value in _fields(v):
        if number == 1 and isinstance(value, int):
            seconds = _signed(value)
    if seconds == 0:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _intstr(v: int | bytes) -> int | str:
    if not isinstance(v, bytes):
        raise ProtobufError("expected an IntOrString message")
    kind, int_val, str_val = 0, 0, ""
    for number, _, value in _fields(v):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, int):
            int_val = _signed(value)
            int_val = int_val - (1 << 32) if int_val >= 1 << 31 else int_val
        elif number == 3:
            str_val = _text(value)
    return str_val if kind == 1 else int_val


def _map_entry(v: int | bytes) -> tuple[str, str]:
    if not isinstance(v, bytes):
        raise ProtobufError("expected a map entry")
    key = val = ""
    for number, _, value in _fields(v):
        if number == 1:
            key = _text(value)
        elif number == 2:
            val = _text(value)
    return key, val


def _is_empty(value: Any) -> bool:
    return value in ("", 0, False, None) or value == {} or value == []


def decode_message(data: bytes, message: str) -> dict[str, Any]:
    layout = MESSAGES[message]
    out: dict[str, Any] = {}
    for number, _, raw in _fields(data):
        spec = layout.get(number)
        if spec is None:
            continue  # a field we do not know: newer clients may send more
        value: Any
        if spec.type == "string":
            value = _text(raw)
        elif spec.type == "bytes":
            if not isinstance(raw, bytes):
                raise ProtobufError(f"{message}.{spec.name}: expected bytes")
            value = raw
        elif spec.type == "raw-json":
            value = codec.loads(raw) if isinstance(raw, bytes) and raw else {}
        elif spec.type in ("int", "int64"):
            if not isinstance(raw, int):
                raise ProtobufError(f"{message}.{spec.name}: expected a varint")
            value = _signed(raw)
        elif spec.type == "bool":
            if not isinstance(raw, int):
                raise ProtobufError(f"{message}.{spec.name}: expected a varint")
            value = bool(raw)
        elif spec.type == "time":
            value = _time(raw)
        elif spec.type == "intstr":
            value = _intstr(raw)
        elif spec.type == "map":
            k, v = _map_entry(raw)
            out.setdefault(spec.name, {})[k] = v
            continue
        else:
            if not isinstance(raw, bytes):
                raise ProtobufError(f"{message}.{spec.name}: expected a message")
            value = decode_message(raw, spec.type)
            if spec.type == "FieldsV1":
                value = value.get("Raw", {})
        if spec.repeated:
            out.setdefault(spec.name, []).append(value)
        elif spec.keep or not _is_empty(value):
            out[spec.name] = value
    return out


def unwrap(body: bytes) -> tuple[str, str, bytes]:
    """The envelope: (apiVersion, kind, raw object bytes)."""
    if not body.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    unknown = decode_message(body[len(MAGIC) :], "Unknown")
    type_meta = unknown.get("typeMeta") or {}
    encoding = unknown.get("contentEncoding", "")
    if encoding:
        raise ProtobufError(f"unsupported protobuf content encoding {encoding!r}")
    return str(type_meta.get("apiVersion", "")), str(type_meta.get("kind", "")), unknown.get("raw", b"")


def decode(body: bytes) -> dict[str, Any]:
    """Decode a protobuf request body into the object's JSON form (apiVersion and kind first)."""
    api_version, kind, raw = unwrap(body)
    message = KINDS.get((api_version, kind))
    if message is None:
        raise UnsupportedKindError(api_version, kind)
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update(decode_message(raw, message))
    return obj
