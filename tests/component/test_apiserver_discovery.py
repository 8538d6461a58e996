"""Discovery (legacy and aggregated, negotiated by Accept), /version, health, metrics, OpenAPI."""

from __future__ import annotations

import pytest

from tests.support.apiserver import ApiServer

V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def test_version(apiserver: ApiServer) -> None:
    st, body, _ = apiserver.call("GET", "/version", token=None)
    assert st == 200
    assert body["major"] == "1" and body["minor"] == "31"
    assert body["gitVersion"] == "v1.31.0"
    assert body["platform"] == "linux/amd64"


def test_legacy_discovery(apiserver: ApiServer) -> None:
    st, body, headers = apiserver.call("GET", "/api")
    assert st == 200 and headers["Content-Type"] == "application/json"
    assert body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    st, body, _ = apiserver.call("GET", "/apis")
    assert body["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in body["groups"]}
    # kube-apiserver's group priority order, not alphabetical; the self reviews' groups too.
    assert list(groups) == [
        "events.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
    ]
    assert groups["discovery.k8s.io"]["preferredVersion"] == {
        "groupVersion": "discovery.k8s.io/v1",
        "version": "v1",
    }
    st, body, _ = apiserver.call("GET", "/api/v1")
    assert body["kind"] == "APIResourceList" and body["groupVersion"] == "v1"
    res = {r["name"]: r for r in body["resources"]}
    assert res["services"] == {
        "name": "services",
        "singularName": "service",
        "namespaced": True,
        "kind": "Service",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["svc"],
        "categories": ["all"],
        "storageVersionHash": "0/CO1lhkEBI=",
    }
    assert res["services/status"]["verbs"] == ["get", "patch", "update"]
    assert res["namespaces"]["namespaced"] is False and res["namespaces"]["shortNames"] == ["ns"]
    assert "namespaces/finalize" in res
    for short, name in [("ep", "endpoints"), ("po", "pods"), ("no", "nodes"), ("ev", "events")]:
        assert short in res[name]["shortNames"]
    st, body, _ = apiserver.call("GET", "/apis/discovery.k8s.io/v1")
    assert [r["name"] for r in body["resources"]] == ["endpointslices"]
    st, body, _ = apiserver.call("GET", "/apis/coordination.k8s.io")
    assert body["kind"] == "APIGroup" and body["name"] == "coordination.k8s.io"
    assert apiserver.call("GET", "/apis/nope.example.com/v1")[0] == 404


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (f"{V2},{V2BETA1},application/json", "v2"),
        (f"{V2BETA1},application/json", "v2beta1"),
        ("application/json, */*", ""),
        ("", ""),
    ],
    ids=["kubectl-1.33", "kubectl-1.27", "kubectl-1.20", "none"],
)
def test_aggregated_discovery_negotiation(apiserver: ApiServer, accept: str, expected: str) -> None:
    headers = {"Accept": accept} if accept else {"Accept": ""}
    st, body, resp_headers = apiserver.call("GET", "/apis", headers=headers)
    assert st == 200
    if not expected:
        assert resp_headers["Content-Type"] == "application/json"
        assert body["kind"] == "APIGroupList"
        return
    assert (
        resp_headers["Content-Type"]
        == f"application/json;g=apidiscovery.k8s.io;v={expected};as=APIGroupDiscoveryList"
    )
    assert body["kind"] == "APIGroupDiscoveryList"
    assert body["apiVersion"] == f"apidiscovery.k8s.io/{expected}"
    names = [i["metadata"]["name"] for i in body["items"]]
    assert "discovery.k8s.io" in names and "" not in names
    st, core, _ = apiserver.call("GET", "/api", headers=headers)
    assert [i["metadata"]["name"] for i in core["items"]] == [""]
    services = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "services")
    assert services["responseKind"] == {"group": "", "version": "v1", "kind": "Service"}
    assert services["scope"] == "Namespaced" and services["singularResource"] == "service"
    assert services["shortNames"] == ["svc"] and services["categories"] == ["all"]
    assert services["subresources"][0]["subresource"] == "status"
    assert core["items"][0]["versions"][0]["freshness"] == "Current"


def test_health_endpoints(apiserver: ApiServer) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        st, body, _ = apiserver.call("GET", path, token=None)
        assert st == 200 and body in (b"ok", "ok"), (path, body)
    st, body, _ = apiserver.call("GET", "/readyz?verbose", token=None)
    text = body.decode() if isinstance(body, bytes) else str(body)
    assert "[+]etcd ok" in text and "readyz check passed" in text


def test_metrics(apiserver: ApiServer) -> None:
    apiserver.call("GET", "/api/v1/namespaces/default/services")
    apiserver.call("GET", "/api/v1/namespaces/default/services/missing")
    st, body, _ = apiserver.call("GET", "/metrics")
    text = body.decode() if isinstance(body, bytes) else str(body)
    assert st == 200
    assert (
        'apiserver_request_total{code="200",group="",resource="services",subresource="",verb="LIST",version="v1"}'
        in text
    )
    assert (
        'apiserver_request_total{code="404",group="",resource="services",subresource="",verb="GET",version="v1"}'
        in text
    )
    assert "apiserver_request_duration_seconds_bucket" in text
    assert "etcd_request_duration_seconds_bucket" in text
    assert "apiserver_longrunning_requests" in text


def test_openapi_endpoints(apiserver: ApiServer) -> None:
    st, index, _ = apiserver.call("GET", "/openapi/v3")
    assert st == 200
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    st, doc, _ = apiserver.call("GET", url)
    assert st == 200 and doc["openapi"].startswith("3.")
    st, _, headers = apiserver.call(
        "GET", "/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}
    )
    assert st == 200 and headers["Content-Type"] == "application/octet-stream"
    st, swagger, headers = apiserver.call("GET", "/openapi/v2")
    assert st == 200 and headers["Content-Type"] == "application/json" and swagger["swagger"] == "2.0"


def test_table_and_partial_metadata(apiserver: ApiServer) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    st, body, headers = apiserver.call("GET", "/api/v1/namespaces", headers={"Accept": accept})
    assert st == 200 and body["kind"] == "Table"
    assert headers["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert [c["name"] for c in body["columnDefinitions"]][:2] == ["Name", "Status"]
    assert body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    st, body, _ = apiserver.call("GET", "/api/v1/namespaces", headers={"Accept": accept})
    assert body["kind"] == "PartialObjectMetadataList"
    assert body["items"][0]["metadata"]["name"]
    st, body, _ = apiserver.call(
        "GET", "/api/v1/namespaces", headers={"Accept": "application/vnd.kubernetes.protobuf"}
    )
    assert st == 406 and body["reason"] == "NotAcceptable"
    st, body, headers = apiserver.call(
        "GET", "/api/v1/namespaces/default", headers={"Accept": "application/yaml"}
    )
    assert st == 200 and headers["Content-Type"] == "application/yaml"
    assert b"name: default" in body
