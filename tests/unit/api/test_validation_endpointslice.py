"""EndpointSlice validation: a named case for every case of upstream's TestValidateEndpointSlice,
TestValidateEndpointSliceCreate and TestValidateEndpointSliceUpdate (same names; the removed
`IP` address type now counts as unsupported), plus hints, node names and the endpoint-address
restrictions of the CVE-2021-25737 fix.  Upstream counts errors; each case here lists the exact
(field path, error type) pairs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesvc.api.fields import ErrorType
from kubesvc.api.validation import validate
from kubesvc.api.validation.endpointslice import (
    MAX_ENDPOINTS,
    MAX_PORTS,
    validate_endpoint_slice,
    validate_endpoint_slice_update,
)

R = ErrorType.REQUIRED
I = ErrorType.INVALID  # noqa: E741
NS = ErrorType.NOT_SUPPORTED
D = ErrorType.DUPLICATE
TM = ErrorType.TOO_MANY
IE = ErrorType.INTERNAL

Obj = dict[str, Any]


def ips(n: int) -> list[str]:
    return [f"10.1.2.{i % 255}" for i in range(n)]


def ports(n: int) -> list[Obj]:
    return [{"name": f"http-{i}", "protocol": "TCP"} for i in range(n)]


def topology(n: int) -> dict[str, str]:
    return {f"topology-{i}": "example" for i in range(n)}


def eps(address_type: str = "IPv4", endpoints: Any = None, port_list: Any = None, **meta: str) -> Obj:
    md = meta or {"name": "hello", "namespace": "world"}
    obj: Obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": md}
    if address_type:
        obj["addressType"] = address_type
    if endpoints is not None:
        obj["endpoints"] = endpoints
    if port_list is not None:
        obj["ports"] = port_list
    return obj


HTTP = [{"name": "http", "protocol": "TCP"}]


def ep(addresses: list[str], **extra: Any) -> Obj:
    return {"addresses": addresses, **extra}


CASES = [
    # -- valid (TestValidateEndpointSlice)
    ("good-slice", eps(endpoints=[ep(ips(1), hostname="valid-123")], port_list=HTTP), []),
    ("good-ipv6", eps("IPv6", [ep(["a00:100::4"], hostname="valid-123")], HTTP), []),
    (
        "good-fqdns",
        eps(
            "FQDN",
            [ep(["foo.example.com", "example.com", "example.com.", "hyphens-are-good.example.com"])],
            HTTP,
        ),
        [],
    ),
    (
        "all-protocols",
        eps(
            endpoints=[ep(ips(1))],
            port_list=[
                {"name": "tcp", "protocol": "TCP"},
                {"name": "udp", "protocol": "UDP"},
                {"name": "sctp", "protocol": "SCTP"},
            ],
        ),
        [],
    ),
    (
        "app-protocols",
        eps(
            endpoints=[ep(ips(1))],
            port_list=[
                {"name": "one", "protocol": "TCP", "appProtocol": "HTTP"},
                {"name": "two", "protocol": "TCP", "appProtocol": "https"},
                {"name": "three", "protocol": "TCP", "appProtocol": "my-protocol"},
                {"name": "four", "protocol": "TCP", "appProtocol": "example.com/custom-protocol"},
            ],
        ),
        [],
    ),
    (
        "empty-port-name",
        eps(
            endpoints=[ep(ips(1))],
            port_list=[{"name": "", "protocol": "TCP"}, {"name": "http", "protocol": "TCP"}],
        ),
        [],
    ),
    ("long-port-name", eps(endpoints=[ep(ips(1))], port_list=[{"name": "a" * 63, "protocol": "TCP"}]), []),
    ("empty-ports-and-endpoints", eps(endpoints=[], port_list=[]), []),
    ("max-endpoints", eps(endpoints=[ep([a]) for a in ips(MAX_ENDPOINTS)], port_list=ports(1)), []),
    ("max-ports", eps(port_list=ports(MAX_PORTS)), []),
    ("max-addresses", eps(endpoints=[ep(ips(100))], port_list=HTTP), []),
    ("max-topology-keys", eps(endpoints=[ep(ips(1), deprecatedTopology=topology(16))], port_list=HTTP), []),
    (
        "valid-hints",
        eps(endpoints=[ep(ips(1), hints={"forZones": [{"name": "zone-a"}]})], port_list=HTTP),
        [],
    ),
    (
        "valid-node-hints",
        eps(
            endpoints=[ep(ips(1), hints={"forNodes": [{"name": "node-1"}, {"name": "node-2"}]})],
            port_list=HTTP,
        ),
        [],
    ),
    ("valid-node-name", eps(endpoints=[ep(ips(1), nodeName="node-1.example")], port_list=HTTP), []),
    ("valid-zone-any-string", eps(endpoints=[ep(ips(1), zone="Zone A")], port_list=HTTP), []),
    ("global-multicast-allowed", eps(endpoints=[ep(["224.0.1.1"])], port_list=HTTP), []),
    # -- expected failures
    (
        "duplicate-port-name",
        eps(endpoints=[], port_list=[{"name": "", "protocol": "TCP"}, {"name": "", "protocol": "TCP"}]),
        [("ports[1].name", D)],
    ),
    (
        "bad-port-name-caps",
        eps(endpoints=[], port_list=[{"name": "aCapital", "protocol": "TCP"}]),
        [("ports[0].name", I)],
    ),
    (
        "bad-port-name-chars",
        eps(endpoints=[], port_list=[{"name": "almost_valid", "protocol": "TCP"}]),
        [("ports[0].name", I)],
    ),
    (
        "bad-port-name-length",
        eps(endpoints=[], port_list=[{"name": "a" * 64, "protocol": "TCP"}]),
        [("ports[0].name", I)],
    ),
    (
        "invalid-port-protocol",
        eps(port_list=[{"name": "http", "protocol": "foo"}]),
        [("ports[0].protocol", NS)],
    ),
    (
        "missing-port-protocol",
        eps(port_list=[{"name": "http", "protocol": None}]),
        [("ports[0].protocol", R)],
    ),
    ("too-many-ports", eps(port_list=ports(MAX_PORTS + 1)), [("ports", TM)]),
    (
        "too-many-endpoints",
        eps(endpoints=[ep([a]) for a in ips(MAX_ENDPOINTS + 1)], port_list=ports(1)),
        [("endpoints", TM)],
    ),
    ("no-endpoint-addresses", eps(endpoints=[ep([])], port_list=HTTP), [("endpoints[0].addresses", R)]),
    ("too-many-addresses", eps(endpoints=[ep(ips(101))], port_list=HTTP), [("endpoints[0].addresses", TM)]),
    (
        "bad-topology-key",
        eps(endpoints=[ep(ips(1), deprecatedTopology={"--INVALID": "example"})], port_list=HTTP),
        [("endpoints[0].deprecatedTopology", I)],
    ),
    (
        "too-many-topology-keys",
        eps(endpoints=[ep(ips(1), deprecatedTopology=topology(17))], port_list=HTTP),
        [("endpoints[0].deprecatedTopology", TM)],
    ),
    (
        "zone-key-topology",
        eps(endpoints=[ep(ips(1), deprecatedTopology={"topology.kubernetes.io/zone": "z"})], port_list=HTTP),
        [("endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]", IE)],
    ),
    (
        "bad-hostname",
        eps(endpoints=[ep(ips(1), hostname="--INVALID")], port_list=HTTP),
        [("endpoints[0].hostname", I)],
    ),
    (
        "bad-meta",
        eps(endpoints=[ep(ips(1))], port_list=HTTP, name="*&^", namespace="foo"),
        [("metadata.name", I)],
    ),
    (
        "bad-ipv4",
        eps(endpoints=[ep(["123.456.789.012", "2001:4860:4860::8888"])], port_list=HTTP),
        [
            ("endpoints[0].addresses[0]", I),
            ("endpoints[0].addresses[0]", I),
            ("endpoints[0].addresses[1]", I),
        ],
    ),
    (
        "bad-ipv6",
        eps("IPv6", [ep(["123.456.789.012", "2001:4860:4860:defg"])], HTTP),
        [
            ("endpoints[0].addresses[0]", I),
            ("endpoints[0].addresses[0]", I),
            ("endpoints[0].addresses[1]", I),
            ("endpoints[0].addresses[1]", I),
        ],
    ),
    (
        "bad-fqdns",
        eps(
            "FQDN",
            [ep(["foo.*", "FOO.example.com", "underscores_are_bad.example.com", "*.example.com"])],
            HTTP,
        ),
        [(f"endpoints[0].addresses[{i}]", I) for i in range(4)],
    ),
    (
        "bad-app-protocol",
        eps(endpoints=[ep(ips(1))], port_list=[{"name": "http", "protocol": "TCP", "appProtocol": "--"}]),
        [("ports[0].appProtocol", I)],
    ),
    (
        "empty-everything",
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {}},
        [("metadata.name", R), ("metadata.namespace", R), ("addressType", R)],
    ),
    ("special-ipv4", eps(endpoints=[ep(["127.0.0.1"])], port_list=HTTP), [("endpoints[0].addresses[0]", I)]),
    (
        "special-ipv6",
        eps("IPv6", [ep(["fe80::9656:d028:8652:66b6"])], HTTP),
        [("endpoints[0].addresses[0]", I)],
    ),
    (
        "unspecified-ipv4",
        eps(endpoints=[ep(["0.0.0.0"])], port_list=HTTP),
        [("endpoints[0].addresses[0]", I)],
    ),
    ("unspecified-ipv6", eps("IPv6", [ep(["::"])], HTTP), [("endpoints[0].addresses[0]", I)]),
    ("loopback-ipv6", eps("IPv6", [ep(["::1"])], HTTP), [("endpoints[0].addresses[0]", I)]),
    (
        "link-local-ipv4",
        eps(endpoints=[ep(["169.254.169.254"])], port_list=HTTP),
        [("endpoints[0].addresses[0]", I)],
    ),
    (
        "link-local-multicast-ipv4",
        eps(endpoints=[ep(["224.0.0.251"])], port_list=HTTP),
        [("endpoints[0].addresses[0]", I)],
    ),
    ("link-local-multicast-ipv6", eps("IPv6", [ep(["ff02::fb"])], HTTP), [("endpoints[0].addresses[0]", I)]),
    (
        "bad-node-name",
        eps(endpoints=[ep(ips(1), nodeName="INVALID!")], port_list=HTTP),
        [("endpoints[0].nodeName", I)],
    ),
    (
        "too-many-zone-hints",
        eps(
            endpoints=[ep(ips(1), hints={"forZones": [{"name": f"z{i}"} for i in range(9)]})], port_list=HTTP
        ),
        [("endpoints[0].hints.forZones", TM)],
    ),
    (
        "duplicate-zone-hints",
        eps(endpoints=[ep(ips(1), hints={"forZones": [{"name": "z"}, {"name": "z"}]})], port_list=HTTP),
        [("endpoints[0].hints.forZones[1].name", D)],
    ),
    (
        "invalid-zone-hint",
        eps(endpoints=[ep(ips(1), hints={"forZones": [{"name": "bad zone"}]})], port_list=HTTP),
        [("endpoints[0].hints.forZones[0].name", I)],
    ),
    (
        "too-many-node-hints",
        eps(
            endpoints=[ep(ips(1), hints={"forNodes": [{"name": f"n{i}"} for i in range(9)]})], port_list=HTTP
        ),
        [("endpoints[0].hints.forNodes", TM)],
    ),
    (
        "duplicate-node-hints",
        eps(endpoints=[ep(ips(1), hints={"forNodes": [{"name": "n"}, {"name": "n"}]})], port_list=HTTP),
        [("endpoints[0].hints.forNodes[1].name", D)],
    ),
    (
        "invalid-node-hint",
        eps(endpoints=[ep(ips(1), hints={"forNodes": [{"name": "Bad_Node"}]})], port_list=HTTP),
        [("endpoints[0].hints.forNodes[0].name", I)],
    ),
    # -- TestValidateEndpointSliceCreate
    ("deprecated-address-type", eps("IP", [ep(ips(1))], HTTP), [("addressType", NS)]),
    ("bad-address-type", eps("other", [ep(ips(1))], HTTP), [("addressType", NS)]),
]


@pytest.mark.parametrize(("slice_", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_validate_endpoint_slice(slice_, expected):
    assert [(e.field, e.type) for e in validate_endpoint_slice(slice_)] == expected


def test_messages_read_as_upstream():
    errs = validate_endpoint_slice(
        eps(endpoints=[ep(["127.0.0.1", "0.0.0.0", "169.254.1.1", "224.0.0.1"])], port_list=HTTP)
    )
    assert [str(e) for e in errs] == [
        'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'endpoints[0].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'endpoints[0].addresses[3]: Invalid value: "224.0.0.1": may not be in the link-local multicast range '
        "(224.0.0.0/24, ff02::/10)",
    ]
    [err] = validate_endpoint_slice(eps("other", [], []))
    assert str(err) == 'addressType: Unsupported value: "other": supported values: "FQDN", "IPv4", "IPv6"'
    [err] = validate_endpoint_slice(eps(endpoints=[ep([])], port_list=[]))
    assert str(err) == "endpoints[0].addresses: Required value: must contain at least 1 address"
    [err] = validate_endpoint_slice(eps(port_list=ports(MAX_PORTS + 1)))
    assert str(err) == "ports: Too many: 20001: must have at most 20000 items"
    [err] = validate_endpoint_slice(eps(port_list=[{"name": "http", "protocol": "foo"}]))
    assert str(err) == 'ports[0].protocol: Unsupported value: "foo": supported values: "SCTP", "TCP", "UDP"'


def _slice(address_type: str, port_list: Any = None) -> Obj:
    obj = eps(address_type, port_list=port_list, name="es1", namespace="test")
    obj["metadata"]["resourceVersion"] = "1"
    return obj


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        pytest.param(_slice("IPv6"), _slice("IPv6"), [], id="valid and identical slices"),
        pytest.param(
            _slice("IPv4"),
            _slice("IPv6"),
            [("addressType", I)],
            id="address type changed",
        ),
        pytest.param(
            _slice("IPv4", [{"name": "", "protocol": "invalid"}]),
            _slice("IPv4"),
            [("ports[0].protocol", NS)],
            id="invalid slices with valid address types",
        ),
        pytest.param(
            _slice("other"),
            _slice("IPv4"),
            [("addressType", NS), ("addressType", I)],
            id="bad type on update",
        ),
    ],
)
def test_validate_endpoint_slice_update(new, old, expected):
    assert [(e.field, e.type) for e in validate_endpoint_slice_update(new, old)] == expected


def test_dispatcher_adds_generic_metadata_update_rules():
    old = _slice("IPv4")
    old["metadata"]["uid"] = "u1"
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "u2"
    assert [(e.field, e.type) for e in validate(new, old)] == [("metadata.uid", I)]
    assert validate(copy.deepcopy(old), old) == []
