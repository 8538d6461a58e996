"""Decoding kubectl's protobuf request bodies (k8s\\0 envelope + generated field numbers)."""

from __future__ import annotations

import pytest

from kubesvc.apiserver.protobuf import ProtobufError, UnsupportedKindError, decode


# A tiny protobuf encoder, enough to build what client-go sends.
def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def vfield(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def lfield(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def entry(key: str, value: str) -> bytes:
    return lfield(1, key) + lfield(2, value)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = lfield(1, api_version) + lfield(2, kind)
    # gogo writes contentEncoding/contentType even when empty.
    return b"k8s\x00" + lfield(1, type_meta) + lfield(2, raw) + lfield(3, "") + lfield(4, "")


def object_meta(name: str, **labels: str) -> bytes:
    meta = lfield(1, name) + lfield(2, "") + lfield(3, "") + lfield(5, "") + lfield(6, "") + vfield(7, 0)
    meta += lfield(8, b"")  # empty creationTimestamp
    for k, v in labels.items():
        meta += lfield(11, entry(k, v))
    return meta


def test_decode_create_service_clusterip() -> None:
    """What `kubectl create service clusterip web2 --tcp=80:8080` sends from 1.32 on."""
    target = vfield(1, 0) + vfield(2, 8080) + lfield(3, "")
    port = lfield(1, "80-8080") + lfield(2, "TCP") + vfield(3, 80) + lfield(4, target) + vfield(5, 0)
    spec = (
        lfield(1, port)
        + lfield(2, entry("app", "web2"))
        + lfield(3, "")
        + lfield(4, "ClusterIP")
        + lfield(7, "")
        + vfield(13, 0)
    )
    raw = lfield(1, object_meta("web2", app="web2")) + lfield(2, spec) + lfield(3, lfield(1, b""))
    obj = decode(envelope("v1", "Service", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web2", "labels": {"app": "web2"}},
        "spec": {
            "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": "web2"},
            "type": "ClusterIP",
        },
    }


def test_decode_nodeport_named_target_and_pointer_fields() -> None:
    target = vfield(1, 1) + lfield(3, "http")
    port = lfield(2, "UDP") + vfield(3, 53) + lfield(4, target) + vfield(5, 30053)
    spec = (
        lfield(1, port)
        + lfield(4, "NodePort")
        + lfield(18, "10.96.0.5")
        + lfield(19, "IPv4")
        + vfield(20, 0)
        + lfield(22, "Local")
        + lfield(5, "1.1.1.1")
        + lfield(5, "2.2.2.2")
    )
    obj = decode(envelope("v1", "Service", lfield(1, object_meta("dns")) + lfield(2, spec)))
    assert obj["spec"] == {
        "ports": [{"protocol": "UDP", "port": 53, "targetPort": "http", "nodePort": 30053}],
        "type": "NodePort",
        "clusterIPs": ["10.96.0.5"],
        "ipFamilies": ["IPv4"],
        "allocateLoadBalancerNodePorts": False,
        "internalTrafficPolicy": "Local",
        "externalIPs": ["1.1.1.1", "2.2.2.2"],
    }


def test_decode_namespace_with_timestamp_and_annotations() -> None:
    meta = object_meta("team-a") + lfield(12, entry("note", "x")) + lfield(8, vfield(1, 1704067200))
    raw = lfield(1, meta) + lfield(2, lfield(1, "kubernetes")) + lfield(3, lfield(1, ""))
    obj = decode(envelope("v1", "Namespace", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "team-a",
            "annotations": {"note": "x"},
            "creationTimestamp": "2024-01-01T00:00:00Z",
        },
        "spec": {"finalizers": ["kubernetes"]},
    }


def test_negative_int32_and_unknown_fields_are_tolerated() -> None:
    port = vfield(3, -1) + lfield(99, "future field")
    obj = decode(envelope("v1", "Service", lfield(1, object_meta("x")) + lfield(2, lfield(1, port))))
    assert obj["spec"]["ports"] == [{"port": -1}]


def test_unsupported_kind() -> None:
    with pytest.raises(UnsupportedKindError) as info:
        decode(envelope("v1", "Pod", b""))
    assert info.value.kind == "Pod"
    assert "not supported" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"kind":"Service"}', id="json-not-protobuf"),
        pytest.param(b"k8s\x00" + b"\x0a\x05ab", id="truncated"),
        pytest.param(b"k8s\x00" + b"\x0f", id="bad-wire-type"),
    ],
)
def test_malformed_bodies(body: bytes) -> None:
    with pytest.raises(ProtobufError):
        decode(body)
