"""The scheme: which kinds exist, in which group/version, under which resource names.

One `ResourceInfo` per served resource maps group/version/kind to the REST resource (plural,
singular, short names), says whether it is namespaced, which subresources it has and in which
categories it appears (`kubectl get all`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceInfo:
    group: str
    version: str
    kind: str
    resource: str  # plural, as in the URL
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    list_kind: str = field(default="")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def group_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def group_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"


CORE = ""
DISCOVERY = "discovery.k8s.io"
COORDINATION = "coordination.k8s.io"
EVENTS = "events.k8s.io"

SERVICES = ResourceInfo(CORE, "v1", "Service", "services", "service", True, ("svc",), ("all",), ("status",))
PODS = ResourceInfo(CORE, "v1", "Pod", "pods", "pod", True, ("po",), ("all",), ("status",))
NODES = ResourceInfo(CORE, "v1", "Node", "nodes", "node", False, ("no",), (), ("status",))
NAMESPACES = ResourceInfo(
    CORE,
    "v1",
    "Namespace",
    "namespaces",
    "namespace",
    False,
    ("ns",),
    (),
    ("status", "finalize"),
    ("create", "delete", "get", "list", "patch", "update", "watch"),
)
ENDPOINTS = ResourceInfo(CORE, "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",))
EVENTS_V1 = ResourceInfo(CORE, "v1", "Event", "events", "event", True, ("ev",))
ENDPOINT_SLICES = ResourceInfo(DISCOVERY, "v1", "EndpointSlice", "endpointslices", "endpointslice", True)
LEASES = ResourceInfo(COORDINATION, "v1", "Lease", "leases", "lease", True)
EVENTS_EVENTS_V1 = ResourceInfo(EVENTS, "v1", "Event", "events", "event", True, ("ev",))

ALL: tuple[ResourceInfo, ...] = (
    SERVICES,
    PODS,
    NODES,
    NAMESPACES,
    ENDPOINTS,
    EVENTS_V1,
    ENDPOINT_SLICES,
    LEASES,
    EVENTS_EVENTS_V1,
)


def group_versions() -> list[tuple[str, str]]:
    """Served (group, version) pairs, core first, in a stable order."""
    seen: list[tuple[str, str]] = []
    for r in ALL:
        gv = (r.group, r.version)
        if gv not in seen:
            seen.append(gv)
    return seen


def resources_in(group: str, version: str) -> list[ResourceInfo]:
    return [r for r in ALL if r.group == group and r.version == version]


def by_resource(group: str, version: str, resource: str) -> ResourceInfo | None:
    for r in ALL:
        if r.group == group and r.version == version and r.resource == resource:
            return r
    return None


def by_kind(api_version: str, kind: str) -> ResourceInfo | None:
    for r in ALL:
        if r.api_version == api_version and r.kind == kind:
            return r
    return None


def lookup(name: str) -> list[ResourceInfo]:
    """Resolve a user-typed name (`svc`, `service`, `services`, `endpointslices.discovery.k8s.io`)."""
    name = name.lower()
    base, _, group = name.partition(".")
    hits = []
    for r in ALL:
        if group and r.group != group:
            continue
        if base in (r.resource, r.singular, r.kind.lower()) or base in r.short_names:
            hits.append(r)
    return hits
