"""Content negotiation: which body formats a request may carry and which answer a client wants.

Media types are parsed with their parameters (`application/json;as=Table;v=v1;g=meta.k8s.io`);
the first acceptable entry of the Accept header wins, as in apimachinery's `negotiation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

BODY_TYPES = (JSON, YAML, PROTOBUF)
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_PATCH)

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"


@dataclass(frozen=True)
class MediaType:
    type: str
    params: dict[str, str] = field(default_factory=dict)

    def is_json_like(self) -> bool:
        return self.type in (JSON, "*/*", "application/*", "")


def parse_media_type(text: str) -> MediaType:
    parts = [p.strip() for p in text.split(";")]
    params: dict[str, str] = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return MediaType(parts[0].lower(), params)


def parse_accept(header: str | None) -> list[MediaType]:
    if not header:
        return [MediaType("*/*")]
    out = []
    for item in header.split(","):
        item = item.strip()
        if item:
            mt = parse_media_type(item)
            if mt.params.get("q") == "0":
                continue
            out.append(mt)
    return out or [MediaType("*/*")]


@dataclass(frozen=True)
class Output:
    """What to answer: `format` json|yaml, and `as_` "" | Table | PartialObjectMetadata."""

    format: str = "json"
    as_: str = ""
    version: str = "v1"
    # The exact kind asked for (PartialObjectMetadata or PartialObjectMetadataList): upstream
    # answers 406 when it does not fit the response (an object vs a list).
    requested: str = ""
    # Indented JSON: `?pretty=true`, or a human client (curl, Wget, a browser) without
    # `?pretty=false` (upstream `isPrettyPrint`).
    pretty: bool = False


def negotiate_output(header: str | None, *, allow_table: bool, stream: bool = False) -> Output | None:
    """None when nothing acceptable is offered (406).  Any of the `as`, `g`, `v` parameters
    asks for a conversion, which must name a meta.k8s.io/v1 or v1beta1 Table (JSON or YAML)
    or PartialObjectMetadata(List), as apimachinery's `AllowsConversion`; a watch (`stream`)
    has no YAML serializer."""
    for mt in parse_accept(header):
        if mt.type == YAML and stream:
            continue
        fmt = "yaml" if mt.type == YAML else "json"
        if "as" in mt.params or "g" in mt.params or "v" in mt.params:
            as_ = mt.params.get("as", "")
            if mt.type not in (JSON, YAML) or mt.params.get("g") != "meta.k8s.io":
                continue
            if mt.params.get("v") not in ("v1", "v1beta1"):
                continue
            if as_ == "Table" and allow_table:
                return Output(fmt, "Table", mt.params["v"])
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return Output(fmt, "PartialObjectMetadata", mt.params["v"], as_)
            continue
        if mt.type in (JSON, "*/*", "application/*"):
            return Output("json")
        if mt.type == YAML:
            return Output("yaml")
    return None


# What a watch may be answered in (upstream's stream serializers), for its 406.
STREAM_TYPES = "application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch"


def discovery_version(header: str | None) -> str:
    """ "v2", "v2beta1" or "" (legacy) for `/api` and `/apis`."""
    for mt in parse_accept(header):
        if mt.params.get("as") == "APIGroupDiscoveryList" and mt.params.get("g") == "apidiscovery.k8s.io":
            v = mt.params.get("v", "")
            if v in ("v2", "v2beta1"):
                return v
            continue
        if mt.type in (JSON, "*/*", "application/*"):
            return ""
    return ""
