"""Server-side printing: objects to a `meta.k8s.io/v1` Table, as kube-apiserver prints them.

kubectl sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` for `get` and prints the
cells it receives; without a Table it falls back to NAME/AGE.  The column sets, priorities and
cell formats follow upstream's printers (pkg/printers/internalversion/printers.go).  The server
always fills the wide (priority 1) cells too; kubectl hides them unless `-o wide`.

AGE cells use `human_duration`, the rules of apimachinery's `duration.HumanDuration`; a missing
or unparsable timestamp prints `<unknown>`.  Kinds without a printer get upstream's default
convertor columns (`Name`, `Created At`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesvc.api.scheme import ResourceInfo

Obj = dict[str, Any]
Column = dict[str, Any]

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATED_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the "
    "system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def _col(name: str, description: str, *, type_: str = "string", priority: int = 0, fmt: str = "") -> Column:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


NAME_COLUMN = _col("Name", NAME_DESCRIPTION, fmt="name")
AGE_COLUMN = _col("Age", CREATED_DESCRIPTION)


# ------------------------------------------------------------------------------ time


def human_duration(d: timedelta) -> str:
    """apimachinery `duration.HumanDuration`: about two significant figures."""
    seconds = int(d.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 (`Time` or `MicroTime`) to an aware datetime; None when absent or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def since(value: Any, now: datetime) -> str:
    t = parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


def _meta(obj: Obj) -> Obj:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name", ""))


def _age(obj: Obj, now: datetime) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def format_labels(labels: Any) -> str:
    """labels.FormatLabels: `k=v` sorted by key, comma separated; `<none>` when empty."""
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _dig(obj: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ------------------------------------------------------------------------------ Service

SERVICE_COLUMNS = [
    NAME_COLUMN,
    _col("Type", "How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."),
    _col("Cluster-IP", "The IP address(es) assigned to the Service inside the cluster."),
    _col("External-IP", "Addresses outside the cluster at which the Service is reachable."),
    _col("Port(s)", "The ports exposed by the Service."),
    AGE_COLUMN,
    _col("Selector", "Pods with labels matching this selector receive the Service's traffic.", priority=1),
]
_LB_WIDTH = 16


def _lb_ingress(svc: Obj) -> str:
    seen = set()
    for ing in _list(_dig(svc, "status", "loadBalancer", "ingress")):
        if not isinstance(ing, dict):
            continue
        if ing.get("ip"):
            seen.add(str(ing["ip"]))
        elif ing.get("hostname"):
            seen.add(str(ing["hostname"]))
    # The server prints wide cells, so the 16-byte clipping of narrow output never applies.
    return ",".join(sorted(seen))


def _service_external_ip(svc: Obj) -> str:
    spec = svc.get("spec") or {}
    external = [str(x) for x in _list(spec.get("externalIPs"))]
    kind = spec.get("type", "")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        lb = _lb_ingress(svc)
        if external:
            return ",".join([*(lb.split(",") if lb else []), *external])
        return lb or "<pending>"
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(svc: Obj) -> str:
    pieces = []
    for p in _list(_dig(svc, "spec", "ports")):
        if not isinstance(p, dict):
            continue
        port, proto, node_port = p.get("port", 0), p.get("protocol", ""), p.get("nodePort", 0)
        if isinstance(node_port, int) and node_port > 0:
            pieces.append(f"{port}:{node_port}/{proto}")
        else:
            pieces.append(f"{port}/{proto}")
    return ",".join(pieces) or "<none>"


def _service_row(svc: Obj, now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    cluster_ips = _list(spec.get("clusterIPs"))
    return [
        _name(svc),
        str(spec.get("type", "")),
        str(cluster_ips[0]) if cluster_ips else "<none>",
        _service_external_ip(svc),
        _service_ports(svc),
        _age(svc, now),
        format_labels(spec.get("selector")),
    ]


# ------------------------------------------------------------------------------ Endpoints / slices

ENDPOINTS_COLUMNS = [
    NAME_COLUMN,
    _col("Endpoints", "The addresses and ports that implement the Service."),
    AGE_COLUMN,
]


def format_endpoints(ep: Obj) -> str:
    subsets = _list(ep.get("subsets"))
    if not subsets:
        return "<none>"
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        addresses = [a for a in _list(ss.get("addresses")) if isinstance(a, dict)]
        ports = [p for p in _list(ss.get("ports")) if isinstance(p, dict)]
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(str(a.get("ip", "")))
            continue
        for p in ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(_join_host_port(str(a.get("ip", "")), p.get("port", 0)))
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _endpoints_row(ep: Obj, now: datetime) -> list[Any]:
    return [_name(ep), format_endpoints(ep), _age(ep, now)]


ENDPOINT_SLICE_COLUMNS = [
    NAME_COLUMN,
    _col("AddressType", "The type of address carried by this slice: IPv4, IPv6 or FQDN."),
    _col("Ports", "The network ports exposed by each endpoint of this slice."),
    _col("Endpoints", "The endpoints in this slice."),
    AGE_COLUMN,
]


def _with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _slice_ports(ports: list[Any]) -> str:
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for p in ports:
        if not isinstance(p, dict):
            continue
        if len(shown) < limit:
            if p.get("port") is not None:
                shown.append(str(p["port"]))
            elif p.get("name") is not None:
                shown.append(str(p["name"]))
            else:
                shown.append("*")
        elif len(shown) == limit:
            more = True
        count += 1
    return _with_more(shown, more, count, limit)


def _slice_endpoints(endpoints: list[Any]) -> str:
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for e in endpoints:
        for a in _list(e.get("addresses") if isinstance(e, dict) else None):
            if len(shown) < limit:
                shown.append(str(a))
            elif len(shown) == limit:
                more = True
            count += 1
    return _with_more(shown, more, count, limit)


def _endpoint_slice_row(s: Obj, now: datetime) -> list[Any]:
    return [
        _name(s),
        str(s.get("addressType", "")),
        _slice_ports(_list(s.get("ports"))),
        _slice_endpoints(_list(s.get("endpoints"))),
        _age(s, now),
    ]


# ------------------------------------------------------------------------------ Pod

POD_COLUMNS = [
    NAME_COLUMN,
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    AGE_COLUMN,
    _col("IP", "The IP address allocated to the pod.", priority=1),
    _col("Node", "The node the pod is scheduled on.", priority=1),
    _col("Nominated Node", "The node the scheduler nominated for this pod when preempting.", priority=1),
    _col("Readiness Gates", "Extra conditions that must be true for the pod to be ready.", priority=1),
]


def _has_condition(conditions: Any, type_: str) -> bool:
    return any(
        isinstance(c, dict) and c.get("type") == type_ and c.get("status") == "True"
        for c in _list(conditions)
    )


def _later(a: datetime | None, b: Any) -> datetime | None:
    t = parse_time(b)
    if t is None:
        return a
    return t if a is None or t > a else a


def pod_status_cells(pod: Obj, now: datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS as kubectl shows them (upstream printPod's reason logic)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    meta = _meta(pod)
    restarts = 0
    restartable_restarts = 0
    total = len(_list(spec.get("containers")))
    ready = 0
    last_restart: datetime | None = None
    last_restartable_restart: datetime | None = None
    phase = str(status.get("phase", ""))
    reason = str(status.get("reason") or phase)
    for cond in _list(status.get("conditions")):
        if (
            isinstance(cond, dict)
            and cond.get("type") == "PodScheduled"
            and cond.get("reason") == "SchedulingGated"
        ):
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in _list(spec.get("initContainers")) if isinstance(c, dict)}

    def restartable(name: Any) -> bool:
        c = init_specs.get(name)
        return bool(c and c.get("restartPolicy") == "Always")

    total += sum(1 for c in init_specs.values() if c.get("restartPolicy") == "Always")

    initializing = False
    init_statuses = [c for c in _list(status.get("initContainerStatuses")) if isinstance(c, dict)]
    for i, c in enumerate(init_statuses):
        count = int(c.get("restartCount", 0) or 0)
        restarts += count
        finished = _dig(c, "lastState", "terminated", "finishedAt")
        last_restart = _later(last_restart, finished)
        if restartable(c.get("name")):
            restartable_restarts += count
            last_restartable_restart = _later(last_restartable_restart, finished)
        terminated = _dig(c, "state", "terminated")
        waiting = _dig(c, "state", "waiting")
        if isinstance(terminated, dict) and terminated.get("exitCode", 0) == 0:
            continue
        if restartable(c.get("name")) and c.get("started"):
            if c.get("ready"):
                ready += 1
            continue
        if isinstance(terminated, dict):
            if not terminated.get("reason"):
                if terminated.get("signal"):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
            else:
                reason = f"Init:{terminated['reason']}"
        elif (
            isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing"
        ):
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(_list(spec.get('initContainers')))}"
        initializing = True
        break

    if not initializing or _has_condition(status.get("conditions"), "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for c in reversed([c for c in _list(status.get("containerStatuses")) if isinstance(c, dict)]):
            restarts += int(c.get("restartCount", 0) or 0)
            last_restart = _later(last_restart, _dig(c, "lastState", "terminated", "finishedAt"))
            waiting = _dig(c, "state", "waiting")
            terminated = _dig(c, "state", "terminated")
            running = _dig(c, "state", "running")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif isinstance(terminated, dict):
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif c.get("ready") and isinstance(running, dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(status.get("conditions"), "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_cell


def _pod_row(pod: Obj, now: datetime) -> list[Any]:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ready, reason, restarts = pod_status_cells(pod, now)
    pod_ips = _list(status.get("podIPs"))
    ip = str(pod_ips[0].get("ip", "")) if pod_ips and isinstance(pod_ips[0], dict) else ""
    gates = _list(spec.get("readinessGates"))
    gates_cell = "<none>"
    if gates:
        conditions = {c.get("type"): c for c in _list(status.get("conditions")) if isinstance(c, dict)}
        true = sum(
            1
            for g in gates
            if isinstance(g, dict) and (conditions.get(g.get("conditionType")) or {}).get("status") == "True"
        )
        gates_cell = f"{true}/{len(gates)}"
    return [
        _name(pod),
        ready,
        reason,
        restarts,
        _age(pod, now),
        ip or "<none>",
        str(spec.get("nodeName") or "<none>"),
        str(status.get("nominatedNodeName") or "<none>"),
        gates_cell,
    ]


# ------------------------------------------------------------------------------ Node

NODE_COLUMNS = [
    NAME_COLUMN,
    _col("Status", "The status of the node"),
    _col("Roles", "The roles of the node"),
    AGE_COLUMN,
    _col("Version", "The kubelet version the node reports."),
    _col("Internal-IP", "The node's first InternalIP address.", priority=1),
    _col("External-IP", "The node's first ExternalIP address.", priority=1),
    _col("OS-Image", "The operating system image the node reports.", priority=1),
    _col("Kernel-Version", "The kernel version the node reports.", priority=1),
    _col("Container-Runtime", "The container runtime and version the node reports.", priority=1),
]
_ROLE_PREFIX = "node-role.kubernetes.io/"


def node_roles(node: Obj) -> list[str]:
    roles = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith(_ROLE_PREFIX) and k[len(_ROLE_PREFIX) :]:
            roles.add(k[len(_ROLE_PREFIX) :])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    return sorted(roles)


def _node_address(node: Obj, type_: str) -> str:
    for a in _list(_dig(node, "status", "addresses")):
        if isinstance(a, dict) and a.get("type") == type_:
            return str(a.get("address", ""))
    return "<none>"


def _node_row(node: Obj, now: datetime) -> list[Any]:
    status_words = []
    for c in _list(_dig(node, "status", "conditions")):
        if isinstance(c, dict) and c.get("type") == "Ready":
            status_words = ["Ready" if c.get("status") == "True" else "NotReady"]
    if not status_words:
        status_words = ["Unknown"]
    if _dig(node, "spec", "unschedulable"):
        status_words.append("SchedulingDisabled")
    info = _dig(node, "status", "nodeInfo") or {}
    return [
        _name(node),
        ",".join(status_words),
        ",".join(node_roles(node)) or "<none>",
        _age(node, now),
        str(info.get("kubeletVersion", "")),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        str(info.get("osImage") or "<unknown>"),
        str(info.get("kernelVersion") or "<unknown>"),
        str(info.get("containerRuntimeVersion") or "<unknown>"),
    ]


# ------------------------------------------------------------------------------ Namespace, Lease

NAMESPACE_COLUMNS = [NAME_COLUMN, _col("Status", "The status of the namespace"), AGE_COLUMN]


def _namespace_row(ns: Obj, now: datetime) -> list[Any]:
    return [_name(ns), str(_dig(ns, "status", "phase") or ""), _age(ns, now)]


LEASE_COLUMNS = [NAME_COLUMN, _col("Holder", "The identity of the current holder of the lease."), AGE_COLUMN]


def _lease_row(lease: Obj, now: datetime) -> list[Any]:
    return [_name(lease), str(_dig(lease, "spec", "holderIdentity") or ""), _age(lease, now)]


# ------------------------------------------------------------------------------ Event

EVENT_COLUMNS = [
    _col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    _col("Type", "The type of this event (Normal, Warning)."),
    _col("Reason", "A short, machine understandable reason for the event."),
    _col("Object", "The object that this event is about."),
    _col("Subobject", "The part of the object the event is about, if any.", priority=1),
    _col("Source", "The component reporting this event.", priority=1),
    _col("Message", "A human-readable description of the event."),
    _col("First Seen", "The time at which the event was first recorded.", priority=1),
    _col("Count", "The number of times this event has occurred.", priority=1),
    _col("Name", NAME_DESCRIPTION, priority=1, fmt="name"),
]


def _core_event_view(ev: Obj) -> Obj:
    """events.k8s.io/v1 Events carry the same data under other names; map them to core/v1's."""
    if "regarding" not in ev and "note" not in ev and "deprecatedSource" not in ev:
        return ev
    return {
        "metadata": ev.get("metadata", {}),
        "involvedObject": ev.get("regarding") or {},
        "message": ev.get("note", ""),
        "reason": ev.get("reason", ""),
        "type": ev.get("type", ""),
        "source": ev.get("deprecatedSource") or {},
        "firstTimestamp": ev.get("deprecatedFirstTimestamp"),
        "lastTimestamp": ev.get("deprecatedLastTimestamp"),
        "count": ev.get("deprecatedCount", 0),
        "eventTime": ev.get("eventTime"),
        "series": ev.get("series"),
        "reportingComponent": ev.get("reportingController", ""),
        "reportingInstance": ev.get("reportingInstance", ""),
    }


def _event_row(raw: Obj, now: datetime) -> list[Any]:
    ev = _core_event_view(raw)
    first = since(ev.get("firstTimestamp"), now)
    if parse_time(ev.get("firstTimestamp")) is None:
        first = since(ev.get("eventTime"), now)
    last = since(ev.get("lastTimestamp"), now)
    if parse_time(ev.get("lastTimestamp")) is None:
        last = first
    count = ev.get("count") or 0
    series = ev.get("series")
    if isinstance(series, dict):
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count", 0)
    elif count == 0:
        count = 1
    involved = ev.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ""
    instance = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        str(ev.get("type", "")),
        str(ev.get("reason", "")),
        target,
        str(involved.get("fieldPath", "")),
        f"{component}, {instance}" if instance else str(component),
        str(ev.get("message", "")).strip(),
        first,
        int(count),
        _name(raw),
    ]


# ------------------------------------------------------------------------------ default

DEFAULT_COLUMNS = [NAME_COLUMN, _col("Created At", CREATED_DESCRIPTION, type_="date")]


def _default_row(obj: Obj, now: datetime) -> list[Any]:
    created = parse_time(_meta(obj).get("creationTimestamp"))
    stamp = (created or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [_name(obj), stamp]


Printer = tuple[Sequence[Column], Callable[[Obj, datetime], list[Any]]]

PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Service"): (SERVICE_COLUMNS, _service_row),
    ("", "Endpoints"): (ENDPOINTS_COLUMNS, _endpoints_row),
    ("", "Pod"): (POD_COLUMNS, _pod_row),
    ("", "Node"): (NODE_COLUMNS, _node_row),
    ("", "Namespace"): (NAMESPACE_COLUMNS, _namespace_row),
    ("", "Event"): (EVENT_COLUMNS, _event_row),
    ("events.k8s.io", "Event"): (EVENT_COLUMNS, _event_row),
    ("discovery.k8s.io", "EndpointSlice"): (ENDPOINT_SLICE_COLUMNS, _endpoint_slice_row),
    ("coordination.k8s.io", "Lease"): (LEASE_COLUMNS, _lease_row),
}


def columns_for(info: ResourceInfo) -> list[Column]:
    columns, _ = PRINTERS.get((info.group, info.kind), (DEFAULT_COLUMNS, _default_row))
    return [dict(c) for c in columns]


_POD_DONE = {
    "Succeeded": "The pod has completed successfully.",
    "Failed": "The pod failed.",
}


def _pod_row_conditions(pod: Obj) -> list[dict[str, str]]:
    """Finished Pods carry a `Completed` row condition, as upstream's printer sets it."""
    phase = str(_dig(pod, "status", "phase") or "")
    if phase not in _POD_DONE:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": _POD_DONE[phase]}]


def _row_object(obj: Obj, include_object: str, version: str = "v1") -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}", "metadata": _meta(obj)}


def to_table(
    info: ResourceInfo,
    objects: list[Obj],
    *,
    now: datetime,
    include_object: str = "Metadata",
    list_meta: dict[str, Any] | None = None,
    no_headers: bool = False,
    version: str = "v1",
) -> dict[str, Any]:
    """A `meta.k8s.io/<version>` Table (v1 or v1beta1, as the Accept header asked) for
    `objects` (one row each, in order).

    include_object is the `includeObject` query parameter: `Metadata` (default; the row object is
    a PartialObjectMetadata), `Object` (the full object, sent by `kubectl get --sort-by`) or
    `None`.  no_headers drops the column definitions (watch events after the first).
    """
    _, row_fn = PRINTERS.get((info.group, info.kind), (DEFAULT_COLUMNS, _default_row))
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": row_fn(obj, now)}
        if info.kind == "Pod" and not info.group:
            conditions = _pod_row_conditions(obj)
            if conditions:
                row["conditions"] = conditions
        row["object"] = _row_object(obj, include_object, version)
        rows.append(row)
    metadata = dict(list_meta or {})
    if list_meta is None and len(objects) == 1 and _meta(objects[0]).get("resourceVersion"):
        # A single object's table carries that object's resourceVersion, as upstream's does.
        metadata["resourceVersion"] = _meta(objects[0])["resourceVersion"]
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": metadata,
        "columnDefinitions": [] if no_headers else columns_for(info),
        "rows": rows,
    }
