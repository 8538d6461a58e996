"""OpenAPI documents: what kubectl's validator, patcher and `explain` look for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubesvc.api import codec
from kubesvc.apiserver import openapi

KINDS = [
    ("api/v1", "", "Service"),
    ("api/v1", "", "Pod"),
    ("api/v1", "", "Node"),
    ("api/v1", "", "Namespace"),
    ("api/v1", "", "Endpoints"),
    ("api/v1", "", "Event"),
    ("apis/discovery.k8s.io/v1", "discovery.k8s.io", "EndpointSlice"),
    ("apis/coordination.k8s.io/v1", "coordination.k8s.io", "Lease"),
    ("apis/events.k8s.io/v1", "events.k8s.io", "Event"),
]


def patch_ops(doc: dict[str, Any], group: str, kind: str) -> list[dict[str, Any]]:
    """Like cli-runtime's query-param verifier: PATCH operations carrying this GVK."""
    found = []
    for item in doc["paths"].values():
        op = item.get("patch")
        if op and op.get("x-kubernetes-group-version-kind") == {
            "group": group,
            "version": "v1",
            "kind": kind,
        }:
            found.append(op)
    return found


def test_index_lists_hash_qualified_urls() -> None:
    index = openapi.v3_index()
    assert set(index["paths"]) == {
        "api/v1",
        "apis/discovery.k8s.io/v1",
        "apis/coordination.k8s.io/v1",
        "apis/events.k8s.io/v1",
    }
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    path, _, query = url.partition("?hash=")
    assert path == "/openapi/v3/api/v1"
    assert len(query) == 128 and query == query.upper()
    assert query == openapi.v3_hash("api/v1")


@pytest.mark.parametrize(("path", "group", "kind"), KINDS)
def test_patch_operation_has_gvk_and_field_validation(path: str, group: str, kind: str) -> None:
    doc = openapi.v3_document(path)
    assert doc is not None and doc["openapi"].startswith("3.")
    ops = patch_ops(doc, group, kind)
    assert ops, f"no PATCH operation for {kind}"
    for op in ops:
        names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        assert {"fieldValidation", "fieldManager", "dryRun", "force"} <= names
        content = op["requestBody"]["content"]
        assert "application/apply-patch+yaml" in content
        assert "application/strategic-merge-patch+json" not in content
    schemas = doc["components"]["schemas"]
    tagged = [
        n
        for n, s in schemas.items()
        if {"group": group, "version": "v1", "kind": kind} in s.get("x-kubernetes-group-version-kind", [])
    ]
    assert tagged, f"no schema tagged with {kind}'s GVK"


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref") or (schema.get("allOf") or [{}])[0].get("$ref")
    assert ref, schema
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_explain_service_spec_ports() -> None:
    doc = openapi.v3_document("api/v1")
    assert doc is not None
    service = doc["components"]["schemas"]["io.k8s.api.core.v1.Service"]
    assert service["x-kubernetes-group-version-kind"] == [{"group": "", "version": "v1", "kind": "Service"}]
    assert "description" in service
    spec = resolve(doc, service["properties"]["spec"])
    ports = spec["properties"]["ports"]
    assert ports["type"] == "array" and ports["description"]
    assert ports["x-kubernetes-list-type"] == "map"
    assert ports["x-kubernetes-list-map-keys"] == ["port", "protocol"]
    port = resolve(doc, ports["items"])
    assert port["required"] == ["port"]
    assert port["properties"]["port"]["type"] == "integer"
    # `explain` prints <IntOrString> only for a typeless referenced schema, as upstream serves it.
    int_or_string = resolve(doc, port["properties"]["targetPort"])
    assert int_or_string["format"] == "int-or-string" and "type" not in int_or_string
    assert port["properties"]["protocol"]["enum"] == ["SCTP", "TCP", "UDP"]
    assert spec["properties"]["selector"]["x-kubernetes-map-type"] == "atomic"
    meta = resolve(doc, service["properties"]["metadata"])
    assert meta["properties"]["creationTimestamp"]["format"] == "date-time"


def test_all_refs_resolve() -> None:
    for path in openapi.v3_paths():
        raw = openapi.v3_document_bytes(path)
        assert raw is not None
        doc = codec.loads(raw)
        text = raw.decode()
        for name in doc["components"]["schemas"]:
            assert name.startswith("io.k8s.")
        for piece in text.split('"$ref":"#/components/schemas/')[1:]:
            target = piece.split('"', 1)[0]
            assert target in doc["components"]["schemas"], (path, target)


def test_http_caching_semantics() -> None:
    h = openapi.v3_hash("api/v1")
    status, headers, body = openapi.v3_http("api/v1", h)
    assert status == 200 and headers["Cache-Control"] == "public, immutable"
    assert headers["Etag"] == f'"{h}"' and body
    status, headers, _ = openapi.v3_http("api/v1", "STALE")
    assert status == 301 and headers["Location"] == f"/openapi/v3/api/v1?hash={h}"
    status, headers, _ = openapi.v3_http("api/v1", None)
    assert status == 200 and "immutable" not in headers["Cache-Control"]
    assert openapi.v3_http("api/v1", None, if_none_match=f'"{h}"')[0] == 304
    assert openapi.v3_http("apis/nope/v1", None)[0] == 404
    assert openapi.v3_document("apis/nope/v1") is None


def test_v2_is_swagger_json_unless_protobuf_is_asked_for() -> None:
    body, content_type = openapi.v2_response("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert body == b""
    assert content_type == "application/octet-stream"
    for accept in (
        "",
        "*/*",
        "application/json",
        "application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    ):
        body, content_type = openapi.v2_response(accept)
        assert content_type == "application/json"
    doc = json.loads(body)
    assert doc["swagger"] == "2.0"
    svc = doc["definitions"]["io.k8s.api.core.v1.Service"]
    assert (
        svc["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    assert doc["definitions"]["io.k8s.api.core.v1.ServiceList"]["properties"]["items"]["description"] == (
        "List of services"
    )
    post = doc["paths"]["/api/v1/namespaces/{namespace}/services"]["post"]
    assert post["parameters"][0] == {
        "name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/io.k8s.api.core.v1.Service"},
    }  # fmt: skip
    watch = next(p for p in doc["paths"]["/api/v1/services"]["get"]["parameters"] if p["name"] == "watch")
    assert watch["type"] == "boolean" and watch["description"].startswith(
        "Watch for changes to the described"
    )
    assert "#/components/" not in body.decode()
