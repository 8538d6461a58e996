"""Request paths → what they address (as kube-apiserver's RequestInfoFactory parses them)."""

from __future__ import annotations

import pytest

from kubesvc.apiserver.negotiation import discovery_version, negotiate_output
from kubesvc.apiserver.requestinfo import parse

CASES = [
    # method, path, query, (verb, group, version, namespace, resource, name, subresource)
    ("GET", "/api/v1/namespaces/default/services", {}, ("list", "", "v1", "default", "services", "", "")),
    (
        "GET",
        "/api/v1/namespaces/default/services/web",
        {},
        ("get", "", "v1", "default", "services", "web", ""),
    ),
    (
        "GET",
        "/api/v1/namespaces/default/services",
        {"watch": "true"},
        ("watch", "", "v1", "default", "services", "", ""),
    ),
    (
        "GET",
        "/api/v1/watch/namespaces/default/services",
        {},
        ("watch", "", "v1", "default", "services", "", ""),
    ),
    ("GET", "/api/v1/watch/services", {}, ("watch", "", "v1", "", "services", "", "")),
    (
        "PUT",
        "/api/v1/namespaces/d/services/web/status",
        {},
        ("update", "", "v1", "d", "services", "web", "status"),
    ),
    ("POST", "/api/v1/namespaces", {}, ("create", "", "v1", "", "namespaces", "", "")),
    ("GET", "/api/v1/namespaces/foo", {}, ("get", "", "v1", "foo", "namespaces", "foo", "")),
    (
        "PUT",
        "/api/v1/namespaces/foo/finalize",
        {},
        ("update", "", "v1", "foo", "namespaces", "foo", "finalize"),
    ),
    ("GET", "/api/v1/namespaces/foo/status", {}, ("get", "", "v1", "foo", "namespaces", "foo", "status")),
    ("DELETE", "/api/v1/namespaces/d/pods", {}, ("deletecollection", "", "v1", "d", "pods", "", "")),
    ("PATCH", "/api/v1/nodes/n1/status", {}, ("patch", "", "v1", "", "nodes", "n1", "status")),
    (
        "GET",
        "/apis/discovery.k8s.io/v1/namespaces/d/endpointslices",
        {},
        ("list", "discovery.k8s.io", "v1", "d", "endpointslices", "", ""),
    ),
]


@pytest.mark.parametrize(("method", "path", "query", "want"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_resource_paths(method: str, path: str, query: dict[str, str], want: tuple[str, ...]) -> None:
    ri = parse(method, path, query)
    assert ri.is_resource
    assert (ri.verb, ri.group, ri.version, ri.namespace, ri.resource, ri.name, ri.subresource) == want


@pytest.mark.parametrize(
    "path", ["/version", "/healthz", "/openapi/v3/api/v1", "/api", "/apis", "/api/v1", "/apis/g/v1"]
)
def test_non_resource_paths(path: str) -> None:
    assert not parse("GET", path, {}).is_resource


@pytest.mark.parametrize(
    ("accept", "fmt", "as_"),
    [
        (
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
            "json",
            "Table",
        ),
        ("application/json", "json", ""),
        ("application/yaml", "yaml", ""),
        ("*/*", "json", ""),
        ("application/vnd.kubernetes.protobuf,application/json", "json", ""),
        ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", "json", "PartialObjectMetadata"),
        ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json", "json", ""),
    ],
)
def test_output_negotiation(accept: str, fmt: str, as_: str) -> None:
    out = negotiate_output(accept, allow_table=True)
    assert out is not None and (out.format, out.as_) == (fmt, as_)


def test_output_negotiation_refuses_protobuf_only() -> None:
    assert negotiate_output("application/vnd.kubernetes.protobuf", allow_table=True) is None


@pytest.mark.parametrize(
    ("accept", "want"),
    [
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2",
        ),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2beta1",
        ),
        ("application/json, */*", ""),
        ("application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", ""),
    ],
)
def test_discovery_negotiation(accept: str, want: str) -> None:
    assert discovery_version(accept) == want
