"""Endpoints validation: named cases after upstream's TestValidateEndpointsCreate and
TestValidateEndpointsUpdate, each with the exact (field path, error type) pairs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesvc.api.fields import ErrorType
from kubesvc.api.validation import validate
from kubesvc.api.validation.endpoints import (
    validate_endpoint_ip,
    validate_endpoints,
    validate_endpoints_update,
)

R = ErrorType.REQUIRED
I = ErrorType.INVALID  # noqa: E741
NS = ErrorType.NOT_SUPPORTED

Obj = dict[str, Any]


def endpoints(subsets: list[Obj], name: str = "mysvc", namespace: str = "namespace") -> Obj:
    md: Obj = {"name": name}
    if namespace:
        md["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": md, "subsets": subsets}


def subset(addresses: list[Obj] | None = None, ports: list[Obj] | None = None, **extra: Any) -> Obj:
    out: Obj = dict(extra)
    if addresses is not None:
        out["addresses"] = addresses
    if ports is not None:
        out["ports"] = ports
    return out


A = [{"ip": "10.10.1.1"}]
P = [{"name": "a", "port": 8675, "protocol": "TCP"}]

CASES = [
    # success cases
    (
        "simple endpoint",
        endpoints(
            [
                subset(
                    [{"ip": "10.10.1.1"}, {"ip": "10.10.2.2"}],
                    [{"name": "a", "port": 8675, "protocol": "TCP"}],
                ),
                subset(
                    [{"ip": "10.10.3.3"}],
                    [
                        {"name": "a", "port": 93, "protocol": "TCP"},
                        {"name": "b", "port": 76, "protocol": "TCP"},
                    ],
                ),
            ]
        ),
        [],
    ),
    ("empty subsets", endpoints([]), []),
    ("no ports (headless)", endpoints([subset(A)]), []),
    ("not-ready addresses only", endpoints([subset(notReadyAddresses=A, ports=P)]), []),
    ("one port without name", endpoints([subset(A, [{"port": 8675, "protocol": "TCP"}])]), []),
    (
        "valid appProtocol",
        endpoints([subset(A, [{"name": "a", "port": 93, "protocol": "TCP", "appProtocol": "HTTP"}])]),
        [],
    ),
    (
        "valid hostname and nodeName",
        endpoints([subset([{"ip": "10.10.1.1", "hostname": "pod-1", "nodeName": "node.a"}], P)]),
        [],
    ),
    ("ipv6 address", endpoints([subset([{"ip": "2001:db8::1"}], P)]), []),
    # error cases
    ("missing namespace", endpoints([subset(A, P)], namespace=""), [("metadata.namespace", R)]),
    (
        "invalid namespace",
        endpoints([subset(A, P)], namespace='no@#invalid.;chars"allowed'),
        [("metadata.namespace", I)],
    ),
    ("invalid name", endpoints([subset(A, P)], name="-_Invliad^&Characters"), [("metadata.name", I)]),
    ("empty addresses", endpoints([subset(ports=P)]), [("subsets[0]", R)]),
    (
        "invalid IP",
        endpoints([subset([{"ip": "[2001:0db8:85a3:0042:1000:8a2e:0370:7334]"}], P)]),
        [
            ("subsets[0].addresses[0].ip", I),
            ("subsets[0].addresses[0].ip", I),
        ],
    ),
    (
        "Multiple ports, one without name",
        endpoints(
            [subset(A, [{"port": 8675, "protocol": "TCP"}, {"name": "b", "port": 309, "protocol": "TCP"}])]
        ),
        [("subsets[0].ports[0].name", R)],
    ),
    (
        "Invalid port number",
        endpoints([subset(A, [{"name": "a", "port": 66000, "protocol": "TCP"}])]),
        [("subsets[0].ports[0].port", I)],
    ),
    (
        "Invalid protocol",
        endpoints([subset(A, [{"name": "a", "port": 93, "protocol": "Protocol"}])]),
        [("subsets[0].ports[0].protocol", NS)],
    ),
    (
        "Address missing IP",
        endpoints([subset([{}], P)]),
        [("subsets[0].addresses[0].ip", I), ("subsets[0].addresses[0].ip", I)],
    ),
    (
        "Port missing number",
        endpoints([subset(A, [{"name": "a", "protocol": "TCP"}])]),
        [("subsets[0].ports[0].port", I)],
    ),
    (
        "Port missing protocol",
        endpoints([subset(A, [{"name": "a", "port": 93}])]),
        [("subsets[0].ports[0].protocol", R)],
    ),
    (
        "Address is loopback",
        endpoints([subset([{"ip": "127.0.0.1"}], P)]),
        [("subsets[0].addresses[0].ip", I)],
    ),
    (
        "Address is link-local",
        endpoints([subset([{"ip": "169.254.169.254"}], P)]),
        [("subsets[0].addresses[0].ip", I)],
    ),
    (
        "Address is link-local multicast",
        endpoints([subset([{"ip": "224.0.0.1"}], P)]),
        [("subsets[0].addresses[0].ip", I)],
    ),
    ("Address is unspecified", endpoints([subset([{"ip": "::"}], P)]), [("subsets[0].addresses[0].ip", I)]),
    (
        "not-ready address is loopback",
        endpoints([subset(notReadyAddresses=[{"ip": "::1"}], ports=P)]),
        [("subsets[0].notReadyAddresses[0].ip", I)],
    ),
    (
        "Invalid AppProtocol",
        endpoints(
            [
                subset(
                    A,
                    [{"name": "a", "port": 93, "protocol": "TCP", "appProtocol": "lots-of[invalid]-{chars}"}],
                )
            ]
        ),
        [("subsets[0].ports[0].appProtocol", I)],
    ),
    (
        "Invalid port name",
        endpoints([subset(A, [{"name": "Bad_Name", "port": 93, "protocol": "TCP"}])]),
        [("subsets[0].ports[0].name", I)],
    ),
    (
        "Invalid hostname",
        endpoints([subset([{"ip": "10.10.1.1", "hostname": "a.b"}], P)]),
        [("subsets[0].addresses[0].hostname", I)],
    ),
    (
        "Invalid nodeName",
        endpoints([subset([{"ip": "10.10.1.1", "nodeName": "Node_1"}], P)]),
        [("subsets[0].addresses[0].nodeName", I)],
    ),
]


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_validate_endpoints(obj, expected):
    assert [(e.field, e.type) for e in validate_endpoints(obj)] == expected


def test_messages_read_as_upstream():
    errs = validate_endpoints(endpoints([subset([{"ip": "nope"}], P)]))
    assert [str(e) for e in errs] == [
        'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address',
    ]
    [err] = validate_endpoints(endpoints([subset(ports=P)]))
    assert str(err) == "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"
    [err] = validate_endpoints(endpoints([subset(A, [{"name": "a", "port": 0, "protocol": "TCP"}])]))
    assert str(err) == "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"


def test_endpoint_ip_accepts_ordinary_addresses():
    for ip in ("10.0.0.1", "192.168.1.1", "2001:db8::1", "fd00::1", "224.0.1.1", "8.8.8.8"):
        assert validate_endpoint_ip(ip, "ip") == [], ip


def _stored(subsets: list[Obj]) -> Obj:
    obj = endpoints(subsets)
    obj["metadata"].update(resourceVersion="1", uid="u")
    return obj


def test_update_allows_node_name_change_and_revalidates():
    old = _stored([subset([{"ip": "10.1.1.1", "nodeName": "a"}], P)])
    new = copy.deepcopy(old)
    new["subsets"][0]["addresses"][0]["nodeName"] = "b"
    assert validate_endpoints_update(new, old) == []
    new["subsets"][0]["addresses"][0]["ip"] = "127.0.0.1"
    assert [(e.field, e.type) for e in validate_endpoints_update(new, old)] == [
        ("subsets[0].addresses[0].ip", I)
    ]
    new = copy.deepcopy(old)
    new["metadata"]["name"] = "other"
    # kind rules and the generic registry rules both check the name, as upstream: repeated cause
    assert [(e.field, e.type) for e in validate(new, old)] == [("metadata.name", I), ("metadata.name", I)]
